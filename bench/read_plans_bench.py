"""EXPLAIN (ANALYZE) of GET /actions/overdue's and the org's GET /rankings/weakness statements, before and
after issue #20's fix (migration 0051, actions/queries.py SELECT_OVERDUE, rankings/queries.py SELECT_ORG_*).

One embedded PostgreSQL on --port (default 18850) in a temp dir, one org grown by bench/generate.py (2,000
branches, --size released submissions with their actions and roll-ups), then per statement: the median and
min execution ms of 9 runs, the buffers touched, and rows read / removed by filter per table. "Before" runs
the pre-fix statements (kept below) without migration 0051's index; "after" the current ones with it.

    .venv/bin/python -m bench.read_plans_bench --size 200k     # ~5 min on a 2-core host
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from uuid import UUID

import asyncpg

from bench import generate
from bench.harness import FORM_KEY, arrange_world
from bench.scale_bench import parse_size
from inspect_api.actions import queries as aq
from inspect_api.rankings import queries as rq
from inspect_api.rankings.service import period_start
from inspect_api.storage.embedded import EmbeddedPostgres
from inspect_api.storage.migrations import migrate
from inspect_api.storage.scratch import create_database

REPO: Final = Path(__file__).resolve().parent.parent
INDEX_SQL: Final = (REPO / "migrations" / "0051_overdue_and_weakness_reads.sql").read_text()
# The statements before the fix: the list statement with the overdue flag, and the joined weakness sums.
BEFORE_OVERDUE: Final = aq.SELECT_ACTIONS


def _scans(plan: dict[str, Any]) -> list[tuple[str, str | None, int, int]]:
    found = []
    if plan.get("Relation Name"):
        loops = plan.get("Actual Loops", 1)
        found.append((plan["Relation Name"], plan.get("Index Name"), plan["Actual Rows"] * loops,
                      plan.get("Rows Removed by Filter", 0) * loops))
    for child in plan.get("Plans", []):
        if child.get("Parent Relationship") != "SubPlan":
            found += _scans(child)
    return found


async def figure(conn: asyncpg.Connection, name: str, sql: str, *args: object) -> dict[str, Any]:
    times = []
    for _ in range(9):
        doc = json.loads(await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", *args))[0]
        times.append(doc["Execution Time"])
    plan = doc["Plan"]
    out = {"name": name, "median_ms": round(statistics.median(times), 2), "min_ms": round(min(times), 2),
           "buffers": plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0), "scans": _scans(plan),
           "load": round(os.getloadavg()[0], 2)}
    print(json.dumps(out), flush=True)
    return out


async def measure(url: str, org: UUID, ids: dict[str, UUID]) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(url)
    results = []
    try:
        users = [("admin", ids["admin"]), ("branch_manager", ids["branch_manager"])]
        await conn.execute("DROP INDEX IF EXISTS actions_pending_due_idx")
        await conn.execute("ANALYZE actions")
        for role, user in users:
            results.append(await figure(conn, f"before: overdue as {role}", BEFORE_OVERDUE, org, user, role, None,
                                        None, None, None, True, False, 200, 0, *aq.ACTIONS_START))
        await conn.execute(INDEX_SQL)
        await conn.execute("ANALYZE actions")
        for role, user in users:
            results.append(await figure(conn, f"after: overdue as {role}", aq.SELECT_OVERDUE, org, user, role, None,
                                        None, None, None, True, False, 200, 0, *aq.ACTIONS_START))
        this_month = period_start("month", date.today())
        last_month = period_start("month", this_month - timedelta(days=1))
        for start in (this_month, last_month):
            base = (org, FORM_KEY, "month", start)
            results.append(await figure(conn, f"before: weakness items {start}", rq.SELECT_ITEMS, *base, None, None))
            results.append(await figure(conn, f"after: weakness items {start}", rq.SELECT_ORG_ITEMS, *base))
            results.append(await figure(conn, f"before: weakness visits {start}", rq.SELECT_VISITS, *base, None, None))
            results.append(await figure(conn, f"after: weakness visits {start}", rq.SELECT_ORG_VISITS, *base))
        return results
    finally:
        await conn.close()


async def run(base: Path, port: int, size: int) -> None:
    postgres = EmbeddedPostgres(base / "postgres", port=port)
    try:
        url = await create_database(postgres.start(), "read_plans")
        await migrate(url)
        world = await arrange_world(url)
        conn = await asyncpg.connect(url)
        try:
            ids = {r["role"]: r["id"] for r in await conn.fetch("SELECT role, id FROM users WHERE org_id = $1",
                                                                 world.org_id)}
            await conn.execute("SET synchronous_commit = off")
            await generate.setup_branches(conn, world.org_id, 2000)
            await generate.grow(conn, world.org_id, version_id=world.form_version_id, inspector_id=ids["inspector"],
                                admin_id=ids["admin"], target=size, end_day=datetime.now(UTC).date(),
                                statement_seconds=1800)
            print(json.dumps(await generate.counts(conn, world.org_id)), flush=True)
        finally:
            await conn.close()
        await measure(url, world.org_id, ids)
    finally:
        postgres.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="200k", help="released submissions in the org")
    parser.add_argument("--port", type=int, default=18850)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="inspect-read-plans-"))
    try:
        asyncio.run(run(base, args.port, parse_size(args.size)))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
