"""Bodies of the org routes. Inputs are kw_only, forbid unknown fields and use the named constraints
below; PATCH bodies leave out what does not change (msgspec UNSET)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Final
from uuid import UUID
from zoneinfo import available_timezones

import msgspec
from msgspec import UNSET, Meta, UnsetType

from inspect_api.auth.principal import Role
from inspect_api.auth.schemas import Email, NewPassword

DEFAULT_MYSTERY_REVISIT_DAYS: Final = 30
DEFAULT_MIN_RANKED_VISITS: Final = 3  # rankings/schemas.py has the same default for orgs without the setting
MIN_RANKED_VISITS_BOUNDS: Final = (1, 50)  # = rankings' MIN_VISITS_LIMITS (its query parameter's bounds)

Code = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$(?!\n)",  # (?!\n): auth/schemas.py, Email
        description="letters, digits, _ . - (unique within the org)",
    ),
]
NameZh = Annotated[str, Meta(min_length=1, max_length=200, description="Chinese name")]
NameEn = Annotated[str, Meta(min_length=1, max_length=200, description="English name")]
# The schema names the zones rules.timezone_problem accepts (the same available_timezones()), so an unknown
# name is visibly invalid input rather than a schema-valid string answered 422. A pattern, not an enum:
# Schemathesis' coverage phase sends every enum value (~600 requests per operation and role).
TIMEZONE_NAMES: Final = tuple(sorted(available_timezones()))
TIMEZONE_PATTERN: Final = f"^({'|'.join(re.escape(name) for name in TIMEZONE_NAMES)})$(?!\\n)"
Timezone = Annotated[str, Meta(min_length=1, max_length=64, description="IANA time zone, e.g. Asia/Shanghai",
                               extra_json_schema={"description": "IANA time zone name, e.g. Asia/Shanghai",
                                                  "extra": {"pattern": TIMEZONE_PATTERN}})]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
Address = Annotated[str, Meta(max_length=500)]
BranchFormat = Annotated[str, Meta(
    pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$(?!\n)",
    description="the branch's format, a short lower-case slug the org chooses (e.g. forecourt, highway, urban): "
                "its peer group in rankings with peer=format; null: not set")]
DisplayName = Annotated[str, Meta(min_length=1, max_length=200)]
OrgName = Annotated[str, Meta(min_length=1, max_length=200)]
IdList = Annotated[list[UUID], Meta(max_length=1000)]


# ---- regions -----------------------------------------------------------------------------------


class RegionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Code
    name_zh: NameZh
    name_en: NameEn


class RegionPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Code | UnsetType = UNSET
    name_zh: NameZh | UnsetType = UNSET
    name_en: NameEn | UnsetType = UNSET


class RegionOut(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    code: str
    name_zh: str
    name_en: str
    created_at: datetime


# ---- branches ----------------------------------------------------------------------------------


class BranchIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Code
    name_zh: NameZh
    name_en: NameEn
    region_id: UUID
    timezone: Timezone
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    address: Address = ""
    active: bool = True
    format: BranchFormat | None = None


class BranchPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Code | UnsetType = UNSET
    name_zh: NameZh | UnsetType = UNSET
    name_en: NameEn | UnsetType = UNSET
    region_id: UUID | UnsetType = UNSET
    timezone: Timezone | UnsetType = UNSET
    latitude: Latitude | UnsetType | None = UNSET
    longitude: Longitude | UnsetType | None = UNSET
    address: Address | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    format: BranchFormat | UnsetType | None = UNSET


class BranchOut(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    region_id: UUID
    region_code: str
    code: str
    name_zh: str
    name_en: str
    timezone: str
    latitude: float | None
    longitude: float | None
    address: str
    active: bool
    created_at: datetime
    format: str | None = None


class ImportRowError(msgspec.Struct, frozen=True, kw_only=True):
    row: int  # the CSV line's record number, header = 1, first branch = 2
    column: str | None
    message: str


class ImportResult(msgspec.Struct, frozen=True, kw_only=True):
    created: int
    updated: int
    codes: list[str]


# ---- users -------------------------------------------------------------------------------------


class UserIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    display_name: DisplayName
    role: Role
    password: NewPassword
    region_ids: IdList = msgspec.field(default_factory=list)  # regional_lead; reviewer (none: whole org)
    branch_ids: IdList = msgspec.field(default_factory=list)  # branch_manager only


class UserPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email | UnsetType = UNSET
    display_name: DisplayName | UnsetType = UNSET
    role: Role | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    password: NewPassword | UnsetType = UNSET
    region_ids: IdList | UnsetType = UNSET
    branch_ids: IdList | UnsetType = UNSET


class RegionIdsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    region_ids: IdList


class BranchIdsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    branch_ids: IdList


class UserOut(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    email: str
    display_name: str
    role: Role
    active: bool
    region_ids: list[UUID]
    branch_ids: list[UUID]
    created_at: datetime


# ---- org ---------------------------------------------------------------------------------------


AllowAdhoc = Annotated[bool, Meta(description=(
    "whether inspectors may submit without a scheduled visit (branch_id + form_version_id); when false "
    "such a submission answers 422 naming this setting"))]
MinRankedVisits = Annotated[int, Meta(ge=MIN_RANKED_VISITS_BOUNDS[0], le=MIN_RANKED_VISITS_BOUNDS[1], description=(
    "released visits a branch needs in a period to be ranked (rankings' min_visits query parameter "
    "overrides it per request)"))]
ShowPeerNames = Annotated[bool, Meta(description=(
    "whether branch managers see other branches' names in rankings (false: peers are anonymous)"))]
MysteryRevisitDays = Annotated[int, Meta(ge=0, le=365, description=(
    "days an inspector stays away from a branch after a mystery visit there (scheduling and the job board); "
    "0 turns the rule off"))]


class OrgSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Every org setting the service reads (#17), with its default. Read in one place: org/queries.py
    org_settings() in Python, org/sql/org_settings.sql org_setting()/org_settings() in SQL (same keys and
    defaults, checked by a test). A new setting is a field here, a key in org_setting_defaults() and a
    field of OrgPatch."""

    mystery_revisit_days: MysteryRevisitDays = DEFAULT_MYSTERY_REVISIT_DAYS
    allow_adhoc_submissions: AllowAdhoc = False
    min_ranked_visits: MinRankedVisits = DEFAULT_MIN_RANKED_VISITS
    show_peer_names: ShowPeerNames = False


class OrgOut(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    slug: str
    name: str
    settings: OrgSettings


class OrgPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Any subset: the name and any setting of OrgSettings (same bounds). Absent members keep their value."""

    name: OrgName | UnsetType = UNSET
    mystery_revisit_days: MysteryRevisitDays | UnsetType = UNSET
    allow_adhoc_submissions: AllowAdhoc | UnsetType = UNSET
    min_ranked_visits: MinRankedVisits | UnsetType = UNSET
    show_peer_names: ShowPeerNames | UnsetType = UNSET
