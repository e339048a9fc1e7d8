-- Version 3: near-duplicate detection (persistent LSH index) and article revisions.

ALTER TABLE articles ADD COLUMN similarity DOUBLE;            -- to the original, for duplicates
ALTER TABLE articles ADD COLUMN dup_method VARCHAR;           -- exact | minhash-jaccard | minhash-containment
ALTER TABLE articles ADD COLUMN entry_updated_at TIMESTAMPTZ; -- the feed's "updated" date when stored
ALTER TABLE articles ADD COLUMN revision INTEGER DEFAULT 1;   -- 1 + number of stored revisions

-- LSH band keys of every original (seeds included): the near-duplicate index. Rebuilt from
-- articles.text by `newsdesk dedupe-index --rebuild`; index_version says which scheme made it.
CREATE SEQUENCE dedupe_seq START 1;
CREATE TABLE dedupe_docs (
    article_seq   UINTEGER PRIMARY KEY,
    article_id    VARCHAR NOT NULL UNIQUE,
    index_version INTEGER NOT NULL
);
CREATE TABLE dedupe_index (
    band_key    UINTEGER NOT NULL,
    article_seq UINTEGER NOT NULL
);

-- Earlier texts of an article whose page changed (the article row holds the latest).
CREATE TABLE revisions (
    article_id   VARCHAR NOT NULL,
    revision     INTEGER NOT NULL,
    title        VARCHAR,
    text         VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    fetched_at   TIMESTAMPTZ NOT NULL,
    replaced_at  TIMESTAMPTZ NOT NULL,
    run_id       VARCHAR,
    PRIMARY KEY (article_id, revision)
);

-- Syndication at a glance: each original with its copies and the sites that carried them.
CREATE VIEW duplicate_clusters AS
SELECT o.article_id                               AS original_id,
       o.title                                    AS original_title,
       o.source                                   AS original_source,
       o.site_name                                AS original_site,
       count(d.article_id)                        AS copies,
       list(DISTINCT coalesce(d.site_name, d.feed_url) ORDER BY coalesce(d.site_name, d.feed_url))
                                                  AS copy_sites,
       min(d.similarity)                          AS min_similarity,
       list(DISTINCT d.dup_method ORDER BY d.dup_method) AS methods
FROM articles o
JOIN articles d ON d.duplicate_of = o.article_id
GROUP BY ALL;
