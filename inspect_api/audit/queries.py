"""SQL of the audit log."""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

import asyncpg

from inspect_api.audit.schemas import AuditEntry, AuditFilters
from inspect_api.storage.db import rows_to

# The org is the actor's when the caller does not name it (a login knows the user, not the org); with
# neither (a failed login for an unknown e-mail, the shared catalogue published from the CLI) the row
# belongs to the platform: the nil uuid, which no org has (org_id is in the key, migrations/0046).
PLATFORM_ORG: Final = "00000000-0000-0000-0000-000000000000"
INSERT_ENTRY: Final = f"""
INSERT INTO audit_log (org_id, actor_id, actor_role, action, target_type, target_id, before, after, request_id,
                       client_addr)
VALUES (COALESCE($1, (SELECT org_id FROM users WHERE id = $2), '{PLATFORM_ORG}'::uuid), $2,
        COALESCE($3, (SELECT role FROM users WHERE id = $2)), $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10)"""


async def insert_entry(
    conn: asyncpg.Connection, org_id: UUID | None, actor_id: UUID | None, actor_role: str | None, action: str,
    target_type: str | None, target_id: str | None, before: Any, after: Any, request_id: str | None,
    client_addr: str | None,
) -> None:
    await conn.execute(INSERT_ENTRY, org_id, actor_id, actor_role, action, target_type, target_id, before, after,
                       request_id, client_addr)


SELECT_ENTRIES: Final = """
SELECT id, at, actor_id, actor_role, action, target_type, target_id, before, after, request_id, client_addr
FROM audit_log
WHERE org_id = $1
  AND ($2::uuid IS NULL OR actor_id = $2)
  AND ($3::text IS NULL OR target_id = $3)
  AND ($4::text IS NULL OR action = $4)
  AND ($5::timestamptz IS NULL OR at >= $5)
  AND ($6::timestamptz IS NULL OR at < $6)
  AND ($7::bigint IS NULL OR id < $7)
ORDER BY id DESC
LIMIT $8"""


async def select_entries(conn: asyncpg.Connection, org_id: UUID, f: AuditFilters) -> list[AuditEntry]:
    rows = await conn.fetch(SELECT_ENTRIES, org_id, f.actor_id, f.target_id, f.action, f.since, f.until,
                            f.before_id, f.limit)
    return rows_to(AuditEntry, rows)
