"""Recording (inside the caller's transaction) and reading the audit log."""

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.audit import context, queries
from inspect_api.audit.schemas import AuditEntry, AuditFilters
from inspect_api.auth.principal import Principal

CSV_COLUMNS = ("id", "at", "actor_id", "actor_role", "action", "target_type", "target_id", "before", "after",
               "request_id", "client_addr")
CSV_PAGE = 1000


async def record(
    conn: asyncpg.Connection, actor: Principal | None, action: str, *, target_type: str | None = None,
    target_id: UUID | str | None = None, before: Any = None, after: Any = None, org_id: UUID | None = None,
    actor_id: UUID | None = None,
) -> None:
    """One audit row, in `conn`'s transaction when it has one (so it commits with the change)."""
    request = context.current.get()
    await queries.insert_entry(
        conn, actor.org_id if actor else org_id, actor.user_id if actor else actor_id, actor.role if actor else None,
        action, target_type, None if target_id is None else str(target_id), before, after, request.request_id,
        request.client_addr,
    )


async def record_export(pool: asyncpg.Pool, p: Principal, export: str, filters: Any) -> None:
    """An export downloaded (#16): who, which export (`target_id`, e.g. `rankings.xlsx`), with which
    filters (`after`; None values left out). Its own short transaction, committed before the body is
    sent: a download is a read, so there is no changing transaction to join, and a download that fails
    half-way stays recorded as asked for."""
    values = msgspec.to_builtins(filters)
    if isinstance(values, dict):
        values = {k: v for k, v in values.items() if v is not None}
    async with pool.acquire() as conn:
        await record(conn, p, "export.downloaded", target_type="export", target_id=export, after=values)


async def entries(pool: asyncpg.Pool, p: Principal, filters: AuditFilters) -> list[AuditEntry]:
    async with pool.acquire() as conn:
        return await queries.select_entries(conn, p.org_id, filters)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, (dict, list)):
        text = msgspec.json.encode(value).decode()
    else:
        text = str(msgspec.to_builtins(value))
    # A cell a spreadsheet would run as a formula is quoted (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def export_csv(pool: asyncpg.Pool, p: Principal, filters: AuditFilters) -> bytes:
    """Every entry the filters match (newest first), paged through in CSV_PAGE steps."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    page_filters = msgspec.structs.replace(filters, limit=CSV_PAGE)
    async with pool.acquire() as conn:
        while rows := await queries.select_entries(conn, p.org_id, page_filters):
            for row in rows:
                writer.writerow([_cell(getattr(row, c)) for c in CSV_COLUMNS])
            page_filters = msgspec.structs.replace(page_filters, before_id=rows[-1].id)
    return out.getvalue().encode()
