"""Reading EXPLAIN (FORMAT JSON) plans in tests, partitions included (migrations/0052).

A scan of a partitioned table shows one node per partition, named by the partition and by its own
index (`submissions_m2026_05_org_id_visited_on_id_idx`); `index_parents` maps those back to the
index the migration created on the parent, so a test can name the index it expects."""

from __future__ import annotations

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
