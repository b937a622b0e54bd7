"""Request and response bodies for follow-up actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from inspect_api.actions.lifecycle import ActionStatus

# A note must say something: at least one non-space character. Whitespace spelled out: `\S` differs
# between Python (msgspec) and the ECMA regex of JSON Schema (auth/schemas.py, Email).
Note = Annotated[str, Meta(min_length=1, max_length=4000, pattern=r"[^\s\x1c-\x1f\x85\ufeff]",
                           description="free text, not blank")]
OptionalNote = Annotated[str, Meta(max_length=4000)]
MAX_EVIDENCE_PHOTOS = 10
EventKind = Literal["created", "status", "comment", "evidence", "recheck", "merged", "assigned"]
# Opened at a release as high (a critical item) or normal; people may set any of them (PATCH).
Priority = Literal["low", "normal", "high", "urgent"]


class ResolveIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """What was done. Evidence photos come from POST /uploads (purpose action_evidence, this
    action_id), uploaded straight to S3; required when the action's `evidence_required`."""

    note: Note
    photo_ids: Annotated[list[UUID], Meta(max_length=MAX_EVIDENCE_PHOTOS)] = []


class NoteIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    note: Note


class VerifyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    note: OptionalNote = ""


class ActionPatchIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """Leave out what does not change. `assignee_id`: a user who sees the action's branch (its branch
    manager, the region's lead, an admin), or null to clear the named assignee."""

    assignee_id: UUID | UnsetType | None = UNSET
    priority: Priority | UnsetType = UNSET
    note: OptionalNote = ""


class BranchRef(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    code: str
    name_zh: str
    name_en: str
    region_id: UUID


class UserRef(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    display_name: str


class ActionOut(msgspec.Struct, frozen=True, kw_only=True):
    """One follow-up action. `assignees` are the branch's managers now (user_branches), so the
    assignment follows staff changes. `overdue`: pending and due before today in the branch's zone.
    `created_at`: when the branch learnt of it, the release of its visit (never the receive time, which
    would date the visit; see actions/loop.py open_at_release)."""

    id: UUID
    branch: BranchRef
    submission_id: UUID
    visited_on: date
    form_key: str
    item_key: str
    title_zh: str
    title_en: str
    priority: Priority
    evidence_required: bool
    due_on: date
    status: ActionStatus
    recurrence_count: int
    overdue: bool
    merged_into: UUID | None
    assignees: list[UserRef]
    assignee: UserRef | None = None  # the named assignee (PATCH), besides the branch's managers
    allowed_moves: list[str]
    created_at: datetime
    updated_at: datetime


class ActionEventOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: EventKind
    from_status: str | None
    to_status: str | None
    note: str
    photo_id: UUID | None
    submission_id: UUID | None  # the visit behind a recheck or merge
    actor: UserRef | None  # None: the system
    created_at: datetime


class ActionDetail(msgspec.Struct, frozen=True, kw_only=True):
    action: ActionOut
    events: list[ActionEventOut]  # oldest first: the whole history
    evidence_photo_ids: list[UUID]  # GET /photos/{id} for a short-lived URL


ActionChangeKind = Literal["opened", "moved", "commented", "rechecked", "updated", "due_soon", "overdue"]


class ActionChange(msgspec.Struct, frozen=True, kw_only=True):
    """What an action.* event changed: the status move, the note, who (None: the system), the visit
    behind an opening or recheck, the due moment behind a reminder."""

    kind: ActionChangeKind
    from_status: str | None = None
    to_status: str | None = None
    note: str = ""
    actor: UserRef | None = None
    submission_id: UUID | None = None
    merged: list[UUID] = []  # the new visit's own actions merged into this one (a recurrence)
    before: dict[str, str | None] | None = None  # action.updated: assignee_id and priority before
    after: dict[str, str | None] | None = None
    due_at: datetime | None = None  # reminders: the end of the due day in the branch's zone


class ActionEventPayload(msgspec.Struct, frozen=True, kw_only=True):
    """The payload of every action.* event: the action as /actions shows it at the commit (every role
    sees the same shape there, so branch managers get this too), and the change."""

    action: ActionOut
    change: ActionChange
