"""SQL of the job runner: one `job_runs` row per job, locked by the runner that runs it."""

from __future__ import annotations

from datetime import datetime
from typing import Final

import asyncpg

ENSURE_JOB: Final = """
INSERT INTO job_runs (name, next_run_at) VALUES ($1, $2)
ON CONFLICT (name) DO NOTHING
"""

# SKIP LOCKED: a job another worker is running is not waited for; a job it just finished has a
# next_run_at in the future by the time this statement's snapshot sees the row.
CLAIM_DUE: Final = """
SELECT name FROM job_runs
WHERE name = $1 AND next_run_at <= $2
FOR UPDATE SKIP LOCKED
"""

FINISH: Final = """
UPDATE job_runs
SET next_run_at = $2, last_started_at = $3, last_finished_at = clock_timestamp(), last_count = $4,
    last_error = $5, runs = runs + 1
WHERE name = $1
"""


async def ensure_job(conn: asyncpg.Connection, name: str, first_run_at: datetime) -> None:
    await conn.execute(ENSURE_JOB, name, first_run_at)


async def claim_due(conn: asyncpg.Connection, name: str, now: datetime) -> bool:
    return await conn.fetchval(CLAIM_DUE, name, now) is not None


async def finish(conn: asyncpg.Connection, name: str, next_run_at: datetime, started_at: datetime,
                 count: int | None, error: str | None) -> None:
    await conn.execute(FINISH, name, next_run_at, started_at, count, error)
