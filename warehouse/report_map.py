"""The report's world map: one SVG element per country, keyed by ISO code, shaded by the share
of the period's originals that mention it.

The shapes are those of the ``pygal_maps_world`` package (one ``<g class="xx country">`` per
ISO 3166-1 alpha-2 code), read from the installed package, never downloaded. Each country
becomes ``<g data-country="XX">`` with a ``<title>`` (name, articles, share) that a browser
shows as a tooltip, so the page needs no script.
"""

from __future__ import annotations

import functools
import html
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

# Share of the period's originals, lower bound of each shade (the last one for 10 % and over).
SHADES: tuple[tuple[float, str], ...] = (
    (0.0, "#deebf7"),
    (0.01, "#9ecae1"),
    (0.025, "#6baed6"),
    (0.05, "#3182bd"),
    (0.10, "#08519c"),
)
UNMENTIONED = "#e6e6e6"
_GROUP = re.compile(r'<g class="([a-z]{2}) country map-element">(.*?)</g>', re.S)
_NUMBER = re.compile(r"-?\d+\.\d+")


@dataclass(frozen=True)
class Mentioned:
    code: str
    name: str
    articles: int
    share: float  # of the period's originals


@functools.lru_cache(maxsize=1)
def shapes() -> dict[str, str]:
    """ISO code (upper case) -> the country's SVG paths, coordinates to one decimal (the map
    is drawn 2,475 units wide: a tenth of a unit is far below a pixel, and the page halves)."""
    import pygal_maps_world

    svg = (Path(pygal_maps_world.__file__).parent / "worldmap.svg").read_text(encoding="utf-8")
    return {
        code.upper(): _NUMBER.sub(lambda m: f"{float(m.group(0)):.1f}", paths.strip())
        for code, paths in _GROUP.findall(svg)
    }


def shade(share: float) -> str:
    colour = SHADES[0][1]
    for bound, fill in SHADES:
        if share >= bound:
            colour = fill
    return colour


def world_map(mentioned: list[Mentioned], names: dict[str, str]) -> tuple[str, list[Mentioned]]:
    """(the map as inline SVG, the mentioned countries it has no shape for). ``names``: every
    code's display name, for the tooltips of countries not mentioned."""
    by_code = {m.code: m for m in mentioned}
    groups = []
    for code, paths in sorted(shapes().items()):
        m = by_code.get(code)
        if m is None:
            tip = f"{names.get(code, code)}: not mentioned"
            fill = UNMENTIONED
        else:
            tip = f"{m.name}: {m.articles} article{'s' if m.articles != 1 else ''} ({m.share:.1%})"
            fill = shade(m.share)
        groups.append(
            f'<g data-country="{code}" fill="{fill}"><title>{html.escape(tip)}</title>{paths}</g>'
        )
    svg = (
        '<svg class="map" viewBox="0 0 2475 1388" role="img" aria-label="World map of the'
        ' share of articles that mention each country" xmlns="http://www.w3.org/2000/svg"'
        ' stroke="#fff" stroke-width="0.6">' + "".join(groups) + "</svg>"
    )
    missing = [m for m in mentioned if m.code not in shapes()]
    return svg, missing


def legend() -> list[tuple[str, str]]:
    """(label, colour) of each shade, for the map's key."""
    labels = [(f"under {SHADES[1][0]:.0%}", SHADES[0][1])]
    for (bound, fill), (upper, _next) in itertools.pairwise(SHADES[1:]):
        labels.append((f"{bound:.1%}–{upper:.1%}", fill))
    labels.append((f"{SHADES[-1][0]:.0%} and more", SHADES[-1][1]))
    return [("not mentioned", UNMENTIONED), *labels]
