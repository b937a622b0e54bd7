"""The appeals list reads each appeal's submission and revisions from their one month partition (#20).

Since migrations/0052 a join to submissions or submission_revisions by id alone probes every month
partition's index for each row (28 at two years of data). EXPLAIN (ANALYZE) of the statement itself, on
appeals of submissions spread over a year of months, arranged in SQL."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Final

import asyncpg
import pytest

from inspect_api.appeals.queries import (
    _COLUMNS,
    LOCK_APPEAL,
    SCOPE,
    SELECT_APPEAL,
    SELECT_APPEALS,
    SELECT_DISPUTED_CARD,
    SELECT_TARGET,
)
from inspect_api.submissions.partitions import ensure_months, first_of_month
from tests.integration.factories import World
from tests.integration.plans import scans_of
from tests.integration.test_overdue_weakness_plans import SPREAD_SUBMISSIONS

pytestmark = pytest.mark.asyncio

CARD = """jsonb_build_object('total_percent', {total}, 'passed', {passed},
                             'items', jsonb_build_array(jsonb_build_object('key', 'p1', 'status', {status})))"""
# Revision 1 of each submission; a revision 2 (the correction) of every third.
SPREAD_REVISIONS = f"""
INSERT INTO submission_revisions (org_id, submission_id, revision, client_id, request_hash, answers, score_card,
                                  started_at, finished_at, proof, visited_on)
SELECT org_id, id, 1, gen_random_uuid(), 'h', '[]'::jsonb, {CARD.format(total=60.0, passed='false', status="'fail'")},
       now(), now(), '{{}}'::jsonb, visited_on
FROM submissions WHERE org_id = $1
UNION ALL
SELECT org_id, id, 2, gen_random_uuid(), 'h', '[]'::jsonb, {CARD.format(total=90.0, passed='true', status="'pass'")},
       now(), now(), '{{}}'::jsonb, visited_on
FROM submissions WHERE org_id = $1 AND get_byte(uuid_send(id), 15) % 3 = 0
"""
# One appeal per submission, opened a minute apart in an order unrelated to the visit (so a page spans
# months): accepted (corrected by revision 2) where there is one, else rejected or open.
SPREAD_APPEALS = """
INSERT INTO appeals (org_id, submission_id, branch_id, item_key, status, reason, opened_by, opened_at,
                     disputed_revision, decided_by, decided_at, decision_reason, corrected_revision)
SELECT s.org_id, s.id, s.branch_id, CASE WHEN n % 2 = 0 THEN 'p1' END, x.status, 'the reason', $2,
       now() - n * interval '1 minute', 1,
       CASE WHEN x.status <> 'open' THEN $3::uuid END, CASE WHEN x.status <> 'open' THEN now() END,
       CASE WHEN x.status = 'rejected' THEN 'no' END, CASE WHEN x.status = 'accepted' THEN 2 END
FROM (SELECT s.*, row_number() OVER (ORDER BY s.id) AS n FROM submissions s WHERE s.org_id = $1) s
CROSS JOIN LATERAL (SELECT CASE WHEN EXISTS (SELECT 1 FROM submission_revisions r
                                             WHERE r.submission_id = s.id AND r.revision = 2) THEN 'accepted'
                                WHEN s.n % 2 = 0 THEN 'rejected' ELSE 'open' END AS status) x
"""


async def _spread(conn: asyncpg.Connection, world: World) -> None:
    today = date.today()
    await ensure_months(conn, first_of_month(today, -13), today)
    await conn.execute(SPREAD_SUBMISSIONS, world.a.id, world.a.b11, world.form_version_id, world.a.inspector.id)
    await conn.execute(SPREAD_REVISIONS, world.a.id)
    await conn.execute(SPREAD_APPEALS, world.a.id, world.a.manager.id, world.a.admin.id)
    await conn.execute("ANALYZE")


async def test_appeals_list_reads_each_submission_and_revision_from_its_own_month(world: World, db) -> None:
    """600 appeals of submissions spread over a year of month partitions (migrations/0052): a page reads
    each row's submission and its disputed and corrected revisions from the one month its key row names
    (pruned at run time), at most one lookup per row each, not from every month's index."""
    async with db.acquire() as conn:
        await _spread(conn, world)
        statuses = {r["status"] for r in await conn.fetch("SELECT DISTINCT status FROM appeals")}
        assert statuses == {"open", "accepted", "rejected"}
        for role, user in (("admin", world.a.admin), ("branch_manager", world.a.manager)):
            args = (world.a.id, user.id, role, None, None, None, 50, 0)
            read = await conn.fetch(SELECT_APPEALS, *args)
            assert len(read) == 50
            assert any(r["corrected_revision"] for r in read) and not all(r["corrected_revision"] for r in read)
            assert all(r["disputed_total"] == 60.0 and r["disputed_item_status"] == (r["item_key"] and "fail")
                       for r in read)
            assert all(r["corrected_total"] == 90.0 and r["corrected_item_status"] == (r["item_key"] and "pass")
                       for r in read if r["corrected_revision"])
            month_names = {f"{r['visited_on']:%Y_%m}" for r in read}
            assert len(month_names) > 1  # the rows read span several months
            raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {SELECT_APPEALS}", *args)
            plan = json.loads(raw)[0]["Plan"]
            # Only the months of the page's rows are read, one lookup per row read for its submission (s), its
            # disputed revision (dr) and its corrected one (cr: looked up for every row, found for some).
            for alias, table in (("s", "submissions"), ("dr", "submission_revisions"), ("cr", "submission_revisions")):
                months = [m for m in scans_of(plan, table)
                          if m["Actual Loops"] > 0 and m.get("Alias", "").rstrip("0123456789").rstrip("_") == alias]
                ran = [(m["Relation Name"], m["Node Type"], m["Actual Loops"]) for m in months]
                assert months, alias
                assert {m["Relation Name"] for m in months} <= {f"{table}_m{n}" for n in month_names}, ran
                if alias != "cr":
                    assert {m["Relation Name"] for m in months} == {f"{table}_m{n}" for n in month_names}, ran
                assert sum(m["Actual Loops"] for m in months) <= 50, (alias, ran)


# The statements as they were before they went through submission_keys (the same rows, in the same order).
_BY_ID: Final = """
FROM appeals a
JOIN submissions s ON s.id = a.submission_id AND s.org_id = a.org_id
JOIN branches b ON b.org_id = a.org_id AND b.id = a.branch_id
JOIN form_versions fv ON fv.id = s.form_version_id
JOIN forms f ON f.id = fv.form_id
JOIN users ou ON ou.org_id = a.org_id AND ou.id = a.opened_by
LEFT JOIN users du ON du.org_id = a.org_id AND du.id = a.decided_by
JOIN submission_revisions dr ON dr.submission_id = a.submission_id AND dr.revision = a.disputed_revision
LEFT JOIN submission_revisions cr ON cr.submission_id = a.submission_id AND cr.revision = a.corrected_revision
"""
BEFORE: Final = {
    SELECT_APPEAL: f"SELECT {_COLUMNS} {_BY_ID} WHERE a.id = $4 AND {SCOPE}",
    SELECT_APPEALS: f"""
SELECT {_COLUMNS} {_BY_ID}
WHERE {SCOPE}
  AND ($4::text IS NULL OR a.status = $4)
  AND ($5::uuid IS NULL OR a.branch_id = $5)
  AND ($6::uuid IS NULL OR a.submission_id = $6)
ORDER BY a.opened_at DESC, a.id
LIMIT $7 OFFSET $8
""",
    SELECT_DISPUTED_CARD: f"SELECT dr.score_card {_BY_ID} WHERE a.id = $4 AND {SCOPE}",
    SELECT_TARGET: """
SELECT s.id, s.branch_id, s.current_revision, r.score_card
FROM submissions s
JOIN submission_revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
WHERE s.org_id = $1 AND s.id = $4 AND s.status = 'released'
  AND s.branch_id IN (SELECT visible_branch_ids($1, $2, $3))
""",
    LOCK_APPEAL: """
SELECT a.id, a.submission_id, a.branch_id, a.item_key, a.status
FROM appeals a JOIN submissions s ON s.id = a.submission_id
WHERE a.id = $4 AND a.org_id = $1 AND a.branch_id IN (SELECT visible_branch_ids($1, $2, $3))
FOR UPDATE OF a
""",
}


async def test_appeal_statements_return_what_they_did_before(world: World, db) -> None:
    """Every appeals statement that reads a submission or revision gives the rows the by-id joins gave:
    each role, the list's filters and pages, branches in and out of scope, unreleased results, corrected
    ones (current revision 2), another org's and unknown ids."""
    async with db.acquire() as conn:
        await _spread(conn, world)
        picked = await conn.fetch("SELECT id, submission_id FROM appeals WHERE org_id = $1 ORDER BY id LIMIT 60",
                                  world.a.id)
        moved = [r["submission_id"] for r in picked[:20]]
        await conn.execute("UPDATE submissions SET branch_id = $2 WHERE id = ANY($1)", moved[:10], world.a.b21)
        await conn.execute("UPDATE appeals SET branch_id = $2 WHERE submission_id = ANY($1)", moved[:10],
                           world.a.b21)
        await conn.execute("UPDATE submissions SET status = 'approved', released_at = NULL WHERE id = ANY($1)",
                           moved[10:])
        await conn.execute("UPDATE submissions s SET current_revision = 2 WHERE org_id = $1 AND EXISTS "
                           "(SELECT 1 FROM submission_revisions r WHERE r.submission_id = s.id AND r.revision = 2)",
                           world.a.id)
        appeal_ids = [r["id"] for r in picked] + [uuid.uuid4()]
        submission_ids = [r["submission_id"] for r in picked] + [uuid.uuid4()]
        compared = 0
        async with conn.transaction():  # LOCK_APPEAL takes row locks
            for org in (world.a, world.b):
                for role in ("admin", "regional_lead", "branch_manager", "reviewer", "inspector"):
                    user = org.user(role).id
                    for filters in ((None, None, None), ("open", None, None), ("accepted", None, None),
                                    (None, world.a.b21, None), (None, None, picked[0]["submission_id"])):
                        for limit, offset in ((50, 0), (50, 100), (700, 0)):
                            args = (world.a.id, user, role, *filters, limit, offset)
                            want = [tuple(r) for r in await conn.fetch(BEFORE[SELECT_APPEALS], *args)]
                            assert [tuple(r) for r in await conn.fetch(SELECT_APPEALS, *args)] == want, args
                            compared += len(want)
                    for statement, ids in ((SELECT_APPEAL, appeal_ids), (SELECT_DISPUTED_CARD, appeal_ids),
                                           (SELECT_TARGET, submission_ids), (LOCK_APPEAL, appeal_ids)):
                        for one in ids:
                            args = (world.a.id, user, role, one)
                            want = [tuple(r) for r in await conn.fetch(BEFORE[statement], *args)]
                            assert [tuple(r) for r in await conn.fetch(statement, *args)] == want, (statement, args)
                            compared += len(want)
        assert compared > 5000
