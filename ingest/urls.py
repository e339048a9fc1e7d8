"""URL canonicalization and the guard against fetching private addresses.

The canonical URL is the identity of an article: two feeds, two tracking links or two spellings
of one host must lead to one row and one fetch.
"""

from __future__ import annotations

import contextlib
import functools
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


# Longer links are generated junk or an attack on the parser: real article URLs stay far below
# (the longest of the shared corpus is under 300 characters), and servers refuse 8 KB request
# lines anyway.
MAX_URL_CHARS = 4096
_HOST_PUNCTUATION = frozenset("-._")


class UnsafeURLError(ValueError):
    """The URL may not be fetched (scheme, or an address the guard refuses)."""


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be requested, or None: the checks that keep a malformed link from
    reaching the HTTP client, which raises on it outside its own error tree (and would
    otherwise fail the whole batch, and every later run that carries the entry)."""
    if len(url) > MAX_URL_CHARS:
        return f"URL longer than {MAX_URL_CHARS} characters ({len(url)})"
    bad = next((c for c in url if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        return f"URL contains the control character {bad!r}"
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an unbalanced IPv6 bracket
        return f"URL cannot be parsed: {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"scheme {parts.scheme or '(none)'!r} is not http or https"
    host = parts.hostname or ""
    if not host:
        return "URL has no host"
    try:
        parts.port  # noqa: B018 - urlsplit checks the port's range when it is read
    except ValueError:
        return f"URL has an invalid port ({parts.netloc[:80]!r})"
    ipv6 = ":" in host  # urlsplit has already checked the brackets
    if not ipv6 and (
        host.startswith(".")
        or ".." in host
        or not all(c.isalnum() or c in _HOST_PUNCTUATION for c in host)
    ):
        return f"URL has an invalid host {host[:80]!r}"
    return None


def _is_tracking(key: str) -> bool:
    low = key.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Return the canonical form of an http(s) URL; idempotent.

    Lower-cases scheme and host, drops default ports, fragments, tracking parameters and a
    trailing slash, and sorts the query. Raises ``ValueError`` for a URL that is not http(s).
    """
    url = url.strip()
    problem = url_problem(url)
    if problem:
        raise ValueError(f"not an http(s) URL ({problem}): {url[:200]!r}")
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


Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


def _norm(host: str) -> str:
    return host.lower().strip("[]").rstrip(".")


@functools.lru_cache(maxsize=64)
def _allowed(allow_hosts: frozenset[str]) -> tuple[frozenset[str], Networks]:
    """The allow list split into host names (and addresses) and CIDR ranges, parsed once."""
    names, networks = set(), []
    for entry in allow_hosts:
        if "/" in entry:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        else:
            names.add(_norm(entry))
    return frozenset(names), tuple(networks)


def in_networks(address: str, networks: Networks) -> bool:
    try:
        ip = ipaddress.ip_address(_norm(address).split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == n.version and ip in n for n in networks)


def host_allowed(host: str, allow_hosts: frozenset[str] | set[str] | list[str]) -> bool:
    """Whether ``host`` is one of ``allow_hosts`` (case, IPv6 brackets and a trailing dot
    aside), or an address inside one of its CIDR ranges ("127.0.0.0/8": 250 loopback hosts
    in one entry, not 250 flags)."""
    names, networks = _allowed(frozenset(allow_hosts))
    return _norm(host) in names or (bool(networks) and in_networks(host, networks))


def allow_list_problem(entries: list[str]) -> str | None:
    """Why an allow-list entry cannot be used (a malformed CIDR range), or None."""
    for entry in entries:
        if "/" in entry:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError as exc:
                return f"not a host name or CIDR range: {entry!r} ({exc})"
    return None


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
    loopback). A host that cannot be resolved is refused.
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
    except (OSError, UnicodeError, ValueError) as exc:
        # Closed, not open: a name the guard cannot resolve may still reach an address the
        # client resolves another way ("127.0.0.1." passed it that way).
        raise UnsafeURLError(f"host {host} cannot be resolved: {exc}") from exc
    _names, networks = _allowed(frozenset(allow_hosts))
    for info in infos:
        address = str(info[4][0])
        if networks and in_networks(address, networks):
            continue  # a name that resolves inside an allowed range
        reason = _address_refusal(address)
        if reason:
            raise UnsafeURLError(f"host {host} resolves to a {reason} (allow it with --allow-host)")
