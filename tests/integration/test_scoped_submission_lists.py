"""A scoped caller's GET /submissions reads about a page of rows (issue #20, migration 0050).

A branch manager, a regional lead or a regional reviewer sees a set of branches: the list merges one
keyset range per visible branch (SELECT_BRANCH_SET_SUMMARIES); an inspector's own list is one range
(SELECT_OWN_SUMMARIES). Both must answer exactly what the org-wide statement (SELECT_SUMMARIES, whose
SCOPE is the definition of who sees what) answers, for every filter, cursor and offset."""

from __future__ import annotations

import json
from datetime import date

import asyncpg
import pytest

from inspect_api.paging import FIRST_DAY, LAST_UUID, Keyset
from inspect_api.submissions.queries import (
    SELECT_BRANCH_SET_SUMMARIES,
    SELECT_OWN_SUMMARIES,
    SELECT_SUMMARIES,
    summaries_statement,
)
from tests.integration.factories import World, login_as
from tests.integration.plans import index_parents, parent_index, scans_of

pytestmark = pytest.mark.asyncio

# Rows over the four branches of org a, most at b21/b22 (outside the manager's and the lead's scope),
# statuses mixed (released rows carry released_at), two inspectors, two forms, many rows per date.
INSERT_ROWS = """
INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status, current_revision,
                         passed, visited_on, released_at)
SELECT $1, (ARRAY[$2, $3, $4, $4, $5, $5, $4, $5, $4, $5]::uuid[])[1 + g % 10],
       CASE WHEN g % 7 = 0 THEN $7::uuid ELSE $6::uuid END,
       CASE WHEN g % 3 = 0 THEN $9::uuid ELSE $8::uuid END, 'adhoc',
       CASE WHEN g % 4 = 0 THEN 'submitted' ELSE 'released' END, 1, g % 2 = 0,
       date '2026-06-01' - (g % 400),
       CASE WHEN g % 4 = 0 THEN NULL ELSE now() END
FROM generate_series(1, $10) g
"""
ROWS = 8000
# A manager's or lead's ranges (released rows only) may be read from either index led by the branch.
BRANCH_INDEXES = ("submissions_org_branch_visited_id_idx", "submissions_released_series_idx")


async def _fill(db: asyncpg.Pool, world: World, rows: int = ROWS) -> None:
    a = world.a
    await db.execute("SELECT ensure_submission_partitions(date '2026-06-01' - 400, date '2026-06-01')")
    await db.execute(INSERT_ROWS, a.id, a.b11, a.b12, a.b21, a.b22, world.form_version_id, a.own_form_version_id,
                     a.inspector.id, a.inspector2.id, rows)
    await db.execute("ANALYZE")  # all tables: stale statistics of earlier tests change the plan


async def _form_keys(db: asyncpg.Pool, world: World) -> list[str]:
    rows = await db.fetch("SELECT f.key FROM form_versions fv JOIN forms f ON f.id = fv.form_id WHERE fv.id = ANY($1)",
                          [world.form_version_id, world.a.own_form_version_id])
    return sorted({r["key"] for r in rows})


def _submission_scans(plan: dict) -> list[dict]:
    return scans_of(plan, "submissions")


def _rows_read(scans: list[dict]) -> int:
    """Rows the submissions scans produced or threw away, over all their loops."""
    return sum((n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"] for n in scans)


async def test_statement_picked_by_scope_shape() -> None:
    assert summaries_statement("admin") is SELECT_SUMMARIES
    assert summaries_statement("reviewer", reviews_whole_org=True) is SELECT_SUMMARIES
    assert summaries_statement("reviewer") is SELECT_BRANCH_SET_SUMMARIES
    assert summaries_statement("branch_manager") is SELECT_BRANCH_SET_SUMMARIES
    assert summaries_statement("regional_lead") is SELECT_BRANCH_SET_SUMMARIES
    assert summaries_statement("inspector") is SELECT_OWN_SUMMARIES


async def test_scoped_statements_answer_what_the_org_statement_answers(world: World, db) -> None:
    """Same rows, same order, for every role, filter, cursor and offset (SELECT_SUMMARIES is the reference)."""
    await _fill(db, world, 3000)
    a = world.a
    keys = await _form_keys(db, world)
    callers = [(a.manager, False), (a.lead, False), (a.reviewer, False), (a.reviewer, True),
               (a.inspector, False), (a.inspector2, False), (a.admin, False)]
    filters = [
        (None, None, None, None, None),
        (a.b11, None, None, None, None),
        (a.b12, "released", None, None, None),
        (a.b21, None, None, None, None),  # outside the manager's and the lead's scope: nothing
        (None, "submitted", None, None, None),
        (None, None, keys[0], None, None),
        (None, None, keys[-1], date(2026, 1, 1), date(2026, 3, 31)),
        (None, None, None, date(2025, 12, 1), None),
        (None, "released", None, None, date(2025, 9, 1)),
    ]
    deep = await db.fetchrow("SELECT visited_on, id FROM submissions WHERE org_id = $1 "
                             "ORDER BY visited_on DESC, id DESC OFFSET 1500 LIMIT 1", a.id)
    starts = [(FIRST_DAY, LAST_UUID), (deep["visited_on"], deep["id"])]
    compared = nonempty = 0
    async with db.acquire() as conn:
        for user, whole_org in callers:
            statement = summaries_statement(user.role, reviews_whole_org=whole_org)
            for branch, status, form, date_from, date_to in filters:
                for start in starts:
                    for limit, offset in ((26, 0), (11, 0), (11, 7)) if start[0] == FIRST_DAY else ((26, 0),):
                        args = (a.id, user.id, user.role, branch, status, form, date_from, date_to, limit, offset,
                                *start, user.role in ("admin", "reviewer"))
                        want = [dict(r) for r in await conn.fetch(SELECT_SUMMARIES, *args)]
                        got = [dict(r) for r in await conn.fetch(statement, *args)]
                        assert got == want, (user.role, branch, status, form, date_from, date_to, start, offset)
                        compared += 1
                        nonempty += bool(want)
    assert compared == 7 * 9 * 4 and nonempty > compared // 2  # the comparison is not of empty lists


async def test_manager_and_lead_page_through_http_in_order(client, world: World, db) -> None:
    await _fill(db, world, 800)
    a = world.a
    for user, branches in ((a.manager, [a.b11]), (a.lead, [a.b11, a.b12])):
        headers = await login_as(client, user)
        rows = await db.fetch("SELECT id FROM submissions WHERE org_id = $1 AND branch_id = ANY($2) "
                              "AND status = 'released' ORDER BY visited_on DESC, id DESC", a.id, branches)
        seen, cursor = [], None
        while True:
            page = await client.get("/submissions", params={"limit": 13, **({"after": cursor} if cursor else {})},
                                    headers=headers)
            assert page.status_code == 200, page.text
            seen += [row["id"] for row in page.json()]
            cursor = page.headers.get("Next-Cursor")
            if not cursor:
                break
        assert seen == [str(r["id"]) for r in rows] and len(seen) > 13 * 2
        # A cursor of another list is still refused.
        bad = await client.get("/submissions", params={"after": Keyset("visits", date).encode(date.today(), LAST_UUID)},
                               headers=headers)
        assert bad.status_code == 400 and [e["field"] for e in bad.json()["errors"]] == ["after"]


async def test_scoped_deep_page_reads_about_a_page(world: World, db) -> None:
    """A manager's (1 branch), a lead's (2 branches) and an inspector's deep page: each submissions scan is
    a backward range scan from the cursor, and all of them read about a page per branch, not the org."""
    await _fill(db, world)
    a = world.a
    org_rows = await db.fetchval("SELECT count(*) FROM submissions WHERE org_id = $1", a.id)
    cases = [
        (a.manager, [a.b11], SELECT_BRANCH_SET_SUMMARIES, BRANCH_INDEXES, 1),
        (a.lead, [a.b11, a.b12], SELECT_BRANCH_SET_SUMMARIES, BRANCH_INDEXES, 2),
        (a.reviewer, [a.b11, a.b12], SELECT_BRANCH_SET_SUMMARIES, ("submissions_org_branch_visited_id_idx",), 2),
        (a.inspector2, None, SELECT_OWN_SUMMARIES, ("submissions_org_inspector_visited_id_idx",), 1),
    ]
    async with db.acquire() as conn:
        parents = await index_parents(conn)
        for user, branches, statement, indexes, ranges in cases:
            if branches:
                released = "" if user.role == "reviewer" else "AND status = 'released' "
                deep = await conn.fetchrow("SELECT visited_on, id FROM submissions WHERE org_id = $1 AND "
                                           f"branch_id = ANY($2) {released}"
                                           "ORDER BY visited_on DESC, id DESC OFFSET 200 LIMIT 1", a.id, branches)
            else:
                deep = await conn.fetchrow("SELECT visited_on, id FROM submissions WHERE org_id = $1 AND "
                                           "inspector_id = $2 ORDER BY visited_on DESC, id DESC OFFSET 200 LIMIT 1",
                                           a.id, user.id)
            assert deep is not None
            for start in ((deep["visited_on"], deep["id"]), (FIRST_DAY, LAST_UUID)):
                args = (a.id, user.id, user.role, None, None, None, None, None, 26, 0, *start, user.role == "reviewer")
                raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", *args)
                scans = _submission_scans(json.loads(raw)[0]["Plan"])
                assert len(scans) >= 14, scans  # one per month (migrations/0052) and the DEFAULT partition
                for scan in scans:
                    assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), scan
                    # In a month of a few hundred rows the planner may walk the org's index of that month
                    # instead: fine while it reads no more than a page there (the bound below holds).
                    assert (parent_index(parents, scan) in indexes
                            or _rows_read([scan]) <= ranges * 26 * 2), (scan["Relation Name"], scan["Index Name"])
                    assert scan["Scan Direction"] == "Backward", scan
                    # The range starts at the cursor: (visited_on, id) < cursor in the index condition, or
                    # (on the released rows' partial index, which has no id) visited_on <= the cursor's
                    # date there and the ids of that date sorted above it (Incremental Sort).
                    cond = scan["Index Cond"].replace("(s.", "(").replace(" s.", " ")
                    if start[0] != FIRST_DAY:  # (asyncpg sends FIRST_DAY as 'infinity')
                        assert ("ROW(visited_on, id) <" in cond
                                or f"visited_on <= '{start[0].isoformat()}'" in cond), cond
                    assert scan["Actual Loops"] in (0, ranges), scan
                # About a page per range (the unreleased rows among them filtered), never the org's rows;
                # a Merge Append over the months also reads the first row of each month per range.
                assert _rows_read(scans) <= ranges * (26 * 2 + len(scans)), scans
                assert org_rows > 50 * _rows_read(scans)
                # And the page is the one the org-wide statement answers.
                want = await conn.fetch(SELECT_SUMMARIES, *args)
                assert [r["id"] for r in await conn.fetch(statement, *args)] == [r["id"] for r in want]
                assert len(want) == 26


async def test_org_statement_walks_the_org_for_a_manager(world: World, db) -> None:
    """Why the scoped statement exists: the org-wide one, for the same manager page, reads rows of
    other branches and filters them out (this fails if SELECT_SUMMARIES ever stops doing so, and then
    the scoped statement may no longer be needed)."""
    await _fill(db, world)
    a = world.a
    deep = await db.fetchrow("SELECT visited_on, id FROM submissions WHERE org_id = $1 AND branch_id = $2 "
                             "AND status = 'released' ORDER BY visited_on DESC, id DESC OFFSET 200 LIMIT 1",
                             a.id, a.b11)
    args = (a.id, a.manager.id, "branch_manager", None, None, None, None, None, 26, 0, deep["visited_on"],
            deep["id"], False)
    async with db.acquire() as conn:
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {SELECT_SUMMARIES}", *args)
        old = _rows_read(_submission_scans(json.loads(raw)[0]["Plan"]))
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {SELECT_BRANCH_SET_SUMMARIES}", *args)
        new = _rows_read(_submission_scans(json.loads(raw)[0]["Plan"]))
    assert new * 4 < old, (new, old)  # b11 holds a tenth of the org: the old statement reads ~10 pages
