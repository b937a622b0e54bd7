"""The reuse search's hash index (migrations/0010) misses no match: any two 64-bit hashes at most 6 bits
apart share a piece in Postgres' phash_pieces, and hashes far apart rarely do (or it would not narrow)."""

from __future__ import annotations

import random

import asyncpg
from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_api.photos.service import MAX_INDEXED_DISTANCE

OVERLAP = """
SELECT bool_and(phash_pieces(('x' || a)::bit(64)) && phash_pieces(('x' || b)::bit(64))),
       bool_and(bit_count(('x' || a)::bit(64) # ('x' || b)::bit(64)) = d)
FROM unnest($1::text[], $2::text[], $3::int[]) AS t (a, b, d)
"""


def near_pair(rng: random.Random, distance: int) -> tuple[str, str]:
    a = rng.getrandbits(64)
    b = a
    for bit in rng.sample(range(64), distance):
        b ^= 1 << bit
    return f"{a:016x}", f"{b:016x}"


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
async def test_hashes_within_the_threshold_always_share_a_piece(pool: asyncpg.Pool, seed: int) -> None:
    rng = random.Random(seed)
    pairs = [(*near_pair(rng, d), d) for d in range(MAX_INDEXED_DISTANCE + 1) for _ in range(40)]
    overlap, distances_right = await pool.fetchrow(OVERLAP, *(list(column) for column in zip(*pairs, strict=True)))
    assert distances_right, "the pairs were built wrong"
    assert overlap, "two hashes within the threshold share no piece: the index would miss a reused photo"


async def test_random_hashes_rarely_share_a_piece(pool: asyncpg.Pool) -> None:
    rng = random.Random(7)
    a = [f"{rng.getrandbits(64):016x}" for _ in range(2000)]
    b = [f"{rng.getrandbits(64):016x}" for _ in range(2000)]
    shared = await pool.fetchval(
        "SELECT count(*) FILTER (WHERE phash_pieces(('x' || a)::bit(64)) && phash_pieces(('x' || b)::bit(64))) "
        "FROM unnest($1::text[], $2::text[]) AS t (a, b)", a, b)
    assert shared < 2000 * 0.05  # 7 pieces of 9-10 bits: about 1.2% of unrelated pairs are candidates
