"""Photo reuse search at seal (issue #20): rows examined per seal as the org's photos grow.

    .venv/bin/python -m bench.photo_search_bench                        # 10k, 100k, 1M photos
    .venv/bin/python -m bench.photo_search_bench --sizes 10000,100000 --probes 10
    .venv/bin/python -m bench.photo_search_bench --shared-buffers 2GB   # a production-sized buffer cache
    .venv/bin/python -m bench.photo_search_bench --cold                 # restart Postgres before each size

On a scratch database (embedded PostgreSQL in a temp dir, or a new database on the server named by
DATABASE_URL), migrated to today's schema, one org's sealed submission photos with random 64-bit hashes
are generated in SQL, up to each size in turn. At each size, for --probes hashes (half of them planted:
a stored photo's hash with up to 6 bits flipped, so the search must find it) it runs the seal's search
(photo_lookalikes, photos/sql/photo_lookalikes.sql) under EXPLAIN (ANALYZE, BUFFERS) and reports:

- rows examined: photo rows the search read from the table (kept + removed by its distance filter),
- index entries: entries the two half-index probes returned,
- buffers: shared buffers touched by the search, and of those, read (not in shared_buffers: from the OS
  page cache or disk). --cold restarts the embedded Postgres before each size's figures, so the photo
  indexes start outside shared_buffers, as in a whole org whose other tables have pushed them out
  (bench/scale_bench.py); --shared-buffers sets the embedded server's shared_buffers (default: the
  server's own, 128MB),
- search ms: median execution time (noisy, shared host: read the row counts),
- seal ms: median of the real seal statement (photos/queries.py SEAL) on a pending photo,
- and, for comparison, the rows the previous search (7 pieces of 9-10 bits, migration 0010) would have
  examined: photos sharing at least one piece with the probe, counted directly.

Recall is checked on every planted probe (exit 1 if a planted lookalike is missed). No figures are
written anywhere; paste them into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final
from uuid import UUID, uuid4

import asyncpg

from inspect_api.photos import queries
from inspect_api.storage.embedded import EmbeddedPostgres
from inspect_api.storage.migrations import migrate
from inspect_api.storage.scratch import create_database, drop_database

THRESHOLD: Final = 6

GENERATE: Final = """
INSERT INTO photos (id, org_id, uploaded_by, purpose, object_key, content_type, status, verified_at, size_bytes,
                    phash)
SELECT i, $1, $2, 'submission', 'bench/' || i, 'image/jpeg', 'verified', now(), 1000,
       ((floor(random() * 4294967296)::bigint << 32) | floor(random() * 4294967296)::bigint)::bit(64)
FROM (SELECT gen_random_uuid() AS i FROM generate_series(1, $3)) AS n
"""

SEARCH: Final = "SELECT id, distance FROM photo_lookalikes($1, ('x' || $2)::bit(64), $3)"

# The previous scheme (migration 0010): 7 pieces (10 bits, then 6 x 9), a candidate shares any piece.
OLD_CANDIDATES: Final = """
WITH probe AS (SELECT ('x' || $2)::bit(64) AS h)
SELECT count(*) FROM photos p, probe
WHERE p.org_id = $1 AND p.phash IS NOT NULL AND p.purpose = 'submission' AND (
       substring(p.phash FROM 1 FOR 10) = substring(probe.h FROM 1 FOR 10)
    OR substring(p.phash FROM 11 FOR 9) = substring(probe.h FROM 11 FOR 9)
    OR substring(p.phash FROM 20 FOR 9) = substring(probe.h FROM 20 FOR 9)
    OR substring(p.phash FROM 29 FOR 9) = substring(probe.h FROM 29 FOR 9)
    OR substring(p.phash FROM 38 FOR 9) = substring(probe.h FROM 38 FOR 9)
    OR substring(p.phash FROM 47 FOR 9) = substring(probe.h FROM 47 FOR 9)
    OR substring(p.phash FROM 56 FOR 9) = substring(probe.h FROM 56 FOR 9))
"""


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _nodes(child))]


def _flip(value: int, count: int, rng: random.Random) -> int:
    for bit in rng.sample(range(64), count):
        value ^= 1 << bit
    return value


async def _probes(conn: asyncpg.Connection, org: UUID, count: int, rng: random.Random) -> list[tuple[str, UUID | None]]:
    """(hash, the stored photo it was planted from or None) pairs."""
    planted = await conn.fetch(
        "SELECT id, lpad(to_hex(phash::bigint), 16, '0') AS h FROM photos TABLESAMPLE SYSTEM (1) "
        "WHERE org_id = $1 LIMIT $2", org, count // 2)
    out: list[tuple[str, UUID | None]] = []
    for row in planted:
        near = _flip(int(row["h"], 16), rng.randint(0, THRESHOLD), rng)
        out.append((f"{near:016x}", row["id"]))
    while len(out) < count:
        out.append((f"{rng.getrandbits(64):016x}", None))
    return out


async def _seal_ms(conn: asyncpg.Connection, org: UUID, user: UUID, rng: random.Random, count: int) -> float:
    times = []
    for _ in range(count):
        photo = uuid4()
        key = f"bench/pending/{photo}"
        await conn.execute(
            "INSERT INTO photos (id, org_id, uploaded_by, purpose, object_key, content_type) "
            "VALUES ($1, $2, $3, 'submission', $4, 'image/jpeg')", photo, org, user, key)
        values = queries.SealValues(id=photo, upload_key=key, sealed_key=key + ".sealed", redacted_key=key + ".r",
                                    size_bytes=1000, phash=f"{rng.getrandbits(64):016x}", exif_latitude=None,
                                    exif_longitude=None, exif_taken_at=None)
        started = time.perf_counter()
        sealed = await queries.seal(conn, values, lookalike_threshold=THRESHOLD)
        times.append((time.perf_counter() - started) * 1000)
        assert sealed is not None
    return statistics.median(times[2:] if len(times) > 4 else times)  # the first plans the statement


async def search_figures(conn: asyncpg.Connection, org: UUID, user: UUID, probes: int, rng: random.Random
                         ) -> dict[str, Any]:
    """The seal's search at the org's current size: rows examined, index entries, buffers and time per
    probe (EXPLAIN ANALYZE), recall on the planted probes, the real seal statement's time (12 pending
    photos sealed: they stay in the org) and the old scheme's candidates. Also used by bench/scale_bench.py."""
    rows, entries, buffers, reads, ms, old, missed = [], [], [], [], [], [], 0
    for probe, planted in await _probes(conn, org, probes, rng):
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {SEARCH}", org, probe, THRESHOLD)
        top = json.loads(raw)[0]
        nodes = _nodes(top["Plan"])
        heap = [n for n in nodes if n.get("Relation Name") == "photos"]
        rows.append(sum(n["Actual Rows"] + n.get("Rows Removed by Filter", 0)
                        + n.get("Rows Removed by Index Recheck", 0) for n in heap))
        entries.append(sum(n["Actual Rows"] for n in nodes if "Index Name" in n))
        buffers.append(top["Plan"].get("Shared Hit Blocks", 0) + top["Plan"].get("Shared Read Blocks", 0))
        reads.append(top["Plan"].get("Shared Read Blocks", 0))  # not in shared_buffers: from the OS or disk
        ms.append(top["Execution Time"])
        if planted is not None:
            found = {r["id"] for r in await conn.fetch(SEARCH, org, probe, THRESHOLD)}
            missed += planted not in found
        old.append(await conn.fetchval(OLD_CANDIDATES, org, probe))
    seal_ms = await _seal_ms(conn, org, user, rng, 12)
    return {
        "probes": probes, "missed": missed,
        "rows_examined_median": statistics.median(rows), "rows_examined_max": max(rows),
        "index_entries_median": statistics.median(entries),
        "buffers_median": statistics.median(buffers), "buffers_read_median": statistics.median(reads),
        "search_ms_median": round(statistics.median(ms), 2), "seal_ms_median": round(seal_ms, 2),
        "old_rows_examined_median": statistics.median(old),
    }


async def measure(dsn: str, sizes: list[int], probes: int, seed: int,
                  restart: Callable[[], None] | None = None) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    conn = await asyncpg.connect(dsn)
    results = []
    try:
        org = await conn.fetchval("INSERT INTO orgs (slug, name) VALUES ('bench-photos', 'bench') RETURNING id")
        user = await conn.fetchval(
            "INSERT INTO users (org_id, email, display_name, role, password_hash) "
            "VALUES ($1, 'bench@photos.test', 'bench', 'inspector', 'x') RETURNING id", org)
        have = 0
        for size in sizes:
            started = time.perf_counter()
            await conn.execute(GENERATE, org, user, size - have)
            have = size
            await conn.execute("VACUUM ANALYZE photos")
            load_s = time.perf_counter() - started
            if restart is not None:  # --cold: shared_buffers emptied, the OS page cache kept
                await conn.close()
                restart()
                conn = await asyncpg.connect(dsn)
            figures = await search_figures(conn, org, user, probes, rng)
            have += 12
            result = {"photos": size, "load_s": round(load_s, 1), "cold": restart is not None,
                      "shared_buffers": await conn.fetchval("SHOW shared_buffers"), **figures,
                      "old_share_percent": round(100 * figures["old_rows_examined_median"] / size, 2)}
            print(json.dumps(result), flush=True)
            results.append(result)
    finally:
        await conn.close()
    return results


def _table(results: list[dict[str, Any]]) -> str:
    lines = ["| photos in the org | rows examined per seal (median / max) | index entries | buffers | of which read | "
             "search ms | seal ms | before (7 pieces): rows examined | before: share |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r['photos']:,} | {r['rows_examined_median']:g} / {r['rows_examined_max']:g} | "
                     f"{r['index_entries_median']:g} | {r['buffers_median']:g} | {r['buffers_read_median']:g} | "
                     f"{r['search_ms_median']} | "
                     f"{r['seal_ms_median']} | {r['old_rows_examined_median']:,g} | {r['old_share_percent']} % |")
    return "\n".join(lines)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--port", type=int, default=None, help="embedded PostgreSQL port (default: a free one)")
    parser.add_argument("--shared-buffers", default=None, help="embedded PostgreSQL shared_buffers, e.g. 2GB")
    parser.add_argument("--cold", action="store_true", help="restart the embedded PostgreSQL before each size")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    name = f"bench_photos_{secrets.token_hex(4)}"
    with tempfile.TemporaryDirectory(prefix="photo-search-bench-") as tmp:
        postgres = None
        server = os.environ.get("DATABASE_URL")
        if not server:
            settings = {"shared_buffers": args.shared_buffers} if args.shared_buffers else {}
            postgres = EmbeddedPostgres(Path(tmp) / "postgres", port=args.port, settings=settings)
            server = postgres.start()
        elif args.cold or args.shared_buffers:
            parser.error("--cold and --shared-buffers need the embedded PostgreSQL (unset DATABASE_URL)")
        restart: Callable[[], None] | None = None
        if args.cold and postgres is not None:
            embedded = postgres

            def cold_restart() -> None:
                embedded.stop()
                embedded.start()
            restart = cold_restart
        try:
            dsn = await create_database(server, name)
            try:
                await migrate(dsn)
                results = await measure(dsn, sizes, args.probes, args.seed, restart)
            finally:
                await drop_database(server, name)
        finally:
            if postgres is not None:
                postgres.stop()
    print(_table(results))
    missed = sum(r["missed"] for r in results)
    if missed:
        print(f"REFUSED: {missed} planted lookalikes were not found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
