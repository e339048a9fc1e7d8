"""The engine of a night, free of Prefect: what ``flows/`` wires into tasks.

Data walks one way, a module per step of it:

- ``run``: one run's lifecycle (warehouse open, run record, finish or fail, snapshot);
- ``feeds``: which feeds are due, fetched, read into entries, recorded with the entry queue;
- ``plan``: the new entries cut into batches, sized by count and by bytes;
- ``schedule``: three batches in flight (fetched, extracted, stored), stored in order;
- ``batch``: one batch of fetched pages → articles → duplicates → countries → alerts → stored;
- ``delivery``: the digests of new countries, one per channel, delivery recorded;
- ``runtime``: the process tuning a night needs (heap, threads, switch interval).

Each function takes the settings and a warehouse connection it is given, and logs through
``logging`` (``flows/`` hands these loggers to Prefect). ``ingest/`` holds the stages' pure
logic and ``warehouse/`` the SQL; this package only orders them.
"""
