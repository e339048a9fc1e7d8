-- Version 10: a stored article remembers the date its feed entry gave when it was stored
-- (RSS's pubDate, beside the "updated" date kept since version 3) and the page's validators
-- (ETag, Last-Modified). A feed that re-lists the entry with a later date has the page
-- re-checked with a conditional GET: a 304 costs nothing, and only a changed text is a
-- revision. Articles stored before this version take their published_at as the entry's date.
ALTER TABLE articles ADD COLUMN entry_published_at TIMESTAMPTZ;
ALTER TABLE articles ADD COLUMN page_etag VARCHAR;
ALTER TABLE articles ADD COLUMN page_last_modified VARCHAR;
UPDATE articles SET entry_published_at = published_at WHERE source = 'feed';
