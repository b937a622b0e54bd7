from __future__ import annotations

import asyncpg
from litestar.testing import AsyncTestClient

from inspect_api.org.demo import BRANCHES, USERS, seed_demo_org
from tests.integration.factories import login, make_form_version

CHEAP = (1, 64, 1)


async def test_demo_org_is_seeded_once_and_every_login_works(client: AsyncTestClient, db: asyncpg.Pool) -> None:
    async with db.acquire() as conn:
        await make_form_version(conn, "fuel-attendant")
        first = await seed_demo_org(conn, hash_cost=CHEAP)
        again = await seed_demo_org(conn, hash_cost=CHEAP)
    assert any("admin@demo.inspect.test" in line for line in first)
    assert "already exists" in again[0]
    assert await db.fetchval("SELECT count(*) FROM orgs") == 1
    assert await db.fetchval("SELECT count(*) FROM branches") == len(BRANCHES)

    roles = {}
    for user in USERS:
        headers = await login(client, user.email, user.password)
        roles[user.role] = headers
        me = (await client.get("/me", headers=headers)).json()
        assert me["role"] == user.role and me["org"]["slug"] == "demo"
    lead_branches = (await client.get("/branches", headers=roles["regional_lead"])).json()
    assert {b["code"] for b in lead_branches} == {"SH-F01", "HZ-F02", "SH-P01"}
    assert all(b["timezone"] == "Asia/Shanghai" for b in lead_branches)
    manager_branches = (await client.get("/branches", headers=roles["branch_manager"])).json()
    assert [b["name_zh"] for b in manager_branches] == ["上海虹桥加油站"]
    visits = (await client.get("/me/visits", headers=roles["inspector"])).json()
    assert [v["branch"]["code"] for v in visits] == ["SH-F01"]
    assert visits[0]["form"]["key"] == "fuel-attendant"
