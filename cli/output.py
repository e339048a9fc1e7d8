"""How the command prints: result tables (aligned text, CSV or JSON lines), the run summary, and
one-line notices on stderr."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ingest.models import RunSummary

FORMATS = ("table", "csv", "json")
# A table column is cut at this width: a long title must not push the others off the screen.
MAX_WIDTH = 60


def say(message: str) -> None:
    """A notice or an error, on stderr, named as this command's."""
    print(f"newsdesk: {message}", file=sys.stderr)


def format_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> str:
    """Rows as ``table`` (aligned, for a terminal), ``csv`` or ``json`` (one object a line)."""
    if fmt == "json":
        return "\n".join(
            json.dumps(dict(zip(columns, r, strict=True)), default=str, ensure_ascii=False)
            for r in rows
        )
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buf.getvalue().rstrip("\n")
    cells = [[("" if v is None else str(v)).replace("\n", " ") for v in r] for r in rows]
    widths = [
        min(MAX_WIDTH, max([len(c)] + [len(r[i]) for r in cells])) for i, c in enumerate(columns)
    ]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    for r in cells:
        out.append("  ".join(v[:w].ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def print_rows(table: tuple[Sequence[str], Sequence[Sequence[Any]]], fmt: str = "table") -> None:
    print(format_rows(*table, fmt))


def coverage(s: RunSummary) -> str:
    """Feeds that rolled over since last read, entries recovered for the gaps, and missed."""
    return (
        f"{s.feeds_rolled_over} feeds rolled over, {s.entries_recovered} entries recovered"
        f" from news sitemaps, about {s.entries_missed} missed"
    )


def print_poll(s: RunSummary, out: TextIO | None = None) -> None:
    """What a poll did, in a line (and the feeds it could not read), or why it gave up."""
    if s.gave_up:
        print(f"newsdesk: {s.gave_up}", file=out or sys.stdout)
        return
    read = s.feeds_ok + s.feeds_failed
    lines = [
        f"poll {s.run_id}: {read} of {s.feeds_total} feeds read ({s.feeds_failed} failed),"
        f" {s.new_entries} new entries queued for the nightly run; {coverage(s)}"
        f" ({s.seconds:.1f} s)"
    ]
    lines += [f"  not read: {f}" for f in s.failed_feeds if not f.endswith(": None")]
    print("\n".join(lines), file=out or sys.stdout)


def print_summary(s: RunSummary, out: TextIO | None = None) -> None:
    """What a run did, one stage a line, then what needs the operator."""
    lines = [
        f"run {s.run_id}: {s.status} in {s.seconds:.1f} s",
        f"  feeds      {s.feeds_ok} ok, {s.feeds_failed} failed, {s.feeds_skipped} backing off"
        f" (of {s.feeds_total})",
        f"  entries    {s.entries_seen} seen, {s.new_entries} new",
        f"  pages      {s.pages_fetched} fetched, {s.pages_failed} failed",
        f"  articles   {s.articles_stored} stored, {s.duplicates} duplicates",
        f"  countries  {s.countries_found} found",
        f"  alerts     {s.alerts_raised} raised"
        + (f": {', '.join(s.new_countries)}" if s.new_countries else ""),
    ]
    lines.append(f"  coverage   {coverage(s)}")
    lines += [f"  alerts     digest not delivered to {u}, retried next run" for u in s.undelivered]
    lines += [f"  not read this run: {f}" for f in s.failed_feeds]  # failed or backing off
    print("\n".join(lines), file=out or sys.stdout)
