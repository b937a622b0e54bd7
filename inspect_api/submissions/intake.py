"""Submission intake: idempotent, validated, photo-verified, scored, written in one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Final
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from inspect_api.auth.principal import Principal
from inspect_api.errors import Conflict, InvalidInput, NotFound
from inspect_api.events.service import emit
from inspect_api.forms.answers import validate_answers
from inspect_api.forms.queries import VersionWithDocument
from inspect_api.forms.scoring import ScoreCard, score
from inspect_api.forms.service import published_version
from inspect_api.photos.service import (
    REUSE_THRESHOLD,
    VerifiedPhoto,
    attach_photos,
    find_reused,
    photos_taken,
    stored_facts,
    verify_photos,
)
from inspect_api.settings import Settings
from inspect_api.storage.blobs import BlobStore
from inspect_api.submissions import queries
from inspect_api.submissions.proof import PhotoEvidence, ProofOfVisit, assess, photo_distance
from inspect_api.submissions.queries import (
    ClaimedRevision,
    IntakeKeys,
    IntakePhoto,
    RevisionValues,
    StoredRevision,
    SubmissionState,
    VisitTarget,
)
from inspect_api.submissions.schemas import Receipt, SubmissionIn

# A phone clock a little ahead of the server's is normal; an answer from the future is not.
CLOCK_SKEW: Final = timedelta(minutes=10)
IDEMPOTENCY_CONSTRAINT: Final = "revision_keys_client_id_key"
ONE_PER_VISIT_CONSTRAINT: Final = "submission_keys_visit_key"


def request_hash(data: SubmissionIn) -> str:
    """Hash of the decoded body: the same request re-encoded (key order, spacing) hashes the same."""
    return hashlib.sha256(msgspec.json.encode(data, order="deterministic")).hexdigest()


def _receipt(stored: StoredRevision) -> Receipt:
    return Receipt(
        submission_id=stored.submission_id,
        client_id=stored.client_id,
        revision=stored.revision,
        received_at=stored.created_at,
        score=stored.score_card,
        # Intake opens no action: these are the follow-ups the release will open, from the stored score
        # card, so a replay answers the same number.
        actions_opened=len(stored.score_card.follow_ups),
    )


def _replay(stored: ClaimedRevision, digest: str, inspector_id: UUID) -> Receipt:
    """The stored receipt for its own inspector's identical resend. Another inspector's use of the key
    is a 409 that says nothing of the stored submission, whatever their body (not even whether it matches)."""
    if stored.inspector_id != inspector_id:
        raise Conflict(f"client_id {stored.client_id} is already used; make a new client_id for this submission")
    if stored.request_hash != digest:
        raise Conflict(
            f"client_id {stored.client_id} was already used for a different submission body; "
            "make a new client_id for new answers"
        )
    return _receipt(stored)


def _check_times(data: SubmissionIn) -> None:
    errors = []
    if data.finished_at < data.started_at:
        errors.append({"field": "finished_at", "message": "must not be before started_at"})
    if data.finished_at > datetime.now(UTC) + CLOCK_SKEW:
        errors.append({"field": "finished_at", "message": "is in the future"})
    if errors:
        raise InvalidInput("submission times are inconsistent", extra={"errors": errors})


def _check_answers(version: VersionWithDocument, data: SubmissionIn) -> None:
    problems = validate_answers(version.document, data.answers)
    if problems:
        errors = [{"field": f"answers[{p.item}]", "message": p.reason} for p in problems]
        raise InvalidInput(f"{len(errors)} answer(s) do not fit form {version.key} v{version.version}",
                           extra={"errors": errors})


def _new_target(target: VisitTarget | None, data: SubmissionIn) -> VisitTarget:
    if data.visit_id is not None:
        if data.branch_id is not None or data.form_version_id is not None:
            raise InvalidInput("a visit submission takes branch and form from the visit",
                               extra={"errors": [{"field": "branch_id", "message": "omit with visit_id"}]})
        if target is None:
            raise NotFound(f"visit {data.visit_id} not found")
        if target.visit_status == "cancelled":
            raise Conflict(f"visit {data.visit_id} was cancelled")
        _refuse_retired(target, "visit_id")
        return target
    if data.branch_id is None or data.form_version_id is None:
        raise InvalidInput(
            "name a visit_id, or branch_id and form_version_id for an ad-hoc inspection",
            extra={"errors": [{"field": "visit_id", "message": "required without branch_id/form_version_id"}]},
        )
    if target is None:
        raise NotFound(f"branch {data.branch_id} not found")
    if not target.adhoc_allowed:
        message = ("ad-hoc inspections are off for this org (org setting allow_adhoc_submissions is false): "
                   "submit against a scheduled visit_id")
        raise InvalidInput(message, extra={"errors": [{"field": "visit_id", "message": message},
                                                      {"field": "allow_adhoc_submissions", "message": message}]})
    _refuse_retired(target, "form_version_id")
    return target


def _refuse_retired(target: VisitTarget, field: str) -> None:
    """A retired form version takes no new submission (#17); corrections keep their version."""
    if target.form_retired:
        message = f"form version {target.form_version_id} is retired for this org: no new submissions against it"
        raise InvalidInput(message, extra={"errors": [{"field": field, "message": message}]})


async def _correctable(
    conn: asyncpg.Connection, principal: Principal, submission_id: UUID, data: SubmissionIn
) -> SubmissionState:
    state = await queries.submission_state(conn, principal.org_id, submission_id)
    if state is None or state.inspector_id != principal.user_id:
        raise NotFound(f"submission {submission_id} not found")
    if state.status != "rejected":
        raise Conflict(f"submission {submission_id} is {state.status}; only a rejected result can be corrected")
    if data.visit_id not in (None, state.visit_id) or data.branch_id not in (None, state.branch_id):
        raise InvalidInput("a correction keeps the original visit and branch",
                           extra={"errors": [{"field": "visit_id", "message": "differs from the original"}]})
    return state


def photos_of_other_visits(photos: Iterable[IntakePhoto], visit_id: UUID | None) -> list[UUID]:
    """Photos whose upload slot was asked for a visit other than `visit_id` (None: an ad-hoc inspection),
    in id order. A photo asked for without a visit fits any submission: phones that do not name the
    visit (and photos uploaded before slots recorded it) keep working; one asked for a visit fits only it."""
    return sorted((p.id for p in photos if p.visit_id is not None and p.visit_id != visit_id), key=str)


def _check_photo_visits(photos: Iterable[IntakePhoto], visit_id: UUID | None) -> None:
    foreign = photos_of_other_visits(photos, visit_id)
    if not foreign:
        return
    belongs = "another visit" if visit_id is not None else "a scheduled visit, not this ad-hoc inspection"
    errors = [{"field": f"photos[{photo_id}]", "message": f"photo {photo_id} was taken for {belongs}"}
              for photo_id in foreign]
    raise InvalidInput(f"photo {foreign[0]} was taken for {belongs}; use photos taken for this one",
                       extra={"errors": errors})


def _reuse_map(found: Iterable[tuple[UUID, UUID]]) -> dict[UUID, list[str]]:
    """(photo, submission it was seen in) pairs -> each reused photo's submissions, for the proof."""
    submissions: dict[UUID, set[str]] = {}
    for photo_id, submission_id in found:
        submissions.setdefault(photo_id, set()).add(str(submission_id))
    return {photo_id: sorted(ids) for photo_id, ids in submissions.items()}


def _visited_on(target: VisitTarget, data: SubmissionIn) -> date:
    return data.finished_at.astimezone(ZoneInfo(target.timezone)).date()


def _proof(target: VisitTarget, data: SubmissionIn, photos: dict[UUID, VerifiedPhoto],
           reused: dict[UUID, list[str]]) -> ProofOfVisit:
    branch = None if target.latitude is None or target.longitude is None else (target.latitude, target.longitude)
    window = None if target.window_start is None or target.window_end is None else (
        target.window_start, target.window_end)
    evidence = [
        PhotoEvidence(
            photo_id=str(photo.id),
            distance_m=photo_distance(
                None if photo.exif_latitude is None or photo.exif_longitude is None
                else (photo.exif_latitude, photo.exif_longitude),
                branch,
            ),
            taken_at=photo.exif_taken_at,
            reused_from=reused.get(photo.id, []),
            has_gps=photo.exif_latitude is not None and photo.exif_longitude is not None,
        )
        for photo in sorted(photos.values(), key=lambda p: str(p.id))
    ]
    return assess(
        branch_location=branch,
        gps=None if data.gps is None else (data.gps.latitude, data.gps.longitude),
        gps_accuracy_m=None if data.gps is None else data.gps.accuracy_m,
        started_at=data.started_at,
        finished_at=data.finished_at,
        window=window,
        photos=evidence,
        # EXIF capture times are the camera's wall clock: read them in the branch's own zone.
        timezone=target.timezone,
    )


class _Checked(msgspec.Struct, frozen=True, kw_only=True):
    """A submission that passed every check but the photos': what its write needs."""

    target: VisitTarget
    revision: int
    version: VersionWithDocument
    visited_on: date


async def submit(
    pool: asyncpg.Pool,
    blobs: BlobStore,
    settings: Settings,
    principal: Principal,
    data: SubmissionIn,
    *,
    correction_of: UUID | None = None,
) -> Receipt:
    digest = request_hash(data)
    photo_ids = {photo_id for answer in data.answers for photo_id in answer.photos}
    async with pool.acquire() as conn:
        if correction_of is None:
            # One read, one snapshot: a retry of something already stored answers from the store,
            # before any other check (and a concurrent original is either stored or not yet there).
            context = await queries.intake_context(conn, _keys(
                principal, data, photo_ids, visit_id=data.visit_id, branch_id=data.branch_id,
                form_version_id=data.form_version_id, correction_of=None))
            if context.stored is not None:
                return _replay(context.stored, digest, principal.user_id)
            _check_times(data)
            target, revision = _new_target(context.target, data), 1
        else:
            stored = await queries.revision_by_client_id(conn, principal.org_id, data.client_id)
            if stored is not None:
                return _replay(stored, digest, principal.user_id)
            _check_times(data)
            state = await _correctable(conn, principal, correction_of, data)
            photo_ids -= await queries.photos_already_attached(conn, list(photo_ids), correction_of,
                                                               principal.user_id)
            context = await queries.intake_context(conn, _keys(
                principal, data, photo_ids, visit_id=state.visit_id, branch_id=state.branch_id,
                form_version_id=state.form_version_id, correction_of=correction_of))
            if context.target is None:
                raise NotFound(f"submission {correction_of} not found")
            target = msgspec.structs.replace(context.target, form_version_id=state.form_version_id)
            revision = state.current_revision + 1
        _check_photo_visits(context.photos, target.visit_id)
        version = await published_version(conn, principal.org_id, target.form_version_id)
        _check_answers(version, data)
        checked = _Checked(target=target, revision=revision, version=version, visited_on=_visited_on(target, data))
        # Usually the phone reported each upload done, so the read found them verified, with matches.
        photos = stored_facts(photo_ids, context.photos)
        if photos is not None:
            reused = _reuse_map((m.photo_id, m.submission_id) for photo in context.photos for m in photo.matches)
            return await _write(conn, principal, data, digest, checked, photos, reused, correction_of)
    # Some upload was never reported: verify it now, off the connection (S3 reads, image analysis).
    # An S3 outage or a bad photo writes no submission.
    photos = await verify_photos(pool, blobs, settings, org_id=principal.org_id,
                                 uploader_id=principal.user_id, photo_ids=photo_ids)
    async with pool.acquire() as conn:
        found = await find_reused(conn, principal.org_id, list(photos.values()), exclude_submission_id=correction_of)
        reused = _reuse_map((r.photo_id, m.submission_id) for r in found for m in r.matches)
        return await _write(conn, principal, data, digest, checked, photos, reused, correction_of)


def _keys(principal: Principal, data: SubmissionIn, photo_ids: set[UUID], *, visit_id: UUID | None,
          branch_id: UUID | None, form_version_id: UUID | None, correction_of: UUID | None) -> IntakeKeys:
    return IntakeKeys(org_id=principal.org_id, client_id=data.client_id, inspector_id=principal.user_id,
                      visit_id=visit_id, branch_id=branch_id, form_version_id=form_version_id,
                      photo_ids=sorted(photo_ids, key=str), exclude_submission_id=correction_of,
                      reuse_threshold=REUSE_THRESHOLD)


async def _write(
    conn: asyncpg.Connection,
    principal: Principal,
    data: SubmissionIn,
    digest: str,
    checked: _Checked,
    photos: dict[UUID, VerifiedPhoto],
    reused: dict[UUID, list[str]],
    correction_of: UUID | None,
) -> Receipt:
    target, version, visited_on = checked.target, checked.version, checked.visited_on
    card = score(version.document, data.answers, form_version=version.version, content_hash=version.content_hash)
    values = _revision_values(data, digest, card, _proof(target, data, photos, reused))
    try:
        async with conn.transaction():
            if correction_of is None:
                stored = await queries.write_first_submission(conn, queries.FirstSubmission(
                    submission=queries.SubmissionValues(
                        org_id=principal.org_id, branch_id=target.branch_id, visit_id=target.visit_id,
                        form_version_id=target.form_version_id, inspector_id=principal.user_id, mode=target.mode,
                        revision=checked.revision, total_percent=card.total_percent, passed=card.passed,
                        visited_on=visited_on),
                    revision=values, photo_ids=sorted(photos, key=str)))
            else:
                stored = await _write_correction(conn, principal.org_id, correction_of, checked.revision, values,
                                                 photos, visited_on)
            # The outbox row commits with the submission. Not for branch managers: they learn of a
            # result at its release.
            await emit(conn, principal.org_id, "submission.received" if correction_of is None else "submission.revised",
                       stored.submission_id, {
                           "submission_id": stored.submission_id, "revision": stored.revision,
                           "visit_id": target.visit_id, "inspector_id": principal.user_id, "mode": target.mode,
                           "visited_on": visited_on, "received_at": stored.created_at,
                           "total_percent": card.total_percent, "passed": card.passed,
                       }, branch_id=target.branch_id)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == IDEMPOTENCY_CONSTRAINT:
            # A concurrent duplicate won the race: answer with what it stored.
            stored = await queries.revision_by_client_id(conn, principal.org_id, data.client_id)
            assert stored is not None
            return _replay(stored, digest, principal.user_id)
        if exc.constraint_name == ONE_PER_VISIT_CONSTRAINT:
            raise Conflict(f"visit {data.visit_id} already has a submission; correct it once it is rejected") from exc
        raise
    except queries.PhotosAttachedElsewhere as exc:
        # A concurrent duplicate that committed first attached these photos; the client_id key is
        # checked only at the statement's end (revision_keys, written by a trigger), after the photos.
        stored = await queries.revision_by_client_id(conn, principal.org_id, data.client_id)
        if stored is not None:
            return _replay(stored, digest, principal.user_id)
        raise photos_taken(exc.photo_ids) from exc
    return _receipt(stored)


def _revision_values(data: SubmissionIn, digest: str, card: ScoreCard, proof: ProofOfVisit) -> RevisionValues:
    gps = data.gps
    return RevisionValues(
        client_id=data.client_id, request_hash=digest, answers=msgspec.to_builtins(data.answers), score_card=card,
        started_at=data.started_at, finished_at=data.finished_at,
        gps_latitude=gps.latitude if gps else None, gps_longitude=gps.longitude if gps else None,
        gps_accuracy_m=gps.accuracy_m if gps else None, comment=data.comment, proof=proof,
    )


async def _write_correction(
    conn: asyncpg.Connection,
    org_id: UUID,
    submission_id: UUID,
    revision: int,
    values: RevisionValues,
    photos: dict[UUID, VerifiedPhoto],
    visited_on: date,
) -> StoredRevision:
    """Inside the caller's transaction: the rejected submission takes the new revision and its new
    photos. Nothing derived exists before a release, so nothing is replaced."""
    locked = await queries.submission_state(conn, org_id, submission_id, for_update=True)
    if locked is None or locked.status != "rejected" or locked.current_revision != revision - 1:
        raise Conflict(f"submission {submission_id} changed while this correction was sent; retry")
    card = values.score_card
    await queries.update_for_revision(conn, org_id, submission_id, revision, card.total_percent, card.passed,
                                      visited_on)
    stored = await queries.write_correction_revision(conn, org_id, submission_id, values)
    await attach_photos(conn, list(photos.values()), submission_id=submission_id)
    if locked.visit_id is not None:
        await queries.mark_visit_submitted(conn, locked.visit_id)
    return stored
