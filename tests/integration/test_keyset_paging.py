"""Keyset paging of growing lists (issue #20, inspect_api/paging.py): `?after=` and the Next-Cursor header.

Rows are arranged in SQL (many per visit date, so ties on the date are ordered by id); pages are read
through HTTP as the admin."""

from __future__ import annotations

import json
from datetime import date, timedelta
from uuid import UUID

import asyncpg
import pytest

from inspect_api.paging import FIRST_DAY, LAST_UUID, Keyset
from inspect_api.submissions.partitions import is_partition_of
from inspect_api.submissions.queries import SELECT_SUMMARIES
from tests.integration.factories import World, login_as

pytestmark = pytest.mark.asyncio

INSERT_SUBMISSIONS = """
INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status, current_revision,
                         passed, visited_on)
SELECT $1, $2, $3, $4, 'adhoc', 'submitted', 1, false, $5::date - (g % $7)
FROM generate_series(1, $6) g
RETURNING id
"""


async def add_rows(pool: asyncpg.Pool, world: World, count: int, *, newest: date, days: int = 5) -> list[UUID]:
    rows = await pool.fetch(INSERT_SUBMISSIONS, world.a.id, world.a.b11, world.form_version_id,
                            world.a.inspector.id, newest, count, days)
    return [r["id"] for r in rows]


async def expected_order(pool: asyncpg.Pool, org_id: UUID) -> list[str]:
    rows = await pool.fetch("SELECT id FROM submissions WHERE org_id = $1 ORDER BY visited_on DESC, id DESC", org_id)
    return [str(r["id"]) for r in rows]


async def test_paging_returns_every_row_once_in_order_with_inserts_between_pages(client, world: World, db) -> None:
    headers = await login_as(client, world.a.admin)
    today = date.today()
    await add_rows(db, world, 47, newest=today - timedelta(days=10))
    first = await client.get("/submissions", params={"limit": 10}, headers=headers)
    assert first.status_code == 200, first.text
    seen = [row["id"] for row in first.json()]
    cursor = first.headers["Next-Cursor"]
    assert first.headers["Link"].startswith("</submissions?") and 'rel="next"' in first.headers["Link"]
    # Between pages: rows newer than the cursor (they belong before it: never shown, nothing shifts) and
    # older ones (they belong after it: shown once, in order).
    await add_rows(db, world, 5, newest=today)
    late = await add_rows(db, world, 6, newest=today - timedelta(days=30), days=3)
    pages = 1
    while cursor:
        page = await client.get("/submissions", params={"limit": 10, "after": cursor}, headers=headers)
        assert page.status_code == 200, page.text
        seen += [row["id"] for row in page.json()]
        cursor = page.headers.get("Next-Cursor")
        pages += 1
    order = await expected_order(db, world.a.id)
    newer = order[:5]
    assert seen == [i for i in order if i not in newer]  # every other row exactly once, in the list's order
    assert len(seen) == len(set(seen)) == 47 + 6 and {str(i) for i in late} <= set(seen)
    assert pages == 6  # 53 rows by 10: the last page has 3 and no Next-Cursor


async def test_cursor_keeps_filters_and_offset_still_pages(client, world: World, db) -> None:
    headers = await login_as(client, world.a.admin)
    await add_rows(db, world, 12, newest=date.today() - timedelta(days=3))
    order = await expected_order(db, world.a.id)
    by_offset = await client.get("/submissions", params={"limit": 5, "offset": 5}, headers=headers)
    assert [r["id"] for r in by_offset.json()] == order[5:10]
    assert "after=" in by_offset.headers["Link"] and "offset" not in by_offset.headers["Link"]
    last = await client.get("/submissions", params={"limit": 50}, headers=headers)
    assert "Next-Cursor" not in last.headers and "Link" not in last.headers


@pytest.mark.parametrize("after", ["nonsense", "djF8c3VibWlzc2lvbnN8bm90LWEtZGF0ZXx4", "", "%%%",
                                   Keyset("visits", date).encode(date(2026, 1, 1), LAST_UUID)])
async def test_bad_cursor_is_400_naming_after(client, world: World, after: str) -> None:
    headers = await login_as(client, world.a.admin)
    response = await client.get("/submissions", params={"after": after}, headers=headers)
    assert response.status_code == 400, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["after"]


async def test_after_with_offset_is_400_naming_offset(client, world: World) -> None:
    headers = await login_as(client, world.a.admin)
    cursor = Keyset("submissions", date).encode(date(2026, 1, 1), LAST_UUID)
    response = await client.get("/submissions", params={"after": cursor, "offset": 3}, headers=headers)
    assert response.status_code == 400, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["offset"]


async def test_visits_page_by_cursor(client, world: World, db) -> None:
    headers = await login_as(client, world.a.admin)
    for days in range(1, 8):
        await db.execute(
            """INSERT INTO visits (org_id, branch_id, form_version_id, inspector_id, mode, window_start,
                                   window_end, created_by)
               SELECT $1, $2, $3, $4, 'announced', now() + make_interval(days => $5), now() + make_interval(days => $5, hours => 2), $6
               FROM generate_series(1, 3)""",
            world.a.id, world.a.b11, world.form_version_id, world.a.inspector.id, days, world.a.admin.id)
    seen, cursor = [], None
    while True:
        page = await client.get("/visits", params={"limit": 4, **({"after": cursor} if cursor else {})},
                                headers=headers)
        assert page.status_code == 200, page.text
        seen += [v["id"] for v in page.json()]
        cursor = page.headers.get("Next-Cursor")
        if not cursor:
            break
    rows = await db.fetch("SELECT id FROM visits WHERE org_id = $1 ORDER BY window_start DESC, id DESC", world.a.id)
    assert seen == [str(r["id"]) for r in rows]
    bad = await client.get("/visits", params={"after": Keyset("submissions", date).encode(date.today(), LAST_UUID)},
                           headers=headers)
    assert bad.status_code == 400 and [e["field"] for e in bad.json()["errors"]] == ["after"]


def _nodes(plan: dict) -> list[dict]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _nodes(child))]


async def test_deep_page_is_an_index_range_scan(world: World, db) -> None:
    """A page 20,000 rows deep reads the index from the cursor on: no offset, a range condition, in
    each month's partition (migrations/0052) from the cursor's month back, stopping after the page."""
    await db.execute("SELECT ensure_submission_partitions(date '2026-06-01' - 700, date '2026-06-01')")
    await db.execute(
        """INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status, current_revision,
                                    passed, visited_on)
           SELECT $1, $2, $3, $4, 'adhoc', 'submitted', 1, false, date '2026-06-01' - (g % 700)
           FROM generate_series(1, 30000) g""",
        world.a.id, world.a.b11, world.form_version_id, world.a.inspector.id)
    await db.execute("ANALYZE")  # all tables: stale statistics of earlier tests change the plan
    deep = await db.fetchrow("SELECT visited_on, id FROM submissions WHERE org_id = $1 "
                             "ORDER BY visited_on DESC, id DESC OFFSET 20000 LIMIT 1", world.a.id)
    async with db.acquire() as conn:
        for start in ((deep["visited_on"], deep["id"]), (FIRST_DAY, LAST_UUID)):
            raw = await conn.fetchval(
                f"EXPLAIN (ANALYZE, FORMAT JSON) {SELECT_SUMMARIES}", world.a.id, world.a.admin.id, "admin",
                None, None, None, None, None, 51, 0, *start, True)  # True: with integrity, as QA's queue
            plan = json.loads(raw)[0]["Plan"]
            scans = [n for n in _nodes(plan) if is_partition_of("submissions", n.get("Relation Name"))]
            assert len(scans) >= 24, scans  # one per month and the DEFAULT partition
            for scan in scans:
                assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), scan
                assert scan["Index Name"].endswith("org_id_visited_on_id_idx"), scan
                assert scan["Scan Direction"] == "Backward"
                assert "ROW(visited_on, id) <" in scan["Index Cond"].replace("(s.", "(").replace(" s.", " ")
            # The scans stop after the page: they never read the 20,000 rows before the cursor. The
            # DEFAULT partition rules out an ordered Append, so a Merge Append reads the first row of
            # every month too: bounded by the months kept (retention), not by the rows.
            read = [(n["Relation Name"], n["Actual Rows"] * n.get("Actual Loops", 1)) for n in scans]
            assert sum(rows for _, rows in read) <= 51 + len(scans), read


async def test_actions_page_by_cursor_in_their_order(client, world: World, db) -> None:
    headers = await login_as(client, world.a.admin)
    async with db.acquire() as conn:
        submission = await conn.fetchval(
            """INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status,
                                        current_revision, passed, visited_on, released_at)
               VALUES ($1, $2, $3, $4, 'adhoc', 'released', 1, false, current_date, now()) RETURNING id""",
            world.a.id, world.a.b11, world.form_version_id, world.a.inspector.id)
        revision = await conn.fetchval(
            """INSERT INTO submission_revisions (org_id, submission_id, revision, client_id, request_hash, answers,
                                                 score_card, started_at, finished_at, proof, visited_on)
               SELECT $1, $2, 1, gen_random_uuid(), 'h', '[]', '{}', now(), now(), '{}', visited_on
               FROM submissions WHERE id = $2 RETURNING id""",
            world.a.id, submission)
        await conn.execute(
            """INSERT INTO actions (org_id, branch_id, submission_id, revision_id, form_key, item_key, title_zh,
                                    title_en, priority, evidence_required, due_on)
               SELECT $1, $2, $3, $4, 'f', 'item-' || g, '标题', 'Title',
                      (ARRAY['urgent', 'high', 'normal', 'low'])[1 + g % 4], false, current_date + (g % 3)
               FROM generate_series(1, 23) g""",
            world.a.id, world.a.b11, submission, revision)
    seen, cursor, pages = [], None, 0
    while True:
        page = await client.get("/actions", params={"limit": 5, **({"after": cursor} if cursor else {})},
                                headers=headers)
        assert page.status_code == 200, page.text
        seen += [a["id"] for a in page.json()]
        pages += 1
        cursor = page.headers.get("Next-Cursor")
        if not cursor:
            break
    rows = await db.fetch(
        "SELECT id FROM actions WHERE org_id = $1 ORDER BY due_on, "
        "array_position(ARRAY['urgent', 'high', 'normal', 'low'], priority), created_at, id", world.a.id)
    assert seen == [str(r["id"]) for r in rows] and len(seen) == 23 and pages == 5
    by_offset = await client.get("/actions", params={"limit": 5, "offset": 5}, headers=headers)
    assert [a["id"] for a in by_offset.json()] == seen[5:10]
    bad = await client.get("/actions", params={"after": Keyset("submissions", date).encode(date.today(), LAST_UUID)},
                           headers=headers)
    assert bad.status_code == 400 and [e["field"] for e in bad.json()["errors"]] == ["after"]


def _nodes_outside_subplans(plan: dict) -> list[dict]:
    return [plan, *(n for child in plan.get("Plans", []) if child.get("Parent Relationship") != "SubPlan"
                    for n in _nodes_outside_subplans(child))]


async def test_deep_actions_page_is_an_index_range_scan(world: World, db) -> None:
    """GET /actions' statement, 20,000 actions deep: a forward range scan of actions_org_due_idx from the
    cursor on, reading about a page of actions (the table is never read whole, nothing is sorted)."""
    from inspect_api.actions.queries import ACTIONS_START, PRIORITY_RANK, SELECT_ACTIONS

    async with db.acquire() as conn:
        submission = await conn.fetchval(
            """INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status,
                                        current_revision, passed, visited_on, released_at)
               VALUES ($1, $2, $3, $4, 'adhoc', 'released', 1, false, current_date, now()) RETURNING id""",
            world.a.id, world.a.b11, world.form_version_id, world.a.inspector.id)
        revision = await conn.fetchval(
            """INSERT INTO submission_revisions (org_id, submission_id, revision, client_id, request_hash, answers,
                                                 score_card, started_at, finished_at, proof, visited_on)
               SELECT $1, $2, 1, gen_random_uuid(), 'h', '[]', '{}', now(), now(), '{}', visited_on
               FROM submissions WHERE id = $2 RETURNING id""",
            world.a.id, submission)
        await conn.execute(
            """INSERT INTO actions (org_id, branch_id, submission_id, revision_id, form_key, item_key, title_zh,
                                    title_en, priority, evidence_required, due_on)
               SELECT $1, $2, $3, $4, 'f', 'item-' || g, '标题', 'Title',
                      (ARRAY['urgent', 'high', 'normal', 'low'])[1 + g % 4], false, date '2026-01-01' + (g % 400)
               FROM generate_series(1, 30000) g""",
            world.a.id, world.a.b11, submission, revision)
        await conn.execute("ANALYZE")  # all tables: stale statistics of earlier tests change the plan
        deep = await conn.fetchrow(
            "SELECT due_on, priority, created_at, id FROM actions WHERE org_id = $1 ORDER BY due_on, "
            "array_position(ARRAY['urgent', 'high', 'normal', 'low'], priority), created_at, id "
            "OFFSET 20000 LIMIT 1", world.a.id)
        cursor = (deep["due_on"], PRIORITY_RANK[deep["priority"]], deep["created_at"], deep["id"])
        for start in (cursor, ACTIONS_START):
            raw = await conn.fetchval(
                f"EXPLAIN (ANALYZE, FORMAT JSON) {SELECT_ACTIONS}", world.a.id, world.a.admin.id, "admin",
                None, None, None, None, False, False, 51, 0, *start)
            plan = json.loads(raw)[0]["Plan"]
            nodes = _nodes(plan)
            scans = [n for n in nodes if n.get("Relation Name") == "actions"]
            assert len(scans) == 1, scans
            scan = scans[0]
            assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), scan
            assert scan["Index Name"] == "actions_org_due_idx", scan
            assert scan["Scan Direction"] == "Forward"
            assert "ROW(" in scan["Index Cond"] and ") >" in scan["Index Cond"], scan["Index Cond"]
            # No sort of the list (the per-row assignees subquery sorts its few managers: not the list).
            listed = _nodes_outside_subplans(plan)
            assert not [n for n in listed if n["Node Type"] in ("Sort", "Incremental Sort")], plan
            # The scan stops after the page: it never reads the 20,000 actions before the cursor.
            assert scan["Actual Rows"] <= 51 and scan.get("Rows Removed by Filter", 0) == 0, scan
