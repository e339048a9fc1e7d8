"""Exit codes, and the one place where an error becomes one.

    0  done (a run with some failed feeds is done: they are recorded and named)
    1  the run failed (its record says why; what was committed is kept), or the query did
    2  bad input: an argument, the environment, the feeds file, seeds, an alert URL, a
       warehouse that is missing or unusable
    3  another run holds the warehouse
    4  feeds were due and not one could be fetched

Commands raise; ``exit_code`` names the code, ``main`` prints the one-line message.
"""

from __future__ import annotations

from ingest.errors import NewsdeskError
from warehouse.lock import RunLocked

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_BUSY = 3
EXIT_NO_FEED_FETCHED = 4


class CliError(Exception):
    """Ends a command with a message on stderr and an exit code."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def exit_code(exc: Exception) -> int | None:
    """The exit code of an error a command may end with, or None for a defect (which keeps its
    traceback)."""
    if isinstance(exc, CliError):
        return exc.code
    if isinstance(exc, RunLocked):
        return EXIT_BUSY
    if isinstance(exc, NewsdeskError):
        return EXIT_BAD_INPUT
    return None
