"""Reference endpoints for the benchmarks (bench only, never part of the product).

    GET  /ref/struct   a bare Litestar handler returning a small Struct
    POST /ref/write    a bare Litestar handler writing 1 header + 20 child rows with ONE asyncpg statement

Served by the same server (uvicorn/granian, same workers) as the product, so the ratios in RESULTS.md
compare the product's work with the framework + driver floor. `uvicorn --factory bench.reference_app:create`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final
from uuid import UUID

import asyncpg
import msgspec
from litestar import Litestar, Request, get, post

SCHEMA_SQL: Final = """
CREATE TABLE IF NOT EXISTS bench_ref_header (
    id bigserial PRIMARY KEY, client_id uuid NOT NULL UNIQUE, note text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS bench_ref_item (
    header_id bigint NOT NULL REFERENCES bench_ref_header (id), item text NOT NULL, value int NOT NULL,
    PRIMARY KEY (header_id, item));
"""

WRITE_SQL: Final = """
WITH h AS (INSERT INTO bench_ref_header (client_id, note) VALUES ($1, $2) RETURNING id),
     i AS (INSERT INTO bench_ref_item (header_id, item, value)
           SELECT h.id, v.item, v.value FROM h, unnest($3::text[], $4::int[]) AS v (item, value))
SELECT id FROM h
"""


class Small(msgspec.Struct):
    id: int
    name: str
    ok: bool


class RefItem(msgspec.Struct):
    item: str
    value: int


class RefWrite(msgspec.Struct):
    client_id: UUID
    note: str
    items: list[RefItem]


class RefWritten(msgspec.Struct):
    id: int


@get("/ref/struct")
async def ref_struct() -> Small:
    return Small(id=1, name="small struct", ok=True)


@post("/ref/write")
async def ref_write(request: Request, data: RefWrite) -> RefWritten:
    pool: asyncpg.Pool = request.app.state.pool
    header_id = await pool.fetchval(WRITE_SQL, data.client_id, data.note, [i.item for i in data.items],
                                    [i.value for i in data.items])
    return RefWritten(id=header_id)


@get("/readyz")
async def ready() -> dict[str, str]:
    return {"status": "ready"}


def create() -> Litestar:
    """Factory for uvicorn/granian: DATABASE_URL names the bench database; pool as sized for the product."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            os.environ["DATABASE_URL"], min_size=int(os.environ.get("DB_POOL_MIN", "2")),
            max_size=int(os.environ.get("DB_POOL_MAX", "10")))
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar([ref_struct, ref_write, ready], lifespan=[lifespan], openapi_config=None)
