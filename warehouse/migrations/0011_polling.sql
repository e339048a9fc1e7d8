-- Version 11: intra-day polling and gap fill. Each feed keeps the publication rate its
-- entries' dates showed at the last parsed fetch, how often it is polled between nightly runs
-- (NULL: only nightly) and why; a run's per-feed record counts the entries recovered from the
-- site's news sitemap after a roll-over; a run is a nightly-style run or a poll.
ALTER TABLE feeds ADD COLUMN entries_per_day DOUBLE;
ALTER TABLE feeds ADD COLUMN poll_every_s INTEGER;
ALTER TABLE feeds ADD COLUMN poll_reason VARCHAR;
ALTER TABLE feeds ADD COLUMN recovered INTEGER DEFAULT 0;
ALTER TABLE run_feeds ADD COLUMN recovered INTEGER DEFAULT 0;
ALTER TABLE runs ADD COLUMN kind VARCHAR DEFAULT 'run';  -- run | poll
ALTER TABLE runs ADD COLUMN feeds_rolled_over INTEGER DEFAULT 0;
ALTER TABLE runs ADD COLUMN entries_recovered INTEGER DEFAULT 0;
ALTER TABLE runs ADD COLUMN entries_missed INTEGER DEFAULT 0;  -- estimated, not recovered

CREATE OR REPLACE VIEW feed_health AS
SELECT name, feed_url, last_status, last_http_status, last_error, last_fetched_at,
       last_success_at, consecutive_failures, next_fetch_after, entries_seen, last_entries_new,
       consecutive_failures > 0 OR coalesce(last_status = 'error', false) AS needs_attention,
       coalesce(rollovers, 0) AS rollovers, last_rollover_at,
       round(entries_per_day, 1) AS entries_per_day,
       to_seconds(poll_every_s) AS poll_every, poll_reason,
       coalesce(recovered, 0) AS recovered
FROM feeds;
