"""Roll-up maintenance: applied in the releasing transaction (incremental), or rebuilt from submissions
(backfill). See migrations/0006_rollups.sql for the tables and deltas.py for the maths.

`add_release(conn, released)` is rankings' release hook (registered at app start, see
submissions/hooks.py); it runs inside the transaction that set the submission `released`, with the
series (branch x form key) advisory lock held, so two releases of the same series never judge repeats
against a stale neighbour:
1. write the visit's per-item facts (submission_items) from the released revision's score card: they
   exist only for released revisions, so nothing of an unreleased visit reaches roll-ups or weakness;
2. read the visit, its previous and next released visit in the series (visited_on, released_at, id);
3. compute the deltas (pure) and upsert them, adding to existing rows.
The submission counts in rankings as soon as that transaction commits.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.rankings.deltas import BranchDelta, ItemDelta, SeriesVisit, release_deltas
from inspect_api.rankings.stats import PERIOD_KINDS
from inspect_api.storage.db import row_to, rows_to
from inspect_api.submissions.hooks import Corrected, Released


class ReleasedFacts(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    org_id: UUID
    branch_id: UUID
    form_key: str
    revision_id: UUID
    visited_on: date
    released_at: datetime
    total_percent: Decimal | None
    passed: bool


class ItemStatusRow(msgspec.Struct, frozen=True, kw_only=True):
    item_key: str
    status: str


# The released revision's item results, read by the ScoreCard's own field names from its stored jsonb.
# Every statement here that names a revision or its items by id also names its org and visit date: the
# tables are split by month of visit (migrations/0052), and by id alone each would probe every month's
# index (28 at two years of data). A released visit's date never changes (hooks.Corrected).
INSERT_ITEMS: Final = """
INSERT INTO submission_items (revision_id, item_key, section_key, status, earned, possible, org_id, visited_on)
SELECT r.id, i.key, i.section, i.status, i.earned, i.possible, r.org_id, r.visited_on
FROM submission_revisions r,
     jsonb_to_recordset(r.score_card -> 'items')
         AS i (key text, section text, status text, earned float8, possible float8)
WHERE r.id = $1 AND r.org_id = $2 AND r.visited_on = $3
"""

# The neighbour first (a walk of the series' index in order, stopping at one row), then its revision from
# the one month the neighbour's visit names (`LIMIT 1` keeps it a lookup the executor prunes at run time;
# a join of the two would let the planner read every month's revisions). The plain bound on visited_on
# leaves the months on the far side out of the plan.
_NEIGHBOUR: Final = """
SELECT s.id, s.org_id, s.branch_id, s.form_key, r.id AS revision_id, s.visited_on, s.released_at,
       s.total_percent, s.passed
FROM (SELECT s.id, s.org_id, s.branch_id, f.key AS form_key, s.current_revision, s.visited_on, s.released_at,
             s.total_percent, s.passed
      FROM submissions s
      JOIN form_versions fv ON fv.id = s.form_version_id
      JOIN forms f ON f.id = fv.form_id
      WHERE s.org_id = $1 AND s.branch_id = $2 AND f.key = $3 AND s.status = 'released' AND s.id <> $6
        AND (s.visited_on, s.released_at, s.id) {op} ($4::date, $5::timestamptz, $6::uuid)
        AND s.visited_on {op}= $4::date  -- implied by the row comparison, which partition pruning cannot read
      ORDER BY s.visited_on {direction}, s.released_at {direction}, s.id {direction}
      LIMIT 1) s
CROSS JOIN LATERAL (SELECT r.id FROM submission_revisions r
                    WHERE r.org_id = s.org_id AND r.visited_on = s.visited_on AND r.submission_id = s.id
                      AND r.revision = s.current_revision
                    LIMIT 1) r
"""
SELECT_PREVIOUS: Final = _NEIGHBOUR.format(op="<", direction="DESC")
SELECT_NEXT: Final = _NEIGHBOUR.format(op=">", direction="ASC")

SELECT_ITEM_STATUSES: Final = """
SELECT item_key, status FROM submission_items WHERE revision_id = $1 AND org_id = $2 AND visited_on = $3
"""

# Deltas are added to existing rows by UPDATE and only the rows that did not exist are inserted: a
# CHECK judges an INSERT's proposed row before ON CONFLICT, so a negative delta (a later visit's repeat
# failure taken back when a visit released between it and its previous one passes the item; a
# correction's retraction) could not travel through an upsert. The series lock serialises writers of a
# branch's rows; ON CONFLICT stays for safety.
UPSERT_BRANCH: Final = """
WITH d AS (
    SELECT * FROM unnest($4::text[], $5::date[], $6::int[], $7::int[], $8::numeric[], $9::numeric[], $10::int[])
         AS d (kind, start, visits, scored, score_sum, score_sq_sum, passes)
), updated AS (
    UPDATE rollup_branch_periods r
    SET visits = r.visits + d.visits, scored = r.scored + d.scored, score_sum = r.score_sum + d.score_sum,
        score_sq_sum = r.score_sq_sum + d.score_sq_sum, passes = r.passes + d.passes
    FROM d
    WHERE r.org_id = $1 AND r.form_key = $2 AND r.branch_id = $3 AND r.period_kind = d.kind
      AND r.period_start = d.start
    RETURNING r.period_kind, r.period_start
)
INSERT INTO rollup_branch_periods AS r (org_id, form_key, period_kind, period_start, branch_id, visits, scored,
                                        score_sum, score_sq_sum, passes)
SELECT $1, $2, d.kind, d.start, $3, d.visits, d.scored, d.score_sum, d.score_sq_sum, d.passes
FROM d
WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE u.period_kind = d.kind AND u.period_start = d.start)
ON CONFLICT (org_id, form_key, period_kind, period_start, branch_id) DO UPDATE
SET visits = r.visits + EXCLUDED.visits, scored = r.scored + EXCLUDED.scored,
    score_sum = r.score_sum + EXCLUDED.score_sum, score_sq_sum = r.score_sq_sum + EXCLUDED.score_sq_sum,
    passes = r.passes + EXCLUDED.passes
"""

UPSERT_ITEMS: Final = """
WITH d AS (
    SELECT d.kind, d.start, d.item_key, sum(d.applicable)::int AS applicable, sum(d.failures)::int AS failures,
           sum(d.partials)::int AS partials, sum(d.repeat_failures)::int AS repeat_failures
    FROM unnest($4::text[], $5::date[], $6::text[], $7::int[], $8::int[], $9::int[], $10::int[])
         AS d (kind, start, item_key, applicable, failures, partials, repeat_failures)
    GROUP BY d.kind, d.start, d.item_key
), updated AS (
    UPDATE rollup_item_periods r
    SET applicable = r.applicable + d.applicable, failures = r.failures + d.failures,
        partials = r.partials + d.partials, repeat_failures = r.repeat_failures + d.repeat_failures
    FROM d
    WHERE r.org_id = $1 AND r.form_key = $2 AND r.branch_id = $3 AND r.period_kind = d.kind
      AND r.period_start = d.start AND r.item_key = d.item_key
    RETURNING r.period_kind, r.period_start, r.item_key
)
INSERT INTO rollup_item_periods AS r (org_id, form_key, period_kind, period_start, branch_id, item_key,
                                      applicable, failures, partials, repeat_failures)
SELECT $1, $2, d.kind, d.start, $3, d.item_key, d.applicable, d.failures, d.partials, d.repeat_failures
FROM d
WHERE NOT EXISTS (SELECT 1 FROM updated u
                  WHERE u.period_kind = d.kind AND u.period_start = d.start AND u.item_key = d.item_key)
ON CONFLICT (org_id, form_key, period_kind, period_start, branch_id, item_key) DO UPDATE
SET applicable = r.applicable + EXCLUDED.applicable, failures = r.failures + EXCLUDED.failures,
    partials = r.partials + EXCLUDED.partials, repeat_failures = r.repeat_failures + EXCLUDED.repeat_failures
"""


async def insert_items(conn: asyncpg.Connection, facts: ReleasedFacts) -> None:
    await conn.execute(INSERT_ITEMS, facts.revision_id, facts.org_id, facts.visited_on)


async def neighbour(conn: asyncpg.Connection, facts: ReleasedFacts, *, after: bool) -> ReleasedFacts | None:
    sql = SELECT_NEXT if after else SELECT_PREVIOUS
    row = await conn.fetchrow(sql, facts.org_id, facts.branch_id, facts.form_key, facts.visited_on,
                              facts.released_at, facts.id)
    return row_to(ReleasedFacts, row)


async def item_statuses(conn: asyncpg.Connection, facts: ReleasedFacts) -> list[ItemStatusRow]:
    return rows_to(ItemStatusRow,
                   await conn.fetch(SELECT_ITEM_STATUSES, facts.revision_id, facts.org_id, facts.visited_on))


async def upsert_branch(conn: asyncpg.Connection, facts: ReleasedFacts, deltas: list[BranchDelta]) -> None:
    await conn.execute(
        UPSERT_BRANCH, facts.org_id, facts.form_key, facts.branch_id,
        [d.kind for d in deltas], [d.start for d in deltas], [d.visits for d in deltas],
        [d.scored for d in deltas], [d.score_sum for d in deltas], [d.score_sq_sum for d in deltas],
        [d.passes for d in deltas],
    )


async def upsert_items(conn: asyncpg.Connection, facts: ReleasedFacts, deltas: list[ItemDelta]) -> None:
    if not deltas:
        return
    await conn.execute(
        UPSERT_ITEMS, facts.org_id, facts.form_key, facts.branch_id,
        [d.kind for d in deltas], [d.start for d in deltas], [d.item_key for d in deltas],
        [d.applicable for d in deltas], [d.failures for d in deltas], [d.partials for d in deltas],
        [d.repeat_failures for d in deltas],
    )


async def _series_visit(conn: asyncpg.Connection, facts: ReleasedFacts | None) -> SeriesVisit | None:
    if facts is None:
        return None
    items = await item_statuses(conn, facts)
    return SeriesVisit(visited_on=facts.visited_on, score=facts.total_percent, passed=facts.passed,
                       items={i.item_key: i.status for i in items})


def _facts(released: Released) -> ReleasedFacts:
    return ReleasedFacts(id=released.id, org_id=released.org_id, branch_id=released.branch_id,
                         form_key=released.form_key, revision_id=released.revision_id,
                         visited_on=released.visited_on, released_at=released.released_at,
                         total_percent=released.total_percent, passed=released.passed)


async def add_release(conn: asyncpg.Connection, released: Released) -> None:
    """Rankings' release hook (caller's transaction, series lock held): the visit's item facts, then
    its roll-up deltas."""
    facts = _facts(released)
    await insert_items(conn, facts)
    visit = SeriesVisit(visited_on=released.visited_on, score=released.total_percent, passed=released.passed,
                        items={i.key: i.status for i in released.score_card.items})
    previous = await _series_visit(conn, await neighbour(conn, facts, after=False))
    following = await _series_visit(conn, await neighbour(conn, facts, after=True))
    branch, items = release_deltas(visit, previous, following)
    await upsert_branch(conn, facts, branch)
    await upsert_items(conn, facts, items)


DELETE_ITEMS: Final = "DELETE FROM submission_items WHERE revision_id = $1 AND org_id = $2 AND visited_on = $3"

# Rows a retraction leaves at zero go, as a recomputation (backfill) has none.
DELETE_EMPTY_BRANCH: Final = """
DELETE FROM rollup_branch_periods WHERE org_id = $1 AND form_key = $2 AND branch_id = $3 AND visits = 0
"""
DELETE_EMPTY_ITEMS: Final = """
DELETE FROM rollup_item_periods
WHERE org_id = $1 AND form_key = $2 AND branch_id = $3
  AND applicable = 0 AND failures = 0 AND partials = 0 AND repeat_failures = 0
"""


async def delete_empty(conn: asyncpg.Connection, facts: ReleasedFacts) -> None:
    await conn.execute(DELETE_EMPTY_BRANCH, facts.org_id, facts.form_key, facts.branch_id)
    await conn.execute(DELETE_EMPTY_ITEMS, facts.org_id, facts.form_key, facts.branch_id)


async def correct_release(conn: asyncpg.Connection, corrected: Corrected) -> None:
    """Rankings' correction hook (caller's transaction, series lock held): the previous revision leaves
    its series (the exact inverse of its release deltas, judged against the same neighbours: visit date
    and release time do not change) and its per-item facts go; then the current revision is added as a
    release is. The old revision and its score card stay in submission_revisions."""
    old = corrected.previous
    facts = _facts(old)
    visit = SeriesVisit(visited_on=old.visited_on, score=old.total_percent, passed=old.passed,
                        items={i.key: i.status for i in old.score_card.items})
    previous = await _series_visit(conn, await neighbour(conn, facts, after=False))
    following = await _series_visit(conn, await neighbour(conn, facts, after=True))
    branch, items = release_deltas(visit, previous, following, sign=-1)
    await upsert_branch(conn, facts, branch)
    await upsert_items(conn, facts, items)
    await delete_empty(conn, facts)
    await conn.execute(DELETE_ITEMS, old.revision_id, old.org_id, old.visited_on)
    await add_release(conn, corrected.current)


# ---- backfill: the same numbers, recomputed from all released submissions ------------------------

# Aggregating millions of item results spills to disk with the default 4 MB; only for this transaction.
BACKFILL_WORK_MEM: Final = "SET LOCAL work_mem = '256MB'"
DELETE_BRANCH_ROLLUPS: Final = "DELETE FROM rollup_branch_periods WHERE org_id = $1"
DELETE_ITEM_ROLLUPS: Final = "DELETE FROM rollup_item_periods WHERE org_id = $1"

# The series order and period arithmetic match apply_release / deltas.py exactly.
_RELEASED_SERIES: Final = """
SELECT s.id, s.branch_id, f.key AS form_key, s.visited_on, s.total_percent, s.passed, r.id AS revision_id,
       lag(r.id) OVER (PARTITION BY s.branch_id, f.key
                       ORDER BY s.visited_on, s.released_at, s.id) AS previous_revision_id
FROM submissions s
JOIN submission_revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
JOIN form_versions fv ON fv.id = s.form_version_id
JOIN forms f ON f.id = fv.form_id
WHERE s.org_id = $1 AND s.status = 'released'
"""

BACKFILL_BRANCH: Final = f"""
INSERT INTO rollup_branch_periods (org_id, form_key, period_kind, period_start, branch_id, visits, scored,
                                   score_sum, score_sq_sum, passes)
SELECT $1, v.form_key, k.kind, date_trunc(k.kind, v.visited_on::timestamp)::date, v.branch_id,
       count(*), count(v.total_percent), coalesce(sum(v.total_percent), 0),
       coalesce(sum(v.total_percent * v.total_percent), 0), count(*) FILTER (WHERE v.passed)
FROM ({_RELEASED_SERIES}) v
CROSS JOIN unnest($2::text[]) AS k (kind)
GROUP BY v.form_key, k.kind, 4, v.branch_id
ORDER BY 2, 3, 4, 5  -- primary key order: index pages fill in sequence instead of at random
"""

BACKFILL_ITEMS: Final = f"""
INSERT INTO rollup_item_periods (org_id, form_key, period_kind, period_start, branch_id, item_key,
                                 applicable, failures, partials, repeat_failures)
SELECT $1, v.form_key, k.kind, date_trunc(k.kind, v.visited_on::timestamp)::date, v.branch_id, i.item_key,
       count(*), count(*) FILTER (WHERE i.status = 'fail'), count(*) FILTER (WHERE i.status = 'partial'),
       count(*) FILTER (WHERE i.status = 'fail' AND p.status = 'fail')
FROM ({_RELEASED_SERIES}) v
JOIN submission_items i ON i.revision_id = v.revision_id AND i.status IN ('pass', 'fail', 'partial')
LEFT JOIN submission_items p ON p.revision_id = v.previous_revision_id AND p.item_key = i.item_key
CROSS JOIN unnest($2::text[]) AS k (kind)
GROUP BY v.form_key, k.kind, 4, v.branch_id, i.item_key
ORDER BY 2, 3, 4, 5, 6
"""


async def backfill(conn: asyncpg.Connection, org_id: UUID, *, statement_seconds: float | None = None) -> None:
    """Rebuild an org's roll-ups from its released submissions, in the caller's transaction. For a
    bulk load (bench/) or a repair; ordinary releases never need it. Run it while nothing is released in
    the org (it does not take the series locks). `statement_seconds` overrides the pool's command
    timeout per statement, for big orgs."""
    await conn.execute(BACKFILL_WORK_MEM)
    await conn.execute(DELETE_BRANCH_ROLLUPS, org_id, timeout=statement_seconds)
    await conn.execute(DELETE_ITEM_ROLLUPS, org_id, timeout=statement_seconds)
    await conn.execute(BACKFILL_BRANCH, org_id, list(PERIOD_KINDS), timeout=statement_seconds)
    await conn.execute(BACKFILL_ITEMS, org_id, list(PERIOD_KINDS), timeout=statement_seconds)
