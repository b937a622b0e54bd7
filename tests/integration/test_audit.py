"""The audit log: written with the change, append-only in the database, readable and exportable by
admins only, filtered by actor, target, action and time."""

from __future__ import annotations

import csv
import io

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.integration.factories import World, login, login_as

Client = AsyncTestClient[Litestar]


async def test_logins_and_user_changes_are_recorded_with_request_and_before_after(client: Client, world: World
                                                                                  ) -> None:
    a = world.a
    response = await client.post("/auth/login", json={"email": a.lead.email, "password": "wrong-password-1"})
    assert response.status_code == 401
    admin = await login_as(client, a.admin)
    changed = await client.patch(f"/users/{a.lead.id}", json={"display_name": "Lead Renamed"},
                                 headers={**admin, "x-request-id": "req-16-audit"})
    assert changed.status_code == 200, changed.text
    refused = await client.patch(f"/users/{a.lead.id}", json={"branch_ids": ["00000000-0000-0000-0000-000000000001"]},
                                 headers=admin)
    assert refused.status_code == 422  # refused: nothing recorded for it

    entries = (await client.get("/audit", headers=admin)).json()
    assert [e["action"] for e in entries] == ["user.updated", "auth.login", "auth.login_failed"]
    update, success, failure = entries
    assert update["actor_id"] == str(a.admin.id) and update["actor_role"] == "admin"
    assert update["target_id"] == str(a.lead.id) and update["request_id"] == "req-16-audit"
    assert update["before"]["display_name"] != "Lead Renamed" and update["after"]["display_name"] == "Lead Renamed"
    assert update["client_addr"]
    assert success["actor_id"] == str(a.admin.id)
    assert failure["actor_id"] == str(a.lead.id) and a.lead.email not in str(failure)
    assert "password" not in str(entries)

    only = (await client.get("/audit", params={"action": "auth.login_failed"}, headers=admin)).json()
    assert [e["action"] for e in only] == ["auth.login_failed"]
    by_actor = (await client.get("/audit", params={"actor_id": str(a.admin.id)}, headers=admin)).json()
    assert {e["action"] for e in by_actor} == {"user.updated", "auth.login"}
    by_target = (await client.get("/audit", params={"target_id": str(a.lead.id)}, headers=admin)).json()
    assert [e["action"] for e in by_target] == ["user.updated"]
    later = (await client.get("/audit", params={"since": "2099-01-01T00:00:00+00:00"}, headers=admin)).json()
    assert later == []
    page = (await client.get("/audit", params={"limit": 1, "before_id": update["id"]}, headers=admin)).json()
    assert [e["action"] for e in page] == ["auth.login"]
    other_org = (await client.get("/audit", headers=await login_as(client, world.b.admin))).json()
    assert {e["action"] for e in other_org} == {"auth.login"}  # its own login only


async def test_the_csv_export_holds_every_matching_entry(client: Client, world: World) -> None:
    admin = await login_as(client, world.a.admin)
    for name in ("=cmd|' /C calc'!A0", "plain"):
        response = await client.patch(f"/branches/{world.a.b11}", json={"name_en": name}, headers=admin)
        assert response.status_code == 200
    response = await client.get("/audit.csv", params={"action": "branch.updated"}, headers=admin)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["action"] for r in rows] == ["branch.updated", "branch.updated"]
    assert all(not r["after"].startswith("=") for r in rows)


async def test_webhook_changes_are_recorded_without_secrets(settings, db: asyncpg.Pool, world: World) -> None:
    from inspect_api.app import create_app
    from tests.integration.shared import fast_settings

    async with AsyncTestClient(app=create_app(fast_settings(settings, webhook_allow_loopback=True))) as client:
        admin = await login_as(client, world.a.admin)
        created = await client.post("/webhooks/endpoints", json={"url": "http://127.0.0.1:9/x"}, headers=admin)
        assert created.status_code == 201
        endpoint_id = created.json()["endpoint"]["id"]
        rotated = await client.post(f"/webhooks/endpoints/{endpoint_id}/rotate-secret", json={}, headers=admin)
        assert rotated.status_code == 200
        entries = (await client.get("/audit", params={"target_id": endpoint_id}, headers=admin)).json()
        assert [e["action"] for e in entries] == ["webhook.secret_rotated", "webhook.created"]
        text = str(entries)
        assert created.json()["secret"] not in text and rotated.json()["secret"] not in text


async def test_only_admins_read_the_audit_log(client: Client, world: World) -> None:
    for user in (world.a.lead, world.a.manager, world.a.inspector):
        headers = await login_as(client, user)
        assert (await client.get("/audit", headers=headers)).status_code == 403
        assert (await client.get("/audit.csv", headers=headers)).status_code == 403


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'auth.nothing'", "DELETE FROM audit_log"])
async def test_the_database_refuses_to_change_or_remove_entries(client: Client, world: World, db: asyncpg.Pool,
                                                                statement: str) -> None:
    await login(client, world.a.admin.email)
    assert await db.fetchval("SELECT count(*) FROM audit_log") == 1
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await db.execute(statement)
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'auth.login'") == 1
