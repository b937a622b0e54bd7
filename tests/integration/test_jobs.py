"""Periodic jobs (inspect_api/jobs): a due job runs once however many runners race for it, each run in
its own transaction, a failing job rolls back alone and is tried again later."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg

from inspect_api.jobs import PeriodicJob, run_due
from inspect_api.settings import Settings
from inspect_api.storage.db import create_pool


def _counting_job(name: str, calls: list[datetime], gate: asyncio.Event | None = None,
                  every: timedelta = timedelta(minutes=5), started: asyncio.Event | None = None) -> PeriodicJob:
    async def run(conn: asyncpg.Connection, now: datetime) -> int:
        calls.append(now)
        if started is not None:
            started.set()
        if gate is not None:
            await gate.wait()  # hold the row lock while the other runner looks
        await conn.execute("SELECT 1")
        return 1

    return PeriodicJob(name=name, every=every, run=run)


async def test_two_runners_at_once_run_a_due_job_once(db: asyncpg.Pool, settings: Settings) -> None:
    other = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        calls: list[datetime] = []
        gate = asyncio.Event()
        started = asyncio.Event()
        job = _counting_job("test.once", calls, gate, started=started)
        now = datetime.now(UTC)
        first = asyncio.create_task(run_due(db, now, jobs=(job,)))
        await started.wait()  # the first runner holds the job's row
        second = await run_due(other, now, jobs=(job,))  # skips the locked row, does not wait
        assert second == []
        gate.set()
        assert [r.count for r in await first] == [1]
        # after the commit the job is not due again within its period, for either runner
        assert await run_due(other, now + timedelta(minutes=1), jobs=(job,)) == []
        assert await run_due(db, now + timedelta(minutes=1), jobs=(job,)) == []
        assert len(calls) == 1
        # and due again after it
        assert [r.count for r in await run_due(other, now + timedelta(minutes=5), jobs=(job,))] == [1]
        assert len(calls) == 2
        row = await db.fetchrow("SELECT runs, last_count, last_error FROM job_runs WHERE name = 'test.once'")
        assert dict(row) == {"runs": 2, "last_count": 1, "last_error": None}
    finally:
        await other.close()


async def test_many_runners_racing_run_it_once(db: asyncpg.Pool, settings: Settings) -> None:
    pools = [await create_pool(settings.database_url, min_size=1, max_size=1) for _ in range(4)]
    try:
        calls: list[datetime] = []
        job = _counting_job("test.race", calls)
        now = datetime.now(UTC)
        results = await asyncio.gather(*(run_due(p, now, jobs=(job,)) for p in [*pools, db]))
        assert sum(len(r) for r in results) == 1
        assert len(calls) == 1
    finally:
        for p in pools:
            await p.close()


async def test_a_failing_job_rolls_back_alone_and_is_retried(db: asyncpg.Pool) -> None:
    await db.execute("CREATE TABLE IF NOT EXISTS job_test_marks (note text)")
    try:
        async def failing(conn: asyncpg.Connection, now: datetime) -> int:
            await conn.execute("INSERT INTO job_test_marks VALUES ('half-written')")
            raise RuntimeError("boom")

        ok_calls: list[datetime] = []
        bad = PeriodicJob(name="test.bad", every=timedelta(hours=1), run=failing, retry_after=timedelta(minutes=2))
        good = _counting_job("test.good", ok_calls)
        now = datetime.now(UTC)
        results = {r.name: r for r in await run_due(db, now, jobs=(bad, good))}
        assert results["test.bad"].count is None and "boom" in (results["test.bad"].error or "")
        assert results["test.good"].count == 1
        assert await db.fetchval("SELECT count(*) FROM job_test_marks") == 0
        row = await db.fetchrow("SELECT last_error, next_run_at FROM job_runs WHERE name = 'test.bad'")
        assert "boom" in row["last_error"]
        assert row["next_run_at"] == now + timedelta(minutes=2)
        assert await run_due(db, now + timedelta(minutes=1), jobs=(bad,)) == []
        assert len(await run_due(db, now + timedelta(minutes=2), jobs=(bad,))) == 1
    finally:
        await db.execute("DROP TABLE job_test_marks")
