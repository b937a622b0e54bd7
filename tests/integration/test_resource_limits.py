"""Resource limits: oversized bodies, page sizes, login brute force. Pass/fail only, no timings."""

from __future__ import annotations

from typing import Any, Final

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from inspect_api.app import create_app
from inspect_api.params import INT4_MAX, MAX_OFFSET
from inspect_api.settings import Settings
from tests.integration.factories import World, fast_settings, login_as

# Lists only inspectors read (the job board of programme visits to claim, #17): paged like the rest.
INSPECTORS_ONLY: Final = frozenset({"/programmes/jobs"})


def is_problem(response: Any) -> bool:
    return response.headers.get("content-type", "").startswith("application/problem+json")


@pytest.mark.parametrize("path", ["/submissions", "/auth/login", "/uploads"])
async def test_a_body_over_the_limit_is_413_before_anything_reads_it(
    client: AsyncTestClient, world: World, settings: Settings, path: str
) -> None:
    headers = await login_as(client, world.a.inspector)
    padding = "x" * (settings.max_request_body_bytes + 1)
    response = await client.post(path, content=f'{{"comment": "{padding}"}}',
                                 headers=headers | {"Content-Type": "application/json"})
    assert response.status_code == 413, response.text[:200]
    assert is_problem(response)
    # Just under the limit is judged on its content instead (a 4xx about the body, not 413).
    small = await client.post(path, content='{"comment": "x"}', headers=headers | {"Content-Type": "application/json"})
    assert small.status_code != 413


async def _paged_get_operations(client: AsyncTestClient) -> list[tuple[str, int]]:
    """Every parameterless GET in the schema with a `limit` query parameter, and its documented maximum."""
    schema = (await client.get("/schema/openapi.json")).json()
    found = []
    for path, item in schema["paths"].items():
        operation = item.get("get")
        if not operation or "{" in path:
            continue
        params = operation.get("parameters", [])
        if any(p.get("required") and p["in"] == "query" for p in params):
            continue  # needs arranged values (e.g. /rankings?form_key=): covered by its feature's tests
        for param in params:
            if param["name"] == "limit" and param["in"] == "query":
                found.append((path, int(param["schema"]["maximum"])))
    return found


async def test_every_paged_list_documents_a_maximum_and_refuses_past_it(
    client: AsyncTestClient, world: World
) -> None:
    admin = await login_as(client, world.a.admin)
    inspector = await login_as(client, world.a.inspector)
    operations = await _paged_get_operations(client)
    assert {"/submissions", "/users", "/branches"} <= {path for path, _ in operations}
    for path, maximum in operations:
        assert maximum <= 1000, f"{path} allows pages of {maximum}"
        headers = inspector if path in INSPECTORS_ONLY else admin
        at_max = await client.get(path, params={"limit": maximum}, headers=headers)
        assert at_max.status_code == 200, (path, at_max.text)
        assert len(at_max.json()) <= maximum
        past = await client.get(path, params={"limit": maximum + 1}, headers=headers)
        assert past.status_code == 400 and is_problem(past), (path, past.status_code)
        for bad in ("0", "-1", "many"):
            assert (await client.get(path, params={"limit": bad}, headers=headers)).status_code == 400, (path, bad)


async def test_every_paged_list_bounds_its_offset_too(client: AsyncTestClient, world: World) -> None:
    """An unbounded offset reached Postgres as a bigint out of range: a 500 (found by hand)."""
    admin = await login_as(client, world.a.admin)
    inspector = await login_as(client, world.a.inspector)
    schema = (await client.get("/schema/openapi.json")).json()
    offsets = {path: param["schema"] for path, item in schema["paths"].items() for param in
               item.get("get", {}).get("parameters", []) if param["name"] == "offset" and param["in"] == "query"}
    assert {"/submissions", "/users", "/branches", "/visits", "/actions"} <= set(offsets)
    for path, bounds in offsets.items():
        assert bounds.get("maximum") == MAX_OFFSET, path
        if "{" in path or path.startswith(("/rankings", "/exports")):
            continue  # needs arranged values: bounded by the same alias
        for huge in (str(MAX_OFFSET + 1), str(2**63)):
            answer = await client.get(path, params={"offset": huge},
                                      headers=inspector if path in INSPECTORS_ONLY else admin)
            assert answer.status_code == 400 and is_problem(answer), (path, huge, answer.status_code)


@pytest.mark.parametrize("method, suffix", [("GET", ""), ("POST", "/publish")])
async def test_a_form_version_number_out_of_range_is_a_400_not_a_500(
    client: AsyncTestClient, world: World, method: str, suffix: str
) -> None:
    """Found by Schemathesis: /forms/{key}/versions/2197408232451 reached asyncpg as an int4 and failed."""
    admin = await login_as(client, world.a.admin)
    for version in (str(INT4_MAX + 1), "-1456290120117193472", "0"):
        answer = await client.request(method, f"/forms/some-form/versions/{version}{suffix}", headers=admin)
        assert answer.status_code == 400 and is_problem(answer), (method, version, answer.status_code, answer.text)


async def test_pages_hold_at_most_limit_rows(client: AsyncTestClient, world: World) -> None:
    admin = await login_as(client, world.a.admin)
    users = (await client.get("/users", params={"limit": 3}, headers=admin)).json()
    assert len(users) == 3  # the factory org has 5 users
    rest = (await client.get("/users", params={"limit": 3, "offset": 3}, headers=admin)).json()
    assert {u["id"] for u in users}.isdisjoint({u["id"] for u in rest})


async def test_login_brute_force_is_429_even_for_the_right_password(
    settings: Settings, db: asyncpg.Pool, world: World
) -> None:
    limited = create_app(fast_settings(settings, login_rate_per_minute=5))
    async with AsyncTestClient(app=limited) as client:
        guesses = [
            await client.post("/auth/login", json={"email": world.a.admin.email, "password": f"guess {n}"})
            for n in range(12)
        ]
        assert [g.status_code for g in guesses] == [401] * 5 + [429] * 7
        assert all(is_problem(g) for g in guesses[5:])
        from tests.integration.factories import PASSWORD

        right = await client.post("/auth/login", json={"email": world.a.admin.email, "password": PASSWORD})
        assert right.status_code == 429  # the attacker cannot finish the job within the window


async def test_text_with_a_nul_character_is_a_422_problem_not_a_500(client: AsyncTestClient, world: World) -> None:
    """Postgres text cannot hold \\u0000; JSON can. Found by Schemathesis on PATCH /regions."""
    admin = await login_as(client, world.a.admin)
    response = await client.patch(f"/regions/{world.a.r1}", json={"name_en": "North\u0000"}, headers=admin)
    assert response.status_code == 422, response.text
    assert is_problem(response) and "NUL" in response.json()["detail"]
