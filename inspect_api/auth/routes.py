"""POST /auth/login (rate-limited, public) and GET /me."""

from __future__ import annotations

from typing import Final

from litestar import get, post
from litestar.di import Provide
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.params import JSONBody
from litestar.security.jwt import JWTAuth, Token
from litestar.types import ControllerRouterHandler

from inspect_api.auth import service
from inspect_api.auth.guards import ALL_ROLES, roles
from inspect_api.auth.passwords import Hasher, provide_hasher
from inspect_api.auth.principal import Caller, Principal
from inspect_api.auth.schemas import LoginIn, MeOut, TokenOut
from inspect_api.auth.tokens import issue_token
from inspect_api.errors import problem_responses
from inspect_api.resources import Pool
from inspect_api.settings import Settings

LOGIN_RATE_LIMIT_STORE: Final = "login_rate_limit"


@get("/me", opt=roles(*ALL_ROLES), tags=["auth"], summary="The caller, with org and scope")
async def get_me(principal: Caller, pool: Pool) -> MeOut:
    return await service.me(pool, principal)


def auth_routes(settings: Settings, jwt_auth: JWTAuth[Principal, Token]) -> list[ControllerRouterHandler]:
    """The login handler is built per app, with two limits: settings.login_rate_per_minute per client
    address (RateLimit-* headers on every answer, 429 problem when exceeded), and the per-account
    throttle (settings.login_account_attempts per login_account_window_seconds for one e-mail, from
    any address; 429 problem with Retry-After), kept in Postgres for every worker."""
    rate_limit = RateLimitConfig(rate_limit=("minute", settings.login_rate_per_minute), store=LOGIN_RATE_LIMIT_STORE)
    limits = service.LoginLimits(
        attempts=settings.login_account_attempts, window_seconds=settings.login_account_window_seconds
    )

    @post(
        "/auth/login",
        exclude_from_auth=True,
        status_code=200,
        middleware=[rate_limit.middleware],
        dependencies={"hasher": Provide(provide_hasher, sync_to_thread=False)},
        tags=["auth"],
        summary="Trade e-mail + password for a short-lived bearer token",
        responses=problem_responses(401, 429),
        security=[{}],  # anonymous (overrides the global bearer requirement in OpenAPI)
    )
    async def login(data: JSONBody[LoginIn], pool: Pool, hasher: Hasher) -> TokenOut:
        try:
            logged_in = await service.login(pool, hasher, limits, data.email, data.password)
        except service.LoginThrottled as exc:
            raise TooManyRequestsException(
                exc.detail, headers={"Retry-After": str(exc.retry_after_seconds)}
            ) from exc
        return TokenOut(
            access_token=issue_token(jwt_auth, settings, logged_in.user.user_id, logged_in.token_version),
            expires_in=settings.jwt_ttl_seconds,
            user=logged_in.user,
        )

    return [login, get_me]
