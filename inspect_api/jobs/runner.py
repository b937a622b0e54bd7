"""Run due periodic jobs: each in its own transaction, claimed with SKIP LOCKED (jobs/__init__.py)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import asyncpg

from inspect_api.jobs import queries
from inspect_api.jobs.registry import PeriodicJob, registered_jobs

log = logging.getLogger(__name__)

ERROR_CHARS: Final = 500


@dataclass(frozen=True, kw_only=True)
class JobResult:
    name: str
    count: int | None  # None: it failed
    error: str | None = None


async def run_job_if_due(pool: asyncpg.Pool, job: PeriodicJob, now: datetime) -> JobResult | None:
    """Run `job` if it is due at `now` and no other runner holds it; None when not run."""
    async with pool.acquire() as conn:
        await queries.ensure_job(conn, job.name, now)
        async with conn.transaction():
            if not await queries.claim_due(conn, job.name, now):
                return None
            started = datetime.now(UTC)
            count: int | None = None
            error: str | None = None
            try:
                async with conn.transaction():  # a savepoint: a failing job leaves nothing half-written
                    count = int(await job.run(conn, now))
            except Exception as exc:  # a failing job must not stop the others
                error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
                log.exception("periodic job %s failed", job.name)
            delay = job.every if error is None or job.retry_after is None else job.retry_after
            await queries.finish(conn, job.name, now + delay, started, count, error)
    return JobResult(name=job.name, count=count, error=error)


async def run_due(pool: asyncpg.Pool, now: datetime | None = None,
                  jobs: tuple[PeriodicJob, ...] | None = None) -> list[JobResult]:
    """Run every registered job that is due (one after another); the ones this runner ran."""
    now = now or datetime.now(UTC)
    results = []
    for job in registered_jobs() if jobs is None else jobs:
        if (result := await run_job_if_due(pool, job, now)) is not None:
            results.append(result)
    return results


async def run_jobs(pool: asyncpg.Pool, stop: asyncio.Event | None = None, tick_seconds: float = 5.0) -> None:
    """Check for due jobs every `tick_seconds` until `stop` is set (or the task is cancelled)."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            for result in await run_due(pool):
                if result.error is None and result.count:
                    log.info("periodic job %s: %d", result.name, result.count)
        except (OSError, asyncpg.PostgresError) as exc:  # the database went away: try again shortly
            log.warning("periodic jobs: %s", exc)
        try:
            await asyncio.wait_for(stop.wait(), tick_seconds)
        except TimeoutError:
            pass


async def run_jobs_from_dsn(dsn: str, stop: asyncio.Event | None = None, tick_seconds: float = 5.0) -> None:
    """`inspect-api worker` and `inspect-api dev`: the job runner on its own small pool."""
    from inspect_api.storage.db import create_pool

    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        await run_jobs(pool, stop, tick_seconds)
    finally:
        await pool.close()
