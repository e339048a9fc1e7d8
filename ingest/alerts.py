"""New-country alerts: decide which countries are new, write one digest, deliver it.

A country is new when no seed and no stored original article mentioned it before. One digest per
run lists every new country with the articles that mention it; deliveries are tracked so that a
failed channel is retried on the next run and a delivered digest is never sent twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx

from ingest.models import Alert, Article, CountryMention
from ingest.normalize import short_id

log = logging.getLogger(__name__)


def new_country_alerts(
    mentions: Iterable[CountryMention],
    known_codes: set[str],
    run_id: str,
    raised_at: datetime,
) -> list[Alert]:
    """One alert per country not in ``known_codes``, pointing at its first article."""
    alerts: dict[str, Alert] = {}
    for mention in mentions:
        code = mention.country_code
        if code in known_codes or code in alerts:
            continue
        alerts[code] = Alert(
            alert_id=short_id("alert", code, run_id),
            country_code=code,
            country_name=mention.country_name,
            article_id=mention.article_id,
            raised_at=raised_at,
            run_id=run_id,
        )
    return sorted(alerts.values(), key=lambda a: a.country_code)


@dataclass(frozen=True)
class DigestItem:
    country_code: str
    country_name: str
    articles: tuple[tuple[str, str, str], ...]  # (title, url, snippet)


def build_digest(
    alerts: Sequence[Alert],
    mentions: Iterable[CountryMention],
    articles: Mapping[str, Article],
) -> list[DigestItem]:
    """Each new country with every article of the run that mentions it."""
    by_code: dict[str, list[tuple[str, str, str]]] = {a.country_code: [] for a in alerts}
    for mention in mentions:
        if mention.country_code in by_code and mention.article_id in articles:
            art = articles[mention.article_id]
            by_code[mention.country_code].append((art.title or art.url, art.url, mention.snippet))
    return [
        DigestItem(a.country_code, a.country_name, tuple(by_code[a.country_code])) for a in alerts
    ]


def render_digest(items: Sequence[DigestItem], run_id: str) -> str:
    """The digest as Markdown: readable in chat tools, e-mail and Prefect's UI alike."""
    lines = [f"# New countries in the news ({len(items)}) — run {run_id}", ""]
    for item in items:
        lines.append(f"## {item.country_name} ({item.country_code})")
        for title, url, snippet in item.articles:
            lines.append(f"- [{title}]({url}) — “{snippet}”")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def deliver_webhook(
    url: str, subject: str, body: str, items: Sequence[DigestItem], timeout: float = 10.0
) -> str | None:
    """POST the digest as JSON; return None on success or the error as text."""
    payload = {
        "title": subject,
        "body": body,
        "countries": [
            {
                "code": i.country_code,
                "name": i.country_name,
                "articles": [{"title": t, "url": u, "snippet": s} for t, u, s in i.articles],
            }
            for i in items
        ],
    }
    try:
        response = httpx.post(
            url,
            content=json.dumps(payload),
            timeout=timeout,
            headers={"Content-Type": "application/json"},
        )
    except httpx.HTTPError as exc:
        return f"{exc.__class__.__name__}: {exc}"
    if response.status_code >= 300:
        return f"HTTP {response.status_code}"
    return None
