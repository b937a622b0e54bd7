"""Role guard driven by route `opt`.

Every authenticated route declares who may call it, on the handler or on its controller/router:

    class BranchesController(Controller):
        opt = roles(*ALL_ROLES)                 # any signed-in role: the controller's default
        @post("/", opt=roles("admin"))          # a handler's own opt wins over the controller's

`roles(...)` is the one spelling of a role requirement (ALL_ROLES, re-exported here, names every role).

`requires_role` runs for every route, right after the JWT middleware (auth/tokens.py). It lets routes
that are excluded from authentication through (health, schema, login: no user in scope), refuses a role
that is not listed with 403, and refuses with 403 an authenticated route that lists no roles (fail
closed).
Which rows a role may touch is decided in SQL, never here.
"""

from __future__ import annotations

from typing import Any, Final

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from inspect_api.auth.principal import ALL_ROLES, Principal, Role
from inspect_api.errors import Forbidden

__all__ = ["ALL_ROLES", "ROLES_OPT", "requires_role", "roles"]

ROLES_OPT: Final = "roles"


def roles(*allowed: Role) -> dict[str, tuple[Role, ...]]:
    """`opt=roles("admin", "regional_lead")`."""
    return {ROLES_OPT: allowed}


def requires_role(connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if user is None:
        if route_handler.opt.get("exclude_from_auth") or ROLES_OPT not in route_handler.opt:
            return  # a public route: the auth middleware skipped it
        raise NotAuthorizedException("authentication required")
    if not isinstance(user, Principal):
        raise NotAuthorizedException("unknown principal")
    allowed = route_handler.opt.get(ROLES_OPT)
    if not allowed:
        raise Forbidden("this route declares no roles, so nobody may call it")
    if user.role not in allowed:
        raise Forbidden(f"the {user.role} role may not do this")
