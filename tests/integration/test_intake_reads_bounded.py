"""Intake's photo reads look up the photos named, by id, whatever the planner believes about the table
(migrations/0014). Counted in tuples Postgres fetched (pg_stat_xact_user_tables), never in time.

The trap this guards: intake_context() keeps one generic plan per connection, made with whatever
statistics photos has then. Statistics taken while no photo was attached made the planner find reuse
matches by walking every attached photo of the org, so each intake grew with the org's photo count."""

from __future__ import annotations

import random
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID, uuid4

import asyncpg

from inspect_api.photos.queries import SELECT_REUSE_MATCHES
from inspect_api.photos.service import REUSE_THRESHOLD
from inspect_api.submissions.queries import SELECT_INTAKE_CONTEXT
from tests.integration.factories import World

ATTACHED: int = 3000
INSERT_PHOTOS = """
INSERT INTO photos (id, org_id, uploaded_by, purpose, object_key, content_type, status, size_bytes, phash,
                    verified_at)
SELECT id, $2, $3, 'submission', 'sealed/' || id, 'image/jpeg', 'verified', 1000, ('x' || hash)::bit(64), now()
FROM unnest($1::uuid[], $4::text[]) AS p (id, hash)
"""
# Attached to submissions that need not exist: the arranging transaction skips FK triggers.
ATTACH_ALL_BUT = """
UPDATE photos SET status = 'attached', attached_at = now(), submission_id = gen_random_uuid()
WHERE org_id = $1 AND id <> ALL($2::uuid[])
"""
PHOTO_TUPLES_READ = """
SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables WHERE relname = 'photos'
"""


@asynccontextmanager
async def stale_statistics(db: asyncpg.Pool, world: World) -> AsyncIterator[tuple[asyncpg.Connection, list[UUID]]]:
    """A transaction (rolled back after) with ATTACHED + 2 verified photos, photos analysed while none
    is attached, then all but 2 attached. Yields its connection and the 2 still verified (the ones an
    intake names)."""
    rng = random.Random(11)
    ids = [uuid4() for _ in range(ATTACHED + 2)]
    async with db.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(INSERT_PHOTOS, ids, world.a.id, world.a.inspector.id,
                               [f"{rng.getrandbits(64):016x}" for _ in ids])
            await conn.execute("ANALYZE photos")
            named = ids[:2]
            await conn.execute(ATTACH_ALL_BUT, world.a.id, named)
            yield conn, named
        finally:
            await transaction.rollback()


async def tuples_read(conn: asyncpg.Connection, sql: str, *args: object) -> int:
    before = await conn.fetchval(PHOTO_TUPLES_READ)
    await conn.fetch(sql, *args)
    return await conn.fetchval(PHOTO_TUPLES_READ) - before


async def test_intake_context_reads_the_named_photos_not_the_org(db: asyncpg.Pool, world: World) -> None:
    async with stale_statistics(db, world) as (conn, named):
        read = await tuples_read(conn, SELECT_INTAKE_CONTEXT, world.a.id, uuid4(), world.a.inspector.id, None,
                                 world.a.b11, world.form_version_id, named, None, REUSE_THRESHOLD)
    assert read < 20, f"intake_context read {read} photo rows for 2 named photos (org has {ATTACHED} attached)"


async def test_reuse_matches_follow_links_not_attached_photos(db: asyncpg.Pool, world: World) -> None:
    async with stale_statistics(db, world) as (conn, named):
        await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")  # as a reused prepared statement
        read = await tuples_read(conn, SELECT_REUSE_MATCHES + f" -- {secrets.token_hex(4)}",
                                 world.a.id, named, None, REUSE_THRESHOLD)
    assert read < 20, f"photo_reuse_matches read {read} photo rows for 2 photos without lookalikes"
