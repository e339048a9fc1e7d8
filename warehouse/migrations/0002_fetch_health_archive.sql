-- Version 2: feed health beyond the last status, every attempt's trail, the raw page archive.

ALTER TABLE feeds ADD COLUMN body_hash VARCHAR;              -- sha256 of the last 200 body
ALTER TABLE feeds ADD COLUMN not_modified_streak INTEGER DEFAULT 0;  -- 304s (or same body) in a row
ALTER TABLE feeds ADD COLUMN next_fetch_after TIMESTAMPTZ;   -- set while a failing feed backs off
ALTER TABLE feeds ADD COLUMN last_entries_new INTEGER;       -- entries not stored before, last fetch

ALTER TABLE fetch_log ADD COLUMN attempt_log VARCHAR;        -- each attempt's outcome, in order

-- Fetched page bodies, zstd-compressed, with what is needed to extract them again.
CREATE TABLE page_archive (
    canonical_url VARCHAR PRIMARY KEY,
    url           VARCHAR NOT NULL,
    final_url     VARCHAR NOT NULL,
    status        INTEGER NOT NULL,
    headers       JSON,
    entry         JSON,                  -- the feed entry that listed the page
    body_zstd     BLOB NOT NULL,
    raw_bytes     INTEGER NOT NULL,
    stored_bytes  INTEGER NOT NULL,
    fetched_at    TIMESTAMPTZ NOT NULL,
    run_id        VARCHAR
);

ALTER TABLE runs ADD COLUMN feeds_skipped INTEGER DEFAULT 0;  -- feeds backing off this run
