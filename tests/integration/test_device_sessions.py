"""Device sessions (#17, "Offline phones"), through HTTP against the real Postgres: a login naming a
device gets a refresh token; refresh rotates it; reusing a rotated one revokes the session; the user and
their org's admin list and revoke sessions; disabling a user or changing their password ends them."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.integration.factories import PASSWORD, ROLES, World, WorldUser, login_as

PROBLEM = "application/problem+json"


async def device_login(client: AsyncTestClient, user: WorldUser, **device: str) -> dict[str, Any]:
    body = {"email": user.email, "password": PASSWORD, **({"device_name": "Pixel 8"} if not device else device)}
    response = await client.post("/auth/login", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def refresh(client: AsyncTestClient, token: str) -> Any:
    return await client.post("/auth/refresh", json={"refresh_token": token})


def bearer(answer: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {answer['access_token']}"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    return body


async def audit_actions(db: asyncpg.Pool, session_id: str) -> list[str]:
    rows = await db.fetch("SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id", session_id)
    return [r["action"] for r in rows]


async def test_a_login_without_a_device_has_no_refresh_token(client: AsyncTestClient, world: World) -> None:
    response = await client.post("/auth/login", json={"email": world.a.inspector.email, "password": PASSWORD})
    body = response.json()
    assert response.status_code == 200
    assert body["refresh_token"] is None and body["session_id"] is None and body["refresh_expires_in"] is None


@pytest.mark.parametrize("role", ROLES)
async def test_every_role_refreshes_with_rotation(client: AsyncTestClient, world: World, role: str) -> None:
    first = await device_login(client, world.a.user(role), device_name="work phone", device_id="dev-1")
    assert first["refresh_token"].startswith("rt_") and first["refresh_expires_in"] == 30 * 24 * 3600
    second = await refresh(client, first["refresh_token"])
    assert second.status_code == 200, second.text
    renewed = second.json()
    assert renewed["session_id"] == first["session_id"]
    assert renewed["refresh_token"] != first["refresh_token"]
    assert renewed["user"]["user_id"] == str(world.a.user(role).id)
    me = await client.get("/me", headers=bearer(renewed))
    assert me.status_code == 200 and me.json()["role"] == role
    listed = await client.get("/auth/sessions", headers=bearer(renewed))
    assert listed.status_code == 200
    assert [(s["id"], s["device_name"], s["device_id"]) for s in listed.json()] == [
        (first["session_id"], "work phone", "dev-1")
    ]
    third = await refresh(client, renewed["refresh_token"])
    assert third.status_code == 200, third.text


async def test_reusing_a_rotated_token_revokes_the_whole_session(
    client: AsyncTestClient, world: World, db: asyncpg.Pool
) -> None:
    first = await device_login(client, world.a.inspector)
    second = (await refresh(client, first["refresh_token"])).json()
    reuse = assert_problem(await refresh(client, first["refresh_token"]), 401)
    assert "already used" in reuse["detail"]
    # The thief's copy or the phone's: either way the session is gone, the newest token too.
    assert_problem(await refresh(client, second["refresh_token"]), 401)
    listed = await client.get("/auth/sessions", headers=await login_as(client, world.a.inspector))
    assert listed.json() == []
    assert "auth.refresh_reuse" in await audit_actions(db, first["session_id"])
    reason = await db.fetchval("SELECT end_reason FROM device_sessions WHERE id = $1", UUID(first["session_id"]))
    assert reason == "refresh_reuse"


async def test_only_hashes_of_refresh_tokens_are_stored(
    client: AsyncTestClient, world: World, db: asyncpg.Pool
) -> None:
    first = await device_login(client, world.a.inspector)
    token = first["refresh_token"]
    stored = await db.fetch("SELECT token_hash FROM device_session_tokens WHERE session_id = $1",
                            UUID(first["session_id"]))
    assert [bytes(r["token_hash"]) for r in stored] == [hashlib.sha256(token.encode()).digest()]
    dumped = await db.fetchval("SELECT string_agg(t::text, ' ') FROM device_session_tokens t")
    dumped += await db.fetchval("SELECT string_agg(s::text, ' ') FROM device_sessions s")
    assert token not in dumped and token.removeprefix("rt_") not in dumped


async def test_refresh_slides_the_expiry(client: AsyncTestClient, world: World, db: asyncpg.Pool) -> None:
    first = await device_login(client, world.a.inspector)
    session_id = UUID(first["session_id"])
    await db.execute("UPDATE device_sessions SET expires_at = now() + interval '1 day' WHERE id = $1", session_id)
    assert (await refresh(client, first["refresh_token"])).status_code == 200
    left = await db.fetchval("SELECT expires_at - now() FROM device_sessions WHERE id = $1", session_id)
    assert left.days >= 29


async def test_a_lapsed_session_cannot_refresh(client: AsyncTestClient, world: World, db: asyncpg.Pool) -> None:
    first = await device_login(client, world.a.inspector)
    await db.execute("UPDATE device_sessions SET expires_at = now() - interval '1 second' WHERE id = $1",
                     UUID(first["session_id"]))
    assert_problem(await refresh(client, first["refresh_token"]), 401)


async def test_the_user_revokes_their_own_session(client: AsyncTestClient, world: World, db: asyncpg.Pool) -> None:
    phone = await device_login(client, world.a.inspector, device_name="phone")
    tablet = await device_login(client, world.a.inspector, device_name="tablet")
    headers = bearer(tablet)
    assert {s["device_name"] for s in (await client.get("/auth/sessions", headers=headers)).json()} == {
        "phone", "tablet"}
    response = await client.delete(f"/auth/sessions/{phone['session_id']}", headers=headers)
    assert response.status_code == 204, response.text
    assert_problem(await refresh(client, phone["refresh_token"]), 401)
    assert [s["device_name"] for s in (await client.get("/auth/sessions", headers=headers)).json()] == ["tablet"]
    assert (await refresh(client, tablet["refresh_token"])).status_code == 200
    assert await audit_actions(db, phone["session_id"]) == ["auth.session_revoked"]
    # Twice, or another user's session: 404, nothing changes.
    assert_problem(await client.delete(f"/auth/sessions/{phone['session_id']}", headers=headers), 404)
    other = await device_login(client, world.a.inspector2)
    assert_problem(await client.delete(f"/auth/sessions/{other['session_id']}", headers=headers), 404)
    assert (await refresh(client, other["refresh_token"])).status_code == 200


async def test_the_orgs_admin_lists_and_revokes_a_users_sessions(
    client: AsyncTestClient, world: World, db: asyncpg.Pool
) -> None:
    phone = await device_login(client, world.a.manager, device_name="manager phone")
    admin = await login_as(client, world.a.admin)
    listed = await client.get(f"/users/{world.a.manager.id}/sessions", headers=admin)
    assert listed.status_code == 200 and [s["id"] for s in listed.json()] == [phone["session_id"]]
    response = await client.delete(f"/users/{world.a.manager.id}/sessions/{phone['session_id']}", headers=admin)
    assert response.status_code == 204, response.text
    assert_problem(await refresh(client, phone["refresh_token"]), 401)
    assert (await client.get(f"/users/{world.a.manager.id}/sessions", headers=admin)).json() == []
    entry = await db.fetchrow("SELECT actor_id, actor_role, after FROM audit_log WHERE action = 'auth.session_revoked'"
                              " AND target_id = $1", phone["session_id"])
    assert entry["actor_id"] == world.a.admin.id and entry["actor_role"] == "admin"


async def test_another_orgs_admin_cannot_see_or_touch_a_session(client: AsyncTestClient, world: World) -> None:
    phone = await device_login(client, world.a.inspector)
    other_admin = await login_as(client, world.b.admin)
    assert_problem(await client.get(f"/users/{world.a.inspector.id}/sessions", headers=other_admin), 404)
    assert_problem(await client.delete(f"/users/{world.a.inspector.id}/sessions/{phone['session_id']}",
                                       headers=other_admin), 404)
    # Its own user's id with the other org's session: not found either.
    assert_problem(await client.delete(f"/users/{world.b.inspector.id}/sessions/{phone['session_id']}",
                                       headers=other_admin), 404)
    assert_problem(await client.delete(f"/auth/sessions/{phone['session_id']}", headers=other_admin), 404)
    assert (await refresh(client, phone["refresh_token"])).status_code == 200


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
async def test_only_admins_manage_other_users_sessions(client: AsyncTestClient, world: World, role: str) -> None:
    phone = await device_login(client, world.a.inspector2)
    headers = await login_as(client, world.a.user(role))
    assert_problem(await client.get(f"/users/{world.a.inspector2.id}/sessions", headers=headers), 403)
    assert_problem(await client.delete(f"/users/{world.a.inspector2.id}/sessions/{phone['session_id']}",
                                       headers=headers), 403)
    assert (await refresh(client, phone["refresh_token"])).status_code == 200


@pytest.mark.parametrize(("change", "reason"), [
    ({"active": False}, "user_disabled"),
    ({"password": "a brand new passphrase 2031"}, "credentials_changed"),
])
async def test_disabling_a_user_or_a_new_password_ends_their_sessions(
    client: AsyncTestClient, world: World, db: asyncpg.Pool, change: dict[str, Any], reason: str
) -> None:
    phone = await device_login(client, world.a.inspector)
    admin = await login_as(client, world.a.admin)
    response = await client.patch(f"/users/{world.a.inspector.id}", json=change, headers=admin)
    assert response.status_code == 200, response.text
    assert_problem(await refresh(client, phone["refresh_token"]), 401)
    ended = await db.fetchval("SELECT end_reason FROM device_sessions WHERE id = $1", UUID(phone["session_id"]))
    assert ended == reason
    if "active" in change:  # enabled again: the old session stays ended
        await client.patch(f"/users/{world.a.inspector.id}", json={"active": True}, headers=admin)
        assert_problem(await refresh(client, phone["refresh_token"]), 401)


async def test_a_new_login_from_the_same_device_replaces_its_session(
    client: AsyncTestClient, world: World
) -> None:
    old = await device_login(client, world.a.inspector, device_id="install-42")
    new = await device_login(client, world.a.inspector, device_id="install-42", device_name="same phone")
    assert old["session_id"] != new["session_id"]
    assert_problem(await refresh(client, old["refresh_token"]), 401)
    listed = (await client.get("/auth/sessions", headers=bearer(new))).json()
    assert [(s["id"], s["device_name"]) for s in listed] == [(new["session_id"], "same phone")]


@pytest.mark.parametrize(("body", "field"), [
    ({"refresh_token": "rt_short"}, "refresh_token"),
    ({"refresh_token": 7}, "refresh_token"),
    ({}, "refresh_token"),
    ({"refresh_token": "rt_" + "A" * 43, "extra": 1}, "extra"),
])
async def test_a_malformed_refresh_is_a_400_naming_the_field(
    client: AsyncTestClient, world: World, body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(await client.post("/auth/refresh", json=body), 400)
    assert any(field in e["field"] for e in problem["errors"]), problem


async def test_an_unknown_refresh_token_is_a_401(client: AsyncTestClient, world: World) -> None:
    assert_problem(await refresh(client, "rt_" + "A" * 43), 401)


@pytest.mark.parametrize(("device", "field"), [
    ({"device_name": ""}, "device_name"),
    ({"device_name": "x" * 101}, "device_name"),
    ({"device_name": "tab\there"}, "device_name"),
    ({"device_id": "no spaces allowed"}, "device_id"),
])
async def test_a_bad_device_is_a_400_naming_it(
    client: AsyncTestClient, world: World, device: dict[str, str], field: str
) -> None:
    body = {"email": world.a.inspector.email, "password": PASSWORD, **device}
    problem = assert_problem(await client.post("/auth/login", json=body), 400)
    assert any(field in e["field"] for e in problem["errors"]), problem


async def test_the_session_endpoints_are_in_openapi(client: AsyncTestClient, world: World) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {"/auth/refresh", "/auth/sessions", "/auth/sessions/{session_id}", "/users/{user_id}/sessions",
            "/users/{user_id}/sessions/{session_id}"} <= set(paths)
    assert paths["/auth/refresh"]["post"]["security"] == [{}]
    login_body = paths["/auth/login"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert login_body
