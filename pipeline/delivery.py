"""The new-country digests: one per channel, of every alert not delivered there yet.

A channel that fails is tried again on the next run; a digest re-sent after a crash between
sending and recording carries the same key (``ingest.alerts.digest_id``) for the receiver to
drop.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb

from ingest import alerts as alerting
from ingest.faults import crash_point
from ingest.models import Alert
from ingest.settings import Settings
from warehouse import store

log = logging.getLogger(__name__)


def deliver_digests(settings: Settings, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Send each channel its pending digest and record the outcome; the failures, as
    "channel: error", for the run's summary."""
    now = datetime.now(UTC)
    urls = {alerting.channel_id(u): u for u in settings.alert_urls}
    failed: list[str] = []
    for cid, pending in store.pending_deliveries(con, list(urls)).items():
        ids = [a.alert_id for a in pending]
        key = alerting.digest_id(ids)
        dialect = alerting.dialect_for(urls[cid])
        digest = digest_of(con, pending)
        body = alerting.render_digest(digest, key, dialect)
        title = alerting.digest_title(digest)
        error = alerting.deliver(urls[cid], title, body, key)
        crash_point("sent")
        store.record_delivery(con, cid, ids, key, now, error)
        label = alerting.channel_label(urls[cid])
        if error:
            log.warning("alert digest to %s failed, retried next run: %s", label, error)
            failed.append(f"{label}: {error}")
        else:
            log.info("alert digest %s sent to %s (%d countries)", key, label, len(pending))
    unrouted = store.undelivered_alerts(con, without_channels=True)
    if unrouted:
        store.mark_delivered(con, [a.alert_id for a in unrouted], now, None)
    return failed


def run_digest(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """The run's own digest (Markdown), None when it raised no alert."""
    raised = store.run_alerts(con, run_id)
    if not raised:
        return None
    log.info("new countries: %s", ", ".join(f"{a.country_name} ({a.country_code})" for a in raised))
    return alerting.render_digest(digest_of(con, raised))


def digest_of(con: duckdb.DuckDBPyConnection, alerts: Sequence[Alert]) -> alerting.Digest:
    """The alerts' countries with the originals of their runs that name them."""
    mentions = store.mentions_for(con, [a.country_code for a in alerts])
    runs = {a.run_id for a in alerts}
    articles = {
        k: v
        for k, v in store.articles_by_id(con, [m.article_id for m in mentions]).items()
        if v.run_id in runs and v.duplicate_of is None
    }
    return alerting.build_digest(alerts, mentions, articles)
