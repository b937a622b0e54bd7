"""SQL for photos, one typed function per statement.

phash is bit(64) in Postgres and 16 hex chars in Python: `('x' || $n)::bit(64)` on the way in,
`lpad(to_hex(phash::bigint), 16, '0')` on the way out (a negative bigint prints as its 64-bit pattern).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final, Literal
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.storage.db import row_to, rows_to

Purpose = Literal["submission", "action_evidence"]
PhotoStatus = Literal["pending", "verified", "attached"]


class PendingPhoto(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    object_key: str
    content_type: str


class OwnPhoto(msgspec.Struct, frozen=True, kw_only=True):
    """An unattached photo of the caller's, with what verification stored (status verified)."""

    id: UUID
    status: PhotoStatus
    object_key: str
    content_type: str
    size_bytes: int | None
    phash: str | None
    exif_latitude: float | None
    exif_longitude: float | None
    exif_taken_at: datetime | None


class SealValues(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    upload_key: str
    sealed_key: str
    redacted_key: str  # the branch managers' copy, made from the same decode
    size_bytes: int
    phash: str | None
    exif_latitude: float | None
    exif_longitude: float | None
    exif_taken_at: datetime | None


class PhotoMatchRow(msgspec.Struct, frozen=True, kw_only=True):
    photo_id: UUID  # the new photo
    match_id: UUID  # the attached photo of another submission it resembles
    submission_id: UUID
    distance: int


class OwnPhotoWithMatches(OwnPhoto, frozen=True, kw_only=True):
    """An unattached photo with its reuse matches (closest first), as intake reads it in one statement."""

    matches: list[PhotoMatchRow] = []


class DownloadableRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    org_id: UUID
    object_key: str
    content_type: str
    redacted_key: str | None
    created_at: datetime


class StaleUpload(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    object_key: str
    upload_key: str | None
    redacted_key: str | None


# $7: the visit the slots were asked for (NULL: none named); intake holds each photo to it (migration 0016).
INSERT_PENDING: Final = """
INSERT INTO photos (id, org_id, uploaded_by, purpose, object_key, content_type, visit_id)
SELECT p.*, $7::uuid FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[]) AS p
"""

SELECT_OWN_VISIT: Final = """
SELECT EXISTS (SELECT 1 FROM visits WHERE id = $1 AND org_id = $2 AND inspector_id = $3)
"""

SELECT_VISIBLE_ACTION: Final = """
SELECT EXISTS (
    SELECT 1 FROM actions a
    WHERE a.id = $1 AND a.org_id = $2 AND a.branch_id IN (SELECT visible_branch_ids($2, $3, $4))
)
"""

_OWN_PHOTO_COLUMNS: Final = """id, status, object_key, content_type, size_bytes,
       CASE WHEN phash IS NULL THEN NULL ELSE lpad(to_hex(phash::bigint), 16, '0') END AS phash,
       exif_latitude, exif_longitude, exif_taken_at"""

SELECT_UNATTACHED_OWN: Final = f"""
SELECT {_OWN_PHOTO_COLUMNS} FROM photos
WHERE id = ANY($1::uuid[]) AND org_id = $2 AND uploaded_by = $3 AND purpose = $4 AND status <> 'attached'
"""

SELECT_OWN: Final = f"""
SELECT {_OWN_PHOTO_COLUMNS} FROM photos
WHERE id = $1 AND org_id = $2 AND uploaded_by = $3 AND purpose = $4
"""

SELECT_BY_ID: Final = f"SELECT {_OWN_PHOTO_COLUMNS} FROM photos WHERE id = $1"

# Seals of one org's photos take turns (transaction-scoped), so each seal's lookalike search sees
# every photo sealed before it and no pair of lookalikes goes unlinked (migration 0013).
LOCK_ORG_SEALS: Final = "SELECT pg_advisory_xact_lock(hashtextextended('photo-seal:' || $1::uuid::text, 0))"

# The lookalikes (migration 0013) are the org's sealed submission photos within $9 bits (at most 6),
# found by photo_lookalikes (photos/sql/photo_lookalikes.sql, migration 0041): a fixed 6,018 exact
# probes of the org's hash-half indexes, whatever the number of photos (bench/photo_search_bench.py).
SEAL: Final = f"""
UPDATE photos
SET status = 'verified', verified_at = now(), upload_key = $2, object_key = $3, size_bytes = $4,
    phash = CASE WHEN $5::text IS NULL THEN NULL ELSE ('x' || $5::text)::bit(64) END,
    exif_latitude = $6, exif_longitude = $7, exif_taken_at = $8, redacted_key = $10,
    lookalike_ids = CASE WHEN $5::text IS NULL OR purpose <> 'submission' THEN '{{}}'::uuid[] ELSE ARRAY(
        SELECT l.id FROM photo_lookalikes(photos.org_id, ('x' || $5::text)::bit(64), $9) AS l
        WHERE l.id <> photos.id
        ORDER BY l.id
    ) END
WHERE id = $1 AND status = 'pending' AND object_key = $2
RETURNING {_OWN_PHOTO_COLUMNS}
"""

ATTACH: Final = """
UPDATE photos SET status = 'attached', attached_at = now(), submission_id = $2, action_id = $3
WHERE id = ANY($1::uuid[]) AND status = 'verified'
RETURNING id
"""

# Attached photos of the org's other submissions that look like these (links stored at seal).
SELECT_REUSE_MATCHES: Final = """
SELECT photo_id, match_id, submission_id, distance FROM photo_reuse_matches($1, $2::uuid[], $3, $4)
ORDER BY photo_id, distance, attached_at
"""

# Who may download what (scope in SQL; out of scope and unknown look the same: no row).
#   inspector       own uploads
#   admin           any photo of the org
#   reviewer        photos attached to submissions (any status) in visible branches
#   regional_lead   attached photos of RELEASED submissions, and action evidence, in visible branches
#   branch_manager  the same for their branches (the service then serves a redacted copy only)
SELECT_DOWNLOADABLE: Final = """
SELECT p.id, p.org_id, p.object_key, p.content_type, p.redacted_key, p.created_at
FROM photos p
LEFT JOIN submission_keys k ON k.org_id = p.org_id AND k.submission_id = p.submission_id
LEFT JOIN LATERAL (SELECT s.branch_id, s.status FROM submissions s
                   WHERE s.org_id = k.org_id AND s.id = k.submission_id AND s.visited_on = k.visited_on
                   LIMIT 1) s ON true  -- its one month (by id alone: every month's index)
LEFT JOIN actions a ON a.id = p.action_id AND a.org_id = p.org_id
WHERE p.id = $1 AND p.org_id = $2 AND (
    ($4 = 'admin')
    OR ($4 = 'inspector' AND p.uploaded_by = $3)
    OR ($4 = 'reviewer' AND p.status = 'attached' AND s.branch_id IN (SELECT visible_branch_ids($2, $3, $4)))
    OR ($4 IN ('regional_lead', 'branch_manager') AND p.status = 'attached' AND (
        (s.status = 'released' AND s.branch_id IN (SELECT visible_branch_ids($2, $3, $4)))
        OR a.branch_id IN (SELECT visible_branch_ids($2, $3, $4))
    ))
)
"""

# The branch's copy replaces the one made at verification (photos/service.py: _redacted_copy).
SET_REDACTED_KEY: Final = "UPDATE photos SET redacted_key = $2 WHERE id = $1"

SELECT_STALE_FOR_DELETE: Final = """
SELECT id, object_key, upload_key, redacted_key FROM photos
WHERE status <> 'attached' AND created_at < now() - $1::interval
ORDER BY created_at
LIMIT $2
FOR UPDATE SKIP LOCKED
"""

DELETE_UNATTACHED: Final = "DELETE FROM photos WHERE id = ANY($1::uuid[]) AND status <> 'attached'"


async def insert_pending(
    conn: asyncpg.Connection,
    *,
    org_id: UUID,
    uploaded_by: UUID,
    purpose: Purpose,
    photos: Sequence[PendingPhoto],
    visit_id: UUID | None = None,
) -> None:
    count = len(photos)
    await conn.execute(
        INSERT_PENDING,
        [p.id for p in photos],
        [org_id] * count,
        [uploaded_by] * count,
        [purpose] * count,
        [p.object_key for p in photos],
        [p.content_type for p in photos],
        visit_id,
    )


async def own_visit_exists(conn: asyncpg.Connection, visit_id: UUID, org_id: UUID, inspector_id: UUID) -> bool:
    return bool(await conn.fetchval(SELECT_OWN_VISIT, visit_id, org_id, inspector_id))


async def visible_action_exists(
    conn: asyncpg.Connection, action_id: UUID, org_id: UUID, user_id: UUID, role: str
) -> bool:
    return bool(await conn.fetchval(SELECT_VISIBLE_ACTION, action_id, org_id, user_id, role))


async def unattached_own(
    conn: asyncpg.Connection, ids: Sequence[UUID], *, org_id: UUID, uploaded_by: UUID, purpose: str
) -> list[OwnPhoto]:
    return rows_to(OwnPhoto, await conn.fetch(SELECT_UNATTACHED_OWN, list(ids), org_id, uploaded_by, purpose))


async def own_photo(
    conn: asyncpg.Connection, photo_id: UUID, *, org_id: UUID, uploaded_by: UUID, purpose: str
) -> OwnPhoto | None:
    return row_to(OwnPhoto, await conn.fetchrow(SELECT_OWN, photo_id, org_id, uploaded_by, purpose))


async def photo_by_id(conn: asyncpg.Connection, photo_id: UUID) -> OwnPhoto | None:
    return row_to(OwnPhoto, await conn.fetchrow(SELECT_BY_ID, photo_id))


async def lock_org_seals(conn: asyncpg.Connection, org_id: UUID) -> None:
    """Inside a transaction: wait for the org's other seals to finish (released at commit)."""
    await conn.execute(LOCK_ORG_SEALS, org_id)


async def seal(conn: asyncpg.Connection, v: SealValues, *, lookalike_threshold: int) -> OwnPhoto | None:
    """None when the photo is no longer pending at its upload key (a concurrent verification won)."""
    return row_to(OwnPhoto, await conn.fetchrow(SEAL, v.id, v.upload_key, v.sealed_key, v.size_bytes, v.phash,
                                                v.exif_latitude, v.exif_longitude, v.exif_taken_at,
                                                lookalike_threshold, v.redacted_key))


async def attach(
    conn: asyncpg.Connection, ids: Sequence[UUID], *, submission_id: UUID | None, action_id: UUID | None
) -> set[UUID]:
    rows = await conn.fetch(ATTACH, list(ids), submission_id, action_id)
    return {row["id"] for row in rows}


async def reuse_matches(
    conn: asyncpg.Connection,
    org_id: UUID,
    photo_ids: Sequence[UUID],
    *,
    exclude_submission_id: UUID | None,
    threshold: int,
) -> list[PhotoMatchRow]:
    rows = await conn.fetch(SELECT_REUSE_MATCHES, org_id, list(photo_ids), exclude_submission_id, threshold)
    return rows_to(PhotoMatchRow, rows)


async def downloadable(
    conn: asyncpg.Connection, photo_id: UUID, *, org_id: UUID, user_id: UUID, role: str
) -> DownloadableRow | None:
    return row_to(DownloadableRow, await conn.fetchrow(SELECT_DOWNLOADABLE, photo_id, org_id, user_id, role))


async def set_redacted_key(conn: asyncpg.Connection, photo_id: UUID, key: str) -> None:
    await conn.execute(SET_REDACTED_KEY, photo_id, key)


async def lock_stale(conn: asyncpg.Connection, older_than: timedelta, limit: int) -> list[StaleUpload]:
    return rows_to(StaleUpload, await conn.fetch(SELECT_STALE_FOR_DELETE, older_than, limit))


async def delete_unattached(conn: asyncpg.Connection, ids: Sequence[UUID]) -> int:
    result = await conn.execute(DELETE_UNATTACHED, list(ids))
    return int(result.split()[-1])
