"""URL canonicalization and the guard against fetching private addresses.

The canonical URL is the identity of an article: two feeds, two tracking links or two spellings
of one host must lead to one row and one fetch.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from courlan import normalize_url

# courlan already drops utm_* and a few others; these are the ones newsletters and ad networks
# add on top (Miniflux's and Media Cloud's lists agree on them).
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "rb_clickid",
        "s_cid",
        "ncid",
        "cmpid",
        "ocid",
        "sr_share",
        "at_medium",
        "at_campaign",
        "ref",
        "ref_src",
        "ref_url",
        "rss",
        "feature",
        "cmp",
        "ito",
        "guccounter",
        "spm",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "ga_", "hmb_", "__twitter", "_ga")


class UnsafeURLError(ValueError):
    """The URL may not be fetched (scheme, or an address the guard refuses)."""


def _is_tracking(key: str) -> bool:
    low = key.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Return the canonical form of an http(s) URL; idempotent.

    Lower-cases scheme and host, drops default ports, fragments, tracking parameters and a
    trailing slash, and sorts the query. Raises ``ValueError`` for a URL that is not http(s).
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url[:200]!r}")
    with contextlib.suppress(ValueError, AttributeError):
        url = normalize_url(url, trailing_slash=False)
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    netloc = parts.netloc.lower()
    return urlunsplit((parts.scheme.lower(), netloc, path, urlencode(sorted(query)), ""))


def host_allowed(host: str, allow_hosts: frozenset[str] | set[str] | list[str]) -> bool:
    return host.lower().strip("[]") in {h.lower().strip("[]") for h in allow_hosts}


def _address_refusal(address: str) -> str | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for attr in (
        "is_loopback",
        "is_link_local",
        "is_multicast",
        "is_unspecified",
        "is_reserved",
        "is_private",
    ):
        if getattr(ip, attr):
            return f"{attr.removeprefix('is_').replace('_', '-')} address {ip}"
    if not ip.is_global:
        return f"non-global address {ip}"
    return None


def check_url_allowed(url: str, allow_hosts: frozenset[str] | set[str] | list[str]) -> None:
    """Refuse a URL whose scheme is not http(s) or whose host resolves to a non-public address.

    Hosts listed in ``allow_hosts`` skip the address check (the demo and tests serve on
    loopback). Resolution errors are left to the fetch, which reports them as connection errors.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise UnsafeURLError(f"scheme {parts.scheme or '(none)'!r} is not http or https")
    host = parts.hostname
    if not host:
        raise UnsafeURLError("URL has no host")
    if host_allowed(host, allow_hosts):
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or 80, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return
    for info in infos:
        reason = _address_refusal(str(info[4][0]))
        if reason:
            raise UnsafeURLError(f"host {host} resolves to a {reason} (allow it with --allow-host)")
