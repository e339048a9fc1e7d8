"""Extraction: page bytes to normalized text and metadata, with trafilatura.

Pure and process-safe: ``extract_page`` takes bytes and returns a record or a failure reason, so
the flow can run it in a process pool sized to the cores.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import re
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Any, TypeVar

import py3langid
import trafilatura

from ingest.models import ExtractedPage, FetchResult, TextAnalysis
from ingest.normalize import content_hash, normalize_text
from ingest.waiting import raise_after, result_within

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

# Shorter texts are navigation, paywall stubs or error pages rather than articles.
MIN_TEXT_CHARS = 200
# CPU seconds one page's extraction may take (CPU, not wall time: a busy machine must not cost
# pages). Real pages take 15-170 ms (p95 on the corpus), a 9.5 MB page about 4 s; a page of
# 150,000 nested elements took 23.6 s of CPU, one of 150,000 paragraphs over 30 s.
EXTRACT_TIME_LIMIT = 10.0
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)


def decode_html(content: bytes, content_type: str | None) -> str | bytes:
    """Decode with the declared charset (HTTP header, then <meta>); else leave it to trafilatura.

    trafilatura ignores both declarations and guesses, which fails on short pages in legacy
    encodings. A declaration that does not decode cleanly is ignored.
    """
    for source in (
        _HEADER_CHARSET.search(content_type or ""),
        _META_CHARSET.search(content[:4096]),
    ):
        if source is None:
            continue
        charset = source.group(1)
        name = charset if isinstance(charset, str) else charset.decode("ascii", "ignore")
        try:
            return content.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return content


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text, or None when too short to tell. The first 2,000 characters
    decide: on the corpus they agree with 5,000 on every text, at 60 % of the cost."""
    if len(text) < 40:
        return None
    code, _score = py3langid.classify(text[:2000])
    return str(code)[:2] if code else None


def _date(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def _drop_title_line(text: str, title: str | None) -> str:
    """The headline is stored as the title; kept in the text it would hide syndicated copies."""
    if not title:
        return text
    first, _, rest = text.partition("\n")
    if " ".join(first.split()).casefold() == title.casefold():
        return rest.lstrip("\n")
    return text


# How trafilatura is asked to extract (the benchmark's extraction floor uses the same).
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "with_metadata": True,
    "favor_precision": True,
    "include_comments": False,
    "include_tables": False,
    "deduplicate": False,
}


# When the precise pass finds too little: recall first, tables kept (an article laid out in a
# table, a page whose precise pass keeps only a notice).
RECALL_OPTIONS: dict[str, Any] = {
    **TRAFILATURA_OPTIONS,
    "favor_precision": False,
    "favor_recall": True,
    "include_tables": True,
}
# What a text that is only a site's notice says; such a text is no article, however long.
_BOILERPLATE = re.compile(
    r"cookie|reprint|all rights reserved|copyright|©|javascript|subscribe|newsletter"
    r"|terms of (use|service)|privacy policy|sign in|log in|enable|browser",
    re.I,
)
BOILERPLATE_MAX_CHARS = 600


def is_boilerplate(text: str) -> bool:
    """A short text every sentence of which is a site's notice (cookies, reprint rights,
    sign-in, newsletter), not an article."""
    if len(text) > BOILERPLATE_MAX_CHARS:
        return False
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n", text) if s.strip()]
    return bool(sentences) and all(_BOILERPLATE.search(s) for s in sentences)


def _extract(html: str | bytes, url: str, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """trafilatura's document (metadata) and its normalized text, title line dropped."""
    doc = trafilatura.bare_extraction(html, url=url, **options)
    if doc is None:
        return {}, ""
    found: dict[str, Any] = doc if isinstance(doc, dict) else doc.as_dict()
    title = _clean(found.get("title"))
    return found, _drop_title_line(normalize_text(str(found.get("text") or "")), title)


def extract_page(page: FetchResult, fallback: bool = True) -> ExtractedPage | str:
    """Extract one page; returns the record, or a one-line reason why there is no article.

    The precise pass first; when it finds no text, too little or only a notice, a pass
    favouring recall with tables (``fallback``; off only to measure what it adds)."""
    html = decode_html(page.content, page.headers.get("content-type"))
    try:
        doc, text = _extract(html, page.final_url, TRAFILATURA_OPTIONS)
        weak = len(text) < MIN_TEXT_CHARS or is_boilerplate(text)
        if weak and fallback:
            again, more = _extract(html, page.final_url, RECALL_OPTIONS)
            if len(more) > len(text) and not is_boilerplate(more):
                doc, text = again, more
    except Exception as exc:  # trafilatura raises many kinds on hostile HTML; never stop the run
        return f"extraction failed: {exc.__class__.__name__}: {exc}"
    if not doc:
        return "no extractable text"
    if is_boilerplate(text):
        return f"only a site notice, no article ({text[:60]!r})"
    if len(text) < MIN_TEXT_CHARS:
        return f"no article text ({len(text)} characters)"
    title = _clean(doc.get("title"))
    return ExtractedPage(
        url=page.url,
        final_url=page.final_url,
        title=title,
        author=_clean(doc.get("author")),
        published_at=_date(doc.get("date")),
        site_name=_clean(doc.get("sitename")) or _clean(doc.get("hostname")),
        language=detect_language(text),
        text=text,
    )


# Loaded once in the forkserver, before it forks any worker (see ingest/prewarm.py).
PRELOAD = ["ingest.prewarm"]


def start_forkserver(configured: int = 0) -> None:
    """Start the forkserver that extraction workers fork from, with the extraction code loaded
    and warm. It loads in the background, so a flow calls this first and the workers are ready
    by the time the first pages are fetched. Does nothing when it is already running, or on
    one core or with ``NEWSDESK_EXTRACT_WORKERS=1`` (no pool)."""
    from multiprocessing import forkserver

    if pool_workers(configured) < 2:
        return

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()


def pool_workers(configured: int = 0) -> int:
    """Extraction processes: as configured (``NEWSDESK_EXTRACT_WORKERS``), else one per core, at
    most 4 (past that a night is bound by fetching)."""
    return configured or min(os.cpu_count() or 1, 4)


# Wall seconds a pool worker may spend on one page before it is killed. The time limit above
# interrupts Python code only; a worker stuck inside C (a parser, a regular expression) never
# sees it, and without this bound the night would wait for it forever. Three times the CPU
# limit: a page that uses its whole allowance on a machine shared three ways still finishes.
EXTRACT_KILL_AFTER = EXTRACT_TIME_LIMIT * 3


class ExtractionPool(Executor):
    """A process pool for extraction that can kill and replace its workers.

    Forkserver, because forking a threaded process can hang, and its workers start warm
    (``start_forkserver``). ``run_chunks_later`` waits a bounded time for each chunk: past it, every
    worker is killed (SIGKILL, the one signal a process stuck in C code cannot ignore), fresh
    ones are started and the unfinished chunks are submitted again, the stuck chunk page by
    page, so that only the page that hangs is given up."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.replaced = 0
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        start_forkserver()
        pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("forkserver")
        )
        # The executor starts a worker when a task finds none idle, so the second one used to
        # start with the first batch, while the pages of the next were being fetched: 0.2 s
        # late, as the fetching thread held the GIL. Started now, back to back, each gets a
        # task at once.
        for _ in range(self.workers):
            pool.submit(os.getpid)
        return pool

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def worker_pids(self) -> list[int]:
        # CPython's ProcessPoolExecutor keeps its processes there (3.8 to 3.13); 3.14 adds
        # kill_workers() for exactly this.
        processes = getattr(self._pool, "_processes", None) or {}
        return [p.pid for p in list(processes.values()) if p.pid is not None]

    def replace_workers(self, why: str) -> None:
        """Kill every worker and start fresh ones; pending futures of the old pool fail."""
        old = self._pool
        for pid in self.worker_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        old.shutdown(wait=True, cancel_futures=True)
        self.replaced += 1
        log.warning("extraction workers replaced: %s", why)
        self._pool = self._start()

    def run_chunks_later(
        self,
        work: Callable[[Sequence[T]], list[R]],
        chunks: Sequence[Sequence[T]],
        given_up: Callable[[T, str], R],
        kill_after: float = EXTRACT_KILL_AFTER,
    ) -> Callable[[], list[R]]:
        """Submit ``work`` over each chunk now; the returned call gathers the results in
        order. A chunk not done within ``kill_after`` seconds per item (counted from when the
        chunks before it were gathered, so it has started by then), or whose worker died,
        costs a worker replacement, and its items are run again one at a time with nothing
        else in the pool: an item that hangs or kills its worker alone is ``given_up(item,
        why)``. A worker death does not say whose page caused it, hence the isolation."""
        pending = [(list(c), self.replaced, self.submit(work, c)) for c in chunks if c]

        def gather() -> list[R]:
            nonlocal pending
            out: list[R] = []
            while pending:
                chunk, generation, future = pending.pop(0)
                try:
                    results: list[R] = result_within(future, kill_after * len(chunk))
                    out.extend(results)
                    continue
                except TimeoutError:
                    why = f"a chunk of {len(chunk)} pages outran {kill_after * len(chunk):g} s"
                except BrokenProcessPool:
                    if generation < self.replaced:  # lost to an earlier replacement
                        pending.insert(0, (chunk, self.replaced, self.submit(work, chunk)))
                        continue
                    why = "a worker died"
                self.replace_workers(f"{why}; its pages are run again one at a time")
                out.extend(self._alone(work, item, given_up, kill_after) for item in chunk)
                rest, pending = pending, []
                for c, g, f in rest:
                    finished = f.done() and not f.cancelled() and f.exception() is None
                    pending.append(
                        (c, g, f) if finished else (c, self.replaced, self.submit(work, c))
                    )
            return out

        return gather

    def _alone(
        self,
        work: Callable[[Sequence[T]], list[R]],
        item: T,
        given_up: Callable[[T, str], R],
        kill_after: float,
    ) -> R:
        try:
            return result_within(self.submit(work, [item]), kill_after)[0]
        except TimeoutError:
            why = f"extraction did not finish in {kill_after:g} s (worker killed)"
        except BrokenProcessPool:
            why = "the extraction worker died (out of memory?)"
        self.replace_workers(f"one page given up: {why}")
        return given_up(item, why)


def extraction_pool(workers: int) -> ExtractionPool:
    """The flow's extraction pool (see ``ExtractionPool``)."""
    return ExtractionPool(workers)


def analyze_text(text: str) -> TextAnalysis:
    """What the flow needs from an article's text besides the text itself."""
    from ingest.countries import detect_countries
    from ingest.dedupe import fingerprint

    fp = fingerprint(text)
    return TextAnalysis(
        content_hash=content_hash(text),
        band_keys=fp.band_keys,
        shingles=fp.shingles,
        countries=tuple(
            (c.code, c.name, c.mentions, c.first_offset, c.snippet) for c in detect_countries(text)
        ),
    )


def analyze_texts(texts: Sequence[str]) -> list[TextAnalysis]:
    return [analyze_text(t) for t in texts]


class ExtractionTimeout(BaseException):
    """Raised into an extraction that ran out of time. A BaseException, so that none of the
    ``except Exception`` blocks inside the HTML libraries swallows it and carries on."""


def time_limit(seconds: float) -> contextlib.AbstractContextManager[None]:
    """Raise ``ExtractionTimeout`` in this thread once ``seconds`` have passed."""
    return raise_after(seconds, ExtractionTimeout)


def analyze_page(
    page: FetchResult, time_limit_s: float | None = EXTRACT_TIME_LIMIT
) -> ExtractedPage | str:
    """Extraction plus the per-article CPU work that follows it, so a process pool runs all of
    it in parallel; a page that takes longer than ``time_limit_s`` is given up, with a reason,
    and the worker goes on with the next one (None: no limit, for the warm-up, whose first
    extraction compiles dateparser's tables and must not be cut short on a loaded machine)."""
    try:
        with time_limit(time_limit_s) if time_limit_s else contextlib.nullcontext():
            result = extract_page(page)
            if isinstance(result, str):
                return result
            return result.model_copy(update={"analysis": analyze_text(result.text)})
    except ExtractionTimeout:
        return f"extraction took over {time_limit_s:g} s of CPU (page given up)"


def analyze_pages(
    pages: Sequence[FetchResult], time_limit_s: float = EXTRACT_TIME_LIMIT
) -> list[ExtractedPage | str]:
    """``analyze_page`` over a few pages: one pool task per chunk, not per page."""
    return [analyze_page(p, time_limit_s) for p in pages]


def analyze_later(
    texts: Sequence[str], pool: Executor | None = None
) -> Callable[[], list[TextAnalysis]]:
    """``analyze_text`` over texts that need no extraction (the seeds), in a pool worker when
    there is a pool: its workers have the country automaton built, the flow process has not
    (0.3 s to build it there, before the first page could be fetched)."""
    if pool is None or not texts:
        return lambda: analyze_texts(texts)
    return pool.submit(analyze_texts, list(texts)).result


def _given_up(page: FetchResult, why: str) -> ExtractedPage | str:
    return why


def extract_later(
    pages: Sequence[FetchResult], pool: Executor | None = None
) -> Callable[[], list[ExtractedPage | str]]:
    """Start extracting in the pool now; the returned call waits for the results, in order.
    The flow stores the previous batch in between, so the pool is never idle while the
    main process writes. Without a pool, extraction happens when the results are asked for."""
    if pool is None or len(pages) < 2:
        return lambda: analyze_pages(pages)
    chunks = [pages[i : i + 2] for i in range(0, len(pages), 2)]
    if isinstance(pool, ExtractionPool):
        return pool.run_chunks_later(analyze_pages, chunks, _given_up)
    futures = [pool.submit(analyze_pages, chunk) for chunk in chunks]
    return lambda: [result for future in futures for result in future.result()]


def extract_many(
    pages: Sequence[FetchResult], pool: Executor | None = None
) -> list[ExtractedPage | str]:
    """Extract pages in order; in the pool when one is given and the batch is worth it."""
    return extract_later(pages, pool)()
