"""The reuse search at seal (photo_lookalikes, migration 0041) misses no match and examines few rows.

Pigeonhole over the hash's two 32-bit halves: any two hashes at most 6 bits apart differ in at most 3
bits of the high half or at most 2 of the low half, so probing those neighbourhoods finds every pair
within the threshold. The property tests store random photos with hashes built at a known distance of
a probe and check the search returns exactly the stored photos within the threshold; a plan test checks
the search is the two index probes and reads only candidates, not the org."""

from __future__ import annotations

import json
import random
from uuid import UUID, uuid4

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_api.photos.service import MAX_INDEXED_DISTANCE

pytestmark = pytest.mark.asyncio

SEARCH = "SELECT id, distance FROM photo_lookalikes($1, ('x' || $2)::bit(64), $3)"


def flipped(value: int, bits: list[int]) -> int:
    for bit in bits:
        value ^= 1 << bit
    return value


def hex64(value: int) -> str:
    return f"{value:016x}"


async def _org_with_uploader(conn: asyncpg.Connection) -> tuple[UUID, UUID]:
    org = await conn.fetchval("INSERT INTO orgs (slug, name) VALUES ($1, 'hash test') RETURNING id",
                              f"hash-{uuid4().hex[:12]}")
    user = await conn.fetchval(
        "INSERT INTO users (org_id, email, display_name, role, password_hash) "
        "VALUES ($1, $2, 'u', 'inspector', 'x') RETURNING id", org, f"u-{uuid4().hex[:8]}@hash.test")
    return org, user


async def _store(conn: asyncpg.Connection, org: UUID, user: UUID, hashes: list[str], *,
                 purpose: str = "submission") -> list[UUID]:
    ids = [uuid4() for _ in hashes]
    await conn.execute(
        """INSERT INTO photos (id, org_id, uploaded_by, purpose, object_key, content_type, status, verified_at, phash)
           SELECT i, $1, $2, $5, 'k/' || i, 'image/jpeg', 'verified', now(), ('x' || h)::bit(64)
           FROM unnest($3::uuid[], $4::text[]) AS t (i, h)""",
        org, user, ids, hashes, purpose)
    return ids


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), threshold=st.integers(0, MAX_INDEXED_DISTANCE))
async def test_every_photo_within_the_threshold_is_found(pool: asyncpg.Pool, seed: int, threshold: int) -> None:
    rng = random.Random(seed)
    probe = rng.getrandbits(64)
    hashes: list[int] = []
    # Near hashes at every distance 0..8, with the differing bits piled into one half or spread, so the
    # worst splits (4 + 2, 3 + 3, 6 + 0, 0 + 6) all occur.
    for distance in range(MAX_INDEXED_DISTANCE + 3):
        for hi_share in range(distance + 1):
            if hi_share > 32 or distance - hi_share > 32:
                continue
            bits = rng.sample(range(32, 64), hi_share) + rng.sample(range(32), distance - hi_share)
            hashes.append(flipped(probe, bits))
    hashes += [rng.getrandbits(64) for _ in range(200)]  # unrelated photos
    async with pool.acquire() as conn:
        try:
            async with conn.transaction():
                org, user = await _org_with_uploader(conn)
                ids = await _store(conn, org, user, [hex64(h) for h in hashes])
                other_org, other_user = await _org_with_uploader(conn)
                await _store(conn, other_org, other_user, [hex64(h) for h in hashes[:20]])  # never found
                await _store(conn, org, user, [hex64(probe)], purpose="action_evidence")  # not a candidate
                found = {r["id"]: r["distance"] for r in await conn.fetch(SEARCH, org, hex64(probe), threshold)}
                expected = {i: (h ^ probe).bit_count() for i, h in zip(ids, hashes, strict=True)
                            if (h ^ probe).bit_count() <= threshold}
                assert found == expected
                raise _RollBack  # leave nothing behind
        except _RollBack:
            pass


class _RollBack(Exception):
    pass


def _nodes(plan: dict) -> list[dict]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _nodes(child))]


async def test_search_probes_the_half_indexes_and_reads_only_candidates(db: asyncpg.Pool) -> None:
    rng = random.Random(20)
    async with db.acquire() as conn:
        org, user = await _org_with_uploader(conn)
        await _store(conn, org, user, [hex64(rng.getrandbits(64)) for _ in range(20000)])
        await conn.execute("ANALYZE photos")
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {SEARCH}", org, hex64(rng.getrandbits(64)), 6)
    nodes = _nodes(json.loads(raw)[0]["Plan"])
    scans = [n for n in nodes if n.get("Relation Name") == "photos"]
    assert sorted(n["Index Name"] for n in nodes if "Index Name" in n) == ["photos_phash_hi_idx",
                                                                          "photos_phash_lo_idx"], nodes
    assert all(n["Node Type"] in ("Index Scan", "Bitmap Heap Scan") for n in scans), scans
    examined = sum(n["Actual Rows"] + n.get("Rows Removed by Filter", 0) + n.get("Rows Removed by Index Recheck", 0)
                   for n in scans)
    assert examined < 20  # of 20,000: a random photo is a candidate with probability 6,018 / 2^32
