-- Version 8: a queued entry counts the runs that carried it and did not finish; past a bound
-- it is given up (logged in fetch_log), so one entry that kills its run cannot stop every
-- later night. Each run's per-feed record counts the entries the feed listed that were not
-- kept (unusable links, entries past the per-feed cap).
ALTER TABLE entry_queue ADD COLUMN carried INTEGER DEFAULT 0;
ALTER TABLE run_feeds ADD COLUMN entries_dropped INTEGER DEFAULT 0;
