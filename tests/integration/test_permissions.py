"""Permission matrix: role x endpoint x scope -> status, and lists that never hold foreign rows.

The caller always belongs to org "alpha" (world.a): the lead covers region r1 (b11, b12), the manager
runs b11, the inspector has one visit (v11 at b11), the reviewer (QA) reviews r1. Scopes name the target
relative to that:
    own           b11 / r1 / v11 / a user of the org
    same_region   b12 / r1 / v12 (inspector2's) / another user of the org
    other_region  b21 / r2 / v21 / another user of the org
    other_org     the same-named object of org "bravo" (always 404: no data crosses orgs)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from tests.integration.factories import ROLES, World, future_window, module_world_fixtures
from tests.integration.submission_rows import make_submission

# The read-only matrix shares one world, app and client per module (hundreds of cases, each a few
# milliseconds). Its writes are idempotent (PATCH with the same body). Cases that create or cancel
# rows are in test_permissions_writes.py.
world, app, client, tokens = module_world_fixtures()

SCOPES = ("own", "same_region", "other_region", "other_org")


def branch(w: World, scope: str) -> UUID:
    return {"own": w.a.b11, "same_region": w.a.b12, "other_region": w.a.b21, "other_org": w.b.b11}[scope]


def region(w: World, scope: str) -> UUID:
    return {"own": w.a.r1, "same_region": w.a.r1, "other_region": w.a.r2, "other_org": w.b.r1}[scope]


def visit(w: World, scope: str) -> UUID:
    return {"own": w.a.v11, "same_region": w.a.v12, "other_region": w.a.v21, "other_org": w.b.v11}[scope]


def user(w: World, scope: str) -> UUID:
    return {
        "own": w.a.manager.id,
        "same_region": w.a.inspector2.id,
        "other_region": w.a.lead.id,
        "other_org": w.b.manager.id,
    }[scope]


def schedule_body(w: World, scope: str) -> dict[str, Any]:
    start, end = future_window(days_ahead=60)
    return {
        "branch_id": str(branch(w, scope)),
        "form_version_id": str(w.form_version_id),
        "inspector_id": str(w.a.inspector2.id),
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "mode": "announced",
    }


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: Callable[[World, str], str]
    body: Callable[[World, str], Any] | None
    target: Callable[[World, str], UUID] | None  # the id a success must return
    expected: dict[str, tuple[int, int, int, int]]  # role -> status per scope (SCOPES order)


ADMIN_ALL = (200, 200, 200, 404)
LEAD_R1 = (200, 200, 404, 404)
ONLY_OWN = (200, 404, 404, 404)
NEVER = (403, 403, 403, 403)
ADMIN_ONLY = {"admin": ADMIN_ALL, "regional_lead": NEVER, "branch_manager": NEVER, "inspector": NEVER,
              "reviewer": NEVER}

ENDPOINTS: dict[str, Endpoint] = {
    "GET /branches/{id}": Endpoint(
        "GET",
        lambda w, s: f"/branches/{branch(w, s)}",
        None,
        branch,
        {"admin": ADMIN_ALL, "regional_lead": LEAD_R1, "branch_manager": ONLY_OWN, "inspector": ONLY_OWN,
         "reviewer": LEAD_R1},
    ),
    "PATCH /branches/{id}": Endpoint(
        "PATCH",
        lambda w, s: f"/branches/{branch(w, s)}",
        lambda w, s: {"address": "1 New Road"},
        branch,
        ADMIN_ONLY,
    ),
    "GET /regions/{id}": Endpoint(
        "GET",
        lambda w, s: f"/regions/{region(w, s)}",
        None,
        region,
        {"admin": ADMIN_ALL, "regional_lead": LEAD_R1, "branch_manager": LEAD_R1, "inspector": LEAD_R1,
         "reviewer": LEAD_R1},
    ),
    "PATCH /regions/{id}": Endpoint(
        "PATCH",
        lambda w, s: f"/regions/{region(w, s)}",
        lambda w, s: {"name_en": "Renamed"},
        region,
        ADMIN_ONLY,
    ),
    "GET /visits/{id}": Endpoint(
        "GET",
        lambda w, s: f"/visits/{visit(w, s)}",
        None,
        visit,
        {"admin": ADMIN_ALL, "regional_lead": LEAD_R1, "branch_manager": NEVER, "inspector": ONLY_OWN,
         "reviewer": NEVER},
    ),
    "GET /users/{id}": Endpoint(
        "GET",
        lambda w, s: f"/users/{user(w, s)}",
        None,
        user,
        ADMIN_ONLY,
    ),
    "PATCH /users/{id}": Endpoint(
        "PATCH",
        lambda w, s: f"/users/{user(w, s)}",
        lambda w, s: {"display_name": "Renamed"},
        user,
        ADMIN_ONLY,
    ),
    # Device sessions (#17): a user's list is the admin's (own org); a list answers no single id.
    "GET /users/{id}/sessions": Endpoint(
        "GET",
        lambda w, s: f"/users/{user(w, s)}/sessions",
        None,
        None,
        ADMIN_ONLY,
    ),
}


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES)
async def test_permission_matrix(
    client: AsyncTestClient, world: World, tokens: dict[str, dict[str, str]], role: str, endpoint: str, scope: str
) -> None:
    await check(client, world, tokens[role], ENDPOINTS[endpoint], role, scope)


async def check(
    client: AsyncTestClient, world: World, headers: dict[str, str], spec: Endpoint, role: str, scope: str
) -> None:
    expected = spec.expected[role][SCOPES.index(scope)]
    kwargs: dict[str, Any] = {"headers": headers}
    if spec.body is not None:
        kwargs["json"] = spec.body(world, scope)
    response = await client.request(spec.method, spec.path(world, scope), **kwargs)
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    elif spec.target is not None:
        assert response.json()["id"] == str(spec.target(world, scope))


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {row["id"] for row in response.json()}


def expected_lists(w: World) -> dict[str, dict[str, set[UUID] | int]]:
    a = w.a
    return {
        "/branches": {
            "admin": {a.b11, a.b12, a.b21, a.b22},
            "regional_lead": {a.b11, a.b12},
            "branch_manager": {a.b11},
            "inspector": {a.b11},
            "reviewer": {a.b11, a.b12},
        },
        "/regions": {"admin": {a.r1, a.r2}, "regional_lead": {a.r1}, "branch_manager": {a.r1}, "inspector": {a.r1},
                     "reviewer": {a.r1}},
        "/visits": {
            "admin": {a.v11, a.v12, a.v21, a.v22},
            "regional_lead": {a.v11, a.v12},
            "branch_manager": 403,
            "inspector": {a.v11},
            "reviewer": 403,
        },
        "/users": {
            "admin": {a.admin.id, a.lead.id, a.manager.id, a.inspector.id, a.inspector2.id, a.reviewer.id},
            "regional_lead": 403,
            "branch_manager": 403,
            "inspector": 403,
            "reviewer": 403,
        },
        "/me/visits": {"admin": 403, "regional_lead": 403, "branch_manager": 403, "inspector": {a.v11},
                       "reviewer": 403},
        # Every role lists its own device sessions; the module's logins named no device.
        "/auth/sessions": {role: set() for role in ROLES},
    }


@pytest.mark.parametrize("path", ["/branches", "/regions", "/visits", "/users", "/me/visits", "/auth/sessions"])
@pytest.mark.parametrize("role", ROLES)
async def test_lists_hold_exactly_the_callers_scope(
    client: AsyncTestClient, world: World, tokens: dict[str, dict[str, str]], role: str, path: str
) -> None:
    expected = expected_lists(world)[path][role]
    response = await client.get(path, headers=tokens[role])
    if isinstance(expected, int):
        assert response.status_code == expected
        return
    assert ids(response) == {str(i) for i in expected}


async def test_role_guard_reads_route_opt() -> None:
    from litestar import get

    from inspect_api.auth.guards import requires_role, roles
    from inspect_api.auth.principal import Principal
    from inspect_api.errors import Forbidden

    @get("/x", opt=roles("admin"))
    async def handler() -> None: ...

    @get("/y")
    async def no_roles() -> None: ...

    class Conn:
        def __init__(self, role: str) -> None:
            self.scope = {"user": Principal(UUID(int=1), UUID(int=2), role, "n")}  # type: ignore[arg-type]

    requires_role(Conn("admin"), handler)  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        requires_role(Conn("inspector"), handler)  # type: ignore[arg-type]
    with pytest.raises(Forbidden):  # an authenticated route without roles is closed to everyone
        requires_role(Conn("admin"), no_roles)  # type: ignore[arg-type]


# ---- submissions (#17: the reviewer reviews every status in its regions) ------------------------

NOT_FOUND = (404, 404, 404, 404)
SUBMISSION_READS: dict[str, dict[str, tuple[int, int, int, int]]] = {
    "submitted": {"admin": ADMIN_ALL, "regional_lead": NOT_FOUND, "branch_manager": NOT_FOUND,
                  "inspector": ONLY_OWN, "reviewer": LEAD_R1},
    "released": {"admin": ADMIN_ALL, "regional_lead": LEAD_R1, "branch_manager": ONLY_OWN,
                 "inspector": ONLY_OWN, "reviewer": LEAD_R1},
}


def submission_target(w: World, scope: str) -> tuple[UUID, UUID, UUID]:
    """(org, branch, inspector) of a submission in the scope: own is the inspector's own at b11."""
    org = w.b if scope == "other_org" else w.a
    inspector = w.a.inspector if scope == "own" else org.inspector2
    return org.id, branch(w, scope), (org.inspector if scope == "other_org" else inspector).id


@pytest_asyncio.fixture(scope="module")
async def submissions(world: World, pool: asyncpg.Pool) -> dict[tuple[str, str], UUID]:
    made = {}
    async with pool.acquire() as conn:
        for status in SUBMISSION_READS:
            for scope in SCOPES:
                made[status, scope] = await make_submission(
                    conn, *submission_target(world, scope), world.form_version_id, status=status
                )
    return made


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("status", list(SUBMISSION_READS))
@pytest.mark.parametrize("role", ROLES)
async def test_submission_read_matrix(
    client: AsyncTestClient, tokens: dict[str, dict[str, str]], submissions: dict[tuple[str, str], UUID],
    role: str, status: str, scope: str,
) -> None:
    submission_id = submissions[status, scope]
    response = await client.get(f"/submissions/{submission_id}", headers=tokens[role])
    assert response.status_code == SUBMISSION_READS[status][role][SCOPES.index(scope)], response.text
    if response.status_code == 200:
        body = response.json()
        assert body["id"] == str(submission_id)
        assert ("proof" in body and body["proof"] is not None) == (role in ("admin", "reviewer"))


async def test_reviewer_queue_holds_its_regions_only(
    client: AsyncTestClient, tokens: dict[str, dict[str, str]], submissions: dict[tuple[str, str], UUID]
) -> None:
    queue = await client.get("/submissions", params={"status": "submitted"}, headers=tokens["reviewer"])
    assert ids(queue) == {str(submissions["submitted", s]) for s in ("own", "same_region")}
