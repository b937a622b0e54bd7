"""The programme feature's periodic jobs (registered from inspect_api.app.register_periodic_jobs) and the
same functions for direct calls (tests, scripts): each takes `(conn, now)` inside the caller's
transaction and returns how many things it did.

    programmes.generate  every hour: each active programme's current and next period (idempotent)
    visits.missed        every minute: scheduled visits (one-off or programme) whose window has ended
                         become `missed` with a `visit.missed` event; a phone that syncs later still
                         submits (intake accepts a missed visit and marks it submitted)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

import asyncpg

from inspect_api.events.service import emit
from inspect_api.jobs import PeriodicJob
from inspect_api.programmes import queries
from inspect_api.programmes.service import generate_source

GENERATE_JOB: Final = "programmes.generate"
GENERATE_EVERY: Final = timedelta(hours=1)
MISSED_JOB: Final = "visits.missed"
MISSED_EVERY: Final = timedelta(minutes=1)
MISSED_BATCH: Final = 2000  # per run; the next run takes the rest


async def generate_ahead(conn: asyncpg.Connection, now: datetime) -> int:
    created = 0
    for source in await queries.active_sources(conn, now.date()):
        ids, _ = await generate_source(conn, source, now)
        created += len(ids)
    return created


async def mark_missed_visits(conn: asyncpg.Connection, now: datetime) -> int:
    missed = await queries.mark_missed(conn, now, MISSED_BATCH)
    for visit in missed:
        # Admins and regional leads only: nothing tells a branch a (mystery) visit was due.
        await emit(conn, visit.org_id, "visit.missed", visit.id, visit, branch_id=visit.branch_id)
    return len(missed)


def periodic_jobs() -> list[PeriodicJob]:
    return [
        PeriodicJob(name=GENERATE_JOB, every=GENERATE_EVERY, run=generate_ahead),
        PeriodicJob(name=MISSED_JOB, every=MISSED_EVERY, run=mark_missed_visits),
    ]
