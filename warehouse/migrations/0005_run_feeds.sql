-- Version 5: each run's outcome per feed, so "why is this feed empty since Tuesday?" has an
-- answer run by run.

CREATE TABLE run_feeds (
    run_id       VARCHAR NOT NULL,
    feed_url     VARCHAR NOT NULL,
    name         VARCHAR,
    status       VARCHAR NOT NULL,  -- ok | not_modified | unchanged | malformed | error | skipped
    http_status  INTEGER,
    error        VARCHAR,
    entries_seen INTEGER,
    new_entries  INTEGER,
    elapsed_ms   INTEGER,
    PRIMARY KEY (run_id, feed_url)
);
