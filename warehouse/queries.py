"""Queries the commands print as they are: the demo's tables of what a run stored."""

from __future__ import annotations

DEMO_QUERIES = (
    (
        "Articles stored (originals and duplicates):",
        "SELECT source, coalesce(site_name, '') AS site, left(title, 48) AS title, language,"
        " CASE WHEN duplicate_of IS NULL THEN '' ELSE 'duplicate of ' || duplicate_of END AS dup"
        " FROM articles ORDER BY source DESC, published_at",
    ),
    (
        "Alerts (countries never mentioned before):",
        "SELECT a.country_code, a.country_name, left(t.title, 50) AS first_article, a.run_id"
        " FROM alerts a JOIN articles t USING (article_id) ORDER BY a.raised_at, a.country_code",
    ),
)
