"""New-country alerts: decide which countries are new, write one digest, deliver it.

A country is new when no seed and no stored original article mentioned it before. One digest per
run lists every new country with the articles that mention it; deliveries are tracked so that a
failed channel is retried on the next run and a delivered digest is never sent twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

import apprise
from apprise.plugins.slack import NotifySlack

from ingest.countries import detect_countries
from ingest.errors import AlertURLError
from ingest.models import Alert, Article, CountryMention
from ingest.normalize import short_id
from ingest.snippets import around
from ingest.urls import url_problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertPolicy:
    """When a country mention may raise an alert.

    ``window_days``: a country is new when no original mentioned it in that many days (None:
    ever). ``min_mentions``: an article must mention it that often, unless it is prominent
    (in the title or the first paragraph) — most false alarms are single incidental mentions.
    """

    window_days: int | None = None
    min_mentions: int = 1


def prominent(mention: CountryMention, article: Article) -> bool:
    """In the title, or in the first paragraph of the text."""
    first_paragraph = len(article.text.split("\n", 1)[0])
    if mention.first_offset < first_paragraph:
        return True
    title = article.title or ""
    return any(c.code == mention.country_code for c in detect_countries(title))


def new_country_alerts(
    mentions: Iterable[CountryMention],
    known_codes: set[str],
    run_id: str,
    raised_at: datetime,
    articles: Mapping[str, Article] | None = None,
    policy: AlertPolicy | None = None,
) -> list[Alert]:
    """One alert per country not in ``known_codes``, pointing at its first eligible article."""
    policy = policy or AlertPolicy()
    alerts: dict[str, Alert] = {}
    for mention in mentions:
        code = mention.country_code
        if code in known_codes or code in alerts:
            continue
        article = (articles or {}).get(mention.article_id)
        if mention.mentions < policy.min_mentions and (
            article is None or not prominent(mention, article)
        ):
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
class DigestEntry:
    """One article of a digest, once, with every new country it names."""

    title: str
    url: str  # the canonical URL: tracking parameters already dropped
    site: str | None
    published: date | None
    countries: tuple[tuple[str, str], ...]  # (code, name), in the digest's order
    snippet: str


@dataclass(frozen=True)
class Digest:
    countries: tuple[tuple[str, str], ...]  # (code, name) of the new countries, by name
    entries: tuple[DigestEntry, ...]


def build_digest(
    alerts: Sequence[Alert],
    mentions: Iterable[CountryMention],
    articles: Mapping[str, Article],
) -> Digest:
    """The new countries, and each article of the run that names one, once: an article that
    names two new countries is one entry listing both. Its snippet is the words around the
    first new country it names, cut at word boundaries."""
    names = {a.country_code: a.country_name for a in alerts}
    order = sorted(names, key=lambda c: names[c])
    found: dict[str, list[CountryMention]] = {}
    for m in mentions:
        if m.country_code in names and m.article_id in articles:
            found.setdefault(m.article_id, []).append(m)
    entries = []
    for article_id, ms in found.items():
        art = articles[article_id]
        ms.sort(key=lambda m: m.first_offset)
        codes = sorted({m.country_code for m in ms}, key=order.index)
        snippet = around(art.text, ms[0].first_offset, ms[0].first_offset + 1, 100)
        published = (art.published_at or art.fetched_at).date()
        entries.append(
            DigestEntry(
                title=art.title or art.canonical_url,
                url=art.canonical_url,
                site=art.site_name,
                published=published,
                countries=tuple((c, names[c]) for c in codes),
                snippet=snippet,
            )
        )
    entries.sort(key=lambda e: (-len(e.countries), order.index(e.countries[0][0]), e.title))
    return Digest(tuple((c, names[c]) for c in order), tuple(entries))


def digest_title(digest: Digest, shown: int = 6) -> str:
    """The headline a person reads: "newsdesk: 3 countries new in the news — Chile, Iceland,
    Peru" (no run or digest id: the id travels in the X-Newsdesk-Digest header)."""
    names = [name for _code, name in digest.countries]
    n = len(names)
    listed = ", ".join(names[:shown]) + (f" and {n - shown} more" if n > shown else "")
    noun = "country" if n == 1 else "countries"
    return f"newsdesk: {n} {noun} new in the news — {listed}"


# Publisher text is data, never markup: these characters would open a link, an emphasis, an
# HTML tag or a table cell once the Markdown digest is rendered (Apprise turns it into HTML for
# e-mail, into mrkdwn for Slack), so each is written as the literal character. Python-Markdown
# (e-mail) has no backslash escape for "<", so HTML's controls are written as entities; Apprise's
# Slack converter entity-escapes "&" itself and takes "\<" as a literal "<", so for Slack the
# same text is written with backslashes (entities would reach the reader as "&lt;").
_MARKDOWN_ESCAPES = {c: "\\" + c for c in "\\`*_{}[]()#+!|~"}
_ESCAPES = {
    "markdown": {**_MARKDOWN_ESCAPES, "&": "&amp;", "<": "&lt;", ">": "&gt;"},
    # mrkdwn has no tables, blocks or headings: only emphasis, code and links need escaping.
    "slack": {c: "\\" + c for c in "\\`*_~[]()<>"},
}
# Characters that would end a Markdown link target or start markup inside it.
_LINK_ESCAPES = {c: f"%{ord(c):02X}" for c in " ()<>[]\"'`|"}


def markdown_text(text: str, dialect: str = "markdown") -> str:
    """``text`` as literal Markdown: one line, every markup character escaped."""
    escapes = _ESCAPES[dialect]
    return "".join(escapes.get(c, c) for c in " ".join(text.split()))


def markdown_link(label: str, url: str, dialect: str = "markdown") -> str:
    """A Markdown link to ``url`` when it is a plain http(s) URL; the label alone otherwise
    (a ``javascript:`` or ``data:`` target never reaches a reader's client)."""
    if url_problem(url) is not None:
        return markdown_text(label, dialect)
    target = "".join(_LINK_ESCAPES.get(c, c) for c in url)
    return f"[{markdown_text(label, dialect)}]({target})"


def render_digest(digest: Digest, key: str = "", dialect: str = "markdown") -> str:
    """The digest as Markdown: the headline, then one entry per article (title, site and
    date, its new countries, a snippet, the link), and the digest id last. Publisher text and
    URLs are escaped for the channel's converter (``markdown_text``, ``markdown_link``,
    ``dialect_for``). In Markdown (e-mail, JSON webhooks) the link is its own line, so that
    the plain-text part Apprise derives from the HTML still carries it; Slack shows a
    titled link."""
    lines = [f"# {markdown_text(digest_title(digest), dialect)}", ""]
    for e in digest.entries:
        where = ", ".join(
            x for x in (e.site, f"{e.published:%Y-%m-%d}" if e.published else "") if x
        )
        new = ", ".join(f"{name} ({code})" for code, name in e.countries)
        head = (
            markdown_link(e.title, e.url, dialect)
            if dialect == "slack"
            else f"**{markdown_text(e.title, dialect)}**"
        )
        # Country names are the gazetteer's, not the publisher's: written as they are.
        lines.append(f"- {head} — {markdown_text(where, dialect)} — new: {new}")
        lines.append(f"  “{markdown_text(e.snippet, dialect)}”")
        if dialect != "slack" and url_problem(e.url) is None:
            lines.append(f"  <{''.join(_LINK_ESCAPES.get(c, c) for c in e.url)}>")
        lines.append("")
    if key:
        lines.append(f"digest {key}")
    return "\n".join(lines).rstrip() + "\n"


def dialect_for(url: str) -> str:
    """How a digest for this channel is escaped: "slack" when Apprise sends it through its
    Slack plugin (``slack://`` or a hooks.slack.com address), "markdown" otherwise."""
    sender = apprise.Apprise()
    if sender.add(url) and isinstance(sender[0], NotifySlack):
        return "slack"
    return "markdown"


def channel_id(url: str) -> str:
    """A stable id for a channel that does not store its URL (URLs carry tokens)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def channel_label(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}"


def digest_id(alert_ids: Sequence[str]) -> str:
    """The same pending alerts always make the same digest id: receivers can drop repeats."""
    return short_id("digest", *sorted(alert_ids))


def check_alert_urls(urls: Sequence[str]) -> None:
    """Refuse, before a run starts, a channel URL that Apprise cannot use: otherwise it is
    found out only when there is a digest to send, maybe weeks later."""
    for url in urls:
        # Apprise logs an ERROR line of its own for the URL; the one line below says it all.
        logger = logging.getLogger("apprise")
        was = logger.disabled
        logger.disabled = True
        try:
            usable = apprise.Apprise().add(url)
        finally:
            logger.disabled = was
        if not usable:
            raise AlertURLError(
                f"NEWSDESK_ALERT_URLS: not a valid Apprise URL: {channel_label(url)} "
                "(see https://github.com/caronc/apprise/wiki for the URL of each service)"
            )


def deliver(url: str, title: str, body: str, key: str) -> str | None:
    """Send the digest through one Apprise URL; None on success, else the error as text.

    Apprise reaches Slack, Discord, e-mail, ntfy, Telegram, Matrix and plain JSON webhooks
    (``json://host/path``) with one URL syntax. The digest id is the body's last line and,
    for JSON webhooks, an ``X-Newsdesk-Digest`` header; never in the headline.
    """
    target = url
    if url.startswith(("json://", "jsons://")):
        target += ("&" if "?" in url else "?") + f"+X-Newsdesk-Digest={key}"
    sender = apprise.Apprise()
    if not sender.add(target):
        return f"not a valid Apprise URL: {channel_label(url)}"
    with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
        ok = sender.notify(title=title, body=body, body_format=apprise.NotifyFormat.MARKDOWN)
    if ok:
        return None
    lines = [ln.split(" - ", 2)[-1] for ln in captured.getvalue().splitlines() if ln.strip()]
    return "; ".join(lines[-2:]) or "delivery failed"
