"""``alerts`` (a country mentioned for the first time) and their ``alert_deliveries``, one per
channel, until each channel has had its digest."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import duckdb

from ingest.models import (
    Alert,
)
from warehouse.db import transaction
from warehouse.store.bulk import as_list, models, table_of


def known_countries(con: duckdb.DuckDBPyConnection, since: datetime | None = None) -> set[str]:
    """The no-alert baseline: countries the seeds and stored originals mentioned, and countries
    already alerted (an alert is never raised twice for one country). With ``since``, only
    originals fetched and alerts raised since then count (seeds always do)."""
    rows = con.execute(
        """
        SELECT m.country_code FROM country_mentions m JOIN articles a USING (article_id)
        WHERE ? IS NULL OR a.source = 'seed' OR a.fetched_at >= ?
        UNION
        SELECT country_code FROM alerts WHERE ? IS NULL OR raised_at >= ?
        """,
        [since, since, since, since],
    ).fetchall()
    return {r[0] for r in rows}


ALERT_FIELDS = ("alert_id", "country_code", "country_name", "article_id", "raised_at", "run_id")
ALERT_COLUMNS = ", ".join(ALERT_FIELDS)


def _alerts(rows: Iterable[Sequence[Any]]) -> list[Alert]:
    return models(Alert, ALERT_FIELDS, rows)


def undelivered_alerts(
    con: duckdb.DuckDBPyConnection, without_channels: bool = False
) -> list[Alert]:
    """Alerts not delivered yet (``without_channels``: those no channel was assigned)."""
    rows = con.execute(
        f"SELECT {ALERT_COLUMNS} FROM alerts a WHERE delivered_at IS NULL AND (NOT ? OR NOT EXISTS "
        "(SELECT 1 FROM alert_deliveries d WHERE d.alert_id = a.alert_id)) "
        "ORDER BY raised_at, country_code",
        [without_channels],
    ).fetchall()
    return _alerts(rows)


def run_alerts(con: duckdb.DuckDBPyConnection, run_id: str) -> list[Alert]:
    rows = con.execute(
        f"SELECT {ALERT_COLUMNS} FROM alerts WHERE run_id = ? ORDER BY country_code",
        [run_id],
    ).fetchall()
    return _alerts(rows)


def mark_delivered(
    con: duckdb.DuckDBPyConnection,
    alert_ids: Sequence[str],
    at: datetime | None,
    error: str | None,
) -> None:
    con.execute(
        "UPDATE alerts SET delivered_at = ?, delivery_error = ? "
        "WHERE alert_id IN (SELECT unnest(?::JSON::VARCHAR[]))",
        [at, error, as_list(alert_ids)],
    )


def pending_deliveries(
    con: duckdb.DuckDBPyConnection, channel_ids: Sequence[str]
) -> dict[str, list[Alert]]:
    """channel_id → alerts not yet delivered there (pending, or failed before)."""
    rows = con.execute(
        "SELECT d.channel_id, a.alert_id, a.country_code, a.country_name, a.article_id,"
        " a.raised_at, a.run_id FROM alert_deliveries d JOIN alerts a USING (alert_id)"
        " WHERE d.status <> 'delivered' AND d.channel_id IN (SELECT unnest(?::JSON::VARCHAR[]))"
        " ORDER BY a.raised_at, a.country_code",
        [as_list(channel_ids)],
    ).fetchall()
    out: dict[str, list[Alert]] = {}
    for r in rows:
        out.setdefault(r[0], []).extend(_alerts([r[1:]]))
    return out


def record_delivery(
    con: duckdb.DuckDBPyConnection,
    channel: str,
    alert_ids: Sequence[str],
    key: str,
    at: datetime,
    error: str | None,
) -> None:
    """One delivery attempt of a digest to one channel; alerts delivered everywhere are done."""
    with transaction(con):
        con.execute(
            "UPDATE alert_deliveries SET attempts = attempts + 1, digest_id = ?, last_error = ?,"
            " status = CASE WHEN ? IS NULL THEN 'delivered' ELSE 'failed' END,"
            " delivered_at = CASE WHEN ? IS NULL THEN ? ELSE NULL END"
            " WHERE channel_id = ? AND alert_id IN (SELECT unnest(?::JSON::VARCHAR[]))",
            [key, error, error, error, at, channel, as_list(alert_ids)],
        )
        con.execute(
            "UPDATE alerts SET delivered_at = ?, delivery_error = NULL WHERE delivered_at IS NULL"
            " AND alert_id IN (SELECT unnest(?::JSON::VARCHAR[])) AND NOT EXISTS (SELECT 1 FROM"
            " alert_deliveries d WHERE d.alert_id = alerts.alert_id AND d.status <> 'delivered')",
            [at, as_list(alert_ids)],
        )
        if error:
            con.execute(
                "UPDATE alerts SET delivery_error = ?"
                " WHERE alert_id IN (SELECT unnest(?::JSON::VARCHAR[]))",
                [error, as_list(alert_ids)],
            )


def undelivered_digests(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[Any]]:
    """Per channel, alerts still waiting for a digest to reach it: pending (never tried, as
    after a run killed before sending) or failed, with the attempts and the last error."""
    cur = con.execute(
        """
        SELECT channel, status, count(*) AS alerts, max(attempts) AS attempts,
               arg_max(last_error, attempts) AS last_error
        FROM alert_deliveries
        WHERE status <> 'delivered'
        GROUP BY channel, status
        ORDER BY channel, status
        """
    )
    return table_of(cur)
