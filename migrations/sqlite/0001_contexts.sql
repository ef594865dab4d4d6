-- bunq-oauth store, schema version 1 (SQLite).
-- Secrets are only ever in the `sealed` columns, AES-256-GCM encrypted.

-- One row per API context: id 0 is the app owner, users count from 1.
CREATE TABLE bunq_oauth_contexts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    bunq_user_id INTEGER NOT NULL,
    sealed       BLOB    NOT NULL,
    updated_at   INTEGER NOT NULL,          -- Unix seconds
    renewals     INTEGER NOT NULL DEFAULT 0 -- bumped under the write lock of each renewal
);

-- Sealed singletons: the encryption-key check, the OAuth client configuration.
CREATE TABLE bunq_oauth_secrets (
    name   TEXT PRIMARY KEY,
    sealed BLOB NOT NULL
);

-- Pending OAuth `state` values, by SHA-256 (hex).
CREATE TABLE bunq_oauth_pending_states (
    digest     TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL             -- Unix seconds
);
