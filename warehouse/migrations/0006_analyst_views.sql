-- Version 6: the analyst's views. A public contract, documented in docs/sql.md.

-- Originals fetched in the last day / week (seeds and duplicates left out).
CREATE VIEW articles_last_day AS
SELECT article_id, site_name, title, url, published_at, fetched_at, language, feed_url
FROM articles
WHERE source = 'feed' AND duplicate_of IS NULL AND fetched_at >= now() - INTERVAL 1 DAY;

CREATE VIEW articles_last_week AS
SELECT article_id, site_name, title, url, published_at, fetched_at, language, feed_url
FROM articles
WHERE source = 'feed' AND duplicate_of IS NULL AND fetched_at >= now() - INTERVAL 7 DAY;

-- One row per day and country: how many originals mentioned it, and how often.
CREATE VIEW country_mentions_daily AS
SELECT CAST(coalesce(a.published_at, a.fetched_at) AS DATE) AS day,
       m.country_code, m.country_name,
       count(*) AS articles, sum(m.mentions) AS mentions
FROM country_mentions m JOIN articles a USING (article_id)
WHERE a.source = 'feed'
GROUP BY ALL;

-- Each alerted country with the article that raised it.
CREATE VIEW new_countries AS
SELECT al.country_code, al.country_name, al.raised_at, al.run_id, al.delivered_at,
       a.title AS first_title, a.url AS first_url, a.site_name AS first_site,
       m.snippet AS first_snippet
FROM alerts al
JOIN articles a USING (article_id)
LEFT JOIN country_mentions m ON m.article_id = al.article_id
                            AND m.country_code = al.country_code;

-- Feeds with their health, the ones needing attention first.
CREATE VIEW feed_health AS
SELECT name, feed_url, last_status, last_http_status, last_error, last_fetched_at,
       last_success_at, consecutive_failures, next_fetch_after, entries_seen, last_entries_new,
       consecutive_failures > 0 OR coalesce(last_status = 'error', false) AS needs_attention
FROM feeds;
