-- Version 4: alert delivery tracked per channel, so a failing channel is retried alone and a
-- delivered digest is never sent to the same channel again.

CREATE TABLE alert_deliveries (
    alert_id     VARCHAR NOT NULL,
    channel_id   VARCHAR NOT NULL,   -- sha256 of the channel URL (URLs carry secrets)
    channel      VARCHAR NOT NULL,   -- the URL's scheme and host, for people
    status       VARCHAR NOT NULL,   -- pending | delivered | failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    delivered_at TIMESTAMPTZ,
    last_error   VARCHAR,
    digest_id    VARCHAR,            -- sent with the digest, so a receiver can drop a repeat
    PRIMARY KEY (alert_id, channel_id)
);
