"""Bulk writes and reads: list parameters as JSON, one statement for many rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import duckdb
import orjson
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be a list parameter")


def as_list(values: Iterable[Any]) -> str:
    """A list parameter, passed as JSON and cast in SQL (``?::JSON::VARCHAR[]``): DuckDB 1.5
    converts a Python list parameter element by element (0.4 s for one batch's 8,000 band keys)
    but parses JSON at memory speed (3 ms). orjson: twice as fast as ``json`` on article texts,
    and UTF-8 rather than ``\\u`` escapes."""
    return orjson.dumps(list(values), default=_json_value).decode()


def bulk_insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    types: Mapping[str, str] | None = None,
    conflict: str = "ON CONFLICT DO NOTHING",
) -> None:
    """Insert rows as one statement over column lists (``as_list``), about 20x faster than
    ``executemany`` row by row."""
    if not rows:
        return
    types = types or {}
    selects = ", ".join(f"unnest(?::JSON::{types.get(c, 'VARCHAR')}[]) AS {c}" for c in columns)
    values = [as_list(col) for col in zip(*rows, strict=True)]
    con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {selects} {conflict}", values)


def count_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def table_of(cur: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[Any, ...]]]:
    """A query's result as (column names, rows), the shape the commands print."""
    return [d[0] for d in cur.description or []], cur.fetchall()


def insert_models(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    items: Iterable[BaseModel],
    types: Mapping[str, str] | None = None,
) -> None:
    """``bulk_insert`` of models whose fields are named as the columns."""
    rows = [[getattr(item, c) for c in columns] for item in items]
    bulk_insert(con, table, columns, rows, types)


# The condition of a lookup by a list of keys (``lookup``'s one parameter).
IN_KEYS = "IN (SELECT unnest(?::JSON::VARCHAR[]))"


def lookup(con: duckdb.DuckDBPyConnection, sql: str, keys: Iterable[str]) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` (whose one parameter is ``IN_KEYS``) for these keys; none without a
    key (no statement)."""
    unique = list(dict.fromkeys(keys))
    return con.execute(sql, [as_list(unique)]).fetchall() if unique else []


def models(cls: type[M], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[M]:
    """Rows as pydantic models, ``columns`` naming their fields."""
    return [cls.model_validate(dict(zip(columns, r, strict=True))) for r in rows]
