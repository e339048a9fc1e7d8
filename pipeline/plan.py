"""Batches: how a night's new entries are cut, so memory stays bounded and a crash loses at
most one batch of work, while the per-batch cost stays small next to the extraction."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from typing import TypeVar

from ingest.models import FeedEntry, FetchResult

T = TypeVar("T")

BATCH_SIZE = 200
# Batches ramp up from HEAD_RAMP[0] pages and back down to TAIL_RAMP[0]: extraction starts as soon
# as a few pages are fetched, and little storing is left once the last extraction ends. Full
# batches in between keep the per-batch cost (two Prefect task runs, one transaction) small next
# to the work. The last batch is not the smallest: its extraction covers the storing and search
# indexing of the batch before it.
HEAD_RAMP = (10, 25, 50, 100)
TAIL_RAMP = (25, 50, 100)


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def batch_sizes(total: int) -> list[int]:
    """Sizes of the batches ``total`` new pages are split into, small at both ends."""
    head: list[int] = []
    tail: list[int] = []
    left = total
    for k in range(max(len(HEAD_RAMP), len(TAIL_RAMP))):
        for side, ramp in ((head, HEAD_RAMP), (tail, TAIL_RAMP)):
            if k < len(ramp) and left:
                take = min(ramp[k], left)
                if left - take < HEAD_RAMP[0]:
                    take = left  # no sliver of a batch (two task runs for a page or two)
                side.append(take)
                left -= take
    pieces = -(-left // BATCH_SIZE)
    middle = [left // pieces + (i < left % pieces) for i in range(pieces)]
    return head + middle + tail[::-1]


class BatchPlan:
    """The entries still to fetch, taken a batch at a time: sizes from ``batch_sizes``, and
    never more pages than ``byte_budget`` holds at the average size of the pages fetched so
    far. Batches of 200 pages of 10 MB held 2 GB each, three batches in flight."""

    def __init__(self, entries: Sequence[FeedEntry], byte_budget: int) -> None:
        self._left = deque(entries)
        self._sizes = iter(batch_sizes(len(entries)))
        self._budget = byte_budget
        self._pages = 0
        self._bytes = 0

    def __bool__(self) -> bool:
        return bool(self._left)

    def take(self) -> list[FeedEntry]:
        """The next batch (empty when none is left)."""
        size = next(self._sizes, BATCH_SIZE)
        if self._bytes:
            size = min(size, max(1, self._budget * self._pages // self._bytes))
        return [self._left.popleft() for _ in range(min(size, len(self._left)))]

    def put_back(self, entries: Sequence[FeedEntry]) -> None:
        """Entries a batch gave back unfetched (it reached the byte budget): first in line."""
        self._left.extendleft(reversed(entries))

    def fetched(self, pages: Sequence[FetchResult]) -> None:
        """Pages that arrived: their sizes set the next batches'."""
        self._pages += len(pages)
        self._bytes += sum(len(p.content) for p in pages)
