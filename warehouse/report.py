"""The analyst's picture: one self-contained HTML page (map, chart and tables embedded, nothing
fetched from the network) and the chart as PNG, for the last N days: a world map of the
period's attention, attention over time, the new countries with the sentence that raised
each, the most syndicated stories, breakdowns by source and language, and feed health.

The queries are here; the page is ``templates/report.html`` (Jinja2, autoescaped), the map
``report_map``, the chart ``report_charts``.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from warehouse.report_charts import attention_png
from warehouse.report_map import Mentioned, legend, shapes, world_map

TOP_COUNTRIES = 8
TEMPLATES = Path(__file__).parent / "templates"
# The originals of the period: feed articles, not copies, by the day they were published.
_DAY = "CAST(coalesce(a.published_at, a.fetched_at) AS DATE)"
_ORIGINALS = f"a.source = 'feed' AND a.duplicate_of IS NULL AND {_DAY} BETWEEN ? AND ?"
FEED_NOTE = (
    "Feeds that need attention first (failing, backing off, rolling over), then by name."
    " Coverage over the period: new entries found, how often the feed's list rolled over"
    " between two reads, the entries recovered from news sitemaps, the entries estimated"
    " missed, and how often the feed is polled between nights."
)
FEED_HEADERS = [
    "feed",
    "state",
    "last status",
    "failures in a row",
    "last error",
    "last success",
    "new entries",
    "rollovers",
    "recovered",
    "est. missed",
    "polled every",
]


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    return con.execute(sql, params).fetchall()


def natural_key(name: str) -> list[Any]:
    """ "Feed 2" before "Feed 10": digits compare as numbers."""
    return [int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", name)]


def build_report(
    con: duckdb.DuckDBPyConnection, days: int, out: Path, today: date | None = None
) -> tuple[Path, Path]:
    """Write ``report.html`` and ``countries.png`` into ``out``; returns both paths. The
    folder is made first: one that cannot be is said before anything is drawn."""
    out.mkdir(parents=True, exist_ok=True)
    end = today or datetime.now(UTC).date()
    period = Period(end - timedelta(days=days - 1), end)
    volume = dict(
        _rows(
            con,
            f"SELECT {_DAY} AS day, count(*) FROM articles a WHERE {_ORIGINALS} GROUP BY 1",
            [period.start, period.end],
        )
    )
    mentioned = _mentioned(con, period, sum(volume.values()))
    top = mentioned[:TOP_COUNTRIES]
    png = attention_png(_attention(con, period, top, volume), period.days, volume)
    png_path, html_path = out / "countries.png", out / "report.html"
    png_path.write_bytes(png)
    page = _page(con, period, days, png, mentioned, sum(volume.values()))
    html_path.write_text(page, encoding="utf-8")
    return html_path, png_path


def _mentioned(con: duckdb.DuckDBPyConnection, period: Period, originals: int) -> list[Mentioned]:
    """Every country the period's originals mention, most mentioned first."""
    rows = _rows(
        con,
        "SELECT m.country_code, any_value(m.country_name), count(DISTINCT m.article_id) AS n"
        f" FROM country_mentions m JOIN articles a USING (article_id) WHERE {_ORIGINALS}"
        " GROUP BY 1 ORDER BY n DESC, 2",
        [period.start, period.end],
    )
    return [Mentioned(c, name, int(n), int(n) / max(originals, 1)) for c, name, n in rows]


def _attention(
    con: duckdb.DuckDBPyConnection, period: Period, top: list[Mentioned], volume: dict[date, int]
) -> dict[str, dict[date, float]]:
    """Each top country's share of each day's originals."""
    series: dict[str, dict[date, float]] = {m.name: {} for m in top}
    names = {m.code: m.name for m in top}
    for day, code, n in _rows(
        con,
        f"SELECT {_DAY} AS day, m.country_code, count(DISTINCT m.article_id) FROM"
        f" country_mentions m JOIN articles a USING (article_id) WHERE {_ORIGINALS}"
        " GROUP BY 1, 2",
        [period.start, period.end],
    ):
        if code in names and volume.get(day):
            series[names[code]][day] = int(n) / volume[day]
    return series


def _page(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    days: int,
    png: bytes,
    mentioned: list[Mentioned],
    originals: int,
) -> str:
    from ingest.countries import country_name

    span = [period.start, period.end]
    names = {code: country_name(code) for code in shapes()}
    svg, unmapped = world_map(mentioned, names)
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    return env.get_template("report.html").render(
        end=period.end,
        days=days,
        originals=originals,
        top=mentioned[:5],
        mentioned=mentioned,
        world=Markup(svg),  # built from the package's shapes and escaped titles
        unmapped=unmapped,
        legend=legend(),
        chart=base64.b64encode(png).decode(),
        new=_rows(con, _NEW, span),
        stories=_rows(con, _STORIES, span),
        sources=_rows(con, _BY_SOURCE, span + span),
        languages=_rows(con, _BY_LANGUAGE, span),
        feeds=_feeds(con, period),
        feed_headers=FEED_HEADERS,
        feed_note=FEED_NOTE,
    )


# Each country new in the period, with the article that raised it (its canonical link) and the
# sentence around the mention.
_NEW = (
    "SELECT al.country_name, al.country_code, al.raised_at, a.title,"
    " coalesce(a.canonical_url, a.url), a.site_name, m.snippet FROM alerts al JOIN articles a"
    " USING (article_id) LEFT JOIN country_mentions m ON m.article_id = al.article_id AND"
    " m.country_code = al.country_code WHERE CAST(al.raised_at AS DATE) BETWEEN ? AND ?"
    " ORDER BY al.raised_at DESC, al.country_name"
)
# The period's originals with the most copies elsewhere, linked.
_STORIES = (
    "SELECT coalesce(c.original_title, o.url), coalesce(o.canonical_url, o.url), c.copies,"
    " c.copy_sites FROM duplicate_clusters c JOIN articles o ON o.article_id = c.original_id"
    " WHERE CAST(coalesce(o.published_at, o.fetched_at) AS DATE) BETWEEN ? AND ?"
    " ORDER BY c.copies DESC, 1 LIMIT 10"
)
_BY_SOURCE = (
    "SELECT coalesce(a.site_name, a.feed_url, 'unknown') AS site, count(DISTINCT a.article_id)"
    " AS originals, count(DISTINCT m.country_code) AS countries, any_value(coalesce(c.n, 0))"
    " AS copies FROM articles a LEFT JOIN country_mentions m USING (article_id) LEFT JOIN"
    " (SELECT coalesce(d.site_name, d.feed_url, 'unknown') AS site, count(*) AS n FROM articles"
    " d WHERE d.duplicate_of IS NOT NULL AND CAST(coalesce(d.published_at, d.fetched_at) AS"
    " DATE) BETWEEN ? AND ? GROUP BY 1) c ON c.site = coalesce(a.site_name, a.feed_url,"
    f" 'unknown') WHERE {_ORIGINALS} GROUP BY 1 ORDER BY originals DESC, site"
)
_BY_LANGUAGE = (
    "SELECT coalesce(a.language, 'unknown') AS language, count(DISTINCT a.article_id) AS"
    " originals, count(DISTINCT m.country_code) AS countries FROM articles a LEFT JOIN"
    f" country_mentions m USING (article_id) WHERE {_ORIGINALS} GROUP BY 1"
    " ORDER BY originals DESC, language"
)


def _feeds(con: duckdb.DuckDBPyConnection, period: Period) -> list[list[str]]:
    """Feed health: failing, then backing off, then rolling over, then the rest; each group
    by name in natural order ("Feed 2" before "Feed 10")."""
    rows = _rows(
        con,
        "SELECT h.name, h.last_status, h.consecutive_failures, h.last_error, h.last_success_at,"
        " coalesce(c.seen, 0), coalesce(c.rollovers, 0), coalesce(c.recovered, 0),"
        " coalesce(c.missed, 0), h.poll_every, h.next_fetch_after > now() AS backing_off"
        " FROM feed_health h LEFT JOIN (SELECT f.feed_url, sum(f.new_entries) AS seen,"
        " count(*) FILTER (f.overflowed) AS rollovers, sum(f.recovered) AS recovered,"
        " sum(greatest(coalesce(f.missed_estimate, 0) - f.recovered, 0)) FILTER"
        " (f.overflowed) AS missed FROM run_feeds f JOIN runs r USING (run_id)"
        " WHERE r.started_at::DATE BETWEEN ? AND ? GROUP BY f.feed_url) c USING (feed_url)",
        [period.start, period.end],
    )

    def state(r: tuple[Any, ...]) -> tuple[int, str]:
        if r[2] or r[1] == "error":
            return 0, "failing"
        if r[10]:
            return 1, "backing off"
        if r[6]:
            return 2, "rolling over"
        return 3, "ok"

    rows.sort(key=lambda r: (state(r)[0], natural_key(r[0] or "")))
    return [
        [
            r[0] or "",
            state(r)[1],
            r[1] or "never fetched",
            str(r[2]),
            r[3] or "",
            f"{r[4]:%Y-%m-%d %H:%M}" if r[4] else "",
            *(str(n) for n in r[5:9]),
            str(r[9]) if r[9] is not None else "nightly",
        ]
        for r in rows
    ]
