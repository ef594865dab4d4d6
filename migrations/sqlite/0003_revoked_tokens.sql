-- bunq-oauth store, schema version 3 (SQLite).
-- An app's revoked tokens (sign-outs), by SHA-256 (hex), until they expire.
CREATE TABLE bunq_oauth_revoked_tokens (
    digest     TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL             -- Unix seconds
);
