"""The monthly partitions of submissions, revisions and item facts (migrations/0052): the job that
adds months ahead of the calendar, retention that detaches old months, and the partitions' names.

The SQL lives in submissions/sql/partitions.sql (`ensure_submission_partitions`,
`detach_submission_months`); these are their typed callers.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Final

import asyncpg
import msgspec

from inspect_api.jobs import PeriodicJob

JOB_NAME: Final = "submissions.partitions"
# Months made ahead of the current one: intake never waits for a partition (a visit dated past them
# lands in the DEFAULT partition, still correct, only unpruned).
MONTHS_AHEAD: Final = 2
# The tables split by month, parents first.
PARTITIONED: Final = ("submissions", "submission_revisions", "submission_items")
# A month's table (<table>_mYYYY_MM) or the DEFAULT partition (<table>_default).
PARTITION_NAME: Final = re.compile(r"^(?P<table>[a-z_]+?)_(m\d{4}_\d{2}|default)$")

ENSURE: Final = "SELECT month, outcome FROM ensure_submission_partitions($1, $2)"
DETACH: Final = "SELECT month, outcome FROM detach_submission_months($1, $2)"


class MonthOutcome(msgspec.Struct, frozen=True, kw_only=True):
    month: date
    # ensure: created | exists | rows in default | detached table in the way; detach: detached | dropped
    outcome: str


def first_of_month(day: date, months_later: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_later
    return date(index // 12, index % 12 + 1, 1)


def is_partition_of(table: str, relation: str | None) -> bool:
    """Whether `relation` (e.g. an EXPLAIN node's "Relation Name") is `table` or one of its partitions."""
    if relation == table:
        return True
    match = PARTITION_NAME.match(relation or "")
    return match is not None and match["table"] == table


async def ensure_months(conn: asyncpg.Connection, first: date, last: date) -> list[MonthOutcome]:
    rows = await conn.fetch(ENSURE, first, last)
    return [MonthOutcome(month=r["month"], outcome=r["outcome"]) for r in rows]


async def detach_months_before(conn: asyncpg.Connection, before: date, *, drop: bool) -> list[MonthOutcome]:
    rows = await conn.fetch(DETACH, before, drop)
    return [MonthOutcome(month=r["month"], outcome=r["outcome"]) for r in rows]


def retention_cutoff(today: date, keep_months: int) -> date:
    """The first day kept: the current month and the `keep_months - 1` before it."""
    if keep_months < 1:
        raise ValueError("keep_months must be at least 1 (the current month is always kept)")
    # Any number of months is accepted: one reaching before year 1 keeps everything.
    months_back = min(keep_months - 1, today.year * 12 + today.month - 1 - 12)
    return first_of_month(today, -months_back)


def partitions_job(every: timedelta = timedelta(hours=6)) -> PeriodicJob:
    async def run(conn: asyncpg.Connection, now: datetime) -> int:
        today = now.date()
        made = await ensure_months(conn, first_of_month(today), first_of_month(today, MONTHS_AHEAD))
        return sum(m.outcome == "created" for m in made)

    return PeriodicJob(name=JOB_NAME, every=every, run=run)
