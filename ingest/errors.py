"""The pipeline's error tree, all of it in one drawing.

    NewsdeskError              every error newsdesk raises on purpose (exit code 2 unless said)
    ├── ConfigError            bad settings, feeds file or seeds: the run cannot start
    │   ├── FeedListError      an entry of the feed list is invalid (names entry and field)
    │   ├── SeedError          a seed file is malformed (names the file and the problem)
    │   └── AlertURLError      an alert channel URL Apprise cannot use (names its scheme/host)
    ├── WarehouseError         the DuckDB file cannot be opened or migrated
    └── RunLocked              another run holds the warehouse (warehouse/lock.py; exit 3)
    CliError                   a command's bad argument, with its exit code (cli/errors.py)

The classes live here, below every package that raises them (``warehouse/`` raises
WarehouseError, ``cli/`` reports them all); RunLocked and CliError are defined beside the one
thing that raises each. ``cli/errors.py`` maps each to its exit code.

Per-item failures (a dead feed, a 404 page, a page with no text) are *not* exceptions out of
their stage: they are recorded as status values on the item (``FetchResult.error``,
``FeedOutcome.status``) so one bad input never stops a run and its reason is never lost. Three
exceptions are raised and caught inside their stage to get there: ``UnsafeURLError``
(ingest/urls.py; a URL or redirect the address guard refuses, recorded as "refused: …"),
``BodyTooLarge`` (ingest/bodies.py; recorded as "too large: …") and ``ExtractionTimeout``
(ingest/extract.py; a page whose extraction ran past its time, given up with the reason).
"""

from __future__ import annotations

import errno


class NewsdeskError(Exception):
    """Base class of every error newsdesk raises on purpose."""


class ConfigError(NewsdeskError):
    """The run cannot start with this configuration."""


class FeedListError(ConfigError):
    """An entry of the feed list is invalid."""


class SeedError(ConfigError):
    """A seed file is malformed."""


class AlertURLError(ConfigError):
    """An alert channel URL is not one Apprise can send to."""


class WarehouseError(NewsdeskError):
    """The warehouse cannot be opened, migrated or written."""


_WRITE_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
_WRITE_MESSAGES = (
    "no space left",
    "file too large",
    "disk quota",
    "read-only file system",
    "permission denied",
    "operation not permitted",
)


def write_failure(exc: BaseException) -> str | None:
    """Why a failed run could not write (disk full, read-only...), or None for other failures.

    Looks through the exception's chain: DuckDB wraps the OS error in its own message, and a
    failure while recording the failure chains the original.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _WRITE_ERRNOS:
            return f"{seen.strerror or seen} ({seen.filename or 'a file'})"
        text = str(seen).lower()
        if any(m in text for m in _WRITE_MESSAGES):
            return str(seen).splitlines()[0][:300]
        seen = seen.__cause__ or seen.__context__
    return None
