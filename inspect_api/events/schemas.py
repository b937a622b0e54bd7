"""Shapes of the event feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal, get_args
from uuid import UUID

import msgspec

# Every type an event may have; webhook endpoints subscribe to a subset.
EventType = Literal[
    "branch.created", "branch.updated", "branch.deleted",
    "user.created", "user.updated", "user.deleted",
    "visit.scheduled", "visit.cancelled", "visit.missed", "visit.assigned",  # assigned: #17 programmes
    "form.published", "form.retired",
    "submission.received", "submission.approved", "submission.released", "submission.rejected",
    "submission.revised", "submission.held", "submission.unheld", "submission.commented",  # #17 QA
    "action.opened", "action.moved", "action.commented", "action.rechecked", "action.updated",
    "action.due_soon", "action.overdue",
    "appeal.opened", "appeal.accepted", "appeal.rejected", "appeal.withdrawn",
]
EVENT_TYPES: Final[tuple[str, ...]] = get_args(EventType)


class EventOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    cursor: str  # pass as ?after= to read on from this event
    type: str
    subject_id: UUID
    subject_seq: int  # this subject's events in commit order: 1, 2, 3...
    branch_id: UUID | None
    occurred_at: datetime
    payload: Any


class EventPage(msgspec.Struct, frozen=True, kw_only=True):
    events: list[EventOut]
    next_cursor: str  # the last event's cursor, or the request's own when there were none
