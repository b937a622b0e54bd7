"""Correcting a RELEASED result (#17 appeals): QA replaces some answers, the server scores a new revision,
and what the release derived is re-derived from it, in the caller's transaction.

The public path for other features (appeals) is `correct_released`. It
* locks the submission, takes the series (branch x form key) lock as a release does;
* builds the new revision from the current one: its answers with the corrected ones replacing theirs
  (by item), everything else as the inspector sent it (times, GPS, comment, proof), a server-made
  client id; validates the answers against the pinned version (422 naming `answers[item]`) and scores
  them with the same scoring as intake;
* makes it current (the submission stays released, with its release time and visit date) and calls the
  correction hooks (hooks.py: rankings re-derive per-item facts and roll-ups, actions carry/close/open
  follow-ups). The previous revision, its score card and proof stay in submission_revisions: history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Final
from uuid import UUID, uuid4

import asyncpg
import msgspec

from inspect_api.errors import Conflict, InvalidInput, NotFound
from inspect_api.forms.answers import Answer, validate_answers
from inspect_api.forms.scoring import ScoreCard, score
from inspect_api.forms.service import published_version
from inspect_api.storage.db import one_to, row_to
from inspect_api.submissions import hooks, queries
from inspect_api.submissions.queries import RevisionValues


class Correction(msgspec.Struct, frozen=True, kw_only=True):
    """What a correction did: the revision it replaced and the one it made current."""

    submission_id: UUID
    branch_id: UUID
    previous_revision: int
    previous_total_percent: float | None
    previous_passed: bool
    revision: int
    total_percent: float | None
    passed: bool
    score: ScoreCard
    corrected_at: datetime


class _CurrentRevision(msgspec.Struct, frozen=True, kw_only=True):
    revision: int
    answers: list[dict[str, Any]]
    started_at: datetime
    finished_at: datetime
    gps_latitude: float | None
    gps_longitude: float | None
    gps_accuracy_m: float | None
    comment: str
    proof: dict[str, Any]
    attached_photo_ids: list[UUID]


SELECT_CURRENT_REVISION: Final = """
SELECT r.revision, r.answers, r.started_at, r.finished_at, r.gps_latitude, r.gps_longitude, r.gps_accuracy_m,
       r.comment, r.proof,
       ARRAY(SELECT p.id FROM photos p
             WHERE p.org_id = s.org_id AND p.submission_id = s.id AND p.status = 'attached') AS attached_photo_ids
FROM submissions s
JOIN submission_revisions r ON r.org_id = s.org_id AND r.visited_on = s.visited_on
                          AND r.submission_id = s.id AND r.revision = s.current_revision
WHERE s.org_id = $2 AND s.id = $1 AND s.visited_on = submission_visited_on($2, $1)
"""

# The submission stays released (release time, visit date kept); only its current revision and score move.
UPDATE_RELEASED_FOR_REVISION: Final = """
UPDATE submissions SET current_revision = $2, total_percent = $3, passed = $4
WHERE org_id = $5 AND id = $1 AND visited_on = submission_visited_on($5, $1)
  AND status = 'released' AND current_revision = $2 - 1
RETURNING now() AS corrected_at
"""


def merged_answers(current: Sequence[dict[str, Any]], corrected: Sequence[Answer]) -> list[Answer]:
    """The current answers with each corrected one in place of the answer for its item (appended when
    the item had none), in the form's answer order as sent."""
    replacing = {a.item: a for a in corrected}
    merged: list[Answer] = []
    for raw in current:
        answer = msgspec.convert(raw, Answer)
        merged.append(replacing.pop(answer.item, answer))
    merged.extend(replacing.values())
    return merged


def _check_corrected(corrected: Sequence[Answer], only_items: Collection[str] | None, photos: Collection[UUID],
                     current: Sequence[Answer]) -> None:
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    kept = {p for a in current for p in a.photos}
    for index, answer in enumerate(corrected):
        if answer.item in seen:
            errors.append({"field": f"answers[{index}].item", "message": f"item {answer.item} is corrected twice"})
        seen.add(answer.item)
        if only_items is not None and answer.item not in only_items:
            errors.append({"field": f"answers[{index}].item",
                           "message": f"this correction may change only {', '.join(sorted(only_items))}"})
        for photo_id in answer.photos:
            if photo_id not in photos and photo_id not in kept:
                errors.append({"field": f"answers[{index}].photos",
                               "message": f"photo {photo_id} is not a photo of this result"})
    if errors:
        raise InvalidInput(errors[0]["message"], extra={"errors": errors})


async def correct_released(
    conn: asyncpg.Connection,
    org_id: UUID,
    submission_id: UUID,
    corrected: Sequence[Answer],
    *,
    only_items: Collection[str] | None = None,
    note: str = "",
) -> Correction:
    """Inside the caller's transaction: a new, server-scored revision of the released submission from
    the current answers with `corrected` in place (only items in `only_items`, when given), and every
    derived row re-derived through the correction hooks. NotFound / Conflict (not released) /
    InvalidInput (answers naming their field)."""
    if not conn.is_in_transaction():
        raise RuntimeError("a correction runs inside the caller's transaction")
    state = await queries.submission_state(conn, org_id, submission_id, for_update=True)
    if state is None:
        raise NotFound(f"submission {submission_id} not found")
    if state.status != "released":
        raise Conflict(f"submission {submission_id} is {state.status}; only a released result is corrected this way")
    previous = await queries.released(conn, org_id, submission_id)
    current = row_to(_CurrentRevision, await conn.fetchrow(SELECT_CURRENT_REVISION, submission_id, org_id))
    if previous is None or current is None:
        raise NotFound(f"submission {submission_id} not found")
    await queries.lock_series(conn, previous.branch_id, previous.form_key)
    current_answers = [msgspec.convert(a, Answer) for a in current.answers]
    _check_corrected(corrected, only_items, current.attached_photo_ids, current_answers)
    answers = merged_answers(current.answers, corrected)
    version = await published_version(conn, org_id, state.form_version_id)
    problems = validate_answers(version.document, answers)
    if problems:
        errors = [{"field": f"answers[{p.item}]", "message": p.reason} for p in problems]
        raise InvalidInput(f"{len(errors)} corrected answer(s) do not fit form {version.key} v{version.version}",
                           extra={"errors": errors})
    card = score(version.document, answers, form_version=version.version, content_hash=version.content_hash)
    revision = current.revision + 1
    body = msgspec.to_builtins(answers)
    digest = hashlib.sha256(msgspec.json.encode({"correction_of": str(submission_id), "revision": revision,
                                                 "answers": body, "note": note}, order="deterministic")).hexdigest()
    corrected_at = await conn.fetchval(UPDATE_RELEASED_FOR_REVISION, submission_id, revision, card.total_percent,
                                       card.passed, org_id)
    if corrected_at is None:
        raise Conflict(f"submission {submission_id} changed while it was being corrected; retry")
    values = RevisionValues(
        client_id=uuid4(), request_hash=digest, answers=body, score_card=card, started_at=current.started_at,
        finished_at=current.finished_at, gps_latitude=current.gps_latitude, gps_longitude=current.gps_longitude,
        gps_accuracy_m=current.gps_accuracy_m, comment=current.comment, proof=current.proof,
    )
    stored = await queries.write_correction_revision(conn, org_id, submission_id, values)
    now_released = await queries.released(conn, org_id, submission_id)
    assert now_released is not None and now_released.revision_id == stored.revision_id
    await hooks.announce_correction(conn, hooks.Corrected(previous=previous, current=now_released,
                                                          corrected_at=corrected_at))
    return Correction(
        submission_id=submission_id, branch_id=previous.branch_id, previous_revision=current.revision,
        previous_total_percent=None if previous.total_percent is None else float(previous.total_percent),
        previous_passed=previous.passed, revision=revision, total_percent=card.total_percent, passed=card.passed,
        score=card, corrected_at=corrected_at,
    )


class RevisionCard(msgspec.Struct, frozen=True, kw_only=True):
    revision: int
    received_at: datetime
    score_card: ScoreCard


SELECT_REVISION_CARD: Final = """
SELECT r.revision, r.created_at AS received_at, r.score_card
FROM submission_revisions r
WHERE r.org_id = $1 AND r.submission_id = $2 AND r.revision = $3 AND r.visited_on = submission_visited_on($1, $2)
"""


async def revision_card(conn: asyncpg.Connection, org_id: UUID, submission_id: UUID, revision: int) -> RevisionCard:
    """One stored revision's score card (history: a corrected result keeps its earlier cards). For QA."""
    return one_to(RevisionCard, await conn.fetchrow(SELECT_REVISION_CARD, org_id, submission_id, revision))
