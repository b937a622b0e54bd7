"""SQL for submissions, one typed function per statement."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.forms.scoring import ScoreCard
from inspect_api.photos.queries import OwnPhotoWithMatches
from inspect_api.storage.db import one_to, row_to, rows_to
from inspect_api.submissions.hooks import Released
from inspect_api.submissions.proof import Integrity


class StoredRevision(msgspec.Struct, frozen=True, kw_only=True):
    submission_id: UUID
    revision_id: UUID
    revision: int
    client_id: UUID
    request_hash: str
    created_at: datetime
    score_card: ScoreCard


class ClaimedRevision(StoredRevision, frozen=True, kw_only=True):
    """A revision looked up by client id, with the inspector who stored it: a client id is theirs."""

    inspector_id: UUID


class IntakePhoto(OwnPhotoWithMatches, frozen=True, kw_only=True):
    """A photo as intake reads it, with the visit its upload slot was asked for (None: no visit named)."""

    visit_id: UUID | None


class VisitTarget(msgspec.Struct, frozen=True, kw_only=True):
    visit_id: UUID | None
    branch_id: UUID
    form_version_id: UUID
    mode: str
    window_start: datetime | None
    window_end: datetime | None
    visit_status: str | None
    timezone: str
    latitude: float | None
    longitude: float | None
    adhoc_allowed: bool = True  # an ad-hoc target: the org setting allow_adhoc_submissions
    form_retired: bool = False  # the org retired the form version: no new submissions against it


class IntakeContext(msgspec.Struct, frozen=True, kw_only=True):
    stored: ClaimedRevision | None  # what was stored under the client_id (a retry, or another's key)
    target: VisitTarget | None  # None: no such visit of the caller's, or no such active branch
    photos: list[IntakePhoto]  # the caller's unattached photos among those named


class IntakeKeys(msgspec.Struct, frozen=True, kw_only=True):
    """What SELECT_INTAKE_CONTEXT looks up."""

    org_id: UUID
    client_id: UUID
    inspector_id: UUID
    visit_id: UUID | None
    branch_id: UUID | None
    form_version_id: UUID | None
    photo_ids: list[UUID]
    exclude_submission_id: UUID | None
    reuse_threshold: int


class SubmissionState(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    inspector_id: UUID
    status: str
    current_revision: int
    visit_id: UUID | None
    branch_id: UUID
    form_version_id: UUID
    mode: str
    held: bool = False  # on hold (#17); read by reviewable_for_update only


class SubmissionRow(msgspec.Struct, frozen=True, kw_only=True):
    """One submission with its current revision, for building any role's view."""

    id: UUID
    status: str
    mode: str
    visit_id: UUID | None
    visited_on: date
    submitted_at: datetime
    released_at: datetime | None
    reject_reason: str | None
    total_percent: float | None
    passed: bool
    branch_id: UUID
    branch_code: str
    branch_name_zh: str
    branch_name_en: str
    form_key: str
    form_version: int
    form_version_id: UUID
    inspector_id: UUID
    inspector_name: str
    revision: int
    client_id: UUID
    started_at: datetime
    finished_at: datetime
    gps_latitude: float | None
    gps_longitude: float | None
    gps_accuracy_m: float | None
    comment: str
    answers: list[dict[str, Any]]
    score_card: ScoreCard
    proof: dict[str, Any]
    held_at: datetime | None = None  # on hold (#17): since when, and why
    hold_reason: str | None = None


class RevisionInfoRow(msgspec.Struct, frozen=True, kw_only=True):
    revision: int
    received_at: datetime
    total_percent: float | None


# Visibility of submissions: admins see the org; inspectors their own; reviewers (QA) every status in
# their scope; managers and leads only released results of branches in their scope (visible_branch_ids,
# from the org feature).
SCOPE: Final = """
s.org_id = $1 AND CASE $3
    WHEN 'admin' THEN true
    WHEN 'inspector' THEN s.inspector_id = $2
    WHEN 'reviewer' THEN s.branch_id IN (SELECT visible_branch_ids($1, $2, $3))
    ELSE s.status = 'released' AND s.branch_id IN (SELECT visible_branch_ids($1, $2, $3))
END
"""

SELECT_REVISION_BY_CLIENT_ID: Final = """
SELECT r.submission_id, r.id AS revision_id, r.revision, r.client_id, r.request_hash,
       r.created_at, r.score_card, s.inspector_id
FROM revision_keys k
JOIN submission_revisions r ON r.id = k.revision_id AND r.org_id = k.org_id AND r.visited_on = k.visited_on
JOIN submissions s ON s.id = r.submission_id AND s.org_id = r.org_id AND s.visited_on = r.visited_on
WHERE k.org_id = $1 AND k.client_id = $2
"""

# Everything intake reads, in one call and so one snapshot: the revision stored under this client_id
# (a retry), the visit or ad-hoc target, and the caller's unattached photos among those named, with
# their reuse matches. A function in migrations/0013 (so that it keeps one generic plan; 0014 makes that
# plan look photos up by id whatever the statistics say), returning JSON text that one typed decode
# makes into an IntakeContext (0016 adds who stored the revision and each photo's visit). $1 org,
# $2 client id, $3 inspector, $4 visit (NULL: ad-hoc), $5 branch and $6 form version (ad-hoc), $7 photo
# ids, $8 submission excluded from reuse (a correction's own), $9 reuse threshold.
SELECT_INTAKE_CONTEXT: Final = "SELECT intake_context($1, $2, $3, $4, $5, $6, $7::uuid[], $8, $9)"

SELECT_SUBMISSION_STATE: Final = """
SELECT id, inspector_id, status, current_revision, visit_id, branch_id, form_version_id, mode
FROM submissions WHERE org_id = $1 AND id = $2 AND visited_on = submission_visited_on($1, $2)
"""
SELECT_SUBMISSION_STATE_FOR_UPDATE: Final = SELECT_SUBMISSION_STATE + " FOR UPDATE"

UPDATE_SUBMISSION_FOR_REVISION: Final = """
UPDATE submissions
SET status = 'submitted', current_revision = $2, total_percent = $3, passed = $4, visited_on = $5,
    submitted_at = now(), reviewed_by = NULL, reviewed_at = NULL, reject_reason = NULL
WHERE org_id = $6 AND id = $1 AND visited_on = submission_visited_on($6, $1)  -- the month it moves from
"""

# What intake writes arrives as ONE jsonb parameter, $1, read by field name with jsonb_to_record: a
# value under the wrong name is refused by its column's type or check (migration 0018), never stored
# in the wrong column. The keys are the fields of IntakeWrite / RevisionValues below.
_REVISION_FIELDS: Final = """
    client_id uuid, request_hash text, answers jsonb, score_card jsonb, started_at timestamptz,
    finished_at timestamptz, gps_latitude float8, gps_longitude float8, gps_accuracy_m float8, comment text,
    proof jsonb"""

# The revision of the submission that a CTE named `submission` (id, org_id, current_revision, visited_on)
# yields; the revision lives in its submission's month (migrations/0052).
# Nothing derived (per-item facts, follow-up actions) is written before the release: see hooks.py.
_REVISION_CTE: Final = f"""
revision AS (
    INSERT INTO submission_revisions (org_id, submission_id, revision, client_id, request_hash, answers,
        score_card, started_at, finished_at, gps_latitude, gps_longitude, gps_accuracy_m, comment, proof,
        visited_on)
    SELECT submission.org_id, submission.id, submission.current_revision, r.client_id, r.request_hash,
           r.answers, r.score_card, r.started_at, r.finished_at, r.gps_latitude, r.gps_longitude,
           r.gps_accuracy_m, r.comment, r.proof, submission.visited_on
    FROM submission, jsonb_to_record($1::jsonb -> 'revision') AS r ({_REVISION_FIELDS})
    RETURNING id, submission_id, revision, client_id, request_hash, created_at, score_card
)"""

# Answers what SELECT_REVISION_BY_CLIENT_ID answers for a retry, so the first receipt is built the same way.
_RECEIPT: Final = """
SELECT revision.submission_id, revision.id AS revision_id, revision.revision, revision.client_id,
       revision.request_hash, revision.created_at, revision.score_card"""

# A correction's revision, inside the caller's transaction (which updated the submission first).
# $1 {"revision": {...}}, $2 the submission, $3 its org.
WRITE_CORRECTION_REVISION: Final = f"""
WITH submission AS (
    SELECT id, org_id, current_revision, visited_on FROM submissions
    WHERE org_id = $3 AND id = $2 AND visited_on = submission_visited_on($3, $2)
), {_REVISION_CTE}
{_RECEIPT}
FROM revision
"""

# A first submission in one statement, so one round trip and no BEGIN/COMMIT: the submission row, its
# revision, the photos attached and the visit marked. Photos a concurrent request attached first make
# it raise (photos_attached_elsewhere), which rolls all of it back. $1 {"submission": {...},
# "revision": {...}, "photo_ids": [...]}.
WRITE_FIRST_SUBMISSION: Final = f"""
WITH submission AS (
    INSERT INTO submissions (org_id, branch_id, visit_id, form_version_id, inspector_id, mode, status,
                             current_revision, total_percent, passed, visited_on)
    SELECT s.org_id, s.branch_id, s.visit_id, s.form_version_id, s.inspector_id, s.mode, 'submitted',
           s.revision, s.total_percent, s.passed, s.visited_on
    FROM jsonb_to_record($1::jsonb -> 'submission') AS s (
        org_id uuid, branch_id uuid, visit_id uuid, form_version_id uuid, inspector_id uuid, mode text,
        revision int, total_percent numeric, passed boolean, visited_on date)
    RETURNING id, org_id, current_revision, inspector_id, visit_id, visited_on
), {_REVISION_CTE}, wanted AS (
    SELECT ARRAY(SELECT jsonb_array_elements_text($1::jsonb -> 'photo_ids')::uuid) AS ids
), attached AS (
    UPDATE photos p SET status = 'attached', attached_at = now(), submission_id = submission.id
    FROM submission, wanted
    WHERE p.id = ANY(wanted.ids) AND p.status = 'verified' AND p.uploaded_by = submission.inspector_id
    RETURNING p.id
), visit AS (
    UPDATE visits SET status = 'submitted' FROM submission WHERE visits.id = submission.visit_id
)
{_RECEIPT},
       CASE WHEN (SELECT count(*) FROM attached) < (SELECT cardinality(ids) FROM wanted)
            THEN photos_attached_elsewhere(ARRAY(SELECT unnest(ids) FROM wanted EXCEPT SELECT id FROM attached))
       END AS refused
FROM revision
"""

SELECT_KEPT_PHOTOS: Final = """
SELECT id FROM photos WHERE id = ANY($1::uuid[]) AND submission_id = $2 AND uploaded_by = $3
"""

MARK_VISIT_SUBMITTED: Final = "UPDATE visits SET status = 'submitted' WHERE id = $1"

TRANSITION: Final = """
UPDATE submissions
SET status = $3, reviewed_by = $4, reviewed_at = now(),
    released_at = CASE WHEN $3 = 'released' THEN now() END,
    reject_reason = $5,
    held_at = CASE WHEN $3 = 'rejected' THEN NULL ELSE held_at END,  -- a rejection ends a hold (#17)
    held_by = CASE WHEN $3 = 'rejected' THEN NULL ELSE held_by END,
    hold_reason = CASE WHEN $3 = 'rejected' THEN NULL ELSE hold_reason END
WHERE org_id = $1 AND id = $2 AND visited_on = submission_visited_on($1, $2) AND status = ANY($6::text[])
RETURNING id
"""

# The released submission and the revision QA released, for the release hooks (hooks.Released).
SELECT_RELEASED: Final = """
SELECT s.id, s.org_id, s.branch_id, f.key AS form_key, r.id AS revision_id, s.visited_on, s.released_at,
       s.total_percent, s.passed, r.score_card
FROM submissions s
JOIN submission_revisions r ON r.org_id = s.org_id AND r.visited_on = s.visited_on
                          AND r.submission_id = s.id AND r.revision = s.current_revision
JOIN form_versions fv ON fv.id = s.form_version_id
JOIN forms f ON f.id = fv.form_id
WHERE s.org_id = $2 AND s.id = $1 AND s.visited_on = submission_visited_on($2, $1) AND s.status = 'released'
"""

# One lock per series (branch x form key), held by the release transaction; the key mixes branch and
# form so other series never wait.
LOCK_SERIES: Final = "SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || $2, 6))"

_ROW_COLUMNS: Final = """
s.id, s.status, s.mode, s.visit_id, s.visited_on, s.submitted_at, s.released_at, s.reject_reason,
s.total_percent::float8 AS total_percent, s.passed,
b.id AS branch_id, b.code AS branch_code, b.name_zh AS branch_name_zh, b.name_en AS branch_name_en,
f.key AS form_key, fv.version AS form_version, fv.id AS form_version_id,
u.id AS inspector_id, u.display_name AS inspector_name,
r.revision, r.client_id, r.started_at, r.finished_at, r.gps_latitude, r.gps_longitude, r.gps_accuracy_m,
r.comment, r.answers, r.score_card, r.proof, s.held_at, s.hold_reason
"""
# One submission through its key row to the one month that holds it, then its current revision there
# (`LIMIT 1` keeps each a lookup the executor prunes at run time; by id alone both were probed in every
# month's index).
_ROW_JOINS: Final = """
FROM submission_keys k
CROSS JOIN LATERAL (SELECT s.* FROM submissions s
                    WHERE s.org_id = k.org_id AND s.id = k.submission_id AND s.visited_on = k.visited_on
                    LIMIT 1) s
CROSS JOIN LATERAL (SELECT r.* FROM submission_revisions r
                    WHERE r.org_id = s.org_id AND r.visited_on = s.visited_on
                      AND r.submission_id = s.id AND r.revision = s.current_revision
                    LIMIT 1) r
JOIN branches b ON b.org_id = s.org_id AND b.id = s.branch_id
JOIN form_versions fv ON fv.id = s.form_version_id
JOIN forms f ON f.id = fv.form_id
JOIN users u ON u.org_id = s.org_id AND u.id = s.inspector_id
"""

SELECT_SUBMISSION: Final = f"""
SELECT {_ROW_COLUMNS} {_ROW_JOINS}
WHERE k.org_id = $1 AND k.submission_id = $4 AND {SCOPE}
"""

# The submission a reviewer acts on, locked, in the caller's scope (a reviewer's regions; admin: org).
# $1 org, $2 user, $3 role, $4 submission.
SELECT_REVIEWABLE_FOR_UPDATE: Final = f"""
SELECT s.id, s.inspector_id, s.status, s.current_revision, s.visit_id, s.branch_id, s.form_version_id, s.mode,
       s.held_at IS NOT NULL AS held
FROM submissions s WHERE s.id = $4 AND s.visited_on = submission_visited_on($1, $4) AND {SCOPE}
FOR UPDATE OF s
"""

class SummaryRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    status: str
    visited_on: date
    total_percent: float | None
    passed: bool
    branch_id: UUID
    branch_code: str
    branch_name_zh: str
    branch_name_en: str
    form_key: str
    form_version: int
    form_version_id: UUID
    integrity: Integrity | None = None  # only when asked for ($13), and on proofs that have the summary
    on_hold: bool = False  # QA put it on hold (#17)


# $13: whether to read the current revision's integrity summary (proof readers only; one index lookup
# per row of the page, in the row's own month partition; none for anybody else). The page is cut first:
# a numbered page deep by offset skips its rows without looking up their summaries.
SELECT_SUMMARIES: Final = f"""
SELECT s.id, s.status, s.visited_on, s.total_percent, s.passed, s.branch_id, s.branch_code, s.branch_name_zh,
       s.branch_name_en, s.form_key, s.form_version, s.form_version_id,
       CASE WHEN $13::boolean THEN (
           SELECT r.proof -> 'integrity' FROM submission_revisions r
           WHERE r.org_id = $1 AND r.visited_on = s.visited_on
             AND r.submission_id = s.id AND r.revision = s.current_revision) END AS integrity,
       s.on_hold
FROM (
    SELECT s.id, s.status, s.visited_on, s.total_percent::float8 AS total_percent, s.passed,
           b.id AS branch_id, b.code AS branch_code, b.name_zh AS branch_name_zh, b.name_en AS branch_name_en,
           f.key AS form_key, fv.version AS form_version, fv.id AS form_version_id, s.current_revision,
           s.held_at IS NOT NULL AS on_hold
    FROM submissions s
    JOIN branches b ON b.org_id = s.org_id AND b.id = s.branch_id
    JOIN form_versions fv ON fv.id = s.form_version_id
    JOIN forms f ON f.id = fv.form_id
    WHERE {SCOPE}
      AND ($4::uuid IS NULL OR s.branch_id = $4)
      AND ($5::text IS NULL OR s.status = $5)
      AND ($6::text IS NULL OR f.key = $6)
      AND ($7::date IS NULL OR s.visited_on >= $7)
      AND ($8::date IS NULL OR s.visited_on <= $8)
      AND (s.visited_on, s.id) < ($11::date, $12::uuid)  -- keyset (inspect_api/paging.py): an index range
    ORDER BY s.visited_on DESC, s.id DESC                -- scan of submissions_org_visited_id_idx (migration 0040)
    LIMIT $9 OFFSET $10
) s
ORDER BY s.visited_on DESC, s.id DESC
"""

# SELECT_SUMMARIES serves the admin (and a reviewer of the whole org): its backward scan of the org's
# index finds a page in about a page of rows. A caller who sees a set of branches would walk the whole
# org's index that way and throw away the other branches' rows (643 ms at 1M for a branch manager), and
# an inspector everyone else's. These two answer the same rows in the same order (same parameters, same
# cursor) reading about a page: one keyset range per visible branch, each a backward scan of
# submissions_org_branch_visited_id_idx (migration 0050) cut at limit + offset rows, of which the newest
# page is kept; the inspector's own list is one range of submissions_org_inspector_visited_id_idx.
# Every filter is applied inside the range (the per-branch cut must count only matching rows); the
# dates are COALESCEd so that they stay index conditions in a generic plan too.
_SUMMARY_FILTERS: Final = """
  AND ($5::text IS NULL OR s.status = $5)
  AND ($6::text IS NULL OR s.form_version_id IN (
          SELECT fv.id FROM form_versions fv JOIN forms f ON f.id = fv.form_id WHERE f.key = $6))
  AND s.visited_on >= COALESCE($7::date, '-infinity'::date)
  AND s.visited_on <= COALESCE($8::date, 'infinity'::date)
  AND (s.visited_on, s.id) < ($11::date, $12::uuid)"""

_SUMMARY_COLUMNS: Final = """
SELECT s.id, s.status, s.visited_on, s.total_percent::float8 AS total_percent, s.passed,
       b.id AS branch_id, b.code AS branch_code, b.name_zh AS branch_name_zh, b.name_en AS branch_name_en,
       f.key AS form_key, fv.version AS form_version, fv.id AS form_version_id,
       CASE WHEN $13::boolean THEN (
           SELECT r.proof -> 'integrity' FROM submission_revisions r
           WHERE r.org_id = $1 AND r.visited_on = s.visited_on
             AND r.submission_id = s.id AND r.revision = s.current_revision) END AS integrity,
       s.held_at IS NOT NULL AS on_hold"""

# Managers, leads and regional reviewers. The role condition mirrors SCOPE (an inspector routed here
# by mistake would see a subset of their own rows, never more); $4 narrows the branch set itself.
SELECT_BRANCH_SET_SUMMARIES: Final = f"""
WITH page AS (
    SELECT s.id, s.status, s.visited_on, s.total_percent, s.passed, s.branch_id, s.form_version_id,
           s.current_revision, s.held_at
    FROM visible_branch_ids($1, $2, $3) AS vb (branch_id)
    CROSS JOIN LATERAL (
        SELECT s.id, s.status, s.visited_on, s.total_percent, s.passed, s.branch_id, s.form_version_id,
               s.current_revision, s.held_at
        FROM submissions s
        WHERE s.org_id = $1 AND s.branch_id = vb.branch_id
          AND CASE $3 WHEN 'admin' THEN true WHEN 'reviewer' THEN true WHEN 'inspector' THEN s.inspector_id = $2
                      ELSE s.status = 'released' END {_SUMMARY_FILTERS}
        ORDER BY s.visited_on DESC, s.id DESC
        LIMIT $9::bigint + $10::bigint
    ) s
    WHERE ($4::uuid IS NULL OR vb.branch_id = $4)
    ORDER BY s.visited_on DESC, s.id DESC
    LIMIT $9 OFFSET $10
)
{_SUMMARY_COLUMNS}
FROM page s
JOIN branches b ON b.org_id = $1 AND b.id = s.branch_id
JOIN form_versions fv ON fv.id = s.form_version_id
JOIN forms f ON f.id = fv.form_id
ORDER BY s.visited_on DESC, s.id DESC
"""

# An inspector's own submissions (SCOPE: s.inspector_id = $2), whatever their branch.
SELECT_OWN_SUMMARIES: Final = f"""
{_SUMMARY_COLUMNS}
FROM submissions s
JOIN branches b ON b.org_id = s.org_id AND b.id = s.branch_id
JOIN form_versions fv ON fv.id = s.form_version_id
JOIN forms f ON f.id = fv.form_id
WHERE s.org_id = $1 AND s.inspector_id = $2 AND $3::text = 'inspector'
  AND ($4::uuid IS NULL OR s.branch_id = $4) {_SUMMARY_FILTERS}
ORDER BY s.visited_on DESC, s.id DESC
LIMIT $9 OFFSET $10
"""


def summaries_statement(role: str, *, reviews_whole_org: bool = False) -> str:
    """The list's statement for the caller's scope shape; all three answer exactly what SCOPE allows."""
    if role == "inspector":
        return SELECT_OWN_SUMMARIES
    if role == "admin" or (role == "reviewer" and reviews_whole_org):
        return SELECT_SUMMARIES
    return SELECT_BRANCH_SET_SUMMARIES


SELECT_REVISIONS: Final = """
SELECT revision, created_at AS received_at, (score_card->>'total_percent')::float8 AS total_percent
FROM submission_revisions
WHERE org_id = $2 AND submission_id = $1 AND visited_on = submission_visited_on($2, $1)
ORDER BY revision
"""


async def revision_by_client_id(conn: asyncpg.Connection, org_id: UUID, client_id: UUID) -> ClaimedRevision | None:
    return row_to(ClaimedRevision, await conn.fetchrow(SELECT_REVISION_BY_CLIENT_ID, org_id, client_id))


_CONTEXT_DECODER: Final = msgspec.json.Decoder(IntakeContext)


async def intake_context(conn: asyncpg.Connection, keys: IntakeKeys) -> IntakeContext:
    text = await conn.fetchval(
        SELECT_INTAKE_CONTEXT, keys.org_id, keys.client_id, keys.inspector_id, keys.visit_id, keys.branch_id,
        keys.form_version_id, keys.photo_ids, keys.exclude_submission_id, keys.reuse_threshold,
    )
    return _CONTEXT_DECODER.decode(text)


async def submission_state(
    conn: asyncpg.Connection, org_id: UUID, submission_id: UUID, *, for_update: bool = False
) -> SubmissionState | None:
    sql = SELECT_SUBMISSION_STATE_FOR_UPDATE if for_update else SELECT_SUBMISSION_STATE
    return row_to(SubmissionState, await conn.fetchrow(sql, org_id, submission_id))


async def reviewable_for_update(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role: str, submission_id: UUID
) -> SubmissionState | None:
    return row_to(SubmissionState, await conn.fetchrow(SELECT_REVIEWABLE_FOR_UPDATE, org_id, user_id, role,
                                                       submission_id))


async def update_for_revision(
    conn: asyncpg.Connection, org_id: UUID, submission_id: UUID, revision: int, total: float | None, passed: bool,
    visited_on: date,
) -> None:
    await conn.execute(UPDATE_SUBMISSION_FOR_REVISION, submission_id, revision, total, passed, visited_on, org_id)


class RevisionValues(msgspec.Struct, frozen=True, kw_only=True):
    """One revision as the inspector sent it (with its score card and proof): the "revision" member
    of the write statements' jsonb parameter, read by these names (_REVISION_FIELDS)."""

    client_id: UUID
    request_hash: str
    answers: list[Any]
    score_card: ScoreCard
    started_at: datetime
    finished_at: datetime
    gps_latitude: float | None
    gps_longitude: float | None
    gps_accuracy_m: float | None
    comment: str | None
    proof: Any


class SubmissionValues(msgspec.Struct, frozen=True, kw_only=True):
    """The "submission" member of WRITE_FIRST_SUBMISSION's parameter."""

    org_id: UUID
    branch_id: UUID
    visit_id: UUID | None
    form_version_id: UUID
    inspector_id: UUID
    mode: str
    revision: int
    total_percent: float | None
    passed: bool
    visited_on: date


class FirstSubmission(msgspec.Struct, frozen=True, kw_only=True):
    """WRITE_FIRST_SUBMISSION's one parameter."""

    submission: SubmissionValues
    revision: RevisionValues
    photo_ids: list[UUID]


class CorrectionRevision(msgspec.Struct, frozen=True, kw_only=True):
    """WRITE_CORRECTION_REVISION's first parameter."""

    revision: RevisionValues


# SQLSTATEs this feature's SQL raises itself, class IA (inspect_api). Mapped by code, never by message.
PHOTOS_ATTACHED_ELSEWHERE: Final = "IA001"  # sql/photos_attached_elsewhere.sql; DETAIL: the photo ids
SQLSTATES: Final = {PHOTOS_ATTACHED_ELSEWHERE: "photos a concurrent request attached first"}


class PhotosAttachedElsewhere(Exception):
    """Another request attached these photos first; the write was rolled back."""

    def __init__(self, photo_ids: list[UUID]) -> None:
        super().__init__(f"photos attached elsewhere: {', '.join(map(str, photo_ids))}")
        self.photo_ids = photo_ids


async def write_first_submission(conn: asyncpg.Connection, first: FirstSubmission) -> StoredRevision:
    """Everything a first submission writes, atomically in one statement. Raises PhotosAttachedElsewhere
    when another request attached one of its photos first (nothing written)."""
    try:
        row = await conn.fetchrow(WRITE_FIRST_SUBMISSION, first)
    except asyncpg.PostgresError as exc:
        if exc.sqlstate == PHOTOS_ATTACHED_ELSEWHERE:
            detail = getattr(exc, "detail", None) or ""
            raise PhotosAttachedElsewhere([UUID(p) for p in detail.split(",") if p]) from exc
        raise
    return one_to(StoredRevision, row)


async def write_correction_revision(
    conn: asyncpg.Connection, org_id: UUID, submission_id: UUID, revision: RevisionValues
) -> StoredRevision:
    """Inside the caller's transaction: a correction's revision."""
    row = await conn.fetchrow(WRITE_CORRECTION_REVISION, CorrectionRevision(revision=revision), submission_id, org_id)
    return one_to(StoredRevision, row)


async def photos_already_attached(
    conn: asyncpg.Connection, photo_ids: list[UUID], submission_id: UUID, inspector_id: UUID
) -> set[UUID]:
    """Photos a correction keeps from earlier revisions of the same submission (verified back then)."""
    return {row["id"] for row in await conn.fetch(SELECT_KEPT_PHOTOS, photo_ids, submission_id, inspector_id)}


async def mark_visit_submitted(conn: asyncpg.Connection, visit_id: UUID) -> None:
    await conn.execute(MARK_VISIT_SUBMITTED, visit_id)


async def transition(
    conn: asyncpg.Connection,
    org_id: UUID,
    submission_id: UUID,
    to_status: str,
    reviewer_id: UUID,
    reason: str | None,
    from_statuses: tuple[str, ...],
) -> bool:
    updated = await conn.fetchval(
        TRANSITION, org_id, submission_id, to_status, reviewer_id, reason, list(from_statuses)
    )
    return updated is not None


async def released(conn: asyncpg.Connection, org_id: UUID, submission_id: UUID) -> Released | None:
    return row_to(Released, await conn.fetchrow(SELECT_RELEASED, submission_id, org_id))


async def lock_series(conn: asyncpg.Connection, branch_id: UUID, form_key: str) -> None:
    await conn.execute(LOCK_SERIES, str(branch_id), form_key)


async def submission(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role: str, submission_id: UUID
) -> SubmissionRow | None:
    return row_to(SubmissionRow, await conn.fetchrow(SELECT_SUBMISSION, org_id, user_id, role, submission_id))


async def summaries(
    conn: asyncpg.Connection,
    org_id: UUID,
    user_id: UUID,
    role: str,
    *,
    branch_id: UUID | None,
    status: str | None,
    form_key: str | None,
    date_from: date | None,
    date_to: date | None,
    limit: int,
    offset: int,
    after: tuple[date, UUID],
    with_integrity: bool = False,
    reviews_whole_org: bool = False,
) -> list[SummaryRow]:
    """`after`: the (visited_on, id) the page starts after (paging.FIRST_DAY, paging.LAST_UUID: the start).
    `reviews_whole_org`: a reviewer with no region (only picks the statement; SQL decides the rows)."""
    rows = await conn.fetch(
        summaries_statement(role, reviews_whole_org=reviews_whole_org),
        org_id, user_id, role, branch_id, status, form_key, date_from, date_to, limit, offset, *after, with_integrity,
    )
    return rows_to(SummaryRow, rows)


async def revisions(conn: asyncpg.Connection, org_id: UUID, submission_id: UUID) -> list[RevisionInfoRow]:
    return rows_to(RevisionInfoRow, await conn.fetch(SELECT_REVISIONS, submission_id, org_id))


# ---- re-score (#18: rescore.py) -----------------------------------------------------------------


class RescoreRow(msgspec.Struct, frozen=True, kw_only=True):
    """An unreleased submission's current revision, locked for a re-score."""

    submission_id: UUID
    status: str
    form_version_id: UUID
    form_key: str
    form_version: int
    revision_id: UUID
    revision: int
    total_percent: float | None
    passed: bool
    answers: list[Any]
    score_card: ScoreCard


class SubmissionStatusRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    status: str


# Unreleased submissions of the org chosen by ids or by form (and version), in id order after $6, their
# current revision with answers and card; the submissions are locked (a release waits; one committed
# first is re-read and, released now, left out). $1 org, $2 ids (NULL: any), $3 form key, $4 version,
# $5 statuses (never 'released'), $6 after this id, $7 limit.
SELECT_RESCORE_BATCH: Final = """
SELECT s.id AS submission_id, s.status, s.form_version_id, f.key AS form_key, fv.version AS form_version,
       r.id AS revision_id, r.revision, s.total_percent::float8 AS total_percent, s.passed, r.answers, r.score_card
FROM submissions s
JOIN submission_revisions r ON r.org_id = s.org_id AND r.visited_on = s.visited_on
                          AND r.submission_id = s.id AND r.revision = s.current_revision
JOIN form_versions fv ON fv.id = s.form_version_id
JOIN forms f ON f.id = fv.form_id
WHERE s.org_id = $1 AND s.status = ANY($5::text[]) AND s.status <> 'released'
  AND ($2::uuid[] IS NULL OR s.id = ANY($2::uuid[]))
  AND ($3::text IS NULL OR f.key = $3)
  AND ($4::int IS NULL OR fv.version = $4)
  AND ($6::uuid IS NULL OR s.id > $6)
ORDER BY s.id
LIMIT $7
FOR UPDATE OF s
"""

SELECT_STATUSES: Final = "SELECT id, status FROM submissions WHERE org_id = $1 AND id = ANY($2::uuid[])"

# In place on the current revision (the trigger in sql/frozen_score_cards.sql refuses a released one).
UPDATE_RESCORED_CARD: Final = """
UPDATE submission_revisions SET score_card = $2
WHERE org_id = $3 AND id = $1 AND visited_on = revision_visited_on($3, $1)
"""
UPDATE_RESCORED_SUBMISSION: Final = """
UPDATE submissions SET total_percent = $2::float8, passed = $3
WHERE org_id = $4 AND id = $1 AND visited_on = submission_visited_on($4, $1)
"""
INSERT_RESCORE: Final = """
INSERT INTO score_rescores (org_id, submission_id, revision_id, rescored_by, card_before, card_after, change)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""


class Rescored(msgspec.Struct, frozen=True, kw_only=True):
    """One re-score to write: the new card and the report of what it changes."""

    submission_id: UUID
    revision_id: UUID
    card_before: ScoreCard
    card_after: ScoreCard
    change: Any


async def rescore_batch(
    conn: asyncpg.Connection, org_id: UUID, *, ids: list[UUID] | None, form_key: str | None,
    form_version: int | None, statuses: list[str], after: UUID | None, limit: int,
) -> list[RescoreRow]:
    """Inside the caller's transaction (the rows stay locked until it ends)."""
    rows = await conn.fetch(SELECT_RESCORE_BATCH, org_id, ids, form_key, form_version, statuses, after, limit)
    return rows_to(RescoreRow, rows)


async def statuses_of(conn: asyncpg.Connection, org_id: UUID, ids: list[UUID]) -> list[SubmissionStatusRow]:
    return rows_to(SubmissionStatusRow, await conn.fetch(SELECT_STATUSES, org_id, ids))


async def write_rescores(conn: asyncpg.Connection, org_id: UUID, actor_id: UUID, rescored: list[Rescored]) -> None:
    """Inside the caller's transaction: the new cards, the submissions' totals and the history rows."""
    await conn.executemany(UPDATE_RESCORED_CARD, [(r.revision_id, r.card_after, org_id) for r in rescored])
    await conn.executemany(UPDATE_RESCORED_SUBMISSION, [
        (r.submission_id, r.card_after.total_percent, r.card_after.passed, org_id) for r in rescored])
    await conn.executemany(INSERT_RESCORE, [
        (org_id, r.submission_id, r.revision_id, actor_id, r.card_before, r.card_after, r.change) for r in rescored])


# ---- on hold and QA comments (#17: review.py hold/unhold, comments.py) -----------------------------

# $1 submission, $2 who, $3 reason (NULL: unhold), $4 org. The caller holds the row (reviewable_for_update).
SET_HOLD: Final = """
UPDATE submissions SET held_at = CASE WHEN $3::text IS NULL THEN NULL ELSE now() END,
       held_by = CASE WHEN $3::text IS NULL THEN NULL ELSE $2::uuid END, hold_reason = $3
WHERE org_id = $4 AND id = $1 AND visited_on = submission_visited_on($4, $1)
"""


async def set_hold(
    conn: asyncpg.Connection, org_id: UUID, submission_id: UUID, user_id: UUID, reason: str | None
) -> None:
    await conn.execute(SET_HOLD, submission_id, user_id, reason, org_id)


class CommentRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    item_key: str | None
    body: str
    share_with_branch: bool
    author_id: UUID
    author_name: str
    created_at: datetime
    commented_on: date  # the comment's date in the branch's time zone


INSERT_COMMENT: Final = """
INSERT INTO review_comments (org_id, submission_id, item_key, body, share_with_branch, author_id)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
"""
# $1 submission, $2 shared only, $3 org. Oldest first.
SELECT_COMMENTS: Final = """
SELECT c.id, c.item_key, c.body, c.share_with_branch, c.author_id, u.display_name AS author_name, c.created_at,
       (c.created_at AT TIME ZONE b.timezone)::date AS commented_on
FROM review_comments c
JOIN users u ON u.org_id = c.org_id AND u.id = c.author_id
JOIN submissions s ON s.org_id = c.org_id AND s.id = c.submission_id AND s.visited_on = submission_visited_on($3, $1)
JOIN branches b ON b.org_id = s.org_id AND b.id = s.branch_id
WHERE c.org_id = $3 AND c.submission_id = $1 AND (NOT $2 OR c.share_with_branch)
ORDER BY c.created_at, c.id
LIMIT 1000
"""


async def insert_comment(conn: asyncpg.Connection, org_id: UUID, submission_id: UUID, item_key: str | None,
                         body: str, share_with_branch: bool, author_id: UUID) -> UUID:
    return await conn.fetchval(INSERT_COMMENT, org_id, submission_id, item_key, body, share_with_branch, author_id)


async def comments(
    conn: asyncpg.Connection, org_id: UUID, submission_id: UUID, *, shared_only: bool
) -> list[CommentRow]:
    return rows_to(CommentRow, await conn.fetch(SELECT_COMMENTS, submission_id, shared_only, org_id))
