"""Bodies of the programme routes. Inputs are kw_only and forbid unknown fields; PATCH leaves out what
does not change (msgspec UNSET)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

ProgrammeMode = Literal["mystery", "announced"]
PeriodKind = Literal["month", "quarter"]
ProgrammeStatus = Literal["active", "paused"]
BranchRule = Literal["region", "list"]
OccurrenceStatus = Literal["scheduled", "submitted", "cancelled", "missed"]

Name = Annotated[str, Meta(min_length=1, max_length=200)]
FormKey = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$(?!\n)", description="a form's key")]
# A Literal, not a bounded int: Litestar drops the bounds of a list's items from the schema.
Weekday = Literal[1, 2, 3, 4, 5, 6, 7]
Weekdays = Annotated[list[Weekday], Meta(min_length=1, max_length=7,
                                         description="ISO weekdays: 1 = Monday .. 7 = Sunday")]
LocalTime = Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$(?!\n)",
                                description="HH:MM, local time in each branch's own time zone")]
VisitsPerPeriod = Annotated[int, Meta(ge=1, le=31)]
Cap = Annotated[int, Meta(ge=1, le=1000, description="at most this many of the programme's visits per inspector "
                                                      "per period")]
BranchIds = Annotated[list[UUID], Meta(min_length=1, max_length=5000)]
# Items unconstrained on purpose (Litestar would drop item bounds from the schema): an unknown code is a 422.
BranchCodes = Annotated[list[str], Meta(min_length=1, max_length=5000, description="branch codes")]
Day = Annotated[date, Meta(description="YYYY-MM-DD")]


class ProgrammeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Branches: exactly one of `region_id` (every active branch of the region, as it is when each period
    is generated), `branch_ids`, or `branch_codes` (e.g. from a CSV; also `POST /programmes/{id}/branches`
    with text/csv)."""

    name: Name
    form_key: FormKey  # the org's own form with this key, else the catalogue's; a published version needed
    mode: ProgrammeMode
    region_id: UUID | None = None
    branch_ids: BranchIds | None = None
    branch_codes: BranchCodes | None = None
    period: PeriodKind
    visits_per_period: VisitsPerPeriod
    days_of_week: Weekdays
    window_start_time: LocalTime
    window_end_time: LocalTime  # after window_start_time (same day)
    starts_on: Day
    ends_on: Day | None = None
    inspector_cap_per_period: Cap | None = None


class ProgrammePatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Occurrences already generated stay as they are; the rules place what is generated from now on (a
    higher visits_per_period also adds the missing n to the periods already generated)."""

    name: Name | UnsetType = UNSET
    visits_per_period: VisitsPerPeriod | UnsetType = UNSET
    days_of_week: Weekdays | UnsetType = UNSET
    window_start_time: LocalTime | UnsetType = UNSET
    window_end_time: LocalTime | UnsetType = UNSET
    ends_on: Day | UnsetType | None = UNSET
    inspector_cap_per_period: Cap | UnsetType | None = UNSET
    branch_ids: BranchIds | UnsetType = UNSET  # switches the programme to an explicit list


class ProgrammeOut(msgspec.Struct, frozen=True, kw_only=True):
    """For admins and regional leads only (window rules tell when mystery shoppers come)."""

    id: UUID
    name: str
    form_key: str
    mode: ProgrammeMode
    branch_rule: BranchRule
    region_id: UUID | None
    branch_ids: list[UUID]  # the list (branch_rule list) or the region's active branches now
    period: PeriodKind
    visits_per_period: int
    days_of_week: list[int]
    window_start_time: str
    window_end_time: str
    starts_on: date
    ends_on: date | None
    inspector_cap_per_period: int | None
    status: ProgrammeStatus
    created_at: datetime
    updated_at: datetime


class GenerateOut(msgspec.Struct, frozen=True, kw_only=True):
    created: int  # occurrences added by this call (0 when everything already existed)
    periods: list[date]  # the periods considered


class BranchBrief(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    code: str
    name_zh: str
    name_en: str
    timezone: str


class InspectorBrief(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    display_name: str


class OccurrenceOut(msgspec.Struct, frozen=True, kw_only=True):
    """One generated visit, for admins and regional leads (and in their events)."""

    id: UUID  # the visit's id (GET /visits/{id} once assigned)
    programme_id: UUID
    branch: BranchBrief
    period_start: date
    n: int
    mode: ProgrammeMode
    form_version_id: UUID
    window_start: datetime
    window_end: datetime
    status: OccurrenceStatus
    inspector: InspectorBrief | None  # None: open on the job board
    assigned_at: datetime | None
    missed_at: datetime | None


class AssignIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    inspector_id: UUID


class JobBranch(msgspec.Struct, frozen=True, kw_only=True):
    """Where to go: what an inspector needs to decide and travel, nothing about the programme."""

    id: UUID
    code: str
    name_zh: str
    name_en: str
    timezone: str
    address: str
    latitude: float | None
    longitude: float | None


class JobForm(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    version: int
    title_zh: str | None = None
    title_en: str | None = None


class JobOut(msgspec.Struct, frozen=True, kw_only=True):
    """An open occurrence the calling inspector may claim (rules already applied)."""

    id: UUID
    mode: ProgrammeMode
    window_start: datetime
    window_end: datetime
    branch: JobBranch
    form: JobForm


class ClaimOut(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    status: OccurrenceStatus
    mode: ProgrammeMode
    window_start: datetime
    window_end: datetime
    branch: JobBranch
    form: JobForm
    form_version_id: UUID


class WorkItem(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    bucket: Literal["upcoming", "overdue", "missed", "completed"]
    status: OccurrenceStatus
    programme_id: UUID | None
    branch: BranchBrief
    window_start: datetime
    window_end: datetime


class WorkloadRow(msgspec.Struct, frozen=True, kw_only=True):
    """`upcoming`: scheduled, window not over; `overdue`: window over, not submitted (yet: a phone may sync
    late; the missed job turns it missed); `missed`; `completed`: submitted."""

    inspector: InspectorBrief
    upcoming: int
    overdue: int
    missed: int
    completed: int


class WorkloadOut(msgspec.Struct, frozen=True, kw_only=True):
    as_of: datetime
    rows: list[WorkloadRow]
    items: list[WorkItem] | None = None  # with inspector_id (an inspector: always, their own), oldest first


class CoverageRow(msgspec.Struct, frozen=True, kw_only=True):
    branch: BranchBrief
    planned: int  # occurrences in the period (not cancelled)
    open: int  # not assigned yet, window not over
    assigned: int  # assigned, window not over
    overdue: int  # window over, not submitted, not (yet) marked missed
    completed: int
    missed: int


class CoverageOut(msgspec.Struct, frozen=True, kw_only=True):
    programme_id: UUID
    period_start: date
    rows: list[CoverageRow]


class ScopeCoverageOut(msgspec.Struct, frozen=True, kw_only=True):
    """Every visit (one-off and programme) whose window starts in the period (the branch's local date), per
    branch in the caller's scope that has any: the coverage beside /rankings' scores."""

    period: Literal["week", "month", "quarter"]
    period_start: date
    form_key: str | None
    rows: list[CoverageRow]
