"""SQL of webhook endpoints, deliveries and the worker's claim/record steps."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.storage.db import row_to, rows_to
from inspect_api.webhooks.schemas import DeliveryOut, EndpointOut

ENDPOINT_COLUMNS: Final = """id, url, description, event_types, branch_ids, region_ids, shape, enabled,
    disabled_reason, previous_secret_until, created_at, updated_at"""

INSERT_ENDPOINT: Final = f"""
INSERT INTO webhook_endpoints (org_id, url, description, event_types, branch_ids, region_ids, shape, secret)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING {ENDPOINT_COLUMNS}"""


async def insert_endpoint(conn: asyncpg.Connection, org_id: UUID, values: dict[str, Any], secret: str) -> EndpointOut:
    row = await conn.fetchrow(INSERT_ENDPOINT, org_id, values["url"], values["description"], values["event_types"],
                              values["branch_ids"], values["region_ids"], values["shape"], secret)
    return msgspec.convert(dict(row), EndpointOut)


LIST_ENDPOINTS: Final = f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = $1 ORDER BY created_at, id"


async def list_endpoints(conn: asyncpg.Connection, org_id: UUID) -> list[EndpointOut]:
    return rows_to(EndpointOut, await conn.fetch(LIST_ENDPOINTS, org_id))


GET_ENDPOINT: Final = f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = $1 AND id = $2"
LOCK_ENDPOINT: Final = GET_ENDPOINT + " FOR UPDATE"


async def get_endpoint(conn: asyncpg.Connection, org_id: UUID, endpoint_id: UUID, *, lock: bool = False
                       ) -> EndpointOut | None:
    return row_to(EndpointOut, await conn.fetchrow(LOCK_ENDPOINT if lock else GET_ENDPOINT, org_id, endpoint_id))


UPDATE_ENDPOINT: Final = f"""
UPDATE webhook_endpoints
SET url = $3, description = $4, event_types = $5, branch_ids = $6, region_ids = $7, shape = $8, enabled = $9,
    disabled_reason = CASE WHEN $9 THEN NULL ELSE COALESCE(disabled_reason, 'disabled by an admin') END,
    updated_at = now()
WHERE org_id = $1 AND id = $2
RETURNING {ENDPOINT_COLUMNS}"""


async def update_endpoint(conn: asyncpg.Connection, org_id: UUID, e: EndpointOut) -> EndpointOut:
    row = await conn.fetchrow(UPDATE_ENDPOINT, org_id, e.id, e.url, e.description, e.event_types, e.branch_ids,
                              e.region_ids, e.shape, e.enabled)
    return msgspec.convert(dict(row), EndpointOut)


DELETE_ENDPOINT: Final = "DELETE FROM webhook_endpoints WHERE org_id = $1 AND id = $2"


async def delete_endpoint(conn: asyncpg.Connection, org_id: UUID, endpoint_id: UUID) -> bool:
    return await conn.execute(DELETE_ENDPOINT, org_id, endpoint_id) == "DELETE 1"


ROTATE_SECRET: Final = """
UPDATE webhook_endpoints
SET previous_secret = CASE WHEN $4 > 0 THEN secret END,
    previous_secret_until = CASE WHEN $4 > 0 THEN now() + make_interval(secs => $4) END,
    secret = $3, updated_at = now()
WHERE org_id = $1 AND id = $2
RETURNING previous_secret_until"""


async def rotate_secret(conn: asyncpg.Connection, org_id: UUID, endpoint_id: UUID, secret: str, overlap: int
                        ) -> datetime | None:
    return await conn.fetchval(ROTATE_SECRET, org_id, endpoint_id, secret, overlap)


INSERT_PING_DELIVERY: Final = """
INSERT INTO webhook_deliveries (org_id, endpoint_id, event_id, subject_id, subject_seq)
SELECT e.org_id, $1, e.id, e.subject_id, e.subject_seq FROM events e WHERE e.org_id = $3 AND e.id = $2
RETURNING id"""


async def insert_delivery(conn: asyncpg.Connection, org_id: UUID, endpoint_id: UUID, event_id: int) -> int:
    return int(await conn.fetchval(INSERT_PING_DELIVERY, endpoint_id, event_id, org_id))


LIST_DELIVERIES: Final = """
SELECT d.id, d.message_id, d.event_id, ev.type AS event_type, d.status, d.attempts, d.next_attempt_at,
       d.last_status, d.last_error, d.created_at, d.delivered_at,
       COALESCE((SELECT jsonb_agg(jsonb_build_object(
                    'attempted_at', a.attempted_at, 'status_code', a.status_code, 'error', a.error,
                    'latency_ms', a.latency_ms, 'response_excerpt', a.response_excerpt) ORDER BY a.id)
                 FROM webhook_attempts a WHERE a.org_id = d.org_id AND a.delivery_id = d.id), '[]'::jsonb) AS log
FROM webhook_deliveries d
JOIN webhook_endpoints w ON w.org_id = d.org_id AND w.id = d.endpoint_id
JOIN events ev ON ev.org_id = d.org_id AND ev.id = d.event_id
WHERE d.org_id = $1 AND d.endpoint_id = $2 AND ($3::bigint IS NULL OR d.id < $3)
ORDER BY d.id DESC
LIMIT $4"""


async def list_deliveries(conn: asyncpg.Connection, org_id: UUID, endpoint_id: UUID, before: int | None, limit: int
                          ) -> list[DeliveryOut]:
    return rows_to(DeliveryOut, await conn.fetch(LIST_DELIVERIES, org_id, endpoint_id, before, limit))


REDELIVER: Final = """
UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = now(), leased_until = NULL
FROM webhook_endpoints w
WHERE d.org_id = $1 AND d.id = $3 AND d.endpoint_id = $2 AND w.org_id = d.org_id AND w.id = d.endpoint_id
RETURNING d.id"""


async def redeliver(conn: asyncpg.Connection, org_id: UUID, endpoint_id: UUID, delivery_id: int) -> bool:
    return await conn.fetchval(REDELIVER, org_id, endpoint_id, delivery_id) is not None


# ---- the worker --------------------------------------------------------------------------------


class Claimed(msgspec.Struct, frozen=True, kw_only=True):
    org_id: UUID
    id: int
    message_id: UUID
    attempts: int  # including this one
    endpoint_id: UUID
    url: str
    secret: str
    previous_secret: str | None
    previous_secret_until: datetime | None
    event_id: int
    event_type: str
    occurred_at: datetime
    subject_id: UUID
    subject_seq: int
    branch_id: UUID | None
    payload: Any


# Due, not leased, on an enabled endpoint, and no earlier delivery of the same subject to the same
# endpoint still pending (per-subject order). The lease commits with the claim: no transaction stays
# open while the worker waits on a subscriber.
CLAIM: Final = """
WITH due AS (
    SELECT d.org_id, d.id FROM webhook_deliveries d
    JOIN webhook_endpoints w ON w.org_id = d.org_id AND w.id = d.endpoint_id AND w.enabled
    WHERE d.status = 'pending' AND d.next_attempt_at <= now()
      AND (d.leased_until IS NULL OR d.leased_until < now())
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries earlier
                      WHERE earlier.org_id = d.org_id AND earlier.endpoint_id = d.endpoint_id
                        AND earlier.subject_id = d.subject_id
                        AND earlier.status = 'pending' AND earlier.subject_seq < d.subject_seq)
    ORDER BY d.next_attempt_at, d.id
    LIMIT $1
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries d
SET leased_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
FROM due, webhook_endpoints w, events ev
WHERE d.org_id = due.org_id AND d.id = due.id AND w.org_id = d.org_id AND w.id = d.endpoint_id
  AND ev.org_id = d.org_id AND ev.id = d.event_id
RETURNING d.org_id, d.id, d.message_id, d.attempts, w.id AS endpoint_id, w.url, w.secret, w.previous_secret,
          w.previous_secret_until, ev.id AS event_id, ev.type AS event_type, ev.occurred_at, ev.subject_id,
          ev.subject_seq, ev.branch_id,
          CASE WHEN w.shape = 'branch_manager' THEN ev.branch_payload ELSE ev.payload END AS payload"""


async def claim(conn: asyncpg.Connection, limit: int, lease_seconds: float) -> list[Claimed]:
    return rows_to(Claimed, await conn.fetch(CLAIM, limit, lease_seconds))


INSERT_ATTEMPT: Final = """
INSERT INTO webhook_attempts (org_id, delivery_id, status_code, error, latency_ms, response_excerpt)
VALUES ($6, $1, $2, $3, $4, $5)"""

MARK_DELIVERED: Final = """
UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), leased_until = NULL,
    last_status = $2, last_error = NULL
WHERE org_id = $3 AND id = $1"""

# next_at NULL: given up.
MARK_FAILED_ATTEMPT: Final = """
UPDATE webhook_deliveries
SET status = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
    next_attempt_at = COALESCE($4, next_attempt_at), leased_until = NULL, last_status = $2, last_error = $3
WHERE org_id = $5 AND id = $1"""

DISABLE_ENDPOINT: Final = """
UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now()
WHERE org_id = $3 AND id = $1"""


async def record_attempt(
    conn: asyncpg.Connection, org_id: UUID, delivery_id: int, *, status_code: int | None, error: str | None,
    latency_ms: int, excerpt: str,
) -> None:
    await conn.execute(INSERT_ATTEMPT, delivery_id, status_code, error, latency_ms, excerpt, org_id)


async def mark_delivered(conn: asyncpg.Connection, org_id: UUID, delivery_id: int, status_code: int) -> None:
    await conn.execute(MARK_DELIVERED, delivery_id, status_code, org_id)


async def mark_failed_attempt(conn: asyncpg.Connection, org_id: UUID, delivery_id: int, status_code: int | None,
                              error: str | None, next_at: datetime | None) -> None:
    await conn.execute(MARK_FAILED_ATTEMPT, delivery_id, status_code, error, next_at, org_id)


async def disable_endpoint(conn: asyncpg.Connection, org_id: UUID, endpoint_id: UUID, reason: str) -> None:
    await conn.execute(DISABLE_ENDPOINT, endpoint_id, reason, org_id)
