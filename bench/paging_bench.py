"""GET /submissions pages at depth (issue #20): OFFSET against the keyset cursor, rows read per page.

    .venv/bin/python -m bench.paging_bench                      # 1,000,000 submissions, 2,000 branches
    .venv/bin/python -m bench.paging_bench --submissions 100000

On a scratch database (embedded PostgreSQL in a temp dir, or a new database on the server named by
DATABASE_URL), migrated to today's schema: one org, 2,000 branches, N submissions over two years,
generated in SQL. For pages at depths 0, 1 %, 10 % and 90 % of the list (50 rows each, as the admin,
no filter), it runs the list's statement (submissions/queries.py SELECT_SUMMARIES) under EXPLAIN
(ANALYZE, BUFFERS), once with `offset` = depth and once with the cursor of the row just before it, and
prints the submissions rows read and the execution time of each (median of 5; noisy host: read rows).
Refused (exit 1) when the two ways return different pages. Nothing is written; paste into RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

import asyncpg

from inspect_api.paging import FIRST_DAY, LAST_UUID
from inspect_api.storage.embedded import EmbeddedPostgres
from inspect_api.storage.migrations import migrate
from inspect_api.storage.scratch import create_database, drop_database
from inspect_api.submissions.partitions import is_partition_of
from inspect_api.submissions.queries import SELECT_SUMMARIES

PAGE: Final = 50
SUMMARY_PARAMS: Final = max(int(n) for n in re.findall(r"\$(\d+)", SELECT_SUMMARIES))

SETUP: Final = """
WITH o AS (INSERT INTO orgs (slug, name) VALUES ('bench-paging', 'bench') RETURNING id),
r AS (INSERT INTO regions (org_id, code, name_zh, name_en) SELECT id, 'R', '区', 'Region' FROM o RETURNING id, org_id),
b AS (INSERT INTO branches (org_id, region_id, code, name_zh, name_en, timezone, latitude, longitude)
      SELECT r.org_id, r.id, 'B' || g, '店' || g, 'Branch ' || g, 'Asia/Shanghai', 31.2, 121.4
      FROM r, generate_series(1, $1) g RETURNING org_id),
u AS (INSERT INTO users (org_id, email, display_name, role, password_hash)
      SELECT id, 'admin@paging.test', 'admin', 'admin', 'x' FROM o RETURNING id, org_id)
SELECT u.org_id, u.id FROM u
"""
FORM: Final = """
WITH f AS (INSERT INTO forms (org_id, key) VALUES ($1, 'bench-form') RETURNING id)
INSERT INTO form_versions (form_id, version, status, document, content_hash, published_at)
SELECT id, 1, 'published', '{"title": {"zh": "表", "en": "form"}}', 'hash-bench', now() FROM f RETURNING id
"""
LOAD: Final = """
INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status, current_revision,
                         passed, visited_on)
SELECT $1, b.id, $2, $3, 'adhoc', 'submitted', 1, false, date '2026-11-30' - (g % 730)
FROM generate_series(0, $4 - 1) g
JOIN (SELECT id, (row_number() OVER (ORDER BY code) - 1)::int AS n FROM branches WHERE org_id = $1) b
  ON b.n = g % $5
"""


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _nodes(child))]


async def _run(conn: asyncpg.Connection, org: Any, admin: Any, offset: int, after: tuple[Any, Any]
               ) -> tuple[int, float, list[Any]]:
    args = (org, admin, "admin", None, None, None, None, None, PAGE, offset, *after,
            *[None] * (SUMMARY_PARAMS - 12))  # later filters past the keyset's $11/$12: NULL
    times, rows_read = [], 0
    for _ in range(5):
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {SELECT_SUMMARIES}", *args)
        top = json.loads(raw)[0]
        scans = [n for n in _nodes(top["Plan"]) if is_partition_of("submissions", n.get("Relation Name"))]
        rows_read = sum(n["Actual Rows"] + n.get("Rows Removed by Filter", 0) for n in scans)
        times.append(top["Execution Time"])
    ids = [r["id"] for r in await conn.fetch(SELECT_SUMMARIES, *args)]
    return rows_read, statistics.median(times), ids


async def measure(dsn: str, submissions: int, branches: int) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(dsn)
    try:
        org, admin = await conn.fetchrow(SETUP, branches)
        version = await conn.fetchval(FORM, org)
        await conn.execute(LOAD, org, version, admin, submissions, branches)
        await conn.execute("VACUUM ANALYZE submissions")
        out = []
        for share in (0, 0.01, 0.1, 0.9):
            depth = int(submissions * share)
            before = (FIRST_DAY, LAST_UUID) if depth == 0 else tuple(await conn.fetchrow(
                "SELECT visited_on, id FROM submissions WHERE org_id = $1 ORDER BY visited_on DESC, id DESC "
                "OFFSET $2 LIMIT 1", org, depth - 1))
            offset_rows, offset_ms, offset_ids = await _run(conn, org, admin, depth, (FIRST_DAY, LAST_UUID))
            keyset_rows, keyset_ms, keyset_ids = await _run(conn, org, admin, 0, before)
            if offset_ids != keyset_ids:
                raise SystemExit(f"REFUSED: at depth {depth} the offset and cursor pages differ")
            row = {"depth": depth, "offset_rows": offset_rows, "offset_ms": round(offset_ms, 2),
                   "keyset_rows": keyset_rows, "keyset_ms": round(keyset_ms, 2)}
            print(json.dumps(row), flush=True)
            out.append(row)
        return out
    finally:
        await conn.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=1_000_000)
    parser.add_argument("--branches", type=int, default=2_000)
    parser.add_argument("--port", type=int, default=None, help="embedded PostgreSQL port (default: a free one)")
    args = parser.parse_args()
    name = f"bench_paging_{secrets.token_hex(4)}"
    with tempfile.TemporaryDirectory(prefix="paging-bench-") as tmp:
        postgres = None
        server = os.environ.get("DATABASE_URL")
        if not server:
            postgres = EmbeddedPostgres(Path(tmp) / "postgres", port=args.port)
            server = postgres.start()
        try:
            dsn = await create_database(server, name)
            try:
                await migrate(dsn)
                results = await measure(dsn, args.submissions, args.branches)
            finally:
                await drop_database(server, name)
        finally:
            if postgres is not None:
                postgres.stop()
    print(f"| page depth (of {args.submissions:,}) | offset: rows read | offset ms | cursor: rows read | cursor ms |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['depth']:,} | {r['offset_rows']:,} | {r['offset_ms']} | {r['keyset_rows']:,} | {r['keyset_ms']} |")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
