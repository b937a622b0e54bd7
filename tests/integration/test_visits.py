"""Visits: scheduling rules, the mystery revisit rule, /me/visits, cancelling, filters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from inspect_api.auth.principal import Principal
from inspect_api.errors import Conflict
from inspect_api.visits import service
from inspect_api.visits.schemas import VisitIn
from tests.integration.factories import World, future_window, login_as


@pytest.fixture
async def admin(client: AsyncTestClient, world: World) -> dict[str, str]:
    return await login_as(client, world.a.admin)


def visit_body(world: World, *, days_ahead: float = 10, **changes: Any) -> dict[str, Any]:
    start, end = future_window(days_ahead)
    return {
        "branch_id": str(world.a.b11),
        "form_version_id": str(world.form_version_id),
        "inspector_id": str(world.a.inspector.id),
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "mode": "mystery",
    } | changes


def field_errors(response: Any) -> set[str]:
    assert response.status_code == 422, response.text
    return {e["field"] for e in response.json()["errors"]}


async def test_schedule_and_the_inspector_sees_it(client: AsyncTestClient, world: World, admin: dict[str, str]) -> None:
    body = visit_body(world, branch_id=str(world.a.b22), days_ahead=3)
    created = await client.post("/visits", json=body, headers=admin)
    assert created.status_code == 201, created.text
    visit = created.json()
    assert visit["status"] == "scheduled" and visit["mode"] == "mystery"
    assert visit["branch"]["code"] == "B22" and visit["inspector"]["id"] == str(world.a.inspector.id)
    assert visit["form"] == {
        "form_version_id": str(world.form_version_id),
        "key": "catalogue-test",
        "version": 1,
        "title_zh": "catalogue-test 表",
        "title_en": "catalogue-test form",
    }

    inspector = await login_as(client, world.a.inspector)
    mine = (await client.get("/me/visits", headers=inspector)).json()
    assert [v["id"] for v in mine] == [str(world.a.v11), visit["id"]]  # by window start
    assert mine[1]["branch"]["name_zh"] == "B22店" and mine[1]["branch"]["timezone"] == "Asia/Shanghai"
    assert mine[1]["form"]["form_version_id"] == str(world.form_version_id)
    # The visit makes its branch visible to the inspector.
    assert (await client.get(f"/branches/{world.a.b22}", headers=inspector)).status_code == 200


async def test_scheduling_rules(client: AsyncTestClient, world: World, db: asyncpg.Pool, admin: dict[str, str]) -> None:
    start = datetime.now(UTC) + timedelta(days=5)
    backwards = visit_body(world, window_start=start.isoformat(), window_end=(start - timedelta(hours=1)).isoformat())
    assert field_errors(await client.post("/visits", json=backwards, headers=admin)) == {"window_end"}
    past = datetime.now(UTC) - timedelta(days=2)
    ended = visit_body(world, window_start=past.isoformat(), window_end=(past + timedelta(hours=2)).isoformat())
    assert field_errors(await client.post("/visits", json=ended, headers=admin)) == {"window_end"}
    naive = visit_body(world, window_start="2031-01-01T09:00:00", window_end="2031-01-01T12:00:00")
    assert (await client.post("/visits", json=naive, headers=admin)).status_code == 400
    assert (await client.post("/visits", json=visit_body(world, mode="adhoc"), headers=admin)).status_code == 400

    draft = visit_body(world, form_version_id=str(world.draft_version_id))
    assert field_errors(await client.post("/visits", json=draft, headers=admin)) == {"form_version_id"}
    foreign_form = visit_body(world, form_version_id=str(world.b.own_form_version_id))
    assert field_errors(await client.post("/visits", json=foreign_form, headers=admin)) == {"form_version_id"}
    not_inspector = visit_body(world, inspector_id=str(world.a.manager.id))
    assert field_errors(await client.post("/visits", json=not_inspector, headers=admin)) == {"inspector_id"}
    foreign_inspector = visit_body(world, inspector_id=str(world.b.inspector.id))
    assert field_errors(await client.post("/visits", json=foreign_inspector, headers=admin)) == {"inspector_id"}
    all_wrong = visit_body(
        world, branch_id=str(UUID(int=7)), inspector_id=str(UUID(int=8)), form_version_id=str(UUID(int=9))
    )
    assert field_errors(await client.post("/visits", json=all_wrong, headers=admin)) == {
        "branch_id",
        "inspector_id",
        "form_version_id",
    }

    await db.execute("UPDATE branches SET active = false WHERE id = $1", world.a.b12)
    inactive = visit_body(world, branch_id=str(world.a.b12))
    assert field_errors(await client.post("/visits", json=inactive, headers=admin)) == {"branch_id"}
    await db.execute("UPDATE users SET active = false WHERE id = $1", world.a.inspector2.id)
    disabled = visit_body(world, branch_id=str(world.a.b21), inspector_id=str(world.a.inspector2.id))
    assert field_errors(await client.post("/visits", json=disabled, headers=admin)) == {"inspector_id"}

    # The org's own published form is usable, like the catalogue's.
    own = visit_body(world, branch_id=str(world.a.b22), form_version_id=str(world.a.own_form_version_id))
    assert (await client.post("/visits", json=own, headers=admin)).status_code == 201


async def test_mystery_revisit_rule(client: AsyncTestClient, world: World, admin: dict[str, str]) -> None:
    # The inspector has v11 at b11 tomorrow (announced). A mystery visit within 30 days clashes.
    clash = await client.post("/visits", json=visit_body(world, days_ahead=10), headers=admin)
    assert clash.status_code == 409, clash.text
    problem = clash.json()
    assert "mystery revisit rule" in problem["detail"] and "mystery_revisit_days" in problem["detail"]
    assert problem["rule"] == "mystery_revisit_days" and problem["days"] == 30
    assert problem["conflicting_visit_id"] == str(world.a.v11)

    # Other inspector, other branch, announced-after-announced, or far enough: all fine.
    for body in (
        visit_body(world, days_ahead=10, inspector_id=str(world.a.inspector2.id)),
        visit_body(world, days_ahead=10, branch_id=str(world.a.b12)),
        visit_body(world, days_ahead=5, mode="announced"),
        visit_body(world, days_ahead=40),
    ):
        assert (await client.post("/visits", json=body, headers=admin)).status_code == 201, body
    # The day-40 mystery visit now also guards its own neighbourhood, against announced visits too.
    near_mystery = await client.post("/visits", json=visit_body(world, days_ahead=50, mode="announced"), headers=admin)
    assert near_mystery.status_code == 409

    # The rule follows the org setting: 0 turns it off.
    await client.patch("/org", json={"mystery_revisit_days": 0}, headers=admin)
    assert (await client.post("/visits", json=visit_body(world, days_ahead=12), headers=admin)).status_code == 201
    # Another org's setting is its own.
    bravo = await login_as(client, world.b.admin)
    bravo_body = visit_body(world, days_ahead=10) | {
        "branch_id": str(world.b.b11),
        "inspector_id": str(world.b.inspector.id),
    }
    assert (await client.post("/visits", json=bravo_body, headers=bravo)).status_code == 409


async def test_cancelled_visits_do_not_count_and_leave_lists(
    client: AsyncTestClient, world: World, admin: dict[str, str]
) -> None:
    cancelled = await client.post(f"/visits/{world.a.v11}/cancel", headers=admin)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled_at"] is not None
    again = await client.post(f"/visits/{world.a.v11}/cancel", headers=admin)
    assert again.status_code == 409

    assert (await client.post("/visits", json=visit_body(world, days_ahead=10), headers=admin)).status_code == 201
    inspector = await login_as(client, world.a.inspector)
    mine = (await client.get("/me/visits", headers=inspector)).json()
    assert str(world.a.v11) not in {v["id"] for v in mine}
    assert (await client.get(f"/visits/{world.a.v11}", headers=inspector)).status_code == 200  # history stays


async def test_cancelled_visit_hides_its_branch_from_the_inspector(
    client: AsyncTestClient, world: World, admin: dict[str, str]
) -> None:
    inspector = await login_as(client, world.a.inspector)
    assert (await client.get(f"/branches/{world.a.b11}", headers=inspector)).status_code == 200
    await client.post(f"/visits/{world.a.v11}/cancel", headers=admin)
    assert (await client.get(f"/branches/{world.a.b11}", headers=inspector)).status_code == 404
    assert (await client.get("/branches", headers=inspector)).json() == []


async def test_submitted_visit_cannot_be_cancelled(
    client: AsyncTestClient, world: World, db: asyncpg.Pool, admin: dict[str, str]
) -> None:
    await db.execute("UPDATE visits SET status = 'submitted' WHERE id = $1", world.a.v12)
    response = await client.post(f"/visits/{world.a.v12}/cancel", headers=admin)
    assert response.status_code == 409 and "submitted" in response.json()["detail"]


async def test_visit_list_filters(client: AsyncTestClient, world: World, admin: dict[str, str]) -> None:
    await client.post(f"/visits/{world.a.v22}/cancel", headers=admin)

    async def ids(**params: Any) -> set[str]:
        response = await client.get("/visits", params=params, headers=admin)
        assert response.status_code == 200, response.text
        return {v["id"] for v in response.json()}

    assert await ids(status="cancelled") == {str(world.a.v22)}
    assert await ids(branch_id=str(world.a.b12)) == {str(world.a.v12)}
    assert await ids(inspector_id=str(world.a.inspector.id)) == {str(world.a.v11)}
    assert await ids(mode="mystery") == set()
    later = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    assert await ids(**{"from": later}) == set()
    assert len(await ids(to=later)) == 4
    assert len(await ids(limit=1)) == 1


async def test_concurrent_mystery_visits_cannot_both_pass_the_rule(db: asyncpg.Pool, world: World) -> None:
    admin = Principal(world.a.admin.id, world.a.id, "admin", "admin")
    start, end = future_window(days_ahead=100)
    data = msgspec.convert(
        {
            "branch_id": str(world.a.b21),
            "form_version_id": str(world.form_version_id),
            "inspector_id": str(world.a.inspector.id),
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "mode": "mystery",
        },
        VisitIn,
    )
    results = await asyncio.gather(*(service.schedule_visit(db, admin, data) for _ in range(4)), return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, BaseException))
