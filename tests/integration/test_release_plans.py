"""A release's roll-up statements and the fairness report read one month partition, not every month (#20).

Since migrations/0052 submissions, revisions and item facts are split by month of visit; a statement that
names a revision or its items by id alone probes every month's index (28 at two years of data). EXPLAIN
(ANALYZE) of the statements themselves, on released visits of one branch spread over a year of months,
arranged in SQL."""

from __future__ import annotations

from datetime import date
from typing import Final

import asyncpg
import pytest

from inspect_api.actions import queries as actions
from inspect_api.rankings import queries as rankings
from inspect_api.rankings import rollups
from inspect_api.submissions.partitions import ensure_months, first_of_month
from tests.integration.factories import World
from tests.integration.plans import explain_analyze, partitions_read, rolled_back, scans_of

pytestmark = pytest.mark.asyncio

# 600 released scored visits of one branch, about one a week back over a year; one revision each, with
# one item fact (the last visit's facts are left out: a release writes them).
SPREAD: Final = """
WITH s AS (
    INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status, current_revision,
                             passed, total_percent, visited_on, released_at)
    SELECT $1, $2, $3, $4, 'adhoc', 'released', 1, g % 2 = 0, 50 + g % 50, current_date - 8 - (g * 7 % 360),
           now() - g * interval '1 minute'
    FROM generate_series(1, 600) g
    RETURNING org_id, id, visited_on
)
INSERT INTO submission_revisions (org_id, submission_id, revision, client_id, request_hash, answers, score_card,
                                  started_at, finished_at, proof, visited_on)
SELECT org_id, id, 1, gen_random_uuid(), 'h', '[]',
       jsonb_build_object('items', jsonb_build_array(jsonb_build_object(
           'key', 'p1', 'section', 's1', 'status', 'fail', 'earned', 0, 'possible', 1))),
       now(), now(), '{}', visited_on
FROM s
"""
SPREAD_ITEMS: Final = """
INSERT INTO submission_items (revision_id, item_key, section_key, status, earned, possible, org_id, visited_on)
SELECT r.id, 'p1', 's1', 'fail', 0, 1, r.org_id, r.visited_on FROM submission_revisions r
WHERE r.org_id = $1 AND r.id <> $2
"""
FACTS: Final = """
SELECT s.id, s.org_id, s.branch_id, f.key AS form_key, r.id AS revision_id, s.visited_on, s.released_at,
       s.total_percent, s.passed
FROM submissions s
JOIN submission_revisions r ON r.org_id = s.org_id AND r.visited_on = s.visited_on AND r.submission_id = s.id
JOIN form_versions fv ON fv.id = s.form_version_id
JOIN forms f ON f.id = fv.form_id
WHERE s.org_id = $1
ORDER BY s.visited_on, s.released_at, s.id
"""


async def _spread(conn: asyncpg.Connection, world: World) -> list[rollups.ReleasedFacts]:
    today = date.today()
    await ensure_months(conn, first_of_month(today, -13), today)
    await conn.execute(SPREAD, world.a.id, world.a.b11, world.form_version_id, world.a.inspector.id)
    series = [rollups.ReleasedFacts(**dict(r)) for r in await conn.fetch(FACTS, world.a.id)]
    await conn.execute(SPREAD_ITEMS, world.a.id, series[len(series) // 2].revision_id)
    await conn.execute("ANALYZE")
    return series


def _month(day: date) -> str:
    return f"{day:%Y_%m}"


async def test_a_release_reads_and_writes_its_own_months_only(world: World, db: asyncpg.Pool) -> None:
    """The middle visit of the series is released: its item facts written, its neighbours and their facts
    read, each from the one month partition it belongs to (a neighbour may sit in another month)."""
    async with db.acquire() as conn:
        series = await _spread(conn, world)
        middle = len(series) // 2
        released, previous, following = series[middle], series[middle - 1], series[middle + 1]

        async with rolled_back(conn):
            plan = await explain_analyze(conn, rollups.INSERT_ITEMS, released.revision_id, released.org_id,
                                         released.visited_on)
            assert partitions_read(plan, "submission_revisions") == {
                f"submission_revisions_m{_month(released.visited_on)}": 1}
            written = await conn.fetch("SELECT item_key, status FROM submission_items WHERE revision_id = $1",
                                       released.revision_id)
            assert [tuple(r) for r in written] == [("p1", "fail")]

        # The neighbours are the visits before and after in the series' order, each read with its revision
        # from its own month.
        assert await rollups.neighbour(conn, released, after=False) == previous
        assert await rollups.neighbour(conn, released, after=True) == following
        for sql, neighbour in ((rollups.SELECT_PREVIOUS, previous), (rollups.SELECT_NEXT, following)):
            plan = await explain_analyze(conn, sql, released.org_id, released.branch_id, released.form_key,
                                         released.visited_on, released.released_at, released.id)
            assert partitions_read(plan, "submission_revisions") == {
                f"submission_revisions_m{_month(neighbour.visited_on)}": 1}, sql
            # The months on the far side of the released visit are not in the plan at all (how many on the
            # near side are read depends on the plan: this small table is read whole, a big one walked back
            # on its index to the first match).
            own = f"submissions_m{_month(released.visited_on)}"
            months = [m["Relation Name"] for m in scans_of(plan, "submissions")
                      if m["Relation Name"] != "submissions_default"]
            far = [m for m in months if (m > own if sql is rollups.SELECT_PREVIOUS else m < own)]
            assert months and own in months
            assert not far, (sql, far)
        for neighbour in (previous, following):
            assert [(i.item_key, i.status) for i in await rollups.item_statuses(conn, neighbour)] == [("p1", "fail")]
            plan = await explain_analyze(conn, rollups.SELECT_ITEM_STATUSES, neighbour.revision_id,
                                         neighbour.org_id, neighbour.visited_on)
            assert partitions_read(plan, "submission_items") == {f"submission_items_m{_month(neighbour.visited_on)}": 1}

        # A correction takes the old revision's facts away, from its month alone.
        async with rolled_back(conn):
            plan = await explain_analyze(conn, rollups.DELETE_ITEMS, previous.revision_id, previous.org_id,
                                         previous.visited_on)
            assert partitions_read(plan, "submission_items") == {f"submission_items_m{_month(previous.visited_on)}": 1}
            assert not await conn.fetchval("SELECT count(*) FROM submission_items WHERE revision_id = $1",
                                           previous.revision_id)


async def test_the_fairness_report_reads_the_periods_months_only(world: World, db: asyncpg.Pool) -> None:
    """The inspector report's period read takes its revisions from the period's month alone; the
    calibration pairs' item outcomes come from each submission's own month, one lookup each."""
    async with db.acquire() as conn:
        series = await _spread(conn, world)
        month = first_of_month(series[len(series) // 2].visited_on, 0)
        end = first_of_month(month, 1)
        in_month = [f for f in series if month <= f.visited_on < end]
        assert len(in_month) > 3
        read = await rankings.period_visits(conn, world.a.id, series[0].form_key, month, end)
        assert sorted(r.submission_id for r in read) == sorted(f.id for f in in_month)
        plan = await explain_analyze(conn, rankings.SELECT_PERIOD_VISITS, world.a.id, series[0].form_key, month,
                                     end, None)
        assert set(partitions_read(plan, "submission_revisions")) == {f"submission_revisions_m{_month(month)}"}

        paired = series[::40]  # 15 submissions over the year's months
        items = await rankings.visit_items(conn, world.a.id, [f.id for f in paired])
        expected = {f.id for f in paired} - {series[len(series) // 2].id}  # that one has no facts yet
        assert sorted((i.submission_id, i.item_key, i.status) for i in items) == sorted(
            (sid, "p1", "fail") for sid in expected)
        plan = await explain_analyze(conn, rankings.SELECT_VISIT_ITEMS, world.a.id, [f.id for f in paired])
        months = {_month(f.visited_on) for f in paired}
        assert len(months) > 5
        for table in ("submissions", "submission_revisions", "submission_items"):
            read_months = partitions_read(plan, table)
            assert set(read_months) <= {f"{table}_m{m}" for m in months}, (table, read_months)
            assert sum(read_months.values()) <= len(paired), (table, read_months)


ONE_ACTION: Final = """
INSERT INTO actions (org_id, branch_id, submission_id, revision_id, form_key, item_key, title_zh, title_en,
                     priority, evidence_required, due_on, status)
VALUES ($1, $2, $3, $4, $5, 'p1', '标题', 'Title', 'normal', false, $6::date + 7, 'open')
RETURNING id
"""


async def test_a_releases_actions_read_its_own_month(world: World, db: asyncpg.Pool) -> None:
    """The follow-ups opened at a release and the recheck of earlier actions read the released revision
    (and its submission) from its month alone; an action's lock reads its submission from its month."""
    async with db.acquire() as conn:
        series = await _spread(conn, world)
        earlier, released = series[100], series[400]
        action_id = await conn.fetchval(ONE_ACTION, world.a.id, world.a.b11, earlier.id, earlier.revision_id,
                                        earlier.form_key, earlier.visited_on)
        await conn.execute("ANALYZE actions")
        own_month = _month(released.visited_on)

        async with rolled_back(conn):
            plan = await explain_analyze(conn, actions.OPEN_AT_RELEASE, released.revision_id, released.form_key,
                                         released.released_at, released.org_id, released.visited_on)
            assert partitions_read(plan, "submission_revisions") == {f"submission_revisions_m{own_month}": 1}
            assert set(partitions_read(plan, "submissions")) <= {f"submissions_m{own_month}"}

        args = (world.a.id, world.a.b11, released.form_key, released.visited_on, released.released_at,
                released.revision_id, released.id)
        candidates = await conn.fetch(actions.SELECT_RECHECK_CANDIDATES, *args)
        assert [(c["id"], c["item_status"]) for c in candidates] == [(action_id, "fail")]
        plan = await explain_analyze(conn, actions.SELECT_RECHECK_CANDIDATES, *args)
        assert set(partitions_read(plan, "submission_revisions")) == {f"submission_revisions_m{own_month}"}
        # The candidate's own submission: one lookup, in its month.
        assert partitions_read(plan, "submissions") == {f"submissions_m{_month(earlier.visited_on)}": 1}

        async with rolled_back(conn):
            args = (world.a.id, world.a.admin.id, "admin", action_id)
            assert (await conn.fetchrow(actions.LOCK_ACTION, *args))["id"] == action_id
            plan = await explain_analyze(conn, actions.LOCK_ACTION, *args)
            assert partitions_read(plan, "submissions") == {f"submissions_m{_month(earlier.visited_on)}": 1}
