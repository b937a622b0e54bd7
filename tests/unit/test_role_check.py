"""The role check behind the JWT middleware: 401 before 403, public routes open, unlisted roles closed.

A small app with the product's middleware, role rule and problem details; the caller's role is the
token's subject, so no database is needed."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar, get
from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token
from litestar.testing import TestClient

from inspect_api.auth.guards import ALL_ROLES, ROLES_OPT, roles
from inspect_api.auth.principal import Principal
from inspect_api.auth.tokens import RoleCheckingJWTMiddleware
from inspect_api.errors import problem_details_plugin

SECRET = "s" * 40


async def principal_named_by_token(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    return Principal(UUID(int=1), UUID(int=2), token.sub, "n")  # type: ignore[arg-type]


@get("/admin-only", opt=roles("admin"))
async def admin_only() -> str:
    return "ok"


@get("/anyone", opt=roles(*ALL_ROLES))
async def anyone() -> str:
    return "ok"


@get("/no-roles")
async def no_roles() -> str:
    return "ok"


@get("/public/plain")
async def public_plain() -> str:
    return "ok"


@get("/public/with-roles", opt=roles(*ALL_ROLES))
async def public_with_roles() -> str:
    return "ok"


@get("/opted-out", opt=roles(*ALL_ROLES), exclude_from_auth=True)
async def opted_out() -> str:
    return "ok"


jwt_auth = JWTAuth[Principal, Token](
    retrieve_user_handler=principal_named_by_token,
    token_secret=SECRET,
    exclude=["^/public"],
    authentication_middleware_class=RoleCheckingJWTMiddleware,
)
app = Litestar(
    [admin_only, anyone, no_roles, public_plain, public_with_roles, opted_out],
    on_app_init=[jwt_auth.on_app_init],
    plugins=[problem_details_plugin()],
    openapi_config=None,
)


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt_auth.create_token(identifier=role)}"}


@pytest.fixture(scope="module")
def client() -> Any:
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "headers", "status", "detail"),
    [
        ("/admin-only", bearer("admin"), 200, None),
        ("/admin-only", bearer("inspector"), 403, "the inspector role may not do this"),
        ("/admin-only", {}, 401, None),  # no token: the middleware answers before any role check
        ("/anyone", bearer("branch_manager"), 200, None),
        ("/no-roles", bearer("admin"), 403, "this route declares no roles, so nobody may call it"),
        ("/public/plain", {}, 200, None),
        ("/public/with-roles", {}, 401, "authentication required"),  # fail closed
        ("/opted-out", {}, 200, None),
    ],
)
def test_roles_come_from_route_opt(
    client: Any, path: str, headers: dict[str, str], status: int, detail: str | None
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == status, response.text
    if detail is not None:
        assert response.json()["detail"] == detail


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_role_passes_roles_of_all_roles(client: Any, role: str) -> None:
    assert client.get("/anyone", headers=bearer(role)).status_code == 200


def test_roles_is_the_route_opt() -> None:
    assert roles("admin", "inspector") == {ROLES_OPT: ("admin", "inspector")}
    assert app.route_handler_method_map["/admin-only"]["GET"].opt[ROLES_OPT] == ("admin",)


def test_options_requests_stay_open(client: Any) -> None:
    assert client.options("/admin-only").status_code == 204


def test_no_handler_runs_a_litestar_guard() -> None:
    """Litestar copies the handler for each guard call; the role check must not become one again."""
    handler = app.route_handler_method_map["/admin-only"]["GET"]
    assert not handler.resolve_guards()
