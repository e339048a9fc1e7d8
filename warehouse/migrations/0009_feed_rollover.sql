-- Version 9: a feed's window rolling over between two fetches (every entry it lists is new,
-- and the oldest is newer than the last fetch) is recorded per run and feed, with an estimate
-- of the entries missed; each feed keeps the entries it listed last (to tell), how often it
-- rolled over, and when it last did.
ALTER TABLE run_feeds ADD COLUMN overflowed BOOLEAN DEFAULT false;
ALTER TABLE run_feeds ADD COLUMN missed_estimate INTEGER;
ALTER TABLE feeds ADD COLUMN listed_urls VARCHAR[];
ALTER TABLE feeds ADD COLUMN rollovers INTEGER DEFAULT 0;
ALTER TABLE feeds ADD COLUMN last_rollover_at TIMESTAMPTZ;

CREATE OR REPLACE VIEW feed_health AS
SELECT name, feed_url, last_status, last_http_status, last_error, last_fetched_at,
       last_success_at, consecutive_failures, next_fetch_after, entries_seen, last_entries_new,
       consecutive_failures > 0 OR coalesce(last_status = 'error', false) AS needs_attention,
       coalesce(rollovers, 0) AS rollovers, last_rollover_at
FROM feeds;
