"""GET /actions/overdue and the org's GET /rankings/weakness read about what they return (issue #20).

At 1M submissions the overdue list read every action of the org (closed ones sort first by due date) and
sorted all the overdue ones before its LIMIT; the org's weakness map joined every roll-up row to branches.
EXPLAIN (ANALYZE) of the statements themselves, on data arranged in SQL, and the same rows as before."""

from __future__ import annotations

import json
from datetime import date, timedelta
from uuid import UUID

import asyncpg
import pytest

from inspect_api.actions.queries import ACTIONS_START, SELECT_ACTIONS, SELECT_OVERDUE, ListFilters, actions
from inspect_api.rankings.queries import SELECT_ITEMS, SELECT_ORG_ITEMS, SELECT_ORG_VISITS, SELECT_VISITS
from inspect_api.submissions.partitions import ensure_months, first_of_month
from tests.integration.factories import World, login_as
from tests.integration.plans import scans_of

pytestmark = pytest.mark.asyncio


def _nodes(plan: dict) -> list[dict]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _nodes(child))]


def _nodes_outside_subplans(plan: dict) -> list[dict]:
    return [plan, *(n for child in plan.get("Plans", []) if child.get("Parent Relationship") != "SubPlan"
                    for n in _nodes_outside_subplans(child))]


async def _released(conn: asyncpg.Connection, world: World, branch: UUID) -> tuple[UUID, UUID]:
    submission = await conn.fetchval(
        """INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status,
                                    current_revision, passed, visited_on, released_at)
           VALUES ($1, $2, $3, $4, 'adhoc', 'released', 1, false, current_date - 90, now()) RETURNING id""",
        world.a.id, branch, world.form_version_id, world.a.inspector.id)
    revision = await conn.fetchval(
        """INSERT INTO submission_revisions (org_id, submission_id, revision, client_id, request_hash, answers,
                                             score_card, started_at, finished_at, proof, visited_on)
           SELECT $1, $2, 1, gen_random_uuid(), 'h', '[]', '{}', now(), now(), '{}', visited_on
           FROM submissions WHERE id = $2 RETURNING id""",
        world.a.id, submission)
    return submission, revision


INSERT_ACTIONS = """
INSERT INTO actions (org_id, branch_id, submission_id, revision_id, form_key, item_key, title_zh, title_en,
                     priority, evidence_required, due_on, status)
SELECT $1, $2, $3, $4, 'f', $5 || g, '标题', 'Title', (ARRAY['urgent', 'high', 'normal', 'low'])[1 + g % 4], false,
       $6::date + (g % $8), $7
FROM generate_series(1, $9) g
"""


async def _arrange_actions(conn: asyncpg.Connection, world: World) -> None:
    """20,000 verified actions due long ago (they sort first), 3,000 overdue open ones, 100 pending not yet
    due, and pending ones due yesterday, today and tomorrow at branches 14 h ahead of and 11 h behind UTC
    (the local day decides)."""
    await conn.execute("UPDATE branches SET timezone = 'Pacific/Kiritimati' WHERE id = $1", world.a.b12)
    await conn.execute("UPDATE branches SET timezone = 'Pacific/Pago_Pago' WHERE id = $1", world.a.b21)
    today = date.today()
    s11, r11 = await _released(conn, world, world.a.b11)
    await conn.execute(INSERT_ACTIONS, world.a.id, world.a.b11, s11, r11, 'old-', date(2020, 1, 1), "verified",
                       700, 20000)
    await conn.execute(INSERT_ACTIONS, world.a.id, world.a.b11, s11, r11, 'late-', today - timedelta(days=60),
                       "open", 50, 3000)
    await conn.execute(INSERT_ACTIONS, world.a.id, world.a.b11, s11, r11, 'soon-', today + timedelta(days=5),
                       "in_progress", 30, 100)
    for branch in (world.a.b12, world.a.b21, world.a.b22):
        submission, revision = await _released(conn, world, branch)
        for status in ("open", "reopened", "resolved"):
            await conn.execute(INSERT_ACTIONS, world.a.id, branch, submission, revision, f"edge-{status}-",
                               today - timedelta(days=2), status, 5, 5)  # due from 2 days ago to 2 days ahead
    # An org of many branches, as the bench's 2,001 (with 5, walking each branch's overdue rows is as good).
    await conn.execute(
        """INSERT INTO branches (org_id, region_id, code, name_zh, name_en, timezone, latitude, longitude)
           SELECT $1, $2, 'X' || g, 'X' || g, 'X' || g, 'Asia/Shanghai', 31.2, 121.4 FROM generate_series(1, 500) g""",
        world.a.id, world.a.r2)
    await conn.execute("ANALYZE")  # all tables: stale statistics of earlier tests change the plan


async def test_overdue_reads_the_pending_index_in_order_and_stops(world: World, db) -> None:
    """The admin's overdue page: one forward scan of actions_pending_due_idx that stops after the page:
    none of the 20,000 closed actions due earlier is read, nothing is sorted."""
    async with db.acquire() as conn:
        await _arrange_actions(conn, world)
        for offset in (0, 100):
            raw = await conn.fetchval(
                f"EXPLAIN (ANALYZE, FORMAT JSON) {SELECT_OVERDUE}", world.a.id, world.a.admin.id, "admin",
                None, None, None, None, True, False, 50, offset, *ACTIONS_START)
            plan = json.loads(raw)[0]["Plan"]
            scans = [n for n in _nodes(plan) if n.get("Relation Name") == "actions"]
            assert len(scans) == 1, scans
            scan = scans[0]
            assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), scan
            assert scan["Index Name"] == "actions_pending_due_idx", scan
            assert scan["Scan Direction"] == "Forward"
            assert not [n for n in _nodes_outside_subplans(plan) if n["Node Type"] in ("Sort", "Incremental Sort")]
            # About the page: the offset's rows and the page's, never the closed ones nor those due later.
            assert scan["Actual Rows"] <= offset + 50, scan
            assert scan.get("Rows Removed by Filter", 0) == 0, scan


SPREAD_SUBMISSIONS = """
INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status, current_revision,
                         passed, visited_on, released_at)
SELECT $1, $2, $3, $4, 'adhoc', 'released', 1, false, current_date - 8 - (g * 7 % 360), now()
FROM generate_series(1, 600) g
"""
SPREAD_REVISIONS = """
INSERT INTO submission_revisions (org_id, submission_id, revision, client_id, request_hash, answers, score_card,
                                  started_at, finished_at, proof, visited_on)
SELECT org_id, id, 1, gen_random_uuid(), 'h', '[]', '{}', now(), now(), '{}', visited_on
FROM submissions WHERE org_id = $1
"""
SPREAD_ACTIONS = """
INSERT INTO actions (org_id, branch_id, submission_id, revision_id, form_key, item_key, title_zh, title_en,
                     priority, evidence_required, due_on, status)
SELECT s.org_id, s.branch_id, s.id, r.id, 'f', 'p1', '标题', 'Title', 'normal', false, s.visited_on + 7, 'open'
FROM submissions s JOIN submission_revisions r ON r.submission_id = s.id AND r.visited_on = s.visited_on
WHERE s.org_id = $1
"""


async def test_overdue_reads_each_submission_from_its_own_month(world: World, db) -> None:
    """600 overdue actions of submissions spread over a year of month partitions (migrations/0052): a page
    reads each row's submission from the one month its key row names (pruned at run time), not from every
    month's index (28 probes a row at two years: 607 ms at 1M submissions, bench/RESULTS.md) nor by
    scanning the months whole."""
    today = date.today()
    async with db.acquire() as conn:
        await ensure_months(conn, first_of_month(today, -13), today)
        await conn.execute(SPREAD_SUBMISSIONS, world.a.id, world.a.b11, world.form_version_id,
                           world.a.inspector.id)
        await conn.execute(SPREAD_REVISIONS, world.a.id)
        await conn.execute(SPREAD_ACTIONS, world.a.id)
        # The org's closed actions outnumber its pending ones, as in any org that works its actions: the
        # page is then walked in order on the pending index and stops (without them, 600 rows are sorted).
        some = await conn.fetchrow("SELECT submission_id, revision_id FROM actions WHERE org_id = $1 LIMIT 1",
                                   world.a.id)
        await conn.execute(INSERT_ACTIONS, world.a.id, world.a.b11, some["submission_id"], some["revision_id"],
                           "old-", date(2020, 1, 1), "verified", 700, 20000)
        await conn.execute("ANALYZE")
        # The first page (deeper offsets of 600 rows get a top-N sort of them all: a small org's plan).
        args = (world.a.id, world.a.admin.id, "admin", None, None, None, None, True, False, 50, 0,
                *ACTIONS_START)
        read = await conn.fetch(SELECT_OVERDUE, *args)
        page_months = {f"submissions_m{r['visited_on']:%Y_%m}" for r in read}
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {SELECT_OVERDUE}", *args)
        months = [m for m in scans_of(json.loads(raw)[0]["Plan"], "submissions") if m["Actual Loops"] > 0]
        ran = [(m["Relation Name"], m["Node Type"], m["Actual Loops"]) for m in months]
        assert len(page_months) > 1  # the rows read span several months
        assert {m["Relation Name"] for m in months} == page_months, ran  # only those months are read
        assert sum(m["Actual Loops"] for m in months) <= 50, ran  # one lookup per row read
        rows = await conn.fetch(SELECT_OVERDUE, world.a.id, world.a.admin.id, "admin", None, None, None, None,
                                True, False, 200, 0, *ACTIONS_START)
        assert len(rows) == 200
        assert [r["visited_on"] for r in rows] == [r["due_on"] - timedelta(days=7) for r in rows]


@pytest.mark.parametrize("role", ["admin", "regional_lead", "branch_manager"])
async def test_overdue_statement_returns_what_the_list_statement_does(world: World, db, role: str) -> None:
    """The same rows, in the same order, as SELECT_ACTIONS with the overdue flag: every role, the list's
    filters, pages by offset and by cursor, and the branches' local days at both ends of the zones."""
    user = {"admin": world.a.admin, "regional_lead": world.a.lead, "branch_manager": world.a.manager}[role]
    async with db.acquire() as conn:
        await _arrange_actions(conn, world)
        deep = await conn.fetchrow(
            "SELECT due_on, array_position(ARRAY['urgent', 'high', 'normal', 'low'], priority) AS rank, "
            "created_at, id FROM actions WHERE org_id = $1 AND status = 'open' ORDER BY due_on, 2, created_at, id "
            "OFFSET 120 LIMIT 1", world.a.id)
        filters = [(None, None, None, None), (world.a.b12, None, None, None), (None, world.a.r2, None, None),
                   (None, None, "reopened", None), (None, None, "resolved", None), (None, None, None, "f")]
        compared = 0
        for branch, region, status, form in filters:
            for limit, offset, start in ((200, 0, ACTIONS_START), (7, 3, ACTIONS_START), (50, 0, tuple(deep))):
                args = (world.a.id, user.id, role, branch, region, status, form, True, False, limit, offset, *start)
                want = [r["id"] for r in await conn.fetch(SELECT_ACTIONS, *args)]
                got = [r["id"] for r in await conn.fetch(SELECT_OVERDUE, *args)]
                assert got == want, (branch, region, status, limit, offset)
                compared += len(want)
        assert compared > 0
    # The edges (reopened: only at the three other branches, due from 2 days ago to 2 days ahead): each
    # branch's overdue ones end at its own local day, 14 h ahead of UTC or 11 h behind.
    rows = await db.fetch(SELECT_OVERDUE, world.a.id, world.a.admin.id, "admin", None, None, "reopened", None,
                          True, False, 200, 0, *ACTIONS_START)
    local = {r["id"]: r["today"] for r in await db.fetch(
        "SELECT id, (now() AT TIME ZONE timezone)::date AS today FROM branches WHERE org_id = $1", world.a.id)}
    assert {r["branch_id"] for r in rows} == {world.a.b12, world.a.b21, world.a.b22}
    for branch in (world.a.b12, world.a.b21, world.a.b22):
        due = sorted(r["due_on"] for r in rows if r["branch_id"] == branch)
        assert due and due[-1] == local[branch] - timedelta(days=1)


async def test_overdue_route_lists_the_overdue_in_order(client, world: World, db) -> None:
    async with db.acquire() as conn:
        await _arrange_actions(conn, world)
    headers = await login_as(client, world.a.admin)
    answer = await client.get("/actions/overdue", params={"limit": 40}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body) == 40 and all(a["overdue"] for a in body)
    assert [a["due_on"] for a in body] == sorted(a["due_on"] for a in body)
    manager = await login_as(client, world.a.manager)
    mine = await client.get("/actions/overdue", headers=manager)
    assert mine.status_code == 200 and mine.json() and {a["branch"]["id"] for a in mine.json()} == {str(world.a.b11)}


INSERT_ITEM_ROLLUPS = """
INSERT INTO rollup_item_periods (org_id, form_key, period_kind, period_start, branch_id, item_key, applicable,
                                 failures, partials, repeat_failures)
SELECT $1, 'fuel-attendant', k.kind, k.start, b, 'item-' || i, 10 + i, i % 4, i % 3, i % 2
FROM unnest($2::uuid[]) AS b, generate_series(1, 8) i,
     (SELECT 'week', date '2019-01-07' + 7 * w FROM generate_series(0, 399) w
      UNION ALL SELECT 'month', date '2026-05-01') AS k (kind, start)
"""

INSERT_BRANCH_ROLLUPS = """
INSERT INTO rollup_branch_periods (org_id, form_key, period_kind, period_start, branch_id, visits, scored, score_sum,
                                   score_sq_sum, passes)
SELECT $1, 'fuel-attendant', 'month', date '2026-05-01', b, 3, 3, 240, 19300, 2 FROM unnest($2::uuid[]) AS b
"""


async def test_org_weakness_reads_the_period_rows_alone(client, world: World, db) -> None:
    """The org's weakness map sums the period's roll-up rows, one primary-key range, no join to branches
    (32 rows of 12,832), with the sums SELECT_ITEMS gives; branch and region maps are unchanged."""
    branches = [world.a.b11, world.a.b12, world.a.b21, world.a.b22]
    month = date(2026, 5, 1)
    async with db.acquire() as conn:
        await conn.execute(INSERT_ITEM_ROLLUPS, world.a.id, branches)
        await conn.execute(INSERT_BRANCH_ROLLUPS, world.a.id, branches)
        await conn.execute("ANALYZE")  # all tables: stale statistics of earlier tests change the plan
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {SELECT_ORG_ITEMS}", world.a.id,
                                  "fuel-attendant", "month", month)
        nodes = _nodes(json.loads(raw)[0]["Plan"])
        scans = [n for n in nodes if n.get("Relation Name")]
        assert [n["Relation Name"] for n in scans] == ["rollup_item_periods"], scans
        assert scans[0]["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan"), scans
        assert scans[0]["Actual Rows"] == 32 and scans[0].get("Rows Removed by Filter", 0) == 0, scans
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {SELECT_ORG_VISITS}", world.a.id,
                                  "fuel-attendant", "month", month)
        assert [n["Relation Name"] for n in _nodes(json.loads(raw)[0]["Plan"]) if n.get("Relation Name")] == [
            "rollup_branch_periods"]
        for kind, start in (("month", month), ("week", date(2019, 1, 7) + timedelta(weeks=17))):
            want = sorted(tuple(r) for r in await conn.fetch(SELECT_ITEMS, world.a.id, "fuel-attendant", kind, start,
                                                              None, None))
            got = sorted(tuple(r) for r in await conn.fetch(SELECT_ORG_ITEMS, world.a.id, "fuel-attendant", kind,
                                                             start))
            assert got == want and len(got) == 8
        assert await conn.fetchval(SELECT_ORG_VISITS, world.a.id, "fuel-attendant", "month", month) == \
            await conn.fetchval(SELECT_VISITS, world.a.id, "fuel-attendant", "month", month, None, None) == 12
    headers = await login_as(client, world.a.admin)
    org = await client.get("/rankings/weakness", params={"form_key": "fuel-attendant", "period": "month",
                                                         "on": "2026-05-15"}, headers=headers)
    assert org.status_code == 200, org.text
    body = org.json()
    assert body["scope"] == "org" and body["visits"] == 12
    by_item = {i["item_key"]: i for i in body["items"]}
    assert by_item["item-3"]["applicable"] == 4 * 13 and by_item["item-3"]["failures"] == 4 * 3
    region = await client.get("/rankings/weakness", params={"form_key": "fuel-attendant", "period": "month",
                                                            "on": "2026-05-15", "region_id": str(world.a.r1)},
                              headers=headers)
    assert region.status_code == 200 and region.json()["visits"] == 6
    assert {i["item_key"]: i["applicable"] for i in region.json()["items"]}["item-3"] == 2 * 13


GENERIC_PLANS = "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1"


async def test_overdue_list_is_planned_for_its_parameters_every_time(world: World, db) -> None:
    """After five runs of a prepared statement PostgreSQL may switch to one generic plan; for this list's
    optional filters it reads and sorts every overdue action (150 ms at 1M submissions against 5 ms).
    queries.actions plans each call for its parameters: many calls on one connection, no generic plan."""
    async with db.acquire() as conn:
        await _arrange_actions(conn, world)
        filters = ListFilters(overdue_only=True)
        before = await conn.fetchrow(GENERIC_PLANS, SELECT_OVERDUE)  # other tests may have run it here
        generic, custom = (before["generic_plans"], before["custom_plans"]) if before else (0, 0)
        for _ in range(12):
            rows = await actions(conn, world.a.id, world.a.admin.id, "admin", filters, 200, 0)
        assert len(rows) == 200
        after = await conn.fetchrow(GENERIC_PLANS, SELECT_OVERDUE)
        assert after is not None and after["custom_plans"] - custom >= 12, after
        assert after["generic_plans"] - generic == 0, after
