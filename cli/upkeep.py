"""Looking after a warehouse, and the detector on its own: ``backup``, ``restore``,
``dedupe-index``, ``countries``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cli.errors import EXIT_OK, CliError
from cli.reading import locked, open_warehouse, require_warehouse
from ingest.settings import Settings


def _backup_or_restore(settings: Settings, folder: Path, restore: bool) -> None:
    from warehouse import backup

    label = "restore" if restore else "backup"
    if not restore:
        require_warehouse(settings.db)
    with locked(settings, f"newsdesk {label}"):
        counts = (
            backup.restore(folder, settings.db) if restore else backup.backup(settings.db, folder)
        )
    what = "restored from" if restore else "backed up to"
    print(
        f"{settings.db} {what} {folder}: {counts.get('articles', 0)} articles, "
        f"{sum(counts.values())} rows in {len(counts)} tables"
    )


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    _backup_or_restore(settings, Path(args.folder), restore=False)
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    _backup_or_restore(settings, Path(args.folder), restore=True)
    return EXIT_OK


def cmd_dedupe_index(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.run import backfill_index
    from warehouse.db import checkpoint
    from warehouse.store import index_stats

    require_warehouse(settings.db)
    with locked(settings, "newsdesk dedupe-index"):
        con = open_warehouse(settings.db, read_only=False)
        try:
            added = backfill_index(con, rebuild=args.rebuild)
            docs, rows = index_stats(con)
            checkpoint(con)
        finally:
            con.close()
    print(f"near-duplicate index: {added} originals indexed now; {docs} in all, {rows} band keys")
    return EXIT_OK


def cmd_countries(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.countries import detect_countries

    for source in args.files or ["-"]:
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read {source}: {exc}") from None
        found = [
            {"code": c.code, "name": c.name, "mentions": c.mentions} for c in detect_countries(text)
        ]
        name = "<stdin>" if source == "-" else source
        print(json.dumps({"source": name, "countries": found}, ensure_ascii=False))
    return EXIT_OK
