"""The permission matrix for actions that create or change rows, on one world per module like
test_permissions.py: every case writes rows no other case looks at (each cancel case cancels a visit
made for it; scheduled visits are announced, so they never clash)."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.integration.factories import PASSWORD, ROLES, World, login_as, make_visit, module_world_fixtures
from tests.integration.submission_rows import make_submission
from tests.integration.test_permissions import (
    ADMIN_ALL,
    LEAD_R1,
    NEVER,
    SCOPES,
    Endpoint,
    branch,
    check,
    ids,
    schedule_body,
    submission_target,
    user,
)

world, app, client, tokens = module_world_fixtures()

Tokens = dict[str, dict[str, str]]

# A body reference out of scope is an invalid field (422), read the same as a missing one.
SCHEDULE = Endpoint(
    "POST",
    lambda w, s: "/visits",
    schedule_body,
    None,
    {
        "admin": (201, 201, 201, 422),
        "regional_lead": (201, 201, 422, 422),
        "branch_manager": NEVER,
        "inspector": NEVER,
        "reviewer": NEVER,
    },
)
CANCEL = {"admin": ADMIN_ALL, "regional_lead": LEAD_R1, "branch_manager": NEVER, "inspector": NEVER,
          "reviewer": NEVER}
# QA decisions (#17): admin in the org, the reviewer in its regions (r1), nobody else.
REVIEW = {"admin": ADMIN_ALL, "regional_lead": NEVER, "branch_manager": NEVER, "inspector": NEVER,
          "reviewer": LEAD_R1}


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
async def test_schedule_matrix(client: AsyncTestClient, world: World, tokens: Tokens, role: str, scope: str) -> None:
    await check(client, world, tokens[role], SCHEDULE, role, scope)


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
async def test_cancel_matrix(
    client: AsyncTestClient, world: World, tokens: Tokens, pool: asyncpg.Pool, role: str, scope: str
) -> None:
    org = world.b if scope == "other_org" else world.a
    inspector = world.a.inspector if scope == "own" else org.inspector2
    async with pool.acquire() as conn:
        visit_id = await make_visit(
            conn, org.id, branch(world, scope), inspector.id, world.form_version_id, org.admin.id, days_ahead=300
        )
    response = await client.post(f"/visits/{visit_id}/cancel", headers=tokens[role])
    expected = CANCEL[role][SCOPES.index(scope)]
    assert response.status_code == expected, response.text
    if expected == 200:
        assert response.json()["id"] == str(visit_id) and response.json()["status"] == "cancelled"
    status = await pool.fetchval("SELECT status FROM visits WHERE id = $1", visit_id)
    assert status == ("cancelled" if expected == 200 else "scheduled")


@pytest.mark.parametrize("role", ROLES)
async def test_admin_only_actions(client: AsyncTestClient, world: World, tokens: Tokens, role: str) -> None:
    headers = tokens[role]
    ok = role == "admin"
    created = await client.post(
        "/branches",
        json={"code": "NEW1", "name_zh": "新店", "name_en": "New", "region_id": str(world.a.r1), "timezone": "UTC"},
        headers=headers,
    )
    assert created.status_code == (201 if ok else 403), created.text
    region_resp = await client.post(
        "/regions", json={"code": "R9", "name_zh": "九区", "name_en": "Nine"}, headers=headers
    )
    assert region_resp.status_code == (201 if ok else 403)
    user_resp = await client.post(
        "/users",
        json={"email": "new@alpha.test", "display_name": "New", "role": "inspector", "password": "long enough pw"},
        headers=headers,
    )
    assert user_resp.status_code == (201 if ok else 403)
    csv = "code,name_zh,name_en,region_code,timezone\nCSV1,导入店,Imported,R1,Asia/Shanghai\n"
    imported = await client.post(
        "/branches/import", content=csv.encode(), headers=headers | {"Content-Type": "text/csv"}
    )
    assert imported.status_code == (200 if ok else 403), imported.text
    assert (await client.get("/org", headers=headers)).status_code == (200 if ok else 403)
    for path in ("/audit", "/webhooks/endpoints", "/users"):  # the reviewer administers nothing either
        assert (await client.get(path, headers=headers)).status_code == (200 if ok else 403), path
    forbidden = await client.delete(f"/branches/{world.a.b11}", headers=headers)
    assert forbidden.status_code == (409 if ok else 403)  # admin: the branch has visits


async def test_admin_changes_never_reach_another_org(client: AsyncTestClient, world: World, tokens: Tokens) -> None:
    headers = tokens["admin"]
    for path in (f"/branches/{world.b.b11}", f"/regions/{world.b.r1}", f"/users/{world.b.inspector.id}"):
        assert (await client.delete(path, headers=headers)).status_code == 404
    bravo_admin = await login_as(client, world.b.admin)
    assert len(ids(await client.get("/branches", headers=bravo_admin))) == 4
    assert len(ids(await client.get("/users", headers=bravo_admin))) == 6


@pytest.mark.parametrize("decision", ["approve", "reject", "hold", "comments"])
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
async def test_review_matrix(
    client: AsyncTestClient, world: World, tokens: Tokens, pool: asyncpg.Pool, role: str, scope: str, decision: str
) -> None:
    async with pool.acquire() as conn:
        submission_id = await make_submission(conn, *submission_target(world, scope), world.form_version_id)
    body = {"reject": {"reason": "photos do not show the forecourt"}, "hold": {"reason": "waiting for a receipt"},
            "comments": {"body": "photo 2 is blurred"}}.get(decision)
    response = await client.post(f"/submissions/{submission_id}/{decision}", json=body, headers=tokens[role])
    expected = REVIEW[role][SCOPES.index(scope)]
    if expected == 200 and decision == "comments":
        expected = 201
    assert response.status_code == expected, response.text
    status, reviewed_by, held = await pool.fetchrow(
        "SELECT status, reviewed_by, held_at IS NOT NULL FROM submissions WHERE id = $1", submission_id)
    comments = await pool.fetchval("SELECT count(*) FROM review_comments WHERE submission_id = $1", submission_id)
    if expected < 300 and decision in ("approve", "reject"):
        assert status == {"approve": "approved", "reject": "rejected"}[decision]
        assert reviewed_by == world.a.user(role).id
    else:
        assert status == "submitted" and reviewed_by is None
    assert held == (expected == 200 and decision == "hold")
    assert comments == (1 if expected == 201 else 0)


async def device_session(client: AsyncTestClient, email: str, device: str) -> str:
    """A fresh device session of the user with this e-mail (its id)."""
    response = await client.post("/auth/login", json={"email": email, "password": PASSWORD, "device_name": device})
    assert response.status_code == 200, response.text
    return response.json()["session_id"]


# Device sessions (#17): an admin signs out a device of any user of the org; nobody else.
REVOKE_USERS_SESSION = {role: NEVER for role in ROLES} | {"admin": (204, 204, 204, 404)}


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
async def test_revoke_a_users_session_matrix(
    client: AsyncTestClient, world: World, tokens: Tokens, pool: asyncpg.Pool, role: str, scope: str
) -> None:
    target = user(world, scope)
    email = await pool.fetchval("SELECT email FROM users WHERE id = $1", target)
    session_id = await device_session(client, email, f"{role}-{scope}")
    response = await client.delete(f"/users/{target}/sessions/{session_id}", headers=tokens[role])
    expected = REVOKE_USERS_SESSION[role][SCOPES.index(scope)]
    assert response.status_code == expected, response.text
    ended = await pool.fetchval("SELECT end_reason FROM device_sessions WHERE id = $1", UUID(session_id))
    assert ended == ("revoked_by_admin" if expected == 204 else None)


@pytest.mark.parametrize("role", ROLES)
async def test_every_role_revokes_its_own_sessions_only(
    client: AsyncTestClient, world: World, tokens: Tokens, pool: asyncpg.Pool, role: str
) -> None:
    own = await device_session(client, world.a.user(role).email, f"own-{role}")
    someone_elses = await device_session(client, world.a.inspector2.email, f"not-{role}")
    assert (await client.delete(f"/auth/sessions/{someone_elses}", headers=tokens[role])).status_code == 404
    assert (await client.delete(f"/auth/sessions/{own}", headers=tokens[role])).status_code == 204
    reasons = dict(await pool.fetch("SELECT id::text, end_reason FROM device_sessions WHERE id = ANY($1::uuid[])",
                                    [own, someone_elses]))
    assert reasons == {own: "revoked", someone_elses: None}


# Action assignee and priority (#17, PATCH /actions/{id}): admins in the org, regional leads in their
# regions; branch managers, inspectors and reviewers never.
PATCH_ACTION = {"admin": ADMIN_ALL, "regional_lead": LEAD_R1, "branch_manager": NEVER, "inspector": NEVER,
                "reviewer": NEVER}


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
async def test_patch_action_matrix(
    client: AsyncTestClient, world: World, tokens: Tokens, pool: asyncpg.Pool, role: str, scope: str
) -> None:
    org_id, branch_id, inspector_id = submission_target(world, scope)
    async with pool.acquire() as conn:
        submission_id = await make_submission(conn, org_id, branch_id, inspector_id, world.form_version_id,
                                              status="released")
        action_id = await conn.fetchval(
            """INSERT INTO actions (org_id, branch_id, submission_id, revision_id, form_key, item_key, title_zh,
                                    title_en, priority, evidence_required, due_on)
               SELECT $1, $2, $3, r.id, 'perm', 'p1', '问题', 'problem', 'normal', false, current_date + 7
               FROM submission_revisions r WHERE r.submission_id = $3 RETURNING id""",
            org_id, branch_id, submission_id)
    response = await client.patch(f"/actions/{action_id}", json={"priority": "urgent"}, headers=tokens[role])
    expected = PATCH_ACTION[role][SCOPES.index(scope)]
    assert response.status_code == expected, response.text
    priority = await pool.fetchval("SELECT priority FROM actions WHERE id = $1", action_id)
    assert priority == ("urgent" if expected == 200 else "normal")
