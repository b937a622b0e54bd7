"""Request and response bodies for appeals. Every response shape is safe for a branch manager: no
inspector, no time of the visit finer than its date (the appeal's own times are the manager's and QA's)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Final, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from inspect_api.forms.answers import Answer
from inspect_api.forms.scoring import ScoreCard

MAX_EVIDENCE_PHOTOS: Final = 10
MAX_CORRECTED_ANSWERS: Final = 500

AppealStatus = Literal["open", "accepted", "rejected", "withdrawn"]
Reason = Annotated[str, Meta(min_length=3, max_length=2000, description="3 to 2000 characters")]
ItemKey = Annotated[str, Meta(min_length=1, max_length=200, description="an item key of the result's form")]
Note = Annotated[str, Meta(max_length=2000)]


class AppealIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A branch manager disputes a released result of one of their branches: the whole result
    (no `item_key`) or one item. Evidence: photos uploaded with POST /uploads (purpose action_evidence)
    and verified, listed here."""

    submission_id: UUID
    item_key: ItemKey | None = None
    reason: Reason
    photo_ids: Annotated[list[UUID], Meta(max_length=MAX_EVIDENCE_PHOTOS)] = []


class AcceptIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """QA accepts: the corrected answers (for the disputed item only, when the appeal names one) replace
    the current ones in a new revision the server scores."""

    answers: Annotated[list[Answer], Meta(min_length=1, max_length=MAX_CORRECTED_ANSWERS)]
    note: Note = ""


class RejectIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    reason: Reason


class WithdrawIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    note: Note = ""


class BranchRef(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    code: str
    name_zh: str
    name_en: str


class UserRef(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    display_name: str


class ResultRef(msgspec.Struct, frozen=True, kw_only=True):
    """One revision of the disputed result as the branch saw it: total, pass, the disputed item's status."""

    revision: int
    total_percent: float | None
    passed: bool
    item_status: str | None  # the disputed item's status in this revision; None for a whole-result appeal


class AppealOut(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    submission_id: UUID
    branch: BranchRef
    form_key: str
    visited_on: date
    item_key: str | None
    status: AppealStatus
    reason: str
    evidence_photo_ids: list[UUID]
    opened_by: UserRef
    opened_at: datetime
    decided_by: UserRef | None
    decided_at: datetime | None
    decision_reason: str | None
    disputed: ResultRef
    corrected: ResultRef | None  # the revision an accepted appeal made current


class AppealDetail(msgspec.Struct, frozen=True, kw_only=True):
    """One appeal. `disputed_score` (QA and leads, not branch managers) is the score card of the revision
    the manager disputed, kept however the result was corrected since."""

    appeal: AppealOut
    disputed_score: ScoreCard | None = None
