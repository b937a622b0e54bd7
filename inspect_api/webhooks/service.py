"""Admins' webhook endpoints: create (secret shown once), change, rotate, ping, the delivery log,
redeliver. Deliveries themselves are the worker's (worker.py): nothing here waits on a subscriber."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from msgspec import UNSET

from inspect_api.audit.service import record
from inspect_api.auth.principal import Principal
from inspect_api.errors import InvalidInput, NotFound
from inspect_api.events.service import emit
from inspect_api.webhooks import queries
from inspect_api.webhooks.schemas import (
    DeliveryOut,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    Queued,
    RotateIn,
    SecretOut,
)
from inspect_api.webhooks.secret_box import seal
from inspect_api.webhooks.signing import new_secret
from inspect_api.webhooks.ssrf import resolve_problem

UNKNOWN_IDS = """
SELECT (SELECT array_agg(x) FROM unnest($2::uuid[]) x WHERE x NOT IN (SELECT id FROM branches WHERE org_id = $1)),
       (SELECT array_agg(x) FROM unnest($3::uuid[]) x WHERE x NOT IN (SELECT id FROM regions WHERE org_id = $1))"""


def _invalid(problems: list[tuple[str, str]]) -> InvalidInput:
    return InvalidInput("the endpoint cannot be saved so",
                        extra={"errors": [{"field": f, "message": m} for f, m in problems]})


async def _problems(conn: asyncpg.Connection, org_id: UUID, values: dict[str, Any], allow_loopback: bool
                    ) -> list[tuple[str, str]]:
    problems = []
    if problem := await resolve_problem(values["url"], allow_loopback=allow_loopback):
        problems.append(("url", problem))
    branches, regions = await conn.fetchrow(UNKNOWN_IDS, org_id, values["branch_ids"], values["region_ids"])
    if branches:
        problems.append(("branch_ids", f"no such branch: {', '.join(map(str, branches))}"))
    if regions:
        problems.append(("region_ids", f"no such region: {', '.join(map(str, regions))}"))
    return problems


async def create_endpoint(pool: asyncpg.Pool, p: Principal, data: EndpointIn, *, allow_loopback: bool,
                          key: bytes) -> EndpointCreated:
    """`key`: the secret's encryption key at rest (webhooks/secret_box.py)."""
    values = msgspec.structs.asdict(data)
    secret = new_secret()
    async with pool.acquire() as conn, conn.transaction():
        if problems := await _problems(conn, p.org_id, values, allow_loopback):
            raise _invalid(problems)
        endpoint = await queries.insert_endpoint(conn, p.org_id, values, seal(key, secret))
        await record(conn, p, "webhook.created", target_type="webhook_endpoint", target_id=endpoint.id, after=endpoint)
    return EndpointCreated(endpoint=endpoint, secret=secret)


async def list_endpoints(pool: asyncpg.Pool, p: Principal) -> list[EndpointOut]:
    async with pool.acquire() as conn:
        return await queries.list_endpoints(conn, p.org_id)


async def get_endpoint(pool: asyncpg.Pool, p: Principal, endpoint_id: UUID) -> EndpointOut:
    async with pool.acquire() as conn:
        endpoint = await queries.get_endpoint(conn, p.org_id, endpoint_id)
    if endpoint is None:
        raise NotFound("no such webhook endpoint")
    return endpoint


async def update_endpoint(pool: asyncpg.Pool, p: Principal, endpoint_id: UUID, patch: EndpointPatch, *,
                          allow_loopback: bool) -> EndpointOut:
    changes = {f: v for f in patch.__struct_fields__ if (v := getattr(patch, f)) is not UNSET}
    async with pool.acquire() as conn, conn.transaction():
        current = await queries.get_endpoint(conn, p.org_id, endpoint_id, lock=True)
        if current is None:
            raise NotFound("no such webhook endpoint")
        merged = msgspec.structs.replace(current, **changes)
        if problems := await _problems(conn, p.org_id, msgspec.structs.asdict(merged), allow_loopback):
            raise _invalid(problems)
        updated = await queries.update_endpoint(conn, p.org_id, merged)
        await record(conn, p, "webhook.updated", target_type="webhook_endpoint", target_id=endpoint_id,
                     before=current, after=updated)
    return updated


async def delete_endpoint(pool: asyncpg.Pool, p: Principal, endpoint_id: UUID) -> None:
    async with pool.acquire() as conn, conn.transaction():
        current = await queries.get_endpoint(conn, p.org_id, endpoint_id, lock=True)
        if current is None or not await queries.delete_endpoint(conn, p.org_id, endpoint_id):
            raise NotFound("no such webhook endpoint")
        await record(conn, p, "webhook.deleted", target_type="webhook_endpoint", target_id=endpoint_id, before=current)


async def rotate_secret(pool: asyncpg.Pool, p: Principal, endpoint_id: UUID, data: RotateIn, *, key: bytes
                        ) -> SecretOut:
    """The previous secret keeps signing for the overlap, stored as it was (encrypted, or plaintext
    from before encryption); the new one is stored encrypted with `key`."""
    secret = new_secret()
    async with pool.acquire() as conn, conn.transaction():
        if await queries.get_endpoint(conn, p.org_id, endpoint_id, lock=True) is None:
            raise NotFound("no such webhook endpoint")
        until = await queries.rotate_secret(conn, p.org_id, endpoint_id, seal(key, secret), data.overlap_seconds)
        await record(conn, p, "webhook.secret_rotated", target_type="webhook_endpoint", target_id=endpoint_id,
                     after={"previous_secret_until": until})  # never the secrets themselves
    return SecretOut(secret=secret, previous_secret_until=until)


async def ping(pool: asyncpg.Pool, p: Principal, endpoint_id: UUID) -> Queued:
    """A `webhook.ping` event for this endpoint alone, delivered by the worker like any other."""
    async with pool.acquire() as conn, conn.transaction():
        if await queries.get_endpoint(conn, p.org_id, endpoint_id, lock=True) is None:
            raise NotFound("no such webhook endpoint")
        event_id = await emit(conn, p.org_id, "webhook.ping", endpoint_id, {"endpoint_id": endpoint_id})
        return Queued(delivery_id=await queries.insert_delivery(conn, p.org_id, endpoint_id, event_id))


async def list_deliveries(pool: asyncpg.Pool, p: Principal, endpoint_id: UUID, *, before: int | None, limit: int
                          ) -> list[DeliveryOut]:
    async with pool.acquire() as conn:
        if await queries.get_endpoint(conn, p.org_id, endpoint_id) is None:
            raise NotFound("no such webhook endpoint")
        return await queries.list_deliveries(conn, p.org_id, endpoint_id, before, limit)


async def redeliver(pool: asyncpg.Pool, p: Principal, endpoint_id: UUID, delivery_id: int) -> Queued:
    """The same message (same webhook-id) queued again, whatever became of it."""
    async with pool.acquire() as conn, conn.transaction():
        if not await queries.redeliver(conn, p.org_id, endpoint_id, delivery_id):
            raise NotFound("no such delivery")
    return Queued(delivery_id=delivery_id)
