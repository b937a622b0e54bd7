"""Sharding readiness (issue #20): which tables could Citus distribute by org_id as they stand?

A table is distributable by org_id when it has an org_id column, its primary key includes org_id, and
every foreign key between distributed tables includes org_id on both sides (co-located joins). This
check reads the catalog of the migrated schema and reports every table that falls short; it does not
change the schema. The lists below are the report of 2026-12-02. A new org-data table WITHOUT an org_id
column fails the test (the first thing distribution needs); new primary or foreign keys without org_id
are printed as new gaps, not failed (most of today's keys are such, and other work adds tables daily);
closed gaps are printed too (remove them from the lists then). Run with -s to read the report.

Summary of the report: 6 org-data tables have no org_id column at all (children reached through their
parent: action_events, appeal_photos, device_session_tokens, submission_items, webhook_attempts,
webhook_deliveries); 18 tables carry org_id but key rows by id alone (submissions, photos, visits, users,
...); 23 foreign keys join by id alone. Every query filters by org_id already; closing these gaps is a
schema change (composite keys (org_id, id), org_id on the child tables), not done here.
"""

from __future__ import annotations

from typing import Final

import asyncpg
import pytest

pytestmark = pytest.mark.asyncio

# Not org data: kept whole on every node (Citus reference tables) or local to the coordinator.
# forms/form_versions: the catalogue shared by every org (org_id NULL) beside org-owned forms;
# login_attempts: keyed by a hashed e-mail before any org is known.
GLOBAL: Final = frozenset({"schema_migrations", "schema_functions", "kv_store", "orgs", "job_runs", "forms",
                           "form_versions", "login_attempts"})

KNOWN_NO_ORG: Final = frozenset({
    "action_events", "appeal_photos", "device_session_tokens", "submission_items", "webhook_attempts",
    "webhook_deliveries",
})
KNOWN_PK_WITHOUT_ORG: Final = frozenset({
    "actions", "appeals", "audit_log", "branches", "device_sessions", "events", "photos", "programme_branches",
    "programmes", "regions", "score_rescores", "submission_revisions", "submissions", "user_branches",
    "user_regions", "users", "visits", "webhook_endpoints",
})
KNOWN_FK_WITHOUT_ORG: Final = frozenset({
    "action_events.action_events_action_id_fkey -> actions",
    "action_events.action_events_photo_id_fkey -> photos",
    "action_events.action_events_submission_id_fkey -> submissions",
    "actions.actions_assignee_id_fkey -> users",
    "actions.actions_merged_into_fkey -> actions",
    "actions.actions_revision_id_fkey -> submission_revisions",
    "actions.actions_submission_id_fkey -> submissions",
    "appeal_photos.appeal_photos_appeal_id_fkey -> appeals",
    "appeal_photos.appeal_photos_photo_id_fkey -> photos",
    "appeals.appeals_submission_id_fkey -> submissions",
    "device_session_tokens.device_session_tokens_session_id_fkey -> device_sessions",
    "photos.photos_action_id_fkey -> actions",
    "photos.photos_submission_id_fkey -> submissions",
    "photos.photos_visit_id_fkey -> visits",
    "score_rescores.score_rescores_rescored_by_fkey -> users",
    "score_rescores.score_rescores_revision_id_fkey -> submission_revisions",
    "score_rescores.score_rescores_submission_id_fkey -> submissions",
    "submission_items.submission_items_revision_id_fkey -> submission_revisions",
    "submission_revisions.submission_revisions_submission_id_fkey -> submissions",
    "submissions.submissions_visit_id_fkey -> visits",
    "webhook_attempts.webhook_attempts_delivery_id_fkey -> webhook_deliveries",
    "webhook_deliveries.webhook_deliveries_endpoint_id_fkey -> webhook_endpoints",
    "webhook_deliveries.webhook_deliveries_event_id_fkey -> events",
})

TABLES: Final = """
SELECT c.relname AS name,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped)
           AS has_org,
       (SELECT bool_or(a.attname = 'org_id') FROM pg_constraint k
        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
        WHERE k.conrelid = c.oid AND k.contype = 'p') AS pk_has_org
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY 1
"""

FOREIGN_KEYS: Final = """
SELECT c.relname AS name, k.conname AS key, f.relname AS referenced,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
               AND a.attname = 'org_id') AS has_org
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_class f ON f.oid = k.confrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND k.contype = 'f'
ORDER BY 1, 2
"""


async def report(pool: asyncpg.Pool) -> tuple[set[str], set[str], set[str]]:
    tables = await pool.fetch(TABLES)
    no_org = {t["name"] for t in tables if t["name"] not in GLOBAL and not t["has_org"]}
    pk_without_org = {t["name"] for t in tables if t["name"] not in GLOBAL and t["has_org"] and not t["pk_has_org"]}
    fks = await pool.fetch(FOREIGN_KEYS)
    fk_without_org = {f"{f['name']}.{f['key']} -> {f['referenced']}" for f in fks
                      if not f["has_org"] and f["referenced"] not in GLOBAL}
    return no_org, pk_without_org, fk_without_org


async def test_report_tables_and_keys_without_org_id(pool: asyncpg.Pool) -> None:
    no_org, pk_without_org, fk_without_org = await report(pool)
    print("\nno org_id column:", sorted(no_org))
    print("primary key without org_id:", sorted(pk_without_org))
    print("foreign keys without org_id:", *sorted(fk_without_org), sep="\n  ")
    closed = (KNOWN_NO_ORG - no_org) | (KNOWN_PK_WITHOUT_ORG - pk_without_org) | (KNOWN_FK_WITHOUT_ORG - fk_without_org)
    if closed:
        print("closed (or table not in this schema): remove from the lists:", sorted(closed))
    assert no_org <= KNOWN_NO_ORG, f"new tables without org_id: {sorted(no_org - KNOWN_NO_ORG)}"
    new_gaps = sorted((pk_without_org - KNOWN_PK_WITHOUT_ORG) | (fk_without_org - KNOWN_FK_WITHOUT_ORG))
    if new_gaps:
        print("NEW keys without org_id since the report:", new_gaps)
