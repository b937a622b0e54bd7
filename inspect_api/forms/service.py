"""Form catalogue use cases: list, fetch a version, draft, publish, seed. Owns the transactions."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.audit.service import record
from inspect_api.auth.principal import Principal
from inspect_api.errors import Conflict, InvalidInput, NotFound
from inspect_api.events.service import emit
from inspect_api.forms import queries
from inspect_api.forms.loader import content_hash, validate_form
from inspect_api.forms.model import FormDocument
from inspect_api.forms.queries import VersionRow, VersionWithDocument


class SeedOutcome(msgspec.Struct, frozen=True):
    key: str
    version: int
    created: bool

    def describe(self) -> str:
        state = "published" if self.created else "unchanged"
        return f"form {self.key}: v{self.version} {state}"


async def _form_or_404(conn: asyncpg.Connection, org_id: UUID, key: str) -> queries.FormRow:
    form = await queries.form_by_key(conn, org_id, key)
    if form is None:
        raise NotFound(f"form {key!r} not found")
    return form


async def list_published(pool: asyncpg.Pool, org_id: UUID) -> list[VersionRow]:
    async with pool.acquire() as conn:
        rows = await queries.latest_published(conn, org_id)
    return sorted(rows, key=lambda row: (row.key, row.org_id is not None))


async def list_versions(pool: asyncpg.Pool, org_id: UUID, key: str, *, include_drafts: bool) -> list[VersionRow]:
    async with pool.acquire() as conn:
        form = await _form_or_404(conn, org_id, key)
        return await queries.versions_of(conn, org_id, form.id, include_drafts=include_drafts)


async def get_version(
    pool: asyncpg.Pool, org_id: UUID, key: str, version: int, *, include_drafts: bool
) -> VersionWithDocument:
    async with pool.acquire() as conn:
        form = await _form_or_404(conn, org_id, key)
        found = await queries.version_document(conn, org_id, form.id, version, include_drafts=include_drafts)
    if found is None:
        raise NotFound(f"form {key!r} has no version {version}")
    return found


# Published versions never change, so their decoded documents can be kept for the process lifetime.
_PUBLISHED_CACHE: OrderedDict[UUID, VersionWithDocument] = OrderedDict()
_PUBLISHED_CACHE_SIZE: Final = 256


async def published_version(conn: asyncpg.Connection, org_id: UUID, form_version_id: UUID) -> VersionWithDocument:
    """A published version visible to `org_id`, for features that pin one by id (visits, submissions)."""
    found = _PUBLISHED_CACHE.get(form_version_id)
    if found is None:
        found = await queries.version_document_by_id(conn, org_id, form_version_id)
        if found is not None and found.status == "published":
            _PUBLISHED_CACHE[form_version_id] = found
            if len(_PUBLISHED_CACHE) > _PUBLISHED_CACHE_SIZE:
                _PUBLISHED_CACHE.popitem(last=False)
    if found is None or found.status != "published" or found.org_id not in (None, org_id):
        raise NotFound(f"form version {form_version_id} not found")
    return found


def _check_document(document: FormDocument, key: str) -> None:
    """The same rules as form files, plus: the body's key is the URL's key."""
    errors = [{"field": p.path, "message": p.message} for p in validate_form(document)]
    if document.key != key:
        errors.insert(0, {"field": "key", "message": f"must equal the key in the URL ({key!r})"})
    if errors:
        raise InvalidInput(f"form document has {len(errors)} problem(s)", extra={"errors": errors})


async def save_draft(pool: asyncpg.Pool, org_id: UUID, key: str, document: FormDocument) -> VersionRow:
    """Create the org's draft for `key`, or replace the existing draft (published versions stay)."""
    _check_document(document, key)
    async with pool.acquire() as conn, conn.transaction():
        existing = await queries.form_by_key(conn, org_id, key)
        if existing is not None and existing.org_id is None:
            raise Conflict(f"form key {key!r} belongs to the shared catalogue; choose another key")
        form = existing or await queries.upsert_form(conn, org_id, key)
        await queries.lock_form(conn, form.id)  # serialise version numbering per form
        replaced = await queries.delete_draft(conn, form.id)
        version = replaced or await queries.max_version(conn, form.id) + 1
        await queries.insert_version(conn, form.id, version, "draft", document, content_hash(document))
        rows = await queries.versions_of(conn, org_id, form.id, include_drafts=True)
    return next(row for row in rows if row.version == version)


async def edit_draft(pool: asyncpg.Pool, org_id: UUID, key: str, version: int, document: FormDocument) -> VersionRow:
    """Replace a draft's document; a published version is refused (immutable)."""
    _check_document(document, key)
    async with pool.acquire() as conn, conn.transaction():
        form = await _form_or_404(conn, org_id, key)
        await queries.lock_form(conn, form.id)
        status = await queries.version_status(conn, form.id, version)
        if status is None:
            raise NotFound(f"form {key!r} has no version {version}")
        if status == "published" or form.org_id is None:
            raise Conflict(f"form {key!r} version {version} is published and immutable; save a new draft instead")
        await queries.delete_draft(conn, form.id)
        await queries.insert_version(conn, form.id, version, "draft", document, content_hash(document))
        rows = await queries.versions_of(conn, org_id, form.id, include_drafts=True)
    return next(row for row in rows if row.version == version)


async def publish(pool: asyncpg.Pool, org_id: UUID, key: str, version: int, *, actor: Principal | None = None
                  ) -> VersionRow:
    async with pool.acquire() as conn, conn.transaction():
        form = await _form_or_404(conn, org_id, key)
        if form.org_id is None:
            raise Conflict(f"form {key!r} belongs to the shared catalogue and is published by seeding")
        await queries.lock_form(conn, form.id)
        status = await queries.version_status(conn, form.id, version)
        if status is None:
            raise NotFound(f"form {key!r} has no version {version}")
        if status == "published":
            raise Conflict(f"form {key!r} version {version} is already published and immutable")
        await queries.publish_draft(conn, form.id, version)
        rows = await queries.versions_of(conn, org_id, form.id, include_drafts=True)
        published = next(row for row in rows if row.version == version)
        await emit(conn, org_id, "form.published", published.form_version_id, published)
        await record(conn, actor, "form.published", target_type="form_version", target_id=published.form_version_id,
                     after=published, org_id=org_id)
    return published


class Retired(msgspec.Struct, frozen=True, kw_only=True):
    """The `form.retired` event's payload and the retire endpoints' answer."""

    key: str
    version: int | None  # None: the whole form
    reason: str
    versions: list[VersionRow]  # the form's published versions as they stand now (retired flags)


async def retire(pool: asyncpg.Pool, p: Principal, key: str, version: int | None, reason: str) -> Retired:
    """Retire a form (every version, also later ones) or one published version for the caller's org
    (#17): no new visits or submissions against it; it leaves GET /forms; history, reports and exports
    keep it. A catalogue form is retired for this org only. Retiring again: 409. One transaction with a
    `form.retired` event and an audit row."""
    async with pool.acquire() as conn, conn.transaction():
        form = await _form_or_404(conn, p.org_id, key)
        await queries.lock_form(conn, form.id)
        if version is not None:
            status = await queries.version_status(conn, form.id, version)
            if status is None:
                raise NotFound(f"form {key!r} has no version {version}")
            if status != "published":
                raise Conflict(f"form {key!r} version {version} is a draft: delete or replace it instead")
            if await queries.form_retired(conn, p.org_id, form.id):
                raise Conflict(f"form {key!r} is already retired (every version)")
        if not await queries.retire(conn, p.org_id, form.id, version, reason, p.user_id):
            what = f"form {key!r}" if version is None else f"form {key!r} version {version}"
            raise Conflict(f"{what} is already retired")
        retired = Retired(key=key, version=version, reason=reason,
                          versions=await queries.versions_of(conn, p.org_id, form.id, include_drafts=False))
        subject = next((v.form_version_id for v in retired.versions if v.version == version), form.id)
        await emit(conn, p.org_id, "form.retired", subject, retired)
        await record(conn, p, "form.retired", target_type="form" if version is None else "form_version",
                     target_id=subject, after={"key": key, "version": version, "reason": reason})
    return retired


async def seed_catalogue(conn: asyncpg.Connection, forms: Sequence[FormDocument]) -> list[SeedOutcome]:
    """Publish each seed form into the shared catalogue unless its content is already the latest."""
    outcomes: list[SeedOutcome] = []
    async with conn.transaction():
        for document in forms:
            form = await queries.upsert_form(conn, None, document.key)
            await queries.lock_form(conn, form.id)
            digest = content_hash(document)
            latest = await queries.max_version(conn, form.id)
            if await queries.latest_published_hash(conn, form.id) == digest:
                outcomes.append(SeedOutcome(document.key, latest, created=False))
                continue
            await queries.insert_version(conn, form.id, latest + 1, "published", document, digest)
            outcomes.append(SeedOutcome(document.key, latest + 1, created=True))
    return outcomes
