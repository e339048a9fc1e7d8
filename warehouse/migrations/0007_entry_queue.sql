-- New feed entries are queued in the same transaction that records the feeds' validators
-- (ETag, Last-Modified, body hash). A run killed before it stored them would otherwise lose
-- them: the feed answers 304 next night and never lists them again. The next run takes the
-- queue first; an entry leaves it when its run completes (stored, or its failure logged).
CREATE TABLE entry_queue (
    canonical_url VARCHAR PRIMARY KEY,
    feed_url      VARCHAR NOT NULL,
    entry         JSON NOT NULL,          -- the FeedEntry as JSON
    run_id        VARCHAR NOT NULL,
    queued_at     TIMESTAMPTZ NOT NULL
);
