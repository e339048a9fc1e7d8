-- newsdesk warehouse, version 1: the public tables of the walking skeleton.
-- Timestamps are UTC TIMESTAMPTZ; a date the source did not give is NULL, never invented.

CREATE TABLE runs (
    run_id          VARCHAR PRIMARY KEY,
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    status          VARCHAR NOT NULL,        -- running | completed | failed
    feeds_total     INTEGER DEFAULT 0,
    feeds_ok        INTEGER DEFAULT 0,
    feeds_failed    INTEGER DEFAULT 0,
    entries_seen    INTEGER DEFAULT 0,
    new_entries     INTEGER DEFAULT 0,
    pages_fetched   INTEGER DEFAULT 0,
    pages_failed    INTEGER DEFAULT 0,
    articles_stored INTEGER DEFAULT 0,
    duplicates      INTEGER DEFAULT 0,
    countries_found INTEGER DEFAULT 0,
    alerts_raised   INTEGER DEFAULT 0,
    error           VARCHAR
);

CREATE TABLE feeds (
    feed_url             VARCHAR PRIMARY KEY,
    name                 VARCHAR NOT NULL,
    tags                 VARCHAR[],
    last_status          VARCHAR,            -- ok | not_modified | malformed | error
    last_http_status     INTEGER,
    last_error           VARCHAR,
    last_fetched_at      TIMESTAMPTZ,
    last_success_at      TIMESTAMPTZ,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    entries_seen         INTEGER,
    etag                 VARCHAR,
    last_modified        VARCHAR
);

CREATE TABLE articles (
    article_id    VARCHAR PRIMARY KEY,
    source        VARCHAR NOT NULL CHECK (source IN ('seed', 'feed')),
    url           VARCHAR NOT NULL,
    canonical_url VARCHAR NOT NULL UNIQUE,
    feed_url      VARCHAR,
    title         VARCHAR,
    author        VARCHAR,
    published_at  TIMESTAMPTZ,
    fetched_at    TIMESTAMPTZ NOT NULL,
    site_name     VARCHAR,
    language      VARCHAR,                   -- ISO 639-1
    text          VARCHAR NOT NULL,
    content_hash  VARCHAR NOT NULL,          -- sha256 of the normalized text
    duplicate_of  VARCHAR,                   -- NULL for an original
    run_id        VARCHAR,
    raw_entry     JSON                       -- the feed entry as parsed, for reprocessing
);

CREATE TABLE country_mentions (
    article_id   VARCHAR NOT NULL,
    country_code VARCHAR NOT NULL,           -- ISO 3166-1 alpha-2
    country_name VARCHAR NOT NULL,
    mentions     INTEGER NOT NULL,
    first_offset INTEGER,
    snippet      VARCHAR,
    PRIMARY KEY (article_id, country_code)
);

CREATE TABLE alerts (
    alert_id     VARCHAR PRIMARY KEY,
    country_code VARCHAR NOT NULL,
    country_name VARCHAR NOT NULL,
    article_id   VARCHAR NOT NULL,
    raised_at    TIMESTAMPTZ NOT NULL,
    run_id       VARCHAR NOT NULL,
    delivered_at TIMESTAMPTZ,
    delivery_error VARCHAR
);

-- Every page attempt, so an operator can tell why an article is missing.
CREATE TABLE fetch_log (
    run_id     VARCHAR NOT NULL,
    url        VARCHAR NOT NULL,
    feed_url   VARCHAR,
    kind       VARCHAR NOT NULL,             -- feed | page
    stage      VARCHAR NOT NULL,             -- fetch | extract
    status     INTEGER,
    error      VARCHAR,
    bytes      INTEGER,
    elapsed_ms INTEGER,
    attempts   INTEGER,
    logged_at  TIMESTAMPTZ NOT NULL
);
