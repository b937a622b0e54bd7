-- Issue #16/#17: periodic jobs (inspect_api/jobs). One row per registered job: the runner that locks it
-- (SELECT ... FOR UPDATE SKIP LOCKED) with next_run_at due runs it and moves next_run_at on, in one
-- transaction, so any number of workers run a due job once.
CREATE TABLE job_runs (
    name             text PRIMARY KEY CHECK (name ~ '^[a-z0-9_.-]+$'),
    next_run_at      timestamptz NOT NULL,
    last_started_at  timestamptz,
    last_finished_at timestamptz,
    last_count       integer,
    last_error       text,
    runs             bigint NOT NULL DEFAULT 0
);
