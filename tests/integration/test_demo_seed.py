from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
from litestar.testing import AsyncTestClient

from inspect_api.org.demo import BRANCHES, SHOPPERS, USERS, demo_login_lines, seed_demo_org
from inspect_api.seeding import seed_all
from inspect_api.settings import Settings
from tests.integration.factories import login, make_form_version
from tests.integration.shared import fast_settings

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_forms"

CHEAP = (1, 64, 1)


async def test_demo_org_is_seeded_once_and_every_login_works(client: AsyncTestClient, db: asyncpg.Pool) -> None:
    async with db.acquire() as conn:
        await make_form_version(conn, "fuel-attendant")
        first = await seed_demo_org(conn, hash_cost=CHEAP)
        again = await seed_demo_org(conn, hash_cost=CHEAP)
    assert first[0].startswith("demo org 'demo':")
    assert all(any(u.email in line and u.password in line for line in demo_login_lines()) for u in USERS)
    assert "already exists" in again[0]
    assert await db.fetchval("SELECT count(*) FROM orgs") == 1
    assert await db.fetchval("SELECT count(*) FROM branches") == len(BRANCHES)

    roles = {}
    for user in USERS:
        headers = await login(client, user.email, user.password)
        roles[user.role] = headers
        me = (await client.get("/me", headers=headers)).json()
        assert me["role"] == user.role and me["org"]["slug"] == "demo"
    for shopper in SHOPPERS:
        assert (await client.get("/me", headers=await login(client, shopper.email, shopper.password))).json()[
            "role"] == "inspector"
    lead_branches = (await client.get("/branches", headers=roles["regional_lead"])).json()
    assert {b["code"] for b in lead_branches} == {"SH-F01", "HZ-F02", "SH-P01"}
    assert all(b["timezone"] == "Asia/Shanghai" for b in lead_branches)
    manager_branches = (await client.get("/branches", headers=roles["branch_manager"])).json()
    assert [b["name_zh"] for b in manager_branches] == ["上海虹桥加油站"]
    visits = (await client.get("/me/visits", headers=roles["inspector"])).json()
    assert [v["branch"]["code"] for v in visits] == ["SH-F01"]
    assert visits[0]["form"]["key"] == "fuel-attendant"


DEMO_TABLES = ("visits", "submissions", "submission_revisions", "photos", "actions")


async def _counts(db: asyncpg.Pool) -> dict[str, int]:
    return {table: await db.fetchval(f"SELECT count(*) FROM {table}") for table in DEMO_TABLES}


async def test_demo_inspections_fill_every_role_page_once(
    client: AsyncTestClient, db: asyncpg.Pool, settings: Settings
) -> None:
    demo_settings = fast_settings(settings)
    first = await seed_all(demo_settings, SEED_DIR, demo=True)
    assert any(line.startswith("demo inspections:") and "waiting for QA review" in line for line in first), first
    seeded = await _counts(db)
    again = await seed_all(demo_settings, SEED_DIR, demo=True)
    assert any("demo inspections: already seeded" in line for line in again), again
    assert await _counts(db) == seeded  # the second start adds nothing

    logins = {u.role: await login(client, u.email, u.password) for u in USERS}
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    for period in ("week", "month", "quarter"):  # the dashboard opens on this month, fuel first
        ranking = await client.get("/rankings", headers=logins["regional_lead"],
                                   params={"form_key": "fuel-attendant", "period": period, "on": today})
        assert ranking.status_code == 200, ranking.text
        visits = {r["branch"]["code"]: r["current"]["visits"] for r in ranking.json()["rows"]}
        # HZ-F02 had a visit today; SH-F01's latest was 9 days ago (so its follow-ups are overdue)
        assert visits["HZ-F02"] > 0 and (period != "quarter" or visits["SH-F01"] > 0), (period, visits)

    queue = (await client.get("/submissions", headers=logins["admin"], params={"status": "submitted"})).json()
    assert len(queue) == 3
    warnings = []
    for row in queue:
        view = (await client.get(f"/submissions/{row['id']}", headers=logins["admin"])).json()
        warnings += view["proof"]["warnings"]
    assert any("resembles photos of other submissions" in w for w in warnings), warnings
    released = (await client.get("/submissions", headers=logins["admin"],
                                 params={"status": "released", "limit": 200})).json()
    assert len(released) > 50 and not all(r["passed"] for r in released)  # some failed, critical ones too

    manager = logins["branch_manager"]
    results = (await client.get("/submissions", headers=manager)).json()
    assert results and {(r["branch"]["code"], r["status"]) for r in results} == {("SH-F01", "released")}
    actions = (await client.get("/actions", headers=manager, params={"include_merged": "true"})).json()
    assert actions and {a["branch"]["code"] for a in actions} == {"SH-F01"}
    overdue = (await client.get("/actions/overdue", headers=manager)).json()
    assert overdue and {(a["branch"]["code"], a["overdue"]) for a in overdue} == {("SH-F01", True)}
