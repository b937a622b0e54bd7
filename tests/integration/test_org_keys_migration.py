"""migrations/0046_org_keys.sql upgrades a database that already holds data (#20): the child tables'
new org_id is filled from their parents, the platform's audit rows get the nil org, every rebuilt
foreign key holds the existing rows and now refuses a row pointing into another org."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import pytest
import pytest_asyncio

from inspect_api.storage.migrations import DEFAULT_DIR, migrate
from inspect_api.storage.scratch import create_database, drop_database
from tests.integration.conftest import Engines

pytestmark = pytest.mark.asyncio

NIL: UUID = UUID(int=0)

# One org's worth of rows in the 0045 schema (no org_id on the five child tables yet).
SEED = """
INSERT INTO orgs (id, slug, name) VALUES ($1, 'org-one', 'One'), ($2, 'org-two', 'Two');
INSERT INTO regions (id, org_id, code, name_zh, name_en) VALUES ($3, $1, 'R1', '北', 'North');
INSERT INTO branches (id, org_id, region_id, code, name_zh, name_en, timezone)
    VALUES ($4, $1, $3, 'B1', '一', 'One', 'Asia/Taipei');
INSERT INTO users (id, org_id, email, display_name, role, password_hash) VALUES
    ($5, $1, 'admin@one.example', 'Admin', 'admin', 'x'),
    ($6, $1, 'inspector@one.example', 'Inspector', 'inspector', 'x'),
    ($7, $1, 'manager@one.example', 'Manager', 'branch_manager', 'x');
INSERT INTO user_branches (org_id, user_id, branch_id) VALUES ($1, $7, $4);
INSERT INTO user_regions (org_id, user_id, region_id) VALUES ($1, $5, $3);
INSERT INTO forms (id, org_id, key) VALUES ($8, NULL, 'probe-form');
INSERT INTO form_versions (id, form_id, version, status, document, content_hash, published_at)
    VALUES ($9, $8, 1, 'published', '{}', 'h', now());
INSERT INTO form_retirements (org_id, form_id) VALUES ($1, $8);
INSERT INTO programmes (id, org_id, name, form_id, mode, branch_rule, period_kind, visits_per_period, days_of_week,
                        window_start_time, window_end_time, starts_on, created_by)
    VALUES ($10, $1, 'P', $8, 'announced', 'list', 'month', 1, '{1}', '09:00', '17:00', '2026-01-01', $5);
INSERT INTO programme_branches (org_id, programme_id, branch_id) VALUES ($1, $10, $4);
INSERT INTO visits (id, org_id, branch_id, form_version_id, inspector_id, mode, window_start, window_end, created_by)
    VALUES ($11, $1, $4, $9, $6, 'announced', now(), now() + interval '1 hour', $5);
INSERT INTO submissions (id, org_id, branch_id, visit_id, form_version_id, inspector_id, mode, status,
                         current_revision, passed, visited_on, released_at)
    VALUES ($12, $1, $4, $11, $9, $6, 'announced', 'released', 1, false, '2026-11-30', now());
INSERT INTO submission_revisions (id, org_id, submission_id, revision, client_id, request_hash, answers, score_card,
                                  started_at, finished_at, proof)
    VALUES ($13, $1, $12, 1, gen_random_uuid(), 'h', '[]', '{}', now(), now(), '{}');
INSERT INTO actions (id, org_id, branch_id, submission_id, revision_id, form_key, item_key, title_zh, title_en,
                     priority, evidence_required, due_on, assignee_id)
    VALUES ($14, $1, $4, $12, $13, 'probe-form', 'i1', '修', 'Fix', 'normal', false, '2026-12-30', $7);
INSERT INTO photos (id, org_id, uploaded_by, purpose, object_key, content_type, visit_id, submission_id)
    VALUES ($15, $1, $6, 'submission', 'orgs/one/p1.jpg', 'image/jpeg', $11, $12);
INSERT INTO action_events (action_id, actor_id, kind, photo_id) VALUES ($14, $5, 'created', $15);
INSERT INTO appeals (id, org_id, submission_id, branch_id, reason, opened_by, disputed_revision)
    VALUES ($16, $1, $12, $4, 'because', $7, 1);
INSERT INTO appeal_photos (appeal_id, photo_id) VALUES ($16, $15);
INSERT INTO device_sessions (id, org_id, user_id, device_name, token_version, expires_at)
    VALUES ($17, $1, $5, 'phone', 0, now() + interval '1 day');
INSERT INTO device_session_tokens (token_hash, session_id) VALUES (sha256('t'), $17);
INSERT INTO webhook_endpoints (id, org_id, url, shape, secret)
    VALUES ($18, $1, 'https://hooks.example/x', 'admin', 'whsec_x');
INSERT INTO events (org_id, type, subject_id, subject_seq, payload) VALUES ($1, 'action.opened', $14, 1, '{}');
INSERT INTO webhook_deliveries (endpoint_id, event_id, subject_id, subject_seq)
    SELECT $18, id, $14, 1 FROM events;
INSERT INTO webhook_attempts (delivery_id, latency_ms) SELECT id, 5 FROM webhook_deliveries;
INSERT INTO review_comments (org_id, submission_id, body, author_id) VALUES ($1, $12, 'note', $5);
INSERT INTO score_rescores (org_id, submission_id, revision_id, rescored_by, card_before, card_after, change)
    VALUES ($1, $12, $13, $5, '{}', '{}', '{}');
INSERT INTO audit_log (org_id, action) VALUES (NULL, 'auth.login_failed'), ($1, 'org.updated');
"""

CHILD_ORGS = """
SELECT (SELECT array_agg(DISTINCT org_id) FROM action_events) AS action_events,
       (SELECT array_agg(DISTINCT org_id) FROM appeal_photos) AS appeal_photos,
       (SELECT array_agg(DISTINCT org_id) FROM device_session_tokens) AS device_session_tokens,
       (SELECT array_agg(DISTINCT org_id) FROM webhook_deliveries) AS webhook_deliveries,
       (SELECT array_agg(DISTINCT org_id) FROM webhook_attempts) AS webhook_attempts
"""


@pytest_asyncio.fixture
async def scratch_dsn(engines: Engines, scratch_db_name: str) -> AsyncIterator[str]:
    dsn = await create_database(engines.server_dsn, scratch_db_name)
    yield dsn
    await drop_database(engines.server_dsn, scratch_db_name)


async def test_org_keys_migration_fills_and_keeps_existing_rows(scratch_dsn: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    for path in sorted(DEFAULT_DIR.glob("*.sql")):
        if int(path.name[:4]) <= 45:
            shutil.copyfile(path, directory / path.name)
    # No feature SQL files: today's may rely on later migrations; the tables are what is upgraded here.
    await migrate(scratch_dsn, directory, sql_root=None)
    one, two = uuid4(), uuid4()
    ids = [uuid4() for _ in range(16)]
    conn = await asyncpg.connect(scratch_dsn)
    try:
        async with conn.transaction():
            # asyncpg sends one statement per execute() with arguments: split the script.
            for statement in (s.strip() for s in SEED.split(";\n")):
                if statement:
                    used = sorted({int(n) for n in _placeholders(statement)})
                    params = [one, two, *ids]
                    await conn.execute(_renumber(statement, used), *[params[n - 1] for n in used])
        shutil.copyfile(DEFAULT_DIR / "0046_org_keys.sql", directory / "0046_org_keys.sql")
        run = await migrate(scratch_dsn, directory, sql_root=None)
        assert [f.version for f in run.migrations] == [46]

        children = await conn.fetchrow(CHILD_ORGS)
        assert {name: list(value) for name, value in children.items()} == {
            name: [one] for name in children.keys()}
        audit = await conn.fetch("SELECT org_id, action FROM audit_log ORDER BY id")
        assert [(r["org_id"], r["action"]) for r in audit] == [(NIL, "auth.login_failed"), (one, "org.updated")]
        unvalidated = await conn.fetchval("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated")
        assert unvalidated == 0

        action_id, photo_id, manager_id = ids[11], ids[12], ids[4]
        # A row of org two pointing at org one's action is refused now (it was not before: by id alone).
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await conn.execute("INSERT INTO action_events (org_id, action_id, kind) VALUES ($1, $2, 'comment')",
                               two, action_id)
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await conn.execute("INSERT INTO appeal_photos (org_id, appeal_id, photo_id) VALUES ($1, $2, $3)",
                               two, ids[13], photo_id)
        # ON DELETE SET NULL clears the reference, never the row's org_id.
        async with conn.transaction():
            await conn.execute("DELETE FROM user_branches WHERE user_id = $1", manager_id)
            await conn.execute("DELETE FROM appeal_photos")
            await conn.execute("DELETE FROM appeals")
            await conn.execute("DELETE FROM users WHERE id = $1", manager_id)
        assert tuple(await conn.fetchrow("SELECT org_id, assignee_id FROM actions WHERE id = $1", action_id)) == (
            one, None)
    finally:
        await conn.close()


def _placeholders(statement: str) -> list[str]:
    return re.findall(r"\$(\d+)", statement)


def _renumber(statement: str, used: list[int]) -> str:
    """$n -> $k, k the position of n among the placeholders this statement uses."""
    position = {n: k for k, n in enumerate(used, start=1)}
    return re.sub(r"\$(\d+)", lambda m: f"${position[int(m.group(1))]}", statement)
