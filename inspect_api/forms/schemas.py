"""Response bodies of the forms API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
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
        **msgspec.structs.asdict(summary(row, lang)),
        document=document if lang is None else localize(document, lang),
    )
