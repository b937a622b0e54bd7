"""SQL for forms and form versions, one typed function per statement.

Visibility: a caller sees the shared catalogue (forms.org_id IS NULL) and its own org's forms.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.forms.model import FormDocument
from inspect_api.storage.db import rows_to

VersionStatus = Literal["draft", "published"]


class FormRow(msgspec.Struct, frozen=True):
    id: UUID
    org_id: UUID | None
    key: str


class VersionRow(msgspec.Struct, frozen=True, kw_only=True):
    form_version_id: UUID
    form_id: UUID
    key: str
    org_id: UUID | None
    version: int
    status: VersionStatus
    content_hash: str
    created_at: datetime
    published_at: datetime | None
    title_zh: str
    title_en: str
    retired: bool = False  # the caller's org retired this version or its form (#17)


class VersionWithDocument(VersionRow, frozen=True, kw_only=True):
    document: FormDocument


_VERSION_COLUMNS: Final = """
    v.id AS form_version_id, f.id AS form_id, f.key, f.org_id, v.version, v.status, v.content_hash,
    v.created_at, v.published_at, v.document->'title'->>'zh' AS title_zh, v.document->'title'->>'en' AS title_en,
    form_version_retired($1, v.id) AS retired
"""
_VISIBLE: Final = "(f.org_id IS NULL OR f.org_id = $1)"

SELECT_FORM_BY_KEY: Final = f"""
SELECT id, org_id, key FROM forms f WHERE f.key = $2 AND {_VISIBLE}
ORDER BY f.org_id NULLS LAST LIMIT 1
"""
SELECT_FORM_FOR_UPDATE: Final = "SELECT id, org_id, key FROM forms WHERE id = $1 FOR UPDATE"
INSERT_FORM: Final = """
INSERT INTO forms (org_id, key) VALUES ($1, $2)
ON CONFLICT (org_id, key) DO UPDATE SET key = EXCLUDED.key
RETURNING id, org_id, key
"""
SELECT_LATEST_PUBLISHED: Final = f"""
SELECT DISTINCT ON (f.id) {_VERSION_COLUMNS}
FROM forms f JOIN form_versions v ON v.form_id = f.id
WHERE {_VISIBLE} AND v.status = 'published' AND NOT form_version_retired($1, v.id)
ORDER BY f.id, v.version DESC
"""
SELECT_VERSIONS: Final = f"""
SELECT {_VERSION_COLUMNS}
FROM forms f JOIN form_versions v ON v.form_id = f.id
WHERE f.id = $2 AND {_VISIBLE} AND (v.status = 'published' OR $3)
ORDER BY v.version
"""
SELECT_VERSION_DOCUMENT: Final = f"""
SELECT {_VERSION_COLUMNS}, v.document
FROM forms f JOIN form_versions v ON v.form_id = f.id
WHERE f.id = $2 AND {_VISIBLE} AND v.version = $3 AND (v.status = 'published' OR $4)
"""
SELECT_VERSION_DOCUMENT_BY_ID: Final = f"""
SELECT {_VERSION_COLUMNS}, v.document
FROM forms f JOIN form_versions v ON v.form_id = f.id
WHERE v.id = $2 AND {_VISIBLE}
"""
SELECT_MAX_VERSION: Final = "SELECT coalesce(max(version), 0) FROM form_versions WHERE form_id = $1"
SELECT_LATEST_PUBLISHED_HASH: Final = """
SELECT content_hash FROM form_versions WHERE form_id = $1 AND status = 'published'
ORDER BY version DESC LIMIT 1
"""
DELETE_DRAFT: Final = "DELETE FROM form_versions WHERE form_id = $1 AND status = 'draft' RETURNING version"
INSERT_VERSION: Final = """
INSERT INTO form_versions (form_id, version, status, document, content_hash, published_at)
VALUES ($1, $2, $3, $4, $5, CASE WHEN $3 = 'published' THEN now() END)
RETURNING id
"""
PUBLISH_DRAFT: Final = """
UPDATE form_versions SET status = 'published', published_at = now()
WHERE form_id = $1 AND version = $2 AND status = 'draft'
RETURNING id
"""
SELECT_VERSION_STATUS: Final = "SELECT status FROM form_versions WHERE form_id = $1 AND version = $2"
# $1 org, $2 form, $3 version (NULL: the whole form), $4 reason, $5 who. Already retired: no row.
INSERT_RETIREMENT: Final = """
INSERT INTO form_retirements (org_id, form_id, version, reason, retired_by) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (org_id, form_id, coalesce(version, 0)) DO NOTHING
RETURNING id
"""
SELECT_FORM_RETIRED: Final = """
SELECT EXISTS (SELECT 1 FROM form_retirements WHERE org_id = $1 AND form_id = $2 AND version IS NULL)
"""


def _decode_document(row: asyncpg.Record) -> VersionWithDocument:
    return msgspec.convert(dict(row), VersionWithDocument)


async def form_by_key(conn: asyncpg.Connection, org_id: UUID | None, key: str) -> FormRow | None:
    row = await conn.fetchrow(SELECT_FORM_BY_KEY, org_id, key)
    return None if row is None else msgspec.convert(dict(row), FormRow)


async def lock_form(conn: asyncpg.Connection, form_id: UUID) -> None:
    await conn.execute(SELECT_FORM_FOR_UPDATE, form_id)


async def upsert_form(conn: asyncpg.Connection, org_id: UUID | None, key: str) -> FormRow:
    return msgspec.convert(dict(await conn.fetchrow(INSERT_FORM, org_id, key)), FormRow)


async def latest_published(conn: asyncpg.Connection, org_id: UUID | None) -> list[VersionRow]:
    return rows_to(VersionRow, await conn.fetch(SELECT_LATEST_PUBLISHED, org_id))


async def versions_of(
    conn: asyncpg.Connection, org_id: UUID | None, form_id: UUID, *, include_drafts: bool
) -> list[VersionRow]:
    return rows_to(VersionRow, await conn.fetch(SELECT_VERSIONS, org_id, form_id, include_drafts))


async def version_document(
    conn: asyncpg.Connection, org_id: UUID | None, form_id: UUID, version: int, *, include_drafts: bool
) -> VersionWithDocument | None:
    row = await conn.fetchrow(SELECT_VERSION_DOCUMENT, org_id, form_id, version, include_drafts)
    return None if row is None else _decode_document(row)


async def version_document_by_id(
    conn: asyncpg.Connection, org_id: UUID | None, form_version_id: UUID
) -> VersionWithDocument | None:
    row = await conn.fetchrow(SELECT_VERSION_DOCUMENT_BY_ID, org_id, form_version_id)
    return None if row is None else _decode_document(row)


async def max_version(conn: asyncpg.Connection, form_id: UUID) -> int:
    return int(await conn.fetchval(SELECT_MAX_VERSION, form_id))


async def latest_published_hash(conn: asyncpg.Connection, form_id: UUID) -> str | None:
    return await conn.fetchval(SELECT_LATEST_PUBLISHED_HASH, form_id)


async def delete_draft(conn: asyncpg.Connection, form_id: UUID) -> int | None:
    return await conn.fetchval(DELETE_DRAFT, form_id)


async def insert_version(
    conn: asyncpg.Connection,
    form_id: UUID,
    version: int,
    status: VersionStatus,
    document: FormDocument,
    content_hash: str,
) -> UUID:
    return await conn.fetchval(INSERT_VERSION, form_id, version, status, document, content_hash)


async def publish_draft(conn: asyncpg.Connection, form_id: UUID, version: int) -> UUID | None:
    return await conn.fetchval(PUBLISH_DRAFT, form_id, version)


async def version_status(conn: asyncpg.Connection, form_id: UUID, version: int) -> VersionStatus | None:
    return await conn.fetchval(SELECT_VERSION_STATUS, form_id, version)


async def retire(conn: asyncpg.Connection, org_id: UUID, form_id: UUID, version: int | None, reason: str,
                 retired_by: UUID | None) -> bool:
    """Record the retirement; False when it was already retired so."""
    return await conn.fetchval(INSERT_RETIREMENT, org_id, form_id, version, reason, retired_by) is not None


async def form_retired(conn: asyncpg.Connection, org_id: UUID, form_id: UUID) -> bool:
    return bool(await conn.fetchval(SELECT_FORM_RETIRED, org_id, form_id))
