"""Bodies of the visit routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

VisitMode = Literal["mystery", "announced"]
VisitStatus = Literal["scheduled", "submitted", "cancelled"]
AwareDatetime = Annotated[datetime, Meta(tz=True, description="RFC 3339 with an offset")]


class VisitIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    branch_id: UUID
    form_version_id: UUID  # a published version of a catalogue form or of the org's own form
    inspector_id: UUID  # an active inspector of the same org
    window_start: AwareDatetime
    window_end: AwareDatetime  # after window_start, not in the past
    mode: VisitMode


class BranchRef(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    code: str
    name_zh: str
    name_en: str
    timezone: str
    address: str
    latitude: float | None
    longitude: float | None


class FormRef(msgspec.Struct, frozen=True, kw_only=True):
    form_version_id: UUID
    key: str
    version: int
    title_zh: str | None = None
    title_en: str | None = None


class InspectorRef(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    display_name: str


class VisitOut(msgspec.Struct, frozen=True, kw_only=True):
    """For admins, regional leads and the visit's inspector (never for branch managers)."""

    id: UUID
    status: VisitStatus
    mode: VisitMode
    window_start: datetime
    window_end: datetime
    branch: BranchRef
    form: FormRef
    inspector: InspectorRef
    created_at: datetime
    cancelled_at: datetime | None


class MyVisitOut(msgspec.Struct, frozen=True, kw_only=True):
    """An inspector's open visit: where to go, when, and which form version to fill."""

    id: UUID
    status: VisitStatus
    mode: VisitMode
    window_start: datetime
    window_end: datetime
    branch: BranchRef
    form: FormRef
