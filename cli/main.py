"""``newsdesk``: parse the arguments, build the settings once, run the command, and turn how it
ended into one line on stderr and an exit code (cli/errors.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cli.commands import COMMANDS
from cli.errors import exit_code
from cli.output import say
from cli.parser import Command, Parser, build_parser

if TYPE_CHECKING:
    from ingest.settings import Settings


def parser() -> Parser:
    return build_parser(COMMANDS)


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings: the command's flags over the ``NEWSDESK_*`` environment."""
    from ingest.settings import FLAGS, Settings

    overrides: dict[str, object] = {}
    for field, flag in FLAGS.items():
        value = getattr(args, flag.removeprefix("--").replace("-", "_"), None)
        if value:
            overrides[field] = value
    return Settings.load(**overrides)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        command: Command = args.command_row
        if argv is None and command.supervised:
            from cli.supervise import supervised

            code = supervised(sys.argv[1:])
            if code is not None:
                return code
        return int(command.function()(args, settings_from(args)))
    except Exception as exc:
        code = exit_code(exc)
        if code is None:
            raise
        say(str(exc))
        return code


if __name__ == "__main__":
    sys.exit(main())
