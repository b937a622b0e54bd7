"""Reading EXPLAIN (FORMAT JSON) plans in tests, partitions included (migrations/0052).

A scan of a partitioned table shows one node per partition, named by the partition and by its own
index (`submissions_m2026_05_org_id_visited_on_id_idx`); `index_parents` maps those back to the
index the migration created on the parent, so a test can name the index it expects."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from inspect_api.submissions.partitions import is_partition_of

INDEX_PARENTS = """
SELECT c.relname AS partition_index, p.relname AS parent_index
FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid JOIN pg_class p ON p.oid = h.inhparent
WHERE c.relkind = 'i'
"""


def nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in nodes(child))]


def scans_of(plan: dict[str, Any], table: str) -> list[dict[str, Any]]:
    """The plan's scans of `table` or of any of its partitions."""
    return [n for n in nodes(plan) if is_partition_of(table, n.get("Relation Name"))]


async def index_parents(conn: asyncpg.Connection | asyncpg.Pool) -> dict[str, str]:
    """Partition index name -> the parent table's index it belongs to."""
    return {r["partition_index"]: r["parent_index"] for r in await conn.fetch(INDEX_PARENTS)}


def parent_index(parents: dict[str, str], scan: dict[str, Any]) -> str:
    name = scan.get("Index Name", "")
    return parents.get(name, name)


async def explain_analyze(conn: asyncpg.Connection, sql: str, *args: Any) -> dict[str, Any]:
    """The plan of `sql` as it ran with `args` (EXPLAIN (ANALYZE, FORMAT JSON)): run writes in `rolled_back`."""
    return json.loads(await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args))[0]["Plan"]


def partitions_read(plan: dict[str, Any], table: str) -> dict[str, int]:
    """The partitions of `table` the statement looked into, with how many times each (a write's own
    ModifyTable node is not a read)."""
    read: dict[str, int] = {}
    for scan in scans_of(plan, table):
        if scan["Node Type"] != "ModifyTable" and scan["Actual Loops"] > 0:
            read[scan["Relation Name"]] = read.get(scan["Relation Name"], 0) + scan["Actual Loops"]
    return read


@asynccontextmanager
async def rolled_back(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """A transaction that is always rolled back: a writing statement's plan without its writes."""
    tx = conn.transaction()
    await tx.start()
    try:
        yield
    finally:
        await tx.rollback()
