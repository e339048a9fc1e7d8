"""The analyst's picture: one self-contained HTML page (the chart embedded, no network needed)
and the chart as PNG: country mentions over the last N days, the new countries with their
articles, the most syndicated stories, and feed health."""

from __future__ import annotations

import base64
import html
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

TOP_COUNTRIES = 8


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    return con.execute(sql, params).fetchall()


def chart_png(series: dict[str, dict[date, int]], days: list[date]) -> bytes:
    """Articles per day for the most mentioned countries, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    for name, counts in series.items():
        ax.plot(days, [counts.get(d, 0) for d in days], marker="o", linewidth=1.8, label=name)  # type: ignore[arg-type]
    ax.set_title(f"Articles mentioning each country, last {len(days)} days")
    ax.set_ylabel("original articles")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    if series:
        ax.legend(loc="upper left", fontsize=8, ncols=2, frameon=False)
    fig.autofmt_xdate()
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def build_report(
    con: duckdb.DuckDBPyConnection, days: int, out: Path, today: date | None = None
) -> tuple[Path, Path]:
    """Write ``report.html`` and ``countries.png`` into ``out``; returns both paths. The
    folder is made first: one that cannot be is said before the chart is drawn."""
    out.mkdir(parents=True, exist_ok=True)
    today = today or datetime.now(UTC).date()
    start = today - timedelta(days=days - 1)
    day_list = [start + timedelta(days=i) for i in range(days)]
    daily = _rows(
        con,
        "SELECT day, country_name, articles FROM country_mentions_daily WHERE day BETWEEN ? AND ?",
        [start, today],
    )
    totals: dict[str, int] = {}
    for _, name, n in daily:
        totals[name] = totals.get(name, 0) + int(n)
    top = sorted(totals, key=lambda k: (-totals[k], k))[:TOP_COUNTRIES]
    series: dict[str, dict[date, int]] = {name: {} for name in top}
    for day, name, n in daily:
        if name in series:
            series[name][day] = int(n)
    png = chart_png(series, day_list)
    new = _rows(
        con,
        "SELECT country_name, country_code, raised_at, first_title, first_url, "
        "first_site, first_snippet FROM new_countries WHERE CAST(raised_at AS DATE) "
        "BETWEEN ? AND ? ORDER BY raised_at DESC, country_name",
        [start, today],
    )
    clusters = _rows(
        con,
        "SELECT original_title, copies, copy_sites FROM duplicate_clusters "
        "ORDER BY copies DESC, original_title LIMIT 10",
        [],
    )
    feeds = _rows(
        con,
        "SELECT h.name, h.last_status, h.consecutive_failures, h.last_error, h.last_success_at,"
        " coalesce(c.seen, 0), coalesce(c.rollovers, 0), coalesce(c.recovered, 0),"
        " coalesce(c.missed, 0), h.poll_every FROM feed_health h LEFT JOIN ("
        "  SELECT f.feed_url, sum(f.new_entries) AS seen, count(*) FILTER (f.overflowed)"
        "  AS rollovers, sum(f.recovered) AS recovered, sum(greatest(coalesce("
        "  f.missed_estimate, 0) - f.recovered, 0)) FILTER (f.overflowed) AS missed"
        "  FROM run_feeds f JOIN runs r USING (run_id)"
        "  WHERE r.started_at::DATE BETWEEN ? AND ? GROUP BY f.feed_url"
        " ) c USING (feed_url) ORDER BY h.needs_attention DESC, h.name",
        [start, today],
    )
    out.mkdir(parents=True, exist_ok=True)
    png_path, html_path = out / "countries.png", out / "report.html"
    png_path.write_bytes(png)
    html_path.write_text(_html(today, days, png, new, clusters, feeds, totals), encoding="utf-8")
    return html_path, png_path


FEED_NOTE = (
    "Coverage over the period: new entries found, how often the feed's list rolled over between"
    " two reads, the entries recovered from news sitemaps, the entries estimated missed, and how"
    " often the feed is polled between nights."
)
FEED_HEADERS = [
    "feed",
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


def _table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p class='none'>None.</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _feed_row(r: Any) -> list[str]:
    """A feed's health and coverage cells, escaped."""
    e = html.escape
    return [
        e(r[0]),
        e(r[1] or "never fetched"),
        str(r[2]),
        e(r[3] or ""),
        e(f"{r[4]:%Y-%m-%d %H:%M}" if r[4] else ""),
        *(str(n) for n in r[5:9]),
        e(str(r[9]) if r[9] is not None else "nightly"),
    ]


def _html(
    today: date,
    days: int,
    png: bytes,
    new: list[Any],
    clusters: list[Any],
    feeds: list[Any],
    totals: dict[str, int],
) -> str:
    e = html.escape
    new_rows = [
        [
            f"<b>{e(r[0])}</b> ({e(r[1])})",
            e(f"{r[2]:%Y-%m-%d}"),
            f"<a href='{e(r[4])}'>{e(r[3] or r[4])}</a>",
            e(r[5] or ""),
            f"<q>{e(r[6] or '')}</q>",
        ]
        for r in new
    ]
    cluster_rows = [[e(r[0] or ""), str(r[1]), e(", ".join(r[2] or []))] for r in clusters]
    feed_rows = [_feed_row(r) for r in feeds]
    top = ", ".join(
        f"{e(k)} ({v})" for k, v in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    )
    chart = base64.b64encode(png).decode()
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>newsdesk — {today:%Y-%m-%d}</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }}
h1 {{ font-size: 1.6em; }} h2 {{ margin-top: 2em; border-bottom: 1px solid #ddd; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ padding: .3em .6em;
  border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }}
th {{ background: #f6f6f6; }} .none {{ color: #888; }} img {{ max-width: 100%; }}
</style></head><body>
<h1>newsdesk — the last {days} days to {today:%Y-%m-%d}</h1>
<p>Most mentioned: {top or "no country mentions in this period"}.</p>
<img alt="Articles mentioning each country per day" src="data:image/png;base64,{chart}">
<h2>New countries ({len(new)})</h2>
{_table(["country", "first seen", "first article", "site", "where"], new_rows)}
<h2>Most syndicated stories</h2>
{_table(["story", "copies", "carried by"], cluster_rows)}
<h2>Feed health</h2>
<p>{FEED_NOTE}</p>
{_table(FEED_HEADERS, feed_rows)}
</body></html>
"""
