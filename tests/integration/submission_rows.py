"""Submission rows written straight to the database, for permission tests that need a submission in a
given scope but not intake itself (the factories' catalogue version has no items to answer). The score
card and proof are empty but decode; such a row can be read, approved, rejected, held and commented on,
but not released (the release hooks want a real card)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from uuid import UUID

import asyncpg

EMPTY_PROOF: Final = {"gps_distance_m": None, "gps_accuracy_m": None, "near_branch": None,
                      "within_window": None, "photos": [], "warnings": []}


def empty_card(form_key: str = "catalogue-test", version: int = 1) -> dict[str, Any]:
    return {"form_key": form_key, "form_version": version, "content_hash": "x", "rules_version": "2",
            "total_percent": None, "earned": 0, "possible": 0, "passed": True, "sections": [], "items": [],
            "critical_effects": [], "flags": [], "failed_items": [], "follow_ups": []}


async def make_submission(
    conn: asyncpg.Connection, org_id: UUID, branch_id: UUID, inspector_id: UUID, form_version_id: UUID,
    *, status: str = "submitted", visited_on: date | None = None,
) -> UUID:
    visited_on = visited_on or (datetime.now(UTC).date() - timedelta(days=1))
    finished = datetime.now(UTC) - timedelta(days=1)
    async with conn.transaction():
        submission_id = await conn.fetchval(
            """INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status,
                                        current_revision, total_percent, passed, visited_on, released_at)
               VALUES ($1, $2, $3, $4, 'adhoc', $5, 1, NULL, true, $6,
                       CASE WHEN $5 = 'released' THEN now() END) RETURNING id""",
            org_id, branch_id, form_version_id, inspector_id, status, visited_on,
        )
        await conn.execute(
            """INSERT INTO submission_revisions (org_id, submission_id, revision, client_id, request_hash, answers,
                                                 score_card, started_at, finished_at, proof, visited_on)
               SELECT $1, $2, 1, $3, 'h', '[]', $4, $5, $6, $7, visited_on
               FROM submissions WHERE id = $2""",
            org_id, submission_id, uuid.uuid4(), empty_card(), finished - timedelta(minutes=20), finished,
            EMPTY_PROOF,
        )
    return submission_id
