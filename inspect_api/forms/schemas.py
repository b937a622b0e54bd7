"""Response bodies of the forms API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from inspect_api.forms.queries import VersionRow, VersionWithDocument

Lang = Literal["zh", "en"]


class FormVersionSummary(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    version: int
    form_version_id: UUID
    status: Literal["draft", "published"]
    catalogue: bool  # True: the shared catalogue; False: this org's own form
    title: dict[str, str] | str
    content_hash: str
    published_at: datetime | None
    # Lists only (#17): whether the caller's org retired this version or its form (no new visits or
    # submissions; history keeps it). null in a version download, whose bytes never change.
    retired: bool | None = None


class FormVersionOut(FormVersionSummary, frozen=True, kw_only=True):
    document: dict[str, Any]  # the FormDocument; with ?lang= every {zh, en} pair becomes one string


def _title(row: VersionRow, lang: Lang | None) -> dict[str, str] | str:
    titles = {"zh": row.title_zh, "en": row.title_en}
    return titles if lang is None else titles[lang]


def summary(row: VersionRow, lang: Lang | None = None) -> FormVersionSummary:
    return FormVersionSummary(
        key=row.key,
        version=row.version,
        form_version_id=row.form_version_id,
        status=row.status,
        catalogue=row.org_id is None,
        title=_title(row, lang),
        content_hash=row.content_hash,
        published_at=row.published_at,
        retired=row.retired,
    )


def localize(value: Any, lang: Lang) -> Any:
    """Replace every bilingual {zh, en} object by the chosen language's string."""
    if isinstance(value, dict):
        if value.keys() == {"zh", "en"}:
            return value[lang]
        return {k: localize(v, lang) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [localize(v, lang) for v in value]
    return value


def full_version(row: VersionWithDocument, lang: Lang | None) -> FormVersionOut:
    document = msgspec.to_builtins(row.document)
    return FormVersionOut(
        **(msgspec.structs.asdict(summary(row, lang)) | {"retired": None}),
        document=document if lang is None else localize(document, lang),
    )


# ---- retirement (#17) --------------------------------------------------------------------------

RETIRE_DESCRIPTION = (
    "For the caller's org only (a catalogue form stays usable by other orgs). Afterwards scheduling a "
    "visit with a retired version, or a first submission against it, answers 422 naming form_version_id; "
    "GET /forms no longer lists it (an older, unretired version of the form is listed instead), "
    "GET /forms/{key}/versions marks it retired, and visits, submissions, score cards, reports and exports "
    "made with it stay as they are (a submission stays pinned to its version). Corrections of rejected "
    "results keep their version. Retiring again answers 409; a `form.retired` event and an audit row are "
    "written with it."
)


class RetireIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class RetiredOut(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    version: int | None  # null: the whole form
    reason: str
    versions: list[FormVersionSummary]


def retired_out(retired: Any) -> RetiredOut:
    return RetiredOut(key=retired.key, version=retired.version, reason=retired.reason,
                      versions=[summary(v) for v in retired.versions])
