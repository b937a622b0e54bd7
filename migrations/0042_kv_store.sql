-- State every API replica shares (issue #20): Litestar stores that were process-local, first the login
-- rate limit per client address (inspect_api/storage/kv_store.py). UNLOGGED: short-lived counters,
-- not worth WAL or replication; a crash empties the table, which only resets the windows.
CREATE UNLOGGED TABLE kv_store (
    key text PRIMARY KEY,
    value bytea NOT NULL,
    expires_at timestamptz
);
CREATE INDEX kv_store_expires_idx ON kv_store (expires_at) WHERE expires_at IS NOT NULL;
