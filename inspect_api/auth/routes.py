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

from inspect_api.auth import service, sessions
from inspect_api.auth.guards import ALL_ROLES, roles
from inspect_api.auth.passwords import Hasher, provide_hasher
from inspect_api.auth.principal import Caller, Principal
from inspect_api.auth.schemas import LoginIn, MeOut, TokenOut
from inspect_api.auth.session_routes import session_routes, token_answer
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
        description=(
            "With `device_name` and/or `device_id`, the answer also carries a refresh token of a new device "
            "session (`POST /auth/refresh`), so a phone offline for days need not ask for the password again."
        ),
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
        name = sessions.session_name(data.device_name, data.device_id)
        session = None if name is None else await sessions.start(
            pool, logged_in.user.org.id, logged_in.user.user_id, logged_in.token_version, device_name=name,
            device_id=data.device_id, ttl_seconds=settings.refresh_token_ttl_seconds,
        )
        return token_answer(jwt_auth, settings, logged_in.user, logged_in.token_version, session)

    return [login, get_me, *session_routes(settings, jwt_auth, rate_limit.middleware)]
