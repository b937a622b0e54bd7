"""Scoped submission lists (issue #20, migration 0050): GET /submissions' statement before and after, in one run.

    .venv/bin/python -m bench.scoped_list_bench                 # 150k submissions, 2,000 branches (~3 min)
    .venv/bin/python -m bench.scoped_list_bench --size 1m       # the scale bench's largest step

One embedded PostgreSQL (+ SeaweedFS, unused) in a temp dir on --port-base (default 18800..18810); the org
of the scale bench (bench/harness.arrange_world, 2,000 more branches in 20 regions, bench/generate.py's
released submissions). The regional lead is also given region R01 (~100 branches), so the lead's list
merges ~100 ranges. For the branch manager (B1), the lead and the inspector, first page and a page 90 %
deep into the caller's own rows (cursor = the row before it), limit 25 (+1): EXPLAIN (ANALYZE, BUFFERS)
of SELECT_SUMMARIES (the statement every caller ran before) and of the statement the caller runs now
(submissions/queries.py summaries_statement), --runs times each, median execution time and the
submissions rows read (kept + removed by filter, over all loops). Refused (exit 1) if the two statements
answer different rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from bench import generate
from bench.harness import arrange_world
from bench.scale_bench import PortedStack, parse_size, world_ids
from inspect_api.paging import FIRST_DAY, LAST_UUID
from inspect_api.submissions.partitions import is_partition_of
from inspect_api.submissions.queries import SELECT_SUMMARIES, summaries_statement

LIMIT = 26  # a page of 25 and the one that says there is a next page


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _nodes(child))]


def rows_read(plan: dict[str, Any]) -> int:
    return sum(int((n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"])
               for n in _nodes(plan) if is_partition_of("submissions", n.get("Relation Name")))


async def explain(conn: asyncpg.Connection, sql: str, args: tuple[Any, ...], runs: int) -> dict[str, Any]:
    times, plan = [], {}
    for _ in range(runs + 1):  # the first warms the cache
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", *args)
        top = json.loads(raw)[0]
        times.append(top["Execution Time"])
        plan = top["Plan"]
    scans = sorted({n["Index Name"] for n in _nodes(plan) if is_partition_of("submissions", n.get("Relation Name"))
                    and "Index Name" in n})
    return {"ms": statistics.median(times[1:]), "rows_read": rows_read(plan), "indexes": scans}


async def measure(dsn: str, org_id: UUID, ids: dict[str, UUID], runs: int) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(dsn)
    out = []
    try:
        await conn.execute(
            "INSERT INTO user_regions (org_id, user_id, region_id) SELECT $1, $2, id FROM regions "
            "WHERE org_id = $1 AND code = 'R01' ON CONFLICT DO NOTHING", org_id, ids["regional_lead"])
        for role in ("branch_manager", "regional_lead", "inspector"):
            user = ids[role]
            own = await conn.fetch(f"SELECT visited_on, id FROM ({SELECT_SUMMARIES}) x",
                                   org_id, user, role, None, None, None, None, None, 10_000_000, 0,
                                   FIRST_DAY, LAST_UUID, False) if role != "inspector" else await conn.fetch(
                "SELECT visited_on, id FROM submissions WHERE org_id = $1 AND inspector_id = $2 "
                "ORDER BY visited_on DESC, id DESC", org_id, user)
            deep_at = int(len(own) * 0.9)
            starts = {"first page": (FIRST_DAY, LAST_UUID)}
            if deep_at > 0:
                starts["90% deep"] = (own[deep_at - 1]["visited_on"], own[deep_at - 1]["id"])
            for name, start in starts.items():
                args = (org_id, user, role, None, None, None, None, None, LIMIT, 0, *start, False)
                new_sql = summaries_statement(role)
                before_rows = [r["id"] for r in await conn.fetch(SELECT_SUMMARIES, *args)]
                after_rows = [r["id"] for r in await conn.fetch(new_sql, *args)]
                if before_rows != after_rows:
                    raise SystemExit(f"REFUSED: {role} {name}: the statements answer different rows")
                out.append({"role": role, "page": name, "caller_rows": len(own), "rows": len(after_rows),
                            "before": await explain(conn, SELECT_SUMMARIES, args, runs),
                            "after": await explain(conn, new_sql, args, runs)})
                o = out[-1]
                b, a = o["before"], o["after"]
                print(f"  {role:15} {name:10} ({len(own):>7,} rows in scope): before {b['ms']:8.2f} ms, "
                      f"{b['rows_read']:>7,} rows read {b['indexes']}; after {a['ms']:6.2f} ms, "
                      f"{a['rows_read']:>5,} rows read {a['indexes']}", flush=True)
    finally:
        await conn.close()
    return out


async def grow(dsn: str, org_id: UUID, ids: dict[str, UUID], version_id: UUID, size: int, branches: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET synchronous_commit = off")
        await generate.setup_branches(conn, org_id, branches)
        await generate.grow(conn, org_id, version_id=version_id, inspector_id=ids["inspector"], admin_id=ids["admin"],
                            target=size, end_day=datetime.now(UTC).date(), statement_seconds=3600)
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="150k", help="submissions in the org, e.g. 150k, 1m")
    parser.add_argument("--branches", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--port-base", type=int, default=18800)
    args = parser.parse_args()
    size = parse_size(args.size)
    base = Path(tempfile.mkdtemp(prefix="inspect-scoped-list-bench-"))
    try:
        with PortedStack(base, args.port_base) as stack:
            world = asyncio.run(arrange_world(stack.database_url))
            ids = asyncio.run(world_ids(stack.database_url, world))
            print(f"growing to {size:,} submissions over {args.branches + 1:,} branches ...", flush=True)
            asyncio.run(grow(stack.database_url, world.org_id, ids, world.form_version_id, size, args.branches))
            print(f"load average {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
            asyncio.run(measure(stack.database_url, world.org_id, ids, args.runs))
            print(f"load average {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
