"""SQL of the outbox: the emit call and the feed page."""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

import asyncpg

from inspect_api.auth.principal import Principal
from inspect_api.events.schemas import EventOut
from inspect_api.storage.db import rows_to

EMIT_EVENT: Final = "SELECT emit_event($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)"


async def emit_event(
    conn: asyncpg.Connection, org_id: UUID, type_: str, subject_id: UUID, branch_id: UUID | None,
    region_id: UUID | None, payload: Any, branch_payload: Any | None,
) -> int:
    return int(await conn.fetchval(EMIT_EVENT, org_id, type_, subject_id, branch_id, region_id, payload,
                                   branch_payload))


# Branch managers read branch_payload only; regional leads and managers see events of their visible
# branches; only admins see events naming no branch (users, forms).
FEED_PAGE: Final = """
SELECT e.id, e.xid::text AS xid, e.type, e.subject_id, e.subject_seq, e.branch_id, e.occurred_at,
       CASE WHEN $3 = 'branch_manager' THEN e.branch_payload ELSE e.payload END AS payload
FROM events e
WHERE e.org_id = $1
  AND (e.xid, e.id) > ($4::text::xid8, $5::bigint)
  AND e.xid < pg_snapshot_xmin(pg_current_snapshot())
  AND e.type <> 'webhook.ping'
  AND ($6::text[] IS NULL OR e.type = ANY ($6::text[]))
  AND ($3 = 'admin'
       OR (e.branch_id IN (SELECT visible_branch_ids($1, $2, $3))
           AND ($3 <> 'branch_manager' OR e.branch_payload IS NOT NULL)))
ORDER BY e.xid, e.id
LIMIT $7
"""


async def feed_page(
    conn: asyncpg.Connection, p: Principal, after_xid: int, after_id: int, types: list[str] | None, limit: int
) -> list[EventOut]:
    rows = await conn.fetch(FEED_PAGE, p.org_id, p.user_id, p.role, str(after_xid), after_id, types, limit)
    return rows_to(EventOut, [{**dict(r), "cursor": f"{r['xid']}-{r['id']}"} for r in rows])
