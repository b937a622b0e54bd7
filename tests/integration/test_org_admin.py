"""Admin APIs for the org, regions, branches and users: validation, conflicts, assignments."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.integration.factories import World, login, login_as


@pytest.fixture
async def admin(client: AsyncTestClient, world: World) -> dict[str, str]:
    return await login_as(client, world.a.admin)


def field_errors(response: Any) -> dict[str, str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def branch_body(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "code": "SH-009",
        "name_zh": "上海徐汇加油站",
        "name_en": "Shanghai Xuhui Fuel Station",
        "region_id": str(world.a.r1),
        "timezone": "Asia/Shanghai",
        "latitude": 31.18,
        "longitude": 121.43,
        "address": "上海市徐汇区漕溪北路 1 号",
    } | changes


async def test_org_rules_default_and_change(client: AsyncTestClient, admin: dict[str, str]) -> None:
    org = await client.get("/org", headers=admin)
    assert org.json()["settings"]["mystery_revisit_days"] == 30  # every setting: test_org_settings.py
    changed = await client.patch("/org", json={"mystery_revisit_days": 7}, headers=admin)
    assert changed.json()["settings"]["mystery_revisit_days"] == 7
    assert (await client.patch("/org", json={"mystery_revisit_days": -1}, headers=admin)).status_code == 400


async def test_region_crud_and_conflicts(client: AsyncTestClient, world: World, admin: dict[str, str]) -> None:
    created = await client.post("/regions", json={"code": "R3", "name_zh": "西区", "name_en": "West"}, headers=admin)
    assert created.status_code == 201, created.text
    region_id = created.json()["id"]

    duplicate = await client.post("/regions", json={"code": "R1", "name_zh": "x", "name_en": "x"}, headers=admin)
    assert duplicate.status_code == 409
    assert "code" in duplicate.json()["detail"] and field_errors(duplicate).keys() == {"code"}
    # The same code in another org is fine: codes are unique per org.
    bravo = await login_as(client, world.b.admin)
    assert (
        await client.post("/regions", json={"code": "R3", "name_zh": "西区", "name_en": "West"}, headers=bravo)
    ).status_code == 201

    renamed = await client.patch(f"/regions/{region_id}", json={"name_en": "West China"}, headers=admin)
    assert renamed.json()["name_en"] == "West China" and renamed.json()["name_zh"] == "西区"
    clash = await client.patch(f"/regions/{region_id}", json={"code": "R2"}, headers=admin)
    assert clash.status_code == 409

    in_use = await client.delete(f"/regions/{world.a.r1}", headers=admin)
    assert in_use.status_code == 409 and "branches" in in_use.json()["detail"]
    assert (await client.delete(f"/regions/{region_id}", headers=admin)).status_code == 204
    assert (await client.get(f"/regions/{region_id}", headers=admin)).status_code == 404


async def test_branch_create_validates_every_field(
    client: AsyncTestClient, world: World, admin: dict[str, str]
) -> None:
    created = await client.post("/branches", json=branch_body(world), headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["region_code"] == "R1" and body["active"] is True and body["name_zh"] == "上海徐汇加油站"

    bad = await client.post(
        "/branches",
        json=branch_body(world, code="X1", timezone="China/Beijing", longitude=None, region_id=str(world.b.r1)),
        headers=admin,
    )
    assert bad.status_code == 422
    assert field_errors(bad).keys() == {"timezone", "longitude", "region_id"}

    duplicate = await client.post("/branches", json=branch_body(world, code="B11"), headers=admin)
    assert duplicate.status_code == 409 and field_errors(duplicate).keys() == {"code"}

    for changes in ({"latitude": 91}, {"code": "has space"}, {"name_zh": ""}, {"colour": "red"}):
        response = await client.post("/branches", json=branch_body(world, code="X2") | changes, headers=admin)
        assert response.status_code == 400, (changes, response.text)


async def test_branch_patch_and_filters(client: AsyncTestClient, world: World, admin: dict[str, str]) -> None:
    moved = await client.patch(
        f"/branches/{world.a.b12}",
        json={"region_id": str(world.a.r2), "active": False, "latitude": None, "longitude": None},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["region_code"] == "R2" and moved.json()["latitude"] is None
    bad_zone = await client.patch(f"/branches/{world.a.b12}", json={"timezone": "Mars/Olympus"}, headers=admin)
    assert bad_zone.status_code == 422 and field_errors(bad_zone).keys() == {"timezone"}

    inactive = await client.get("/branches", params={"active": "false"}, headers=admin)
    assert [b["code"] for b in inactive.json()] == ["B12"]
    in_r2 = await client.get("/branches", params={"region_id": str(world.a.r2)}, headers=admin)
    assert [b["code"] for b in in_r2.json()] == ["B12", "B21", "B22"]
    page = await client.get("/branches", params={"limit": 2, "offset": 1}, headers=admin)
    assert [b["code"] for b in page.json()] == ["B12", "B21"]

    # The lead covers r1 only: the moved branch left their scope.
    lead = await login_as(client, world.a.lead)
    assert (await client.get(f"/branches/{world.a.b12}", headers=lead)).status_code == 404


async def test_branch_delete(client: AsyncTestClient, world: World, admin: dict[str, str]) -> None:
    new = (await client.post("/branches", json=branch_body(world), headers=admin)).json()
    assert (await client.delete(f"/branches/{new['id']}", headers=admin)).status_code == 204
    assert (await client.get(f"/branches/{new['id']}", headers=admin)).status_code == 404
    assert (await client.delete(f"/branches/{world.a.b11}", headers=admin)).status_code == 409


async def test_user_create_assign_and_log_in(client: AsyncTestClient, world: World, admin: dict[str, str]) -> None:
    created = await client.post(
        "/users",
        json={
            "email": "New.Lead@Alpha.test",
            "display_name": "新区域经理",
            "role": "regional_lead",
            "password": "a long password",
            "region_ids": [str(world.a.r2)],
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email"] == "new.lead@alpha.test" and user["region_ids"] == [str(world.a.r2)]
    assert "password" not in created.text and "hash" not in created.text

    headers = await login(client, "new.lead@alpha.test", "a long password")
    codes = {b["code"] for b in (await client.get("/branches", headers=headers)).json()}
    assert codes == {"B21", "B22"}

    both = await client.put(
        f"/users/{user['id']}/regions", json={"region_ids": [str(world.a.r1), str(world.a.r2)]}, headers=admin
    )
    assert sorted(both.json()["region_ids"]) == sorted([str(world.a.r1), str(world.a.r2)])
    codes = {b["code"] for b in (await client.get("/branches", headers=headers)).json()}
    assert codes == {"B11", "B12", "B21", "B22"}

    foreign = await client.put(f"/users/{user['id']}/regions", json={"region_ids": [str(world.b.r1)]}, headers=admin)
    assert foreign.status_code == 422 and field_errors(foreign).keys() == {"region_ids"}


async def test_user_rules(client: AsyncTestClient, world: World, admin: dict[str, str]) -> None:
    def body(**changes: Any) -> dict[str, Any]:
        return {
            "email": "u@alpha.test",
            "display_name": "U",
            "role": "inspector",
            "password": "long enough pw",
        } | changes

    wrong_scope = await client.post("/users", json=body(region_ids=[str(world.a.r1)]), headers=admin)
    assert wrong_scope.status_code == 422 and field_errors(wrong_scope).keys() == {"region_ids"}
    manager_with_foreign_branch = await client.post(
        "/users", json=body(role="branch_manager", branch_ids=[str(world.b.b11)]), headers=admin
    )
    assert field_errors(manager_with_foreign_branch).keys() == {"branch_ids"}
    # E-mails are unique across the deployment (login has no org picker), whatever the case.
    for email in ("ADMIN@alpha.test", "admin@bravo.test"):
        taken = await client.post("/users", json=body(email=email), headers=admin)
        assert taken.status_code == 409 and field_errors(taken).keys() == {"email"}, taken.text
    assert (await client.post("/users", json=body(password="short"), headers=admin)).status_code == 400
    assert (await client.post("/users", json=body(role="superuser"), headers=admin)).status_code == 400

    assert (await client.patch(f"/users/{world.a.admin.id}", json={"active": False}, headers=admin)).status_code == 409
    assert (await client.delete(f"/users/{world.a.admin.id}", headers=admin)).status_code == 409
    assert (await client.delete(f"/users/{world.a.inspector.id}", headers=admin)).status_code == 409  # has visits

    demoted = await client.patch(f"/users/{world.a.lead.id}", json={"role": "inspector"}, headers=admin)
    assert demoted.json()["role"] == "inspector" and demoted.json()["region_ids"] == []
    promoted = await client.patch(
        f"/users/{world.a.lead.id}", json={"role": "branch_manager", "branch_ids": [str(world.a.b22)]}, headers=admin
    )
    assert promoted.json()["branch_ids"] == [str(world.a.b22)]

    inspectors = await client.get("/users", params={"role": "inspector"}, headers=admin)
    assert {u["email"] for u in inspectors.json()} == {"inspector@alpha.test", "inspector2@alpha.test"}


async def test_password_change_and_disable(client: AsyncTestClient, world: World, admin: dict[str, str]) -> None:
    changed = await client.patch(f"/users/{world.a.manager.id}", json={"password": "brand new secret"}, headers=admin)
    assert changed.status_code == 200
    old = await client.post(
        "/auth/login", json={"email": world.a.manager.email, "password": "correct horse battery staple"}
    )
    assert old.status_code == 401
    await login(client, world.a.manager.email, "brand new secret")

    deleted = await client.post(
        "/users",
        json={"email": "temp@alpha.test", "display_name": "T", "role": "inspector", "password": "long enough pw"},
        headers=admin,
    )
    assert (await client.delete(f"/users/{deleted.json()['id']}", headers=admin)).status_code == 204
    assert (await client.get(f"/users/{deleted.json()['id']}", headers=admin)).status_code == 404


# ---- passwords (issue #14 item 10) and e-mails as identities (item 11) ---------------------------

WEAK_PASSWORDS: dict[str, str] = {
    "aaaaaaaaaa": "repeats",
    "1234567890": "run of consecutive",
    "password12": "commonly used",
    "qa.lead@alpha.test": "e-mail address's name",
    "          ": "only spaces",
    "ＰＡＳＳＷＯＲＤ12": "commonly used",
    "qa.lead-2024!": "e-mail address's name",
}


def new_user(**changes: Any) -> dict[str, Any]:
    return {"email": "qa.lead@alpha.test", "display_name": "QA", "role": "inspector",
            "password": "a long password"} | changes


@pytest.mark.parametrize("password", list(WEAK_PASSWORDS))
async def test_a_weak_password_is_refused_naming_the_reason(
    client: AsyncTestClient, world: World, admin: dict[str, str], password: str
) -> None:
    created = await client.post("/users", json=new_user(password=password), headers=admin)
    assert created.status_code == 422, created.text
    assert WEAK_PASSWORDS[password] in field_errors(created)["password"]
    assert "qa.lead@alpha.test" not in {u["email"] for u in (await client.get("/users", headers=admin)).json()}

    for_inspector = password.replace("qa.lead", "inspector")  # the same weakness for that user
    reset = await client.patch(f"/users/{world.a.inspector.id}", json={"password": for_inspector}, headers=admin)
    assert reset.status_code == 422, reset.text
    assert field_errors(reset).keys() == {"password"}
    await login_as(client, world.a.inspector)  # the old password still works: nothing was written


async def test_a_reset_password_may_not_hold_the_new_or_the_current_e_mail(
    client: AsyncTestClient, world: World, admin: dict[str, str]
) -> None:
    current = await client.patch(f"/users/{world.a.lead.id}", json={"password": "lead of the east"}, headers=admin)
    assert current.status_code == 422 and field_errors(current).keys() == {"password"}
    renamed = await client.patch(f"/users/{world.a.lead.id}",
                                 json={"email": "east.boss@alpha.test", "password": "the east.boss rules"},
                                 headers=admin)
    assert renamed.status_code == 422 and field_errors(renamed).keys() == {"password"}
    fine = await client.patch(f"/users/{world.a.lead.id}",
                              json={"email": "east.boss@alpha.test", "password": "lead of the east"}, headers=admin)
    assert fine.status_code == 200, fine.text
    await login(client, "east.boss@alpha.test", "lead of the east")


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("ａdmin@alpha.test", 409),  # full-width a: NFKC makes it admin@alpha.test, which exists
        ("ＡＤＭＩＮ@alpha.test", 409),
        ("Admin@Alpha.Test", 409),
        ("adm\u200bin@alpha.test", 422),  # zero-width space
        ("adm\u200din@alpha.test", 422),  # zero-width joiner
        ("\ufeffadmin@alpha.test", 400),  # byte order mark: the schema's e-mail pattern already refuses it
        ("\u0430dmin@alpha.test", 422),  # Cyrillic а
        ("admin@\u0430lpha.test", 422),  # Cyrillic а in the domain
        ("\u03b1dmin@alpha.test", 422),  # Greek α
    ],
)
async def test_a_lookalike_of_an_existing_address_cannot_sit_beside_it(
    client: AsyncTestClient, world: World, admin: dict[str, str], email: str, status: int
) -> None:
    created = await client.post("/users", json=new_user(email=email), headers=admin)
    assert created.status_code == status, created.text
    assert field_errors(created).keys() == {"email"}
    moved = await client.patch(f"/users/{world.a.inspector2.id}", json={"email": email}, headers=admin)
    assert moved.status_code == status, moved.text
    assert field_errors(moved).keys() == {"email"}
    emails = {u["email"] for u in (await client.get("/users", headers=admin)).json()}
    assert emails == {"admin@alpha.test", "lead@alpha.test", "manager@alpha.test", "inspector@alpha.test",
                      "inspector2@alpha.test", "reviewer@alpha.test"}


async def test_addresses_are_stored_in_their_canonical_form(
    client: AsyncTestClient, admin: dict[str, str]
) -> None:
    created = await client.post("/users", json=new_user(email="ＳＴＲＡßＥ@Alpha.test", password="a long password"),
                                headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "strasse@alpha.test"
    await login(client, "Strasse@ALPHA.test", "a long password")
