"""The HTTP surface every route shares (issue #14 items 3, 4, 6, 13, 14): deep JSON, date ranges, one error
shape, security headers, a docs UI without a CDN, strict booleans, export Content-Types."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import AsyncTestClient

from inspect_api.json_body import MAX_JSON_DEPTH
from inspect_api.params import DAY_RANGE
from tests.integration.factories import World, login_as
from tests.integration.releases import (
    FUEL,
    Catalogue,
    fuel_catalogue,  # noqa: F401  (fixture)
)

FORM = FUEL  # a seed form with items (the submissions export refuses a form without)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """A problem+json answer with the HTTP status in `status` and `errors: [{field, message}]`."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    problem = response.json()
    assert problem["status"] == status
    errors = problem["errors"]
    assert errors and all(isinstance(e["field"], str) and isinstance(e["message"], str) for e in errors), errors
    assert all(set(e) <= {"field", "message", "source", "row", "column"} for e in errors), errors
    if field is not None:
        assert field in {e["field"] for e in errors}, errors
    return problem


def nested(depth: int) -> bytes:
    return b'{"email": ' + b"[" * depth + b"]" * depth + b', "password": "x"}'


# ---- item 3: deep JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1_000, 100_000])
async def test_deeply_nested_json_is_a_400_problem_on_login_and_on_authenticated_routes(
    client: AsyncTestClient, world: World, depth: int
) -> None:
    json_type = {"Content-Type": "application/json"}
    login = await client.post("/auth/login", content=nested(depth), headers=json_type)
    assert_problem(login, 400, "body")
    admin = await login_as(client, world.a.admin)
    for path in ("/visits", "/regions"):
        top_level = b"[" * depth + b"]" * depth
        for body in (nested(depth), top_level):
            response = await client.post(path, content=body, headers=admin | json_type)
            assert_problem(response, 400, "body")
    patched = await client.patch(f"/users/{world.a.inspector.id}", content=nested(depth), headers=admin | json_type)
    assert_problem(patched, 400, "body")


async def test_nesting_up_to_the_limit_is_judged_on_its_content(client: AsyncTestClient, world: World) -> None:
    json_type = {"Content-Type": "application/json"}
    at_limit = await client.post("/auth/login", content=nested(MAX_JSON_DEPTH - 1), headers=json_type)
    assert_problem(at_limit, 400, "email")  # decoded, then refused because email is not a string
    over = await client.post("/auth/login", content=nested(MAX_JSON_DEPTH), headers=json_type)
    problem = assert_problem(over, 400, "body")
    assert str(MAX_JSON_DEPTH) in problem["errors"][0]["message"]
    # Brackets inside strings are text, not nesting.
    brackets_in_text = await client.post("/auth/login", headers=json_type,
                                         json={"email": "[" * 5000 + "@x.example", "password": "{" * 100})
    assert brackets_in_text.status_code in (400, 401) and "nested" not in brackets_in_text.text


# ---- item 6: one error shape ---------------------------------------------------------------------


async def test_schema_and_domain_errors_share_one_shape(client: AsyncTestClient, world: World) -> None:
    wrong_type = await client.post("/auth/login", json={"email": 5, "password": "x"})
    assert assert_problem(wrong_type, 400, "email")["errors"][0]["source"] == "body"
    missing = await client.post("/auth/login", json={"email": "a@b.example"})
    assert_problem(missing, 400, "password")
    unknown = await client.post("/auth/login", json={"email": "a@b.example", "password": "x", "extra": 1})
    assert_problem(unknown, 400, "extra")
    malformed = await client.post("/auth/login", content=b'{"email": ', headers={"Content-Type": "application/json"})
    assert_problem(malformed, 400, "body")
    admin = await login_as(client, world.a.admin)
    query = await client.get("/visits", params={"limit": "0"}, headers=admin)
    assert assert_problem(query, 400, "limit")["errors"][0]["source"] == "query"
    not_a_time = await client.get("/visits", params={"from": "soon"}, headers=admin)
    assert_problem(not_a_time, 400, "from")
    domain = await client.post("/branches", headers=admin, json={
        "region_id": str(world.a.r1), "code": "NEW1", "name_zh": "新", "name_en": "New", "timezone": "Mars/Olympus"})
    assert_problem(domain, 422, "timezone")
    csv_rows = await client.post("/branches/import", headers=admin | {"Content-Type": "text/csv"},
                                 content="code,name_zh,name_en,region_code,timezone\nX1,甲,A,nowhere,UTC\n")
    problem = assert_problem(csv_rows, 422, "region_code")
    assert problem["errors"][0]["row"] == 2


async def test_a_parameter_error_names_the_parameter_as_sent(client: AsyncTestClient, world: World) -> None:
    # Litestar names a malformed parameter by the handler's argument (date_from) and a missing one not at
    # all (the problem said `body`); the caller sent `from` and left out `form_key`.
    admin = await login_as(client, world.a.admin)
    not_a_day = await client.get("/exports/submissions.csv", params={"form_key": FORM, "from": "2026-02-30"},
                                 headers=admin)
    problem = assert_problem(not_a_day, 400, "from")
    assert {e["field"] for e in problem["errors"]} == {"from"} and problem["errors"][0]["source"] == "query"
    no_form = await client.get("/exports/submissions.csv", headers=admin)
    problem = assert_problem(no_form, 400, "form_key")
    assert problem["errors"] == [{"field": "form_key", "message": "required", "source": "query"}]
    not_an_id = await client.get("/exports/submissions.csv", params={"form_key": FORM, "branch_id": "x"},
                                 headers=admin)
    assert_problem(not_an_id, 400, "branch_id")


async def test_the_schema_documents_one_problem_shape(client: AsyncTestClient) -> None:
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    problem = schemas["Problem"]
    assert problem["properties"]["status"]["type"] == "integer"
    items = problem["properties"]["errors"]["oneOf"][0]["items"]
    field_error = schemas[items["$ref"].rsplit("/", 1)[-1]]
    assert set(field_error["required"]) == {"field", "message"}


# ---- item 4: date and date-time ranges ------------------------------------------------------------


async def test_the_issue_urls_with_extreme_dates_are_422_naming_the_parameter(
    client: AsyncTestClient, world: World
) -> None:
    admin = await login_as(client, world.a.admin)
    cases = [
        ("/rankings", {"form_key": FORM, "on": "9999-12-31"}, "on"),
        ("/rankings", {"form_key": FORM, "on": "0001-01-01"}, "on"),
        ("/exports/rankings.xlsx", {"form_key": FORM, "on": "9999-12-31"}, "on"),
        ("/rankings/trend", {"form_key": FORM, "branch_id": str(world.a.b11), "on": "0001-01-04", "period": "week"},
         "on"),
        ("/visits", {"from": "0001-01-01T00:00:00+14:00"}, "from"),
        ("/visits", {"to": "9999-12-31T23:59:59-14:00"}, "to"),
        ("/rankings/weakness", {"form_key": FORM, "on": "1999-12-31"}, "on"),
        ("/exports/rankings.csv", {"form_key": FORM, "on": "2101-01-01"}, "on"),
        ("/submissions", {"from": "1999-12-31"}, "from"),
        ("/submissions", {"to": "2101-01-01"}, "to"),
        ("/exports/submissions.csv", {"form_key": FORM, "from": "0001-01-01"}, "from"),
        ("/exports/submissions.csv", {"form_key": FORM, "to": "9999-12-31"}, "to"),
    ]
    for path, params, field in cases:
        response = await client.get(path, params=params, headers=admin)
        problem = assert_problem(response, 422, field)
        assert DAY_RANGE in problem["errors"][0]["message"], (path, problem)


async def test_the_range_bounds_themselves_answer(
    client: AsyncTestClient, world: World, fuel_catalogue: Catalogue  # noqa: F811
) -> None:
    admin = await login_as(client, world.a.admin)
    branch = str(world.a.b11)
    for on in ("2000-01-01", "2100-12-31"):
        for period in ("week", "month", "quarter"):
            for path, extra in (("/rankings", {}), ("/rankings/weakness", {}), ("/exports/rankings.csv", {}),
                                ("/exports/rankings.xlsx", {}), ("/rankings/trend", {"branch_id": branch,
                                                                                     "periods": "104"})):
                response = await client.get(path, params={"form_key": FORM, "on": on, "period": period, **extra},
                                            headers=admin)
                assert response.status_code == 200, (path, on, period, response.text[:300])
    for params in ({"from": "2000-01-01T00:00:00+14:00"}, {"to": "2100-12-31T23:59:59-14:00"},
                   {"from": "2000-01-01T00:00:00", "to": "2100-12-31T23:59:59.999999"}):
        assert (await client.get("/visits", params=params, headers=admin)).status_code == 200, params
    days = {"from": "2000-01-01", "to": "2100-12-31"}
    assert (await client.get("/submissions", params=days, headers=admin)).status_code == 200
    exported = await client.get("/exports/submissions.csv", params={"form_key": FORM, **days}, headers=admin)
    assert exported.status_code == 200


async def test_dates_in_bodies_are_422_outside_the_range(client: AsyncTestClient, world: World) -> None:
    """A window ending 9999-12-31T23:59:59-14:00 is year 10000 in UTC: it was a 500."""
    admin = await login_as(client, world.a.admin)
    visit = {"branch_id": str(world.a.b11), "form_version_id": str(world.form_version_id),
             "inspector_id": str(world.a.inspector.id), "mode": "announced"}
    for start, end, fields in [
        ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", {"window_start", "window_end"}),
        ("2099-01-01T00:00:00+00:00", "9999-12-31T23:59:59-14:00", {"window_end"}),
        ("2100-12-31T20:00:00-14:00", "2101-01-01T00:00:00+00:00", {"window_end"}),
    ]:
        response = await client.post("/visits", json=visit | {"window_start": start, "window_end": end}, headers=admin)
        problem = assert_problem(response, 422)
        assert {e["field"] for e in problem["errors"]} == fields, problem
    at_bounds = await client.post("/visits", headers=admin, json=visit | {
        "window_start": "2100-12-31T10:00:00-14:00", "window_end": "2100-12-31T23:59:59-14:00"})
    assert at_bounds.status_code == 201, at_bounds.text
    inspector = await login_as(client, world.a.inspector)
    submission = {"client_id": "9b7c1c1e-4a5b-4f9e-9a39-2f5d7c0e1a11", "visit_id": str(world.a.v11), "answers": [],
                  "started_at": "0001-01-01T00:00:00+14:00", "finished_at": "2026-01-01T00:00:00+00:00"}
    assert_problem(await client.post("/submissions", json=submission, headers=inspector), 422, "started_at")


async def test_every_date_query_parameter_documents_the_range(client: AsyncTestClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    dated = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for param in operation.get("parameters", []):
                formats = {s.get("format") for s in [param["schema"], *param["schema"].get("oneOf", [])]}
                if formats & {"date", "date-time"}:
                    dated.append((method, path, param["name"]))
                    assert DAY_RANGE in param.get("description", ""), (method, path, param)
    assert ("get", "/rankings", "on") in dated and ("get", "/visits", "from") in dated
    assert ("get", "/submissions", "to") in dated and ("get", "/exports/submissions.csv", "from") in dated


# ---- item 14: strict booleans, export Content-Types ------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, "true", "false", None])
async def test_a_boolean_field_takes_only_json_booleans(client: AsyncTestClient, world: World, value: Any) -> None:
    admin = await login_as(client, world.a.admin)
    user = f"/users/{world.a.inspector.id}"
    refused = await client.patch(user, json={"active": value}, headers=admin)
    assert_problem(refused, 400, "active")
    assert (await client.get(user, headers=admin)).json()["active"] is True  # nothing was written
    accepted = await client.patch(user, json={"active": False}, headers=admin)
    assert accepted.status_code == 200 and accepted.json()["active"] is False


async def test_numbers_in_strings_are_not_numbers(client: AsyncTestClient, world: World) -> None:
    """Litestar's lax conversion also read "52.1" as a number (the same cause as `"active": 0`)."""
    admin = await login_as(client, world.a.admin)
    response = await client.post("/branches", headers=admin, json={
        "region_id": str(world.a.r1), "code": "NEW2", "name_zh": "新", "name_en": "New", "timezone": "Asia/Shanghai",
        "latitude": "31.2", "longitude": 121.5})
    assert_problem(response, 400, "latitude")


async def test_csv_exports_name_their_charset_once(
    client: AsyncTestClient, world: World, fuel_catalogue: Catalogue  # noqa: F811
) -> None:
    admin = await login_as(client, world.a.admin)
    for path, params in (("/exports/rankings.csv", {"form_key": FORM}), ("/exports/actions.csv", {}),
                         ("/exports/submissions.csv", {"form_key": FORM})):
        response = await client.get(path, params=params, headers=admin)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8", path


# ---- item 13: headers and the docs UI ------------------------------------------------------------


async def test_every_kind_of_answer_carries_the_security_headers(client: AsyncTestClient, world: World) -> None:
    admin = await login_as(client, world.a.admin)
    answers = [
        await client.get("/healthz"),
        await client.get("/no/such/path"),  # 404 from the router
        await client.get("/visits"),  # 401 problem
        await client.delete("/healthz"),  # 405
        await client.get("/visits", params={"limit": "0"}, headers=admin),  # 400 problem
        await client.get("/visits", headers=admin),
        await client.get("/exports/actions.csv", headers=admin),
        await client.get("/schema/openapi.json"),
        await client.get("/schema/swagger"),
        await client.get("/schema/assets/swagger-ui/swagger-ui.css"),
    ]
    for response in answers:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (response.request.url, response.status_code, name)
        assert "server" not in response.headers


@pytest.mark.parametrize("page", ["/schema", "/schema/swagger"])
async def test_the_docs_ui_loads_only_from_the_service(client: AsyncTestClient, page: str) -> None:
    html = await client.get(page)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html.text)
    assert len(urls) >= 4, urls  # bundle, preset, stylesheet, icon
    expected_types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/schema/assets/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        suffix = url[url.rfind("."):]
        content_type = asset.headers["content-type"]
        assert content_type.startswith(expected_types[suffix]) or (
            suffix == ".js" and content_type.startswith("application/javascript")), (url, content_type)
    assert "cdn" not in html.text.lower() and "unpkg" not in html.text.lower()
