"""A page of GET /submissions and GET /submissions/{id} read each row's revision from its own month (#20).

Since migrations/0052 revisions are split by month of visit; a lookup of a submission's revision by
submission id alone probes every month's index (28 at two years of data), for each row of a page. EXPLAIN
(ANALYZE) of the statements themselves, on released visits spread over a year of months."""

from __future__ import annotations

import itertools
import uuid
from datetime import date

import asyncpg
import pytest

from inspect_api.submissions.exports import SELECT_SUBMISSIONS_EXPORT
from inspect_api.submissions.queries import SELECT_SUBMISSION, SELECT_SUMMARIES, summaries_statement
from tests.integration.factories import World
from tests.integration.plans import explain_analyze, partitions_read
from tests.integration.test_release_plans import _spread

pytestmark = pytest.mark.asyncio


async def test_a_page_with_integrity_reads_each_rows_revision_in_its_month(world: World, db: asyncpg.Pool) -> None:
    """The admin's page of 50 (a proof reader: each row's integrity summary) over a year of visits, first
    and deep (by cursor, and by offset as the dashboard's pager asks): one revision lookup per row of the
    page, in the months of the page's rows only (none for the rows an offset skips)."""
    async with db.acquire() as conn:
        ordered = sorted(await _spread(conn, world), key=lambda f: (f.visited_on, f.id), reverse=True)
        first: tuple[date, uuid.UUID] = (date.max, uuid.UUID(int=(1 << 128) - 1))
        deep = (ordered[399].visited_on, ordered[399].id)  # the keyset cursor after 400 rows
        # The admin's statement, and the branch-set one a regional reviewer (b11 is in r1) reads with.
        statements = (("admin", SELECT_SUMMARIES), ("reviewer", summaries_statement("reviewer")))
        pages = ((first, 0), (deep, 0), (first, 400))  # first, deep by cursor, deep by offset (the pager's)
        for (role, statement), (cursor, offset) in itertools.product(statements, pages):
            user = world.a.user(role)
            args = (world.a.id, user.id, role, None, None, None, None, None, 50, offset, *cursor, True)
            page = await conn.fetch(statement, *args)
            assert len(page) == 50
            months = {f"submission_revisions_m{r['visited_on']:%Y_%m}" for r in page}
            assert len(months) > 1
            read = partitions_read(await explain_analyze(conn, statement, *args), "submission_revisions")
            assert set(read) == months, (role, read)
            assert sum(read.values()) == 50, read


async def test_one_submission_reads_its_revision_in_its_month(world: World, db: asyncpg.Pool) -> None:
    async with db.acquire() as conn:
        series = await _spread(conn, world)
        for facts in (series[0], series[300], series[-1]):
            args = (world.a.id, world.a.admin.id, "admin", facts.id)
            row = await conn.fetchrow(SELECT_SUBMISSION, *args)
            assert row["id"] == facts.id and row["visited_on"] == facts.visited_on
            read = partitions_read(await explain_analyze(conn, SELECT_SUBMISSION, *args), "submission_revisions")
            assert read == {f"submission_revisions_m{facts.visited_on:%Y_%m}": 1}, read


async def test_an_export_of_a_month_reads_that_months_revisions(world: World, db: asyncpg.Pool) -> None:
    """GET /exports/submissions.csv?from=..&to=.. reads the revisions of the months asked for, not every one."""
    async with db.acquire() as conn:
        series = await _spread(conn, world)
        day = series[300].visited_on
        first, last = day.replace(day=1), day.replace(day=28)
        args = (world.a.id, world.a.admin.id, "admin", series[0].form_key, first, last, None, None)
        rows = await conn.fetch(SELECT_SUBMISSIONS_EXPORT, *args)
        assert sorted(r["id"] for r in rows) == sorted(f.id for f in series if first <= f.visited_on <= last)
        plan = await explain_analyze(conn, SELECT_SUBMISSIONS_EXPORT, *args)
        for table in ("submissions", "submission_revisions"):
            assert set(partitions_read(plan, table)) == {f"{table}_m{day:%Y_%m}"}, table
