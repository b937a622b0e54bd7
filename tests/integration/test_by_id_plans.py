"""Statements that name one submission by id read its one month partition (#20).

Since migrations/0052 submissions and revisions are split by month of visit and keyed (id, org_id,
visited_on): by id alone, a statement probes every month's index (28 at two years). Each statement here
names the month through `submission_visited_on` / `revision_visited_on` (submissions/sql/partition_keys.sql),
which PostgreSQL evaluates when the statement starts and prunes the other months with, or reaches the
month through the submission's key row. EXPLAIN (ANALYZE) of each, on released visits of one branch over
a year of months, every writing one rolled back; as custom and as generic plans (a prepared statement's
after five runs)."""

from __future__ import annotations

import uuid
from typing import Any, Final

import asyncpg
import pytest

from inspect_api.photos import queries as photos
from inspect_api.rankings.rollups import ReleasedFacts
from inspect_api.submissions import corrections
from inspect_api.submissions import queries as submissions
from tests.integration.factories import World
from tests.integration.plans import explain_analyze, partitions_read, rolled_back
from tests.integration.test_release_plans import _spread

pytestmark = pytest.mark.asyncio

ATTACHED_PHOTO: Final = """
INSERT INTO photos (id, org_id, uploaded_by, purpose, object_key, content_type, status, verified_at, attached_at,
                    submission_id)
VALUES (gen_random_uuid(), $1, $2, 'submission', $3, 'image/jpeg', 'attached', now(), now(), $4)
RETURNING id
"""

# What runs only on a result QA has not released: a hold, a resubmission, a rescore's card
# (sql/frozen_score_cards.sql).
UNRELEASED: Final = {"hold", "resubmission", "rescored card"}


def _statements(world: World, f: ReleasedFacts, photo_id: uuid.UUID) -> list[tuple[str, str, tuple[Any, ...]]]:
    org, admin = world.a.id, world.a.admin.id
    card = {"total_percent": 80.0, "passed": True, "items": []}
    return [
        ("submission_state", submissions.SELECT_SUBMISSION_STATE, (org, f.id)),
        ("submission_state for update", submissions.SELECT_SUBMISSION_STATE_FOR_UPDATE, (org, f.id)),
        ("reviewable for update", submissions.SELECT_REVIEWABLE_FOR_UPDATE, (org, admin, "admin", f.id)),
        ("transition", submissions.TRANSITION, (org, f.id, "released", admin, None, ["approved"])),
        ("released", submissions.SELECT_RELEASED, (f.id, org)),
        ("revisions", submissions.SELECT_REVISIONS, (f.id, org)),
        ("one submission", submissions.SELECT_SUBMISSION, (org, admin, "admin", f.id)),
        ("hold", submissions.SET_HOLD, (f.id, admin, "a reason", org)),
        ("comments", submissions.SELECT_COMMENTS, (f.id, False, org)),
        ("resubmission", submissions.UPDATE_SUBMISSION_FOR_REVISION, (f.id, 2, 50.0, False, f.visited_on, org)),
        ("rescored submission", submissions.UPDATE_RESCORED_SUBMISSION, (f.id, 80.0, True, org)),
        ("rescored card", submissions.UPDATE_RESCORED_CARD, (f.revision_id, card, org)),
        ("current revision", corrections.SELECT_CURRENT_REVISION, (f.id, org)),
        ("released correction", corrections.UPDATE_RELEASED_FOR_REVISION, (f.id, 2, 50.0, False, org)),
        ("revision card", corrections.SELECT_REVISION_CARD, (org, f.id, 1)),
        ("photo download", photos.SELECT_DOWNLOADABLE, (photo_id, org, admin, "reviewer")),
    ]


@pytest.mark.parametrize("plan_cache_mode", ["force_custom_plan", "force_generic_plan"])
async def test_one_submissions_statements_read_its_month_only(
    world: World, db: asyncpg.Pool, plan_cache_mode: str
) -> None:
    async with db.acquire() as conn:
        series = await _spread(conn, world)
        f = series[300]
        month = f"{f.visited_on:%Y_%m}"
        photo_id = await conn.fetchval(ATTACHED_PHOTO, world.a.id, world.a.inspector.id, f"k/{uuid.uuid4()}", f.id)
        await conn.execute(submissions.INSERT_COMMENT, world.a.id, f.id, None, "a note", True, world.a.admin.id)
        await conn.execute(f"SET plan_cache_mode = {plan_cache_mode}")
        for name, sql, args in _statements(world, f, photo_id):
            async with rolled_back(conn):
                if name in UNRELEASED:
                    await conn.execute("UPDATE submissions SET status = 'approved', released_at = NULL "
                                       "WHERE org_id = $1 AND id = $2", world.a.id, f.id)
                plan = await explain_analyze(conn, sql, *args)
            read = {table: set(partitions_read(plan, table)) for table in ("submissions", "submission_revisions")}
            assert read["submissions"] | read["submission_revisions"], (name, "reads neither table")
            for table, months in read.items():
                assert months <= {f"{table}_m{month}"}, (name, table, sorted(months))
