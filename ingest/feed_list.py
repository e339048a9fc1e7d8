"""The feed list: TOML ``[[feeds]]`` tables, or an OPML file exported from a feed reader.

One feed is one canonical URL (host case, a trailing slash and tracking parameters aside). In
a TOML list, writing a feed twice is a mistake and is refused; in OPML it is how readers
(Feedly, Inoreader) export a feed filed in two folders, so its folders are merged into the
feed's tags.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import ValidationError

from ingest.errors import FeedListError
from ingest.models import FeedSpec
from ingest.urls import canonical_url


def load_feed_list(path: Path) -> list[FeedSpec]:
    """Read and validate a feed list; raise ``FeedListError`` naming the entry and the field."""
    if not path.is_file():
        raise FeedListError(f"feeds file not found: {path}")
    raw = path.read_bytes()
    opml = path.suffix.lower() in (".opml", ".xml") or raw.lstrip()[:5] in (b"<?xml", b"<opml")
    entries = _opml_entries(path, raw) if opml else _toml_entries(path, raw)
    specs: dict[str, FeedSpec] = {}
    for label, entry in entries:
        spec, key = _validate(path, label, entry)
        first = specs.get(key)
        if first is None:
            specs[key] = spec
        elif opml:
            tags = tuple(dict.fromkeys((*first.tags, *spec.tags)))
            specs[key] = first.model_copy(update={"tags": tags})
        else:
            raise FeedListError(
                f"{path}: {label}: field 'url': duplicate feed {spec.url} (listed as {first.url})"
            )
    if not specs:
        raise FeedListError(f"{path}: no feeds listed")
    return list(specs.values())


def _toml_entries(path: Path, raw: bytes) -> list[tuple[str, dict[str, object]]]:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FeedListError(f"{path}: not valid TOML: {exc}") from exc
    feeds = data.get("feeds")
    if not isinstance(feeds, list):
        raise FeedListError(f"{path}: expected [[feeds]] tables")
    out = []
    for i, entry in enumerate(feeds, start=1):
        if not isinstance(entry, dict):
            raise FeedListError(f"{path}: feeds entry #{i}: expected a table")
        label = f"feeds entry #{i}" + (f" ({entry['name']!r})" if "name" in entry else "")
        out.append((label, entry))
    return out


def _opml_entries(path: Path, raw: bytes) -> list[tuple[str, dict[str, object]]]:
    # defusedxml refuses entity declarations and external references (billion laughs, XXE);
    # a plain <!DOCTYPE opml>, which some readers write, is harmless and read.
    try:
        root = fromstring(raw)
    except DefusedXmlException as exc:
        raise FeedListError(f"{path}: OPML with entities or external references: {exc}") from None
    except ParseError as exc:
        raise FeedListError(f"{path}: not valid OPML: {exc}") from exc
    out: list[tuple[str, dict[str, object]]] = []

    def walk(node: Element, tags: tuple[str, ...]) -> None:
        for child in node.findall("outline"):
            url = child.get("xmlUrl")
            title = child.get("title") or child.get("text") or ""
            if url is None:
                walk(child, (*tags, title) if title else tags)
                continue
            label = f"outline #{len(out) + 1} ({title!r})"
            entry: dict[str, object] = {"url": url, "name": title or url, "tags": list(tags)}
            for field in ("sitemap", "sitemap_filter"):
                if child.get(field):
                    entry[field] = child.get(field)
            out.append((label, entry))

    body = root.find("body")
    if body is None:
        raise FeedListError(f"{path}: OPML has no <body>")
    walk(body, ())
    return out


def _validate(path: Path, label: str, entry: dict[str, object]) -> tuple[FeedSpec, str]:
    """The entry as a spec, with its URL's canonical form (its key in the list)."""
    unknown = set(entry) - {"url", "name", "tags", "sitemap", "sitemap_filter"}
    if unknown:
        raise FeedListError(f"{path}: {label}: unknown field {sorted(unknown)[0]!r}")
    try:
        spec = FeedSpec.model_validate(entry)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "entry"
        raise FeedListError(f"{path}: {label}: field {field!r}: {err['msg']}") from None
    if not spec.name.strip():
        raise FeedListError(f"{path}: {label}: field 'name': must not be empty")
    canonical: dict[str, str] = {}
    for field in ("url", "sitemap"):
        value = getattr(spec, field)
        try:
            if value is not None:
                canonical[field] = canonical_url(value)
        except ValueError as exc:
            raise FeedListError(f"{path}: {label}: field {field!r}: {exc}") from None
    if spec.sitemap_filter is not None and not spec.sitemap_filter.startswith("/"):
        raise FeedListError(
            f"{path}: {label}: field 'sitemap_filter': a URL path prefix starting with '/'"
        )
    return spec, canonical["url"]
