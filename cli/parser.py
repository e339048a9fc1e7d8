"""The parser, built from a table of commands: each command is a row (name, function, help,
arguments), and arguments shared by several commands are defined once."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

from cli.errors import CliError

if TYPE_CHECKING:
    from ingest.settings import Settings

DESCRIPTION = (
    "Nightly news ingestion: RSS/Atom feeds to a DuckDB warehouse, with alerts when a new "
    "country is mentioned."
)


@dataclass(frozen=True)
class Arg:
    """One ``add_argument`` call: its flags (or positional name) and options."""

    flags: tuple[str, ...]
    options: dict[str, Any]


def arg(*flags: str, **options: Any) -> Arg:
    return Arg(flags, options)


@dataclass(frozen=True)
class Command:
    """A subcommand. ``supervised``: it runs a flow, whose child processes (Prefect's temporary
    server, extraction workers) must end with it, so from the command line it runs under a
    supervisor (cli/supervise.py)."""

    name: str
    # "module:function" in cli/, imported when the command runs: ``--help``, a typo and the
    # supervisor's own process stay free of the imports a command needs (0.5 s each).
    target: str
    help: str
    description: str
    args: Sequence[Arg] = ()
    supervised: bool = False

    def function(self) -> Callable[[argparse.Namespace, Settings], int]:
        module, _, name = self.target.partition(":")
        found: Callable[[argparse.Namespace, Settings], int] = getattr(
            importlib.import_module(f"cli.{module}"), name
        )
        return found


def date(value: str) -> datetime:
    """A ``--since`` value: a day (midnight UTC) or an ISO time (UTC unless it says)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def at_least(low: int) -> Callable[[str], int]:
    """An integer argument's type that refuses values below ``low``."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if number < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, not {number}")
        return number

    return parse


class Parser(argparse.ArgumentParser):
    """Bad arguments end as every other bad input does: one line on stderr, exit 2."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.partition(" ")[2]
        raise CliError(f"{command}: {message}" if command else message)


def build_parser(commands: Sequence[Command]) -> Parser:
    parser = Parser(prog="newsdesk", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in commands:
        p = sub.add_parser(command.name, help=command.help, description=command.description)
        for a in command.args:
            p.add_argument(*a.flags, **a.options)
        p.set_defaults(command_row=command)
    return parser
