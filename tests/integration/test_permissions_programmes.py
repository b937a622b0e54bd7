"""The permission matrix for programmes (#17), on one world per module like test_permissions.py: one
announced programme per scope (b11, b12, b21 by alpha's admin; bravo's b11 by bravo's admin), made once.
Cases are repeatable: PATCH with the same name, assigning the same inspector again, claiming one's own
occurrence again; creating adds a programme no other case looks at."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from tests.integration.factories import ROLES, World, login_as, module_world_fixtures
from tests.integration.test_permissions import ADMIN_ALL, LEAD_R1, NEVER, SCOPES, Endpoint, branch, check

world, app, client, tokens = module_world_fixtures()

Tokens = dict[str, dict[str, str]]
PLANNERS = {"admin": ADMIN_ALL, "regional_lead": LEAD_R1, "branch_manager": NEVER, "inspector": NEVER,
            "reviewer": NEVER}


def programme_body(w: World, scope: str) -> dict[str, Any]:
    return {"name": f"Rounds {scope}", "form_key": "catalogue-test", "mode": "announced",
            "branch_ids": [str(branch(w, scope))], "period": "month", "visits_per_period": 2,
            "days_of_week": [1, 2, 3, 4, 5, 6, 7], "window_start_time": "09:00", "window_end_time": "18:00",
            "starts_on": date.today().isoformat()}


@pytest_asyncio.fixture(scope="module")
async def programmes(client: AsyncTestClient, world: World, tokens: Tokens, pool: asyncpg.Pool) -> dict[str, Any]:
    """scope -> {"id", "assign": an occurrence id, "claim": another}: both in the next (whole) period."""
    bravo_admin = await login_as(client, world.b.admin)
    out = {}
    for scope in SCOPES:
        headers = bravo_admin if scope == "other_org" else tokens["admin"]
        created = await client.post("/programmes", json=programme_body(world, scope), headers=headers)
        assert created.status_code == 201, created.text
        rows = await pool.fetch("SELECT id FROM visits WHERE programme_id = $1 ORDER BY period_start DESC, "
                                "occurrence_n DESC LIMIT 2", UUID(created.json()["id"]))
        out[scope] = {"id": created.json()["id"], "assign": rows[0]["id"], "claim": rows[1]["id"]}
    return out


CREATE = Endpoint("POST", lambda w, s: "/programmes", lambda w, s: programme_body(w, s) | {"name": f"New {s}"}, None, {
    "admin": (201, 201, 201, 422), "regional_lead": (201, 201, 422, 422), "branch_manager": NEVER,
    "inspector": NEVER, "reviewer": NEVER})


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
async def test_create_matrix(client: AsyncTestClient, world: World, tokens: Tokens, role: str, scope: str) -> None:
    await check(client, world, tokens[role], CREATE, role, scope)


def programme_endpoints(ids: dict[str, Any]) -> dict[str, Endpoint]:
    def pid(w: World, s: str) -> UUID:
        return UUID(ids[s]["id"])

    return {
        "GET /programmes/{id}": Endpoint("GET", lambda w, s: f"/programmes/{pid(w, s)}", None, pid, PLANNERS),
        "PATCH /programmes/{id}": Endpoint("PATCH", lambda w, s: f"/programmes/{pid(w, s)}",
                                           lambda w, s: {"name": f"Rounds {s}"}, pid, PLANNERS),
        "GET /programmes/{id}/occurrences": Endpoint(
            "GET", lambda w, s: f"/programmes/{pid(w, s)}/occurrences", None, None, PLANNERS),
        "GET /programmes/{id}/coverage": Endpoint(
            "GET", lambda w, s: f"/programmes/{pid(w, s)}/coverage", None, None, PLANNERS),
        "POST /programmes/{id}/generate": Endpoint(
            "POST", lambda w, s: f"/programmes/{pid(w, s)}/generate", None, None, PLANNERS),
        "POST /programmes/occurrences/{id}/assign": Endpoint(
            "POST", lambda w, s: f"/programmes/occurrences/{ids[s]['assign']}/assign",
            lambda w, s: {"inspector_id": str(w.a.inspector2.id)}, lambda w, s: ids[s]["assign"], PLANNERS),
        "POST /programmes/jobs/{id}/claim": Endpoint(
            "POST", lambda w, s: f"/programmes/jobs/{ids[s]['claim']}/claim", None, lambda w, s: ids[s]["claim"],
            {"admin": NEVER, "regional_lead": NEVER, "branch_manager": NEVER, "inspector": (200, 200, 200, 404),
             "reviewer": NEVER}),
    }


ENDPOINT_NAMES = list(programme_endpoints({}))


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
@pytest.mark.parametrize("role", ROLES)
async def test_programme_matrix(
    client: AsyncTestClient, world: World, tokens: Tokens, programmes: dict[str, Any], role: str, endpoint: str,
    scope: str,
) -> None:
    await check(client, world, tokens[role], programme_endpoints(programmes)[endpoint], role, scope)


LISTS = {
    "/programmes": {"admin": 200, "regional_lead": 200},
    "/programmes/jobs": {"inspector": 200},
    "/programmes/workload": {"admin": 200, "regional_lead": 200, "inspector": 200},
    "/programmes/coverage": {"admin": 200, "regional_lead": 200},
}


@pytest.mark.parametrize("path", list(LISTS))
@pytest.mark.parametrize("role", ROLES)
async def test_lists_per_role(
    client: AsyncTestClient, world: World, tokens: Tokens, programmes: dict[str, Any], role: str, path: str
) -> None:
    response = await client.get(path, headers=tokens[role])
    assert response.status_code == LISTS[path].get(role, 403), response.text
    if path == "/programmes" and response.status_code == 200:
        visible = {"admin": ("own", "same_region", "other_region"), "regional_lead": ("own", "same_region")}[role]
        listed = {p["id"] for p in response.json() if p["name"].startswith("Rounds ")}
        assert listed == {programmes[s]["id"] for s in visible}
    if path == "/programmes/jobs" and response.status_code == 200:
        foreign = {str(programmes["other_org"]["claim"]), str(programmes["other_org"]["assign"])}
        assert not foreign & {j["id"] for j in response.json()}
