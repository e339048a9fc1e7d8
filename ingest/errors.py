"""The pipeline's error tree.

    NewsdeskError
    ├── ConfigError            bad settings, feeds file or seeds: the run cannot start
    │   ├── FeedListError      an entry of the feed list is invalid (names entry and field)
    │   └── SeedError          a seed file is malformed (names the file and the problem)
    └── WarehouseError         the DuckDB file cannot be opened or migrated

Per-item failures (a dead feed, a 404 page, a page with no text) are *not* exceptions: they are
recorded as status values on the item (``FetchResult.error``, ``FeedOutcome.status``) so one bad
input never stops a run and its reason is never lost.
"""

from __future__ import annotations


class NewsdeskError(Exception):
    """Base class of every error newsdesk raises on purpose."""


class ConfigError(NewsdeskError):
    """The run cannot start with this configuration."""


class FeedListError(ConfigError):
    """An entry of the feed list is invalid."""


class SeedError(ConfigError):
    """A seed file is malformed."""


class WarehouseError(NewsdeskError):
    """The warehouse cannot be opened, migrated or written."""
