"""Growing one org's data in SQL, step by step (issue #20's growth curves, bench/scale_bench.py).

The submissions, revisions and item facts are the rankings bench's statements (bench/rankings_bench.py:
LOAD_SUBMISSIONS, LOAD_REVISIONS, LOAD_ITEMS; H1's partitioning keeps those working), imported, not
copied; each step restricts the revisions and items to the step's new submissions (a temp table), and
adds what a real org has beside them: sealed photos with random 64-bit perceptual hashes (as
bench/photo_search_bench.py generates them), follow-up actions for failed items (some open and overdue),
visits, and one `submission.released` event per submission. Roll-ups come from
`inspect_api.rankings.rollups.backfill` (what the rankings bench uses).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any, Final
from uuid import UUID

import asyncpg

from bench.rankings_bench import (
    ENSURE_MONTHS,
    ITEMS,
    LOAD_BRANCHES,
    LOAD_ITEMS,
    LOAD_REVISIONS,
    LOAD_SUBMISSIONS,
    REGIONS,
)
from inspect_api.rankings.rollups import backfill

PHOTOS_PER_SUBMISSION: Final = 1
# The submissions LOAD_SUBMISSIONS just added: the org's submissions without a revision yet (intakes
# through the API always have one).
NEW_SUBMISSIONS: Final = """
CREATE TEMP TABLE new_subs ON COMMIT DROP AS
SELECT s.id FROM submissions s
WHERE s.org_id = $1 AND NOT EXISTS (SELECT 1 FROM submission_revisions r WHERE r.submission_id = s.id)
"""
# The rankings bench's statements read every submission / revision of the org: here only the new ones.
STEP_REVISIONS: Final = LOAD_REVISIONS.rstrip() + " AND id IN (SELECT id FROM new_subs)\n"
STEP_ITEMS: Final = LOAD_ITEMS.rstrip() + " AND r.submission_id IN (SELECT id FROM new_subs)\n"

STEP_PHOTOS: Final = """
INSERT INTO photos (id, org_id, uploaded_by, purpose, object_key, content_type, status, verified_at, attached_at,
                    size_bytes, phash, submission_id, upload_key, redacted_key)
SELECT i, org_id, inspector_id, 'submission', 'bench/' || i, 'image/jpeg', 'attached', submitted_at, submitted_at,
       100000, ((floor(random() * 4294967296)::bigint << 32) | floor(random() * 4294967296)::bigint)::bit(64),
       id, 'bench/upload/' || i, 'bench/redacted/' || i
FROM (SELECT gen_random_uuid() AS i, s.org_id, s.inspector_id, s.submitted_at, s.id
      FROM new_subs n JOIN submissions s ON s.id = n.id CROSS JOIN generate_series(1, $1)) AS p
"""

# One action per failed p1_greeting: resolved and verified when older than two months, else open (those
# past due_on are what /actions/overdue lists).
STEP_ACTIONS: Final = """
INSERT INTO actions (org_id, branch_id, submission_id, revision_id, form_key, item_key, title_zh, title_en,
                     priority, evidence_required, due_on, status, created_at, updated_at)
SELECT s.org_id, s.branch_id, s.id, r.id, 'fuel-attendant', i.item_key, '问候', 'Greeting', 'normal', false,
       s.visited_on + 14, CASE WHEN s.visited_on > $1::date - 60 THEN 'open' ELSE 'verified' END,
       s.released_at, s.released_at
FROM new_subs n
JOIN submissions s ON s.id = n.id
JOIN submission_revisions r ON r.submission_id = s.id AND r.revision = 1
JOIN submission_items i ON i.revision_id = r.id AND i.item_key = 'p1_greeting' AND i.status = 'fail'
"""

STEP_EVENTS: Final = """
INSERT INTO events (org_id, type, subject_id, subject_seq, branch_id, region_id, payload, branch_payload, occurred_at)
SELECT s.org_id, 'submission.released', s.id, 1, s.branch_id, b.region_id,
       jsonb_build_object('submission_id', s.id, 'branch_id', s.branch_id, 'total_percent', s.total_percent),
       jsonb_build_object('submission_id', s.id, 'visited_on', s.visited_on), s.released_at
FROM new_subs n
JOIN submissions s ON s.id = n.id
JOIN branches b ON b.id = s.branch_id
ORDER BY s.released_at
"""

# One visit per new submission (windows over the two years, a few still ahead), not linked to it
# (linking would rewrite every submission row).
STEP_VISITS: Final = """
INSERT INTO visits (org_id, branch_id, form_version_id, inspector_id, mode, window_start, window_end, status,
                    created_by)
SELECT s.org_id, s.branch_id, s.form_version_id, s.inspector_id, 'mystery', w.start, w.start + interval '3 days',
       CASE WHEN w.start > now() THEN 'scheduled' ELSE 'submitted' END, s.reviewed_by
FROM new_subs n
JOIN submissions s ON s.id = n.id
CROSS JOIN LATERAL (SELECT s.visited_on + time '08:00' - interval '1 day'
                           + CASE WHEN random() < 0.02 THEN interval '40 days' ELSE interval '0' END AS start) w
"""


async def setup_branches(conn: asyncpg.Connection, org_id: UUID, branches: int) -> None:
    """`branches` more branches in REGIONS new regions (codes R01.., B0000..)."""
    await conn.execute(LOAD_BRANCHES, org_id, branches, REGIONS)
    await conn.execute("ANALYZE regions, branches")


async def grow(conn: asyncpg.Connection, org_id: UUID, *, version_id: UUID, inspector_id: UUID, admin_id: UUID,
               target: int, end_day: date, statement_seconds: float) -> dict[str, float]:
    """Add released submissions until the org holds `target` (counting any made through the API), with
    their revisions, items, photos, actions, visits and events; rebuild the roll-ups; VACUUM ANALYZE.
    Returns seconds per phase."""
    timings: dict[str, float] = {}

    async def phase(name: str, sql: str, *args: Any) -> None:
        started = time.perf_counter()
        await conn.execute(sql, *args, timeout=statement_seconds)
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started

    have = await conn.fetchval("SELECT count(*) FROM submissions WHERE org_id = $1", org_id)
    delta = target - have
    if delta > 0:
        await conn.execute(ENSURE_MONTHS, end_day)
        async with conn.transaction():
            await phase("submissions", LOAD_SUBMISSIONS, org_id, version_id, inspector_id, admin_id, delta, end_day)
            await phase("new ids", NEW_SUBMISSIONS, org_id)
            # Fresh rows have no statistics yet: without them the planner joins the step's submissions,
            # revisions and items by nested loops (a first step straight to 100k ran > 10 min in items).
            await phase("analyze", "ANALYZE new_subs, submissions, branches")
            await phase("revisions", STEP_REVISIONS, org_id)
            await phase("analyze", "ANALYZE submission_revisions")
            await phase("items", STEP_ITEMS, org_id, [i[0] for i in ITEMS], [i[1] for i in ITEMS],
                        [i[2] for i in ITEMS])
            await phase("analyze", "ANALYZE submission_items")
            await phase("photos", STEP_PHOTOS, PHOTOS_PER_SUBMISSION)
            await phase("actions", STEP_ACTIONS, end_day)
            await phase("visits", STEP_VISITS)
            await phase("events", STEP_EVENTS)
    started = time.perf_counter()
    async with conn.transaction():
        await backfill(conn, org_id, statement_seconds=statement_seconds)
    timings["roll-up backfill"] = time.perf_counter() - started
    started = time.perf_counter()
    await conn.execute("VACUUM ANALYZE", timeout=statement_seconds)
    timings["vacuum analyze"] = time.perf_counter() - started
    return timings


COUNTS: Final = {
    "submissions": "SELECT count(*) FROM submissions WHERE org_id = $1",
    "released": "SELECT count(*) FROM submissions WHERE org_id = $1 AND status = 'released'",
    "items": "SELECT count(*) FROM submission_items i JOIN submission_revisions r ON r.id = i.revision_id "
             "WHERE r.org_id = $1",
    "photos": "SELECT count(*) FROM photos WHERE org_id = $1",
    "actions": "SELECT count(*) FROM actions WHERE org_id = $1",
    "overdue actions": "SELECT count(*) FROM actions WHERE org_id = $1 AND status = 'open' AND due_on < current_date",
    "visits": "SELECT count(*) FROM visits WHERE org_id = $1",
    "events": "SELECT count(*) FROM events WHERE org_id = $1",
    "branches": "SELECT count(*) FROM branches WHERE org_id = $1",
}


async def counts(conn: asyncpg.Connection, org_id: UUID) -> dict[str, int]:
    return {name: int(await conn.fetchval(sql, org_id)) for name, sql in COUNTS.items()}
