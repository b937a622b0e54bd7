"""Sharding readiness (issue #20): could Citus distribute every org-data table by org_id?

A table is distributable by org_id, with every join between org tables co-located, when
- it has an org_id column,
- its primary key includes org_id, and so does every unique key (Citus enforces a unique key only
  when it contains the distribution column),
- every foreign key to another org table pairs its org_id with the referenced table's org_id.
These tests read the catalog of the migrated schema and FAIL on any table or key that falls short,
except the tables kept whole on every node (GLOBAL, Citus reference tables) and the two documented
global lookups (GLOBAL_LOOKUPS). migrations/0046_org_keys.sql closed the gaps the report of
2026-12-02 listed, and 0052_submission_partitions.sql those of the submissions tables (rebuilt there
as monthly partitions); docs/deployment.md ("Citus") says how a deployment distributes the tables.
Nothing else is tolerated.
"""

from __future__ import annotations

from typing import Final

import asyncpg
import pytest

pytestmark = pytest.mark.asyncio

# Not org data: kept whole on every node (Citus reference tables) or local to the coordinator.
GLOBAL: Final[dict[str, str]] = {
    "schema_migrations": "the migration ledger: one schema for every org",
    "schema_functions": "the function-file ledger: one schema for every org",
    "kv_store": "shared caches and rate-limit counters keyed by text, not by org (coordinator-local)",
    "job_runs": "the scheduler's one row per job name, for every org (coordinator-local)",
    "orgs": "the tenants themselves; every org table references it (reference table)",
    "forms": "the shared form catalogue (org_id NULL) beside org-owned forms; read by every org (reference)",
    "form_versions": "versions of those forms, shared like them (reference table)",
    "login_attempts": "keyed by a hashed e-mail before any org is known (coordinator-local)",
}

# Unique keys without org_id, kept on purpose: the lookup happens before the org is known. Under
# Citus each becomes a lookup table on the coordinator (docs/deployment.md); on Postgres it stays.
GLOBAL_LOOKUPS: Final[dict[str, str]] = {
    "users_email_key": "login by e-mail: one account per e-mail across orgs, found before its org is known",
    "device_session_tokens_token_hash_key": "a refresh token names no org; its hash finds the session",
}

TABLES: Final = """
SELECT c.relname AS name,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped)
           AS has_org
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY 1
"""

# Primary keys and every unique index (constraint or not, partial or not) of the top-level tables.
UNIQUE_KEYS: Final = """
SELECT c.relname AS name, i.relname AS key, x.indisprimary AS is_primary,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum = ANY (x.indkey)
               AND a.attname = 'org_id') AS has_org
FROM pg_index x
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND x.indisunique AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY 1, 2
"""

# For each foreign key: does org_id on the referencing side pair with org_id on the referenced side?
FOREIGN_KEYS: Final = """
SELECT c.relname AS name, k.conname AS key, f.relname AS referenced,
       EXISTS (SELECT 1 FROM unnest(k.conkey, k.confkey) AS p (mine, theirs)
               JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = p.mine
               JOIN pg_attribute b ON b.attrelid = k.confrelid AND b.attnum = p.theirs
               WHERE a.attname = 'org_id' AND b.attname = 'org_id') AS pairs_org
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_class f ON f.oid = k.confrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND k.contype = 'f' AND NOT c.relispartition
ORDER BY 1, 2
"""


async def gaps(pool: asyncpg.Pool) -> set[str]:
    """Every shortfall, one line each ("no org_id: t", "primary key: t", "unique key: t.k",
    "foreign key: t.k -> parent")."""
    tables = {t["name"]: t["has_org"] for t in await pool.fetch(TABLES)}
    org_tables = {name for name in tables if name not in GLOBAL}
    found = {f"no org_id: {name}" for name in org_tables if not tables[name]}
    keys = await pool.fetch(UNIQUE_KEYS)
    primary = {k["name"] for k in keys if k["is_primary"] and k["has_org"]}
    found |= {f"primary key: {name}" for name in org_tables if tables[name] and name not in primary}
    found |= {f"unique key: {k['name']}.{k['key']}" for k in keys
              if k["name"] in org_tables and tables[k["name"]] and not k["is_primary"] and not k["has_org"]
              and k["key"] not in GLOBAL_LOOKUPS}
    found |= {f"foreign key: {f['name']}.{f['key']} -> {f['referenced']}" for f in await pool.fetch(FOREIGN_KEYS)
              if f["name"] in org_tables and f["referenced"] in org_tables and not f["pairs_org"]}
    return found


async def test_every_org_table_is_keyed_by_org_id(pool: asyncpg.Pool) -> None:
    assert sorted(await gaps(pool)) == []


async def test_global_tables_and_lookups_exist(pool: asyncpg.Pool) -> None:
    """A renamed or dropped table or key must leave the lists too: an exception names something real."""
    tables = {t["name"] for t in await pool.fetch(TABLES)}
    assert sorted(set(GLOBAL) - tables) == []
    keys = {k["key"] for k in await pool.fetch(UNIQUE_KEYS)}
    assert sorted(set(GLOBAL_LOOKUPS) - keys) == []


async def test_the_check_sees_a_table_without_org_keys(pool: asyncpg.Pool) -> None:
    """The checker itself: a new org table keyed by id alone, with a foreign key by id alone and a
    global unique key, shows up as each kind of gap (rolled back: the schema is left as it was)."""
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute("""
                CREATE TABLE sharding_probe (id uuid PRIMARY KEY, org_id uuid NOT NULL, code text UNIQUE,
                                             action_id uuid,
                                             FOREIGN KEY (org_id, action_id) REFERENCES actions (org_id, id));
                CREATE TABLE sharding_probe_child (id uuid REFERENCES sharding_probe (id), org_id uuid NOT NULL,
                                                   PRIMARY KEY (org_id, id));
                CREATE TABLE sharding_probe_bare (id uuid PRIMARY KEY)""")
            found = await gaps(conn)  # type: ignore[arg-type]
        finally:
            await tx.rollback()
    probe = {g for g in found if "sharding_probe" in g}
    assert probe == {
        "no org_id: sharding_probe_bare",
        "primary key: sharding_probe",
        "unique key: sharding_probe.sharding_probe_code_key",
        "foreign key: sharding_probe_child.sharding_probe_child_id_fkey -> sharding_probe",
    }
