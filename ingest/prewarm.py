"""Imported once by the extraction pool's forkserver, so that every worker it forks starts with
trafilatura, the language model, the country automaton and dateparser's locale tables loaded.

Without it each worker pays that start-up itself: about 1 s of imports, then 1.4 s the first
time htmldate hands a date to dateparser, which compiles the patterns of its 200 locales. A
nightly run of a few hundred pages cannot amortize that twice over.
"""

from __future__ import annotations

import gc

from htmldate.extractors import get_external_parser

from ingest.extract import analyze_page
from ingest.models import FetchResult

_SAMPLE = (
    b"<html><head><title>Warm-up</title></head><body><article><h1>Warm-up</h1>"
    b"<p>The ministers of France and Kenya met in Nairobi on Tuesday to discuss trade, "
    b"according to a statement published after the meeting by both governments.</p>"
    b"<p>Talks covered coffee, tea and cut flowers, which make up most of the exports, and "
    b"a new direct flight between the two capitals planned for next spring.</p>"
    b"<p>Officials said a second round would follow in Paris before the end of the year, "
    b"once the customs agencies have compared their figures for the last season.</p>"
    b"</article></body></html>"
)


def warm() -> None:
    """Run each lazily built piece once. Warming only saves time, so a failure here (it runs in
    the forkserver, before any worker exists) must never take the pool down with it."""
    try:
        analyze_page(
            FetchResult(
                url="https://warm.invalid/",
                final_url="https://warm.invalid/",
                status=200,
                content=_SAMPLE,
                headers={"content-type": "text/html; charset=utf-8"},
            ),
            time_limit_s=None,  # no timer thread in the forkserver, nothing cut short
        )
        # A date no locale recognizes makes dateparser try, and compile, every one of them.
        get_external_parser().get_date_data("Published Tuesday 12 Qwxz 2024")
    except Exception:  # see the docstring
        return


warm()
# What is loaded so far lives as long as the workers: out of their garbage collections, which
# would otherwise traverse it again and again, writing to (and so copying) the memory pages
# the workers share with this process (the use Python documents for gc.freeze before fork).
gc.freeze()
