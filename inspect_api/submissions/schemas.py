"""Request and response bodies for submissions. Each role gets its own response type, so a field a
branch manager must never see is absent from their type rather than blanked at run time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from inspect_api.forms.answers import Answer
from inspect_api.forms.scoring import ScoreCard, ScoreChange
from inspect_api.submissions.proof import Integrity, ProofOfVisit

Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
AccuracyMetres = Annotated[float, Meta(ge=0, le=100_000)]
AwareDateTime = Annotated[datetime, Meta(tz=True, description="ISO 8601 with a UTC offset")]
Comment = Annotated[str, Meta(max_length=4000)]
Reason = Annotated[str, Meta(min_length=3, max_length=2000)]
SubmissionStatus = Literal["submitted", "approved", "released", "rejected"]
MAX_ANSWERS = 500


class GpsFix(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    latitude: Latitude
    longitude: Longitude
    accuracy_m: AccuracyMetres


class SubmissionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """What the phone sends. `client_id` is made before going offline: resending is always safe."""

    client_id: UUID
    visit_id: UUID | None = None
    # Ad-hoc submissions (no scheduled visit) name branch and form version, if the org allows them.
    branch_id: UUID | None = None
    form_version_id: UUID | None = None
    answers: Annotated[list[Answer], Meta(max_length=MAX_ANSWERS)]
    started_at: AwareDateTime
    finished_at: AwareDateTime
    gps: GpsFix | None = None
    comment: Comment = ""


class RejectIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    reason: Reason


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to a submission, rebuilt from stored rows so every retry gets the same bytes."""

    submission_id: UUID
    client_id: UUID
    revision: int
    received_at: datetime
    score: ScoreCard
    # Kept for clients that read it; intake opens no action (#19): the release opens them.
    actions_opened: Annotated[int, Meta(
        ge=0, description="how many follow-up actions the release of this revision will open: one per entry "
        "of score.follow_ups. Intake opens none; the branch sees them once QA releases the result.")]


class BranchRef(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    code: str
    name_zh: str
    name_en: str


class FormRef(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    version: int
    form_version_id: UUID


class SubmissionSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A list row; safe for every role (no inspector, no exact time)."""

    id: UUID
    branch: BranchRef
    form: FormRef
    status: SubmissionStatus
    total_percent: float | None
    passed: bool
    visited_on: date


class ReviewSummary(SubmissionSummary, frozen=True, kw_only=True):
    """A list row for those who read proofs of visit (the QA review queue): with the current revision's
    integrity summary (level and every reason; None for proofs stored before the summary existed)."""

    integrity: Integrity | None
    on_hold: bool = False  # QA put it on hold (#17): it cannot be released until unheld


class RevisionInfo(msgspec.Struct, frozen=True, kw_only=True):
    revision: int
    received_at: datetime
    total_percent: float | None


class InspectorRef(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    display_name: str


class BranchSubmissionView(msgspec.Struct, frozen=True, kw_only=True):
    """What a branch manager sees of a released result: no inspector, visit date only, no GPS."""

    id: UUID
    branch: BranchRef
    form: FormRef
    visited_on: date
    total_percent: float | None
    passed: bool
    answers: list[dict[str, Any]]  # item, value, na, comment, photos (ids; fetched redacted)
    score: ScoreCard


class SubmissionView(msgspec.Struct, frozen=True, kw_only=True):
    """QA/admin, the inspector themself, and regional leads. `proof` is filled for QA/admin only."""

    id: UUID
    branch: BranchRef
    form: FormRef
    mode: Literal["mystery", "announced", "adhoc"]
    status: SubmissionStatus
    visit_id: UUID | None
    inspector: InspectorRef
    revision: int
    client_id: UUID
    visited_on: date
    submitted_at: datetime
    started_at: datetime
    finished_at: datetime
    gps: GpsFix | None
    comment: str
    total_percent: float | None
    passed: bool
    answers: list[dict[str, Any]]
    score: ScoreCard
    reject_reason: str | None
    released_at: datetime | None
    revisions: list[RevisionInfo]
    proof: ProofOfVisit | None = None
    hold: Hold | None = None  # on hold (#17): since when and why; None when not held


# ---- re-score (#18) ---------------------------------------------------------------------------

RescoreStatus = Literal["submitted", "approved", "rejected"]
MAX_RESCORE_BATCH = 500


class RescoreIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """Which unreleased results to re-score with the current scoring code: by ids, or by form (and
    version); at most `limit` per call, in id order after `after`. `dry_run` (the default) only reports."""

    submission_ids: Annotated[list[UUID], Meta(min_length=1, max_length=MAX_RESCORE_BATCH)] | None = None
    form_key: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$(?!\n)")] | None = None
    form_version: Annotated[int, Meta(ge=1, le=1_000_000)] | None = None
    statuses: Annotated[list[RescoreStatus], Meta(min_length=1, max_length=3)] = msgspec.field(
        default_factory=lambda: ["submitted", "approved"])
    after: UUID | None = None
    limit: Annotated[int, Meta(ge=1, le=MAX_RESCORE_BATCH)] = 200
    dry_run: bool = True


class RescoreResult(msgspec.Struct, frozen=True, kw_only=True):
    submission_id: UUID
    status: SubmissionStatus
    revision: int
    form_key: str
    form_version: int
    change: ScoreChange  # forms.scoring.compare_cards(stored card, re-scored card)
    card_differs: bool  # the re-scored card differs at all (rules version, explanations, ... too)
    written: bool  # the new card replaced the stored one (never on a dry run)


class RescoreSkipped(msgspec.Struct, frozen=True, kw_only=True):
    submission_id: UUID
    reason: str


class RescoreReport(msgspec.Struct, frozen=True, kw_only=True):
    dry_run: bool
    rules_version: str  # the scoring rules the results were re-scored with
    examined: int
    changed: int  # results whose totals, pass/fail, item statuses or follow-ups change
    written: int
    results: list[RescoreResult]
    skipped: list[RescoreSkipped]  # named ids left alone: released (frozen), other status, not found
    next_after: UUID | None  # more may match: call again with after = this


# ---- on hold and QA comments (#17) -----------------------------------------------------------------


class Hold(msgspec.Struct, frozen=True, kw_only=True):
    held_at: datetime
    reason: str


class HoldIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    reason: Reason


ItemKey = Annotated[str, Meta(min_length=1, max_length=200, description="an item of the submission's form")]


class CommentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    body: Annotated[str, Meta(min_length=1, max_length=4000)]
    item_key: ItemKey | None = None  # None: on the result as a whole
    share_with_branch: bool = False  # shown to the branch's managers once the result is released


class CommentAuthor(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    display_name: str


class ReviewComment(msgspec.Struct, frozen=True, kw_only=True):
    """What QA (admin, reviewer) reads of a comment."""

    id: UUID
    item_key: str | None
    body: str
    share_with_branch: bool
    author: CommentAuthor
    created_at: datetime


class BranchComment(msgspec.Struct, frozen=True, kw_only=True):
    """A shared comment as the branch reads it after the release: no author, the date only (branch's zone)."""

    id: UUID
    item_key: str | None
    body: str
    commented_on: date
