"""The permission matrix for appeals (#17), on one world per module like test_permissions.py: role (admin,
lead, manager, inspector, reviewer) x scope (own b11, same region b12, other region b21, other org) for
POST /appeals, GET /appeals/{id}, POST /appeals/{id}/reject | withdraw | accept, and GET /appeals per role.
Released results are rows written straight to the database (the factories' catalogue form has no items;
a whole-result appeal and a rejection need none). Every case that writes uses rows of its own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from tests.integration.factories import ROLES, OrgWorld, World, module_world_fixtures
from tests.integration.test_permissions import ADMIN_ALL, LEAD_R1, NEVER, ONLY_OWN, SCOPES, branch, ids

world, app, client, tokens = module_world_fixtures()

Tokens = dict[str, dict[str, str]]
CARD = {"form_key": "catalogue-test", "form_version": 1, "content_hash": "x", "rules_version": "2",
        "total_percent": 80.0, "earned": 8, "possible": 10, "passed": True, "sections": [], "items": [],
        "critical_effects": [], "flags": [], "failed_items": [], "follow_ups": []}
PROOF = {"gps_distance_m": None, "gps_accuracy_m": None, "near_branch": None, "within_window": None,
         "photos": [], "warnings": []}

READ = {"admin": ADMIN_ALL, "regional_lead": LEAD_R1, "branch_manager": ONLY_OWN, "inspector": NEVER,
        "reviewer": LEAD_R1}
OPEN = {"admin": NEVER, "regional_lead": NEVER, "branch_manager": (201, 422, 422, 422), "inspector": NEVER,
        "reviewer": NEVER}
DECIDE = {"admin": ADMIN_ALL, "regional_lead": NEVER, "branch_manager": NEVER, "inspector": NEVER,
          "reviewer": LEAD_R1}
WITHDRAW = {"admin": NEVER, "regional_lead": NEVER, "branch_manager": ONLY_OWN, "inspector": NEVER,
            "reviewer": NEVER}


def org_of(w: World, scope: str) -> OrgWorld:
    return w.b if scope == "other_org" else w.a


async def released(conn: asyncpg.Connection, w: World, scope: str) -> UUID:
    """A released result at the scope's branch (a row, no release hooks: nothing here reads roll-ups)."""
    org = org_of(w, scope)
    finished = datetime.now(UTC) - timedelta(days=1)
    async with conn.transaction():
        submission_id = await conn.fetchval(
            """INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status,
                                        current_revision, total_percent, passed, visited_on, released_at)
               VALUES ($1, $2, $3, $4, 'adhoc', 'released', 1, 80, true, $5, now()) RETURNING id""",
            org.id, branch(w, scope), w.form_version_id, org.inspector2.id, finished.date())
        await conn.execute(
            """INSERT INTO submission_revisions (org_id, submission_id, revision, client_id, request_hash, answers,
                                                 score_card, started_at, finished_at, proof, visited_on)
               SELECT $1, $2, 1, $3, 'h', '[]', $4, $5, $6, $7, visited_on
               FROM submissions WHERE id = $2""",
            org.id, submission_id, uuid.uuid4(), CARD, finished - timedelta(minutes=20), finished, PROOF)
    return submission_id


async def appeal(conn: asyncpg.Connection, w: World, scope: str, item_key: str | None = None) -> UUID:
    """An open appeal (whole result, or `item_key`) by the branch's org's manager on a new released result."""
    org = org_of(w, scope)
    submission_id = await released(conn, w, scope)
    return await conn.fetchval(
        """INSERT INTO appeals (org_id, submission_id, branch_id, item_key, reason, opened_by, disputed_revision)
           VALUES ($1, $2, $3, $4, 'please look again', $5, 1) RETURNING id""",
        org.id, submission_id, branch(w, scope), item_key, org.manager.id)


@pytest_asyncio.fixture(scope="module")
async def readable(world: World, pool: asyncpg.Pool) -> dict[str, UUID]:
    async with pool.acquire() as conn:
        return {scope: await appeal(conn, world, scope) for scope in SCOPES}


def expect(table: dict[str, tuple[int, int, int, int]], role: str, scope: str) -> int:
    return table[role][SCOPES.index(scope)]


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
async def test_read_matrix(client: AsyncTestClient, tokens: Tokens, readable: dict[str, UUID], role: str,
                           scope: str) -> None:
    response = await client.get(f"/appeals/{readable[scope]}", headers=tokens[role])
    assert response.status_code == expect(READ, role, scope), response.text
    if response.status_code == 200:
        body = response.json()
        assert body["appeal"]["id"] == str(readable[scope])
        assert (body["disputed_score"] is None) == (role == "branch_manager")
    else:
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
async def test_open_matrix(client: AsyncTestClient, world: World, tokens: Tokens, pool: asyncpg.Pool, role: str,
                           scope: str) -> None:
    async with pool.acquire() as conn:
        submission_id = await released(conn, world, scope)
    response = await client.post("/appeals", json={"submission_id": str(submission_id), "reason": "not fair"},
                                 headers=tokens[role])
    assert response.status_code == expect(OPEN, role, scope), response.text
    if response.status_code == 422:
        assert response.json()["errors"][0]["field"] == "submission_id"
    count = await pool.fetchval("SELECT count(*) FROM appeals WHERE submission_id = $1", submission_id)
    assert count == (1 if response.status_code == 201 else 0)


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
async def test_reject_matrix(client: AsyncTestClient, world: World, tokens: Tokens, pool: asyncpg.Pool, role: str,
                             scope: str) -> None:
    async with pool.acquire() as conn:
        appeal_id = await appeal(conn, world, scope)
    response = await client.post(f"/appeals/{appeal_id}/reject", json={"reason": "no new facts"},
                                 headers=tokens[role])
    assert response.status_code == expect(DECIDE, role, scope), response.text
    status = await pool.fetchval("SELECT status FROM appeals WHERE id = $1", appeal_id)
    assert status == ("rejected" if response.status_code == 200 else "open")


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
async def test_withdraw_matrix(client: AsyncTestClient, world: World, tokens: Tokens, pool: asyncpg.Pool, role: str,
                               scope: str) -> None:
    async with pool.acquire() as conn:
        appeal_id = await appeal(conn, world, scope)
    response = await client.post(f"/appeals/{appeal_id}/withdraw", json={}, headers=tokens[role])
    assert response.status_code == expect(WITHDRAW, role, scope), response.text
    status = await pool.fetchval("SELECT status FROM appeals WHERE id = $1", appeal_id)
    assert status == ("withdrawn" if response.status_code == 200 else "open")


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
async def test_accept_matrix(client: AsyncTestClient, world: World, tokens: Tokens, pool: asyncpg.Pool, role: str,
                             scope: str) -> None:
    """Who may accept, and where (a real acceptance is test_appeals.py's): QA in its scope reaches the
    answers' check (the appeal disputes item `p1`, the answer is for `x`: 422 naming answers[0].item),
    everyone else stops at 403 or 404."""
    async with pool.acquire() as conn:
        appeal_id = await appeal(conn, world, scope, item_key="p1")
    response = await client.post(f"/appeals/{appeal_id}/accept", json={"answers": [{"item": "x", "value": True}]},
                                 headers=tokens[role])
    expected = expect(DECIDE, role, scope)
    assert response.status_code == (422 if expected == 200 else expected), response.text
    if response.status_code == 422:
        assert response.json()["errors"][0]["field"] == "answers[0].item"
    assert await pool.fetchval("SELECT status FROM appeals WHERE id = $1", appeal_id) == "open"


def expected_lists(w: World, readable: dict[str, UUID]) -> dict[str, set[UUID] | int]:
    alpha = {readable["own"], readable["same_region"], readable["other_region"]}
    r1 = {readable["own"], readable["same_region"]}
    return {"admin": alpha, "regional_lead": r1, "branch_manager": {readable["own"]}, "inspector": 403,
            "reviewer": r1}


@pytest.mark.parametrize("role", ROLES)
async def test_list_holds_exactly_the_callers_scope(
    client: AsyncTestClient, world: World, tokens: Tokens, readable: dict[str, UUID], pool: asyncpg.Pool, role: str
) -> None:
    expected = expected_lists(world, readable)[role]
    response = await client.get("/appeals", params={"limit": "200"}, headers=tokens[role])
    if isinstance(expected, int):
        assert response.status_code == expected
        return
    # Other cases of this module add appeals as they run: the readable ones are there, nothing out of scope.
    listed: set[Any] = ids(response)
    assert {str(i) for i in expected} <= listed
    visible = {str(r["id"]) for r in await pool.fetch(
        "SELECT id FROM appeals WHERE org_id = $1 AND branch_id = ANY($2::uuid[])", world.a.id,
        [world.a.b11] if role == "branch_manager" else
        [world.a.b11, world.a.b12] if role in ("regional_lead", "reviewer") else
        [world.a.b11, world.a.b12, world.a.b21, world.a.b22])}
    assert listed <= visible
