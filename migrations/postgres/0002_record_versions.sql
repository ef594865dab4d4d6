-- bunq-oauth store, schema version 2 (postgres).
-- Each context row's version, bound into its seal; the 'store id' and the
-- sealed 'manifest' (every record's latest version, the deleted users) live
-- in bunq_oauth_secrets. Rows written before this have version 0.
ALTER TABLE bunq_oauth_contexts ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
