"""The progress display: bars on a terminal, nothing otherwise."""

from __future__ import annotations

import io

from rich.console import Console

from flows import progress


def test_bars_on_a_terminal_show_each_stage_done_of_total() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80, color_system=None)
    with progress.display(console) as shown:
        progress.start("feeds", 2)
        progress.advance("feeds", 2)
        progress.start("pages", 8)
        progress.advance("pages", 5)
        progress.advance("pages", 3)
    text = out.getvalue()
    assert shown
    assert "feeds" in text and "2/2" in text
    assert "pages" in text and "8/8" in text


def test_no_display_when_not_a_terminal() -> None:
    out = io.StringIO()
    with progress.display(Console(file=out, force_terminal=False)) as shown:
        progress.start("pages", 3)
        progress.advance("pages", 3)
    assert not shown and out.getvalue() == ""
