-- bunq-oauth store, schema version 3 (PostgreSQL).
-- An app's revoked tokens (sign-outs), by SHA-256 (hex), until they expire.
CREATE TABLE bunq_oauth_revoked_tokens (
    digest     TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL              -- Unix seconds
);
