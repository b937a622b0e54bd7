"""Who is calling: the Principal, loaded from Postgres and kept per worker while nothing changes.

Any change to a user or their scope NOTIFYs every worker at commit (auth/sql/principal_changed.sql),
which drops the cached caller, so a disabled user's token is refused from the next request on, and so
is a token issued before the user's password changed or the account was enabled again (its `tv`
generation is older than the user's token_version, bumped by a trigger: auth/sql/token_version.sql).
The cache serves only while that feed is connected, and entries also expire after
settings.principal_cache_seconds."""

from __future__ import annotations

from typing import Any, Final, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.security.jwt import Token

from inspect_api.storage.changes import ChangeFeed, FeedCache
from inspect_api.storage.db import row_to

Role = Literal["admin", "regional_lead", "branch_manager", "inspector", "reviewer"]
ALL_ROLES: Final[tuple[Role, ...]] = ("admin", "regional_lead", "branch_manager", "inspector", "reviewer")
# QA (#17): who reviews submissions. A reviewer reviews in its scope (visible_branch_ids: assigned
# regions, or the whole org when none) and manages nothing; admin keeps everything.
REVIEWERS: Final[tuple[Role, ...]] = ("admin", "reviewer")


class Principal(msgspec.Struct, frozen=True):
    """The authenticated user and their scope. `region_ids` is filled for regional leads (and reviewers:
    none = the whole org), `branch_ids` for branch managers; SQL (visible_branch_ids) is what actually
    filters rows."""

    user_id: UUID
    org_id: UUID
    role: Role
    display_name: str
    region_ids: tuple[UUID, ...] = ()
    branch_ids: tuple[UUID, ...] = ()
    token_version: int = 0  # tokens issued under another generation are refused (migration 0017)


SELECT_PRINCIPAL: Final = """
SELECT u.id AS user_id, u.org_id, u.role, u.display_name, u.token_version,
       COALESCE((SELECT array_agg(ur.region_id ORDER BY ur.region_id) FROM user_regions ur
                 WHERE ur.user_id = u.id AND ur.org_id = u.org_id), '{}') AS region_ids,
       COALESCE((SELECT array_agg(ub.branch_id ORDER BY ub.branch_id) FROM user_branches ub
                 WHERE ub.user_id = u.id AND ub.org_id = u.org_id), '{}') AS branch_ids
FROM users u
WHERE u.id = $1 AND u.active
"""


async def fetch_principal(conn: asyncpg.Connection, user_id: UUID) -> Principal | None:
    """The active user with this id, or None (disabled, deleted or never existed)."""
    return row_to(Principal, await conn.fetchrow(SELECT_PRINCIPAL, user_id))


PRINCIPAL_CHANGED: Final = "principal_changed"  # channel; payload: the user id
# Inside the JWT's `extras` claim: the user's token generation at issue (auth/tokens.issue_token).
TOKEN_VERSION_CLAIM: Final = "tv"
MAX_CACHED_PRINCIPALS: Final = 10_000

PrincipalCache = FeedCache[UUID, Principal]


def principal_cache(feed: ChangeFeed, ttl_seconds: float) -> PrincipalCache:
    return FeedCache(feed, PRINCIPAL_CHANGED, UUID, ttl=ttl_seconds, max_entries=MAX_CACHED_PRINCIPALS)


async def retrieve_principal(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """JWTAuth's retrieve_user_handler: None makes the middleware answer 401. So does a token of an
    older (or no) generation: the password changed or the account was enabled again since it was
    issued. The cached caller carries the generation, and is dropped in every worker when it changes."""
    try:
        user_id = UUID(token.sub)
    except ValueError:
        return None
    version = token.extras.get(TOKEN_VERSION_CLAIM)
    if type(version) is not int:
        return None
    resources = connection.app.state.resources
    cache: PrincipalCache = resources.principals
    principal = cache.get(user_id)
    if principal is None:
        epoch = cache.begin()
        pool: asyncpg.Pool = resources.pool
        async with pool.acquire() as conn:
            principal = await fetch_principal(conn, user_id)
        if principal is None:
            return None
        cache.put(user_id, principal, epoch)
    return principal if principal.token_version == version else None


def provide_principal(request: Request[Principal, Token, Any]) -> Principal:
    """DI provider of the `principal` dependency (`principal: Caller` in a handler signature)."""
    return request.user


Caller = NamedDependency[Principal]


def provide_principal_cache(request: Request[Principal, Token, Any]) -> PrincipalCache:
    """DI provider for handlers that change users: they forget the cached caller at once."""
    return request.app.state.resources.principals


Principals = NamedDependency[PrincipalCache]
