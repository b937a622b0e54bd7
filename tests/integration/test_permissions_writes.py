"""The permission matrix for actions that change what other cases would see: each case gets a fresh
world (see test_permissions.py for the scopes and the read-only matrix)."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.integration.factories import World, fast_app_fixture, login_as
from tests.integration.test_permissions import (
    ADMIN_ALL,
    LEAD_R1,
    NEVER,
    ROLES,
    SCOPES,
    Endpoint,
    check,
    ids,
    schedule_body,
    visit,
)

app = fast_app_fixture()

WRITES: dict[str, Endpoint] = {
    "POST /visits/{id}/cancel": Endpoint(
        "POST",
        lambda w, s: f"/visits/{visit(w, s)}/cancel",
        None,
        visit,
        {"admin": ADMIN_ALL, "regional_lead": LEAD_R1, "branch_manager": NEVER, "inspector": NEVER},
    ),
    # A body reference out of scope is an invalid field (422), read the same as a missing one.
    "POST /visits": Endpoint(
        "POST",
        lambda w, s: "/visits",
        schedule_body,
        None,
        {
            "admin": (201, 201, 201, 422),
            "regional_lead": (201, 201, 422, 422),
            "branch_manager": NEVER,
            "inspector": NEVER,
        },
    ),
}


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("endpoint", list(WRITES))
@pytest.mark.parametrize("role", ROLES)
async def test_write_matrix(client: AsyncTestClient, world: World, role: str, endpoint: str, scope: str) -> None:
    await check(client, world, await login_as(client, world.a.user(role)), WRITES[endpoint], role, scope)


@pytest.mark.parametrize("role", ROLES)
async def test_admin_only_actions(client: AsyncTestClient, world: World, role: str) -> None:
    headers = await login_as(client, world.a.user(role))
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
    forbidden = await client.delete(f"/branches/{world.a.b11}", headers=headers)
    assert forbidden.status_code == (409 if ok else 403)  # admin: the branch has visits


async def test_admin_changes_never_reach_another_org(client: AsyncTestClient, world: World) -> None:
    headers = await login_as(client, world.a.admin)
    for path in (f"/branches/{world.b.b11}", f"/regions/{world.b.r1}", f"/users/{world.b.inspector.id}"):
        assert (await client.delete(path, headers=headers)).status_code == 404
    bravo_admin = await login_as(client, world.b.admin)
    assert len(ids(await client.get("/branches", headers=bravo_admin))) == 4
    assert len(ids(await client.get("/users", headers=bravo_admin))) == 5
