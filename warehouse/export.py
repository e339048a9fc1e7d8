"""Date-partitioned Parquet for engines beyond DuckDB (Spark, Polars, DuckLake, BigQuery...).

``articles`` by fetch date, ``country_mentions`` by their article's fetch date, ``alerts`` by
the day they were raised: ``OUT/<table>/year=YYYY/month=MM/day=DD/*.parquet`` (Hive layout).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

_QUERIES = {
    "articles": "SELECT *, year(fetched_at) AS year, month(fetched_at) AS month,"
    " day(fetched_at) AS day FROM articles WHERE fetched_at >= ?",
    "country_mentions": "SELECT m.*, year(a.fetched_at) AS year, month(a.fetched_at) AS month,"
    " day(a.fetched_at) AS day FROM country_mentions m"
    " JOIN articles a USING (article_id) WHERE a.fetched_at >= ?",
    "alerts": "SELECT *, year(raised_at) AS year, month(raised_at) AS month,"
    " day(raised_at) AS day FROM alerts WHERE raised_at >= ?",
}


def export_parquet(con: duckdb.DuckDBPyConnection, out: Path, since: datetime) -> dict[str, int]:
    """Write each table's rows since ``since``; returns rows written per table.

    Partitions are overwritten, so exporting the same days again replaces them.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for table, query in _QUERIES.items():
        count = con.execute(f"SELECT count(*) FROM ({query})", [since]).fetchone()
        written[table] = int(count[0]) if count else 0
        if not written[table]:
            continue
        target = str(out / table).replace("'", "''")
        con.execute(
            f"COPY ({query}) TO '{target}' (FORMAT parquet, PARTITION_BY (year, month, day),"
            " OVERWRITE_OR_IGNORE true)",
            [since],
        )
    return written
