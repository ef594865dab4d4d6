-- bunq-oauth store, schema version 4 (PostgreSQL).
-- The callback events an app keeps per user, each once (bunq retries
-- deliveries), for EVENT_RETENTION_DAYS.
CREATE TABLE bunq_oauth_events (
    user_id     BIGINT NOT NULL,            -- the app user's id
    event_id    TEXT   NOT NULL,            -- Notification::event_id
    category    TEXT   NOT NULL,
    event_type  TEXT   NOT NULL,
    summary     TEXT   NOT NULL,
    received_at BIGINT NOT NULL,            -- Unix microseconds
    PRIMARY KEY (user_id, event_id)
);
CREATE INDEX bunq_oauth_events_recent ON bunq_oauth_events (user_id, received_at);
