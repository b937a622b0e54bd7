"""Device-session routes (auth/sessions.py): refresh, and the session lists of a user and an admin."""

from __future__ import annotations

from typing import Final
from uuid import UUID

from litestar import Controller, delete, get, post
from litestar.params import FromPath, JSONBody
from litestar.security.jwt import JWTAuth, Token
from litestar.types import ControllerRouterHandler, Middleware

from inspect_api.auth import sessions
from inspect_api.auth.guards import ALL_ROLES, roles
from inspect_api.auth.principal import Caller, Principal
from inspect_api.auth.schemas import MeOut, TokenOut
from inspect_api.auth.session_schemas import RefreshIn, SessionOut
from inspect_api.auth.tokens import issue_token
from inspect_api.errors import problem_responses
from inspect_api.resources import Pool
from inspect_api.settings import Settings

REFRESH_PATH: Final = "/auth/refresh"


def token_answer(jwt_auth: JWTAuth[Principal, Token], settings: Settings, user: MeOut, token_version: int,
                 session: sessions.DeviceSession | None) -> TokenOut:
    """The login and refresh answer: an access token, and with a device session its next refresh token."""
    return TokenOut(
        access_token=issue_token(jwt_auth, settings, user.user_id, token_version),
        expires_in=settings.jwt_ttl_seconds,
        user=user,
        refresh_token=session.refresh_token if session else None,
        refresh_expires_in=settings.refresh_token_ttl_seconds if session else None,
        session_id=session.session_id if session else None,
    )


class OwnSessionsController(Controller):
    path = "/auth/sessions"
    tags = ("auth",)
    opt = roles(*ALL_ROLES)

    @get("/", summary="The caller's live device sessions, most recently used first")
    async def list_own(self, principal: Caller, pool: Pool) -> list[SessionOut]:
        return await sessions.own_sessions(pool, principal)

    @delete("/{session_id:uuid}", summary="Sign a device of the caller out (its refresh token ends at once)",
            responses=problem_responses(404))
    async def revoke_own(self, principal: Caller, pool: Pool, session_id: FromPath[UUID]) -> None:
        await sessions.revoke_own(pool, principal, session_id)


class UserSessionsController(Controller):
    path = "/users/{user_id:uuid}/sessions"
    tags = ("auth",)
    opt = roles("admin")

    @get("/", summary="A user's live device sessions (admin, own org)", responses=problem_responses(403, 404))
    async def list_users(self, principal: Caller, pool: Pool, user_id: FromPath[UUID]) -> list[SessionOut]:
        return await sessions.users_sessions(pool, principal, user_id)

    @delete("/{session_id:uuid}", summary="Sign a user's device out (admin, own org)",
            responses=problem_responses(403, 404))
    async def revoke_users(self, principal: Caller, pool: Pool, user_id: FromPath[UUID],
                           session_id: FromPath[UUID]) -> None:
        await sessions.revoke_users(pool, principal, user_id, session_id)


def session_routes(settings: Settings, jwt_auth: JWTAuth[Principal, Token],
                   rate_limit: Middleware) -> list[ControllerRouterHandler]:
    @post(
        REFRESH_PATH,
        exclude_from_auth=True,
        status_code=200,
        middleware=[rate_limit],
        tags=["auth"],
        summary="Trade a device session's refresh token for a new access token and a new refresh token",
        description=(
            "Each refresh token is good for one refresh (rotation). Presenting one that was already used "
            "revokes its whole session (theft detection) and answers 401; so does a session that ended "
            "(revoked, lapsed after `refresh_expires_in` seconds unused, its user disabled or their password "
            "changed)."
        ),
        responses=problem_responses(401, 429),
        security=[{}],  # anonymous: the refresh token is the credential
    )
    async def refresh(data: JSONBody[RefreshIn], pool: Pool) -> TokenOut:
        done = await sessions.refresh(pool, data.refresh_token, ttl_seconds=settings.refresh_token_ttl_seconds)
        return token_answer(jwt_auth, settings, done.user, done.token_version, done.session)

    return [refresh, OwnSessionsController, UserSessionsController]
