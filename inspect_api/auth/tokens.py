"""JWT bearer auth (Litestar's JWTAuth): HS256, short-lived, issuer and audience set and checked."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Final, Self
from uuid import UUID, uuid4

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token
from litestar.types import ASGIApp, Receive, Scope, Send

from inspect_api.auth.guards import requires_role
from inspect_api.auth.principal import TOKEN_VERSION_CLAIM, Principal, retrieve_principal
from inspect_api.settings import Settings

ALGORITHM: Final = "HS256"
# Paths that answer without a token. Routes may also opt out with `exclude_from_auth=True`.
PUBLIC_PATHS: Final = ["^/healthz$", "^/readyz$", "^/schema", "^/auth/login$", "^/auth/refresh$"]
REQUIRED_CLAIMS: Final = ("exp", "iat", "sub", "iss", "aud")
MAX_VERIFIED_TOKENS: Final = 10_000


def _hashable(value: str | Sequence[str] | None) -> Hashable:
    return value if value is None or isinstance(value, str) else tuple(value)


class VerifiedToken(Token):
    """Litestar's Token, remembering verified decodings per worker.

    A phone sends the same bearer token with every request, and verifying its HMAC and claims again
    each time costs more than serving a cached form. A decoding that passed all checks stays valid for
    the same string under the same settings except for expiry, which is checked again on every use.
    Failures are never remembered."""

    _verified: ClassVar[dict[Hashable, Token]] = {}  # per process, shared by every app in it

    @classmethod
    def decode(
        cls,
        encoded_token: str,
        secret: str,
        algorithm: str,
        audience: str | Sequence[str] | None = None,
        issuer: str | Sequence[str] | None = None,
        require_claims: Sequence[str] | None = None,
        verify_exp: bool = True,
        verify_nbf: bool = True,
        strict_audience: bool = False,
    ) -> Self:
        key = (encoded_token, secret, algorithm, _hashable(audience), _hashable(issuer),
               tuple(require_claims or ()), verify_exp, verify_nbf, strict_audience)
        known = cls._verified.get(key)
        if known is not None:
            if verify_exp and known.exp <= datetime.now(UTC):
                cls._verified.pop(key, None)
                raise NotAuthorizedException("Invalid token")
            return known  # type: ignore[return-value]
        token = super().decode(encoded_token, secret, algorithm, audience, issuer, require_claims, verify_exp,
                               verify_nbf, strict_audience)
        if len(cls._verified) >= MAX_VERIFIED_TOKENS:
            cls._verified.pop(next(iter(cls._verified)))
        cls._verified[key] = token
        return token


class RoleCheckingJWTMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware, then `requires_role` for the matched route, on every route.

    Not a Litestar guard: Litestar copies the route handler for each guard call, about a fifth of the
    cost of serving a cached form. The check sits behind the authentication step, so it sees what a
    guard saw: the caller on authenticated routes, no user on the ones the middleware skips."""

    def __init__(self, app: ASGIApp, **options: Any) -> None:
        super().__init__(app=_checking_roles(app), **options)


def _checking_roles(app: ASGIApp) -> ASGIApp:
    async def check_role_then_handle(scope: Scope, receive: Receive, send: Send) -> None:
        requires_role(ASGIConnection(scope), scope["route_handler"])
        await app(scope, receive, send)

    return check_role_then_handle


def build_jwt_auth(settings: Settings) -> JWTAuth[Principal, Token]:
    """The app's auth config: `Litestar(on_app_init=[jwt_auth.on_app_init])` installs the middleware
    (with the role check of auth/guards.py) and the OpenAPI security scheme.

    Decoding accepts only HS256 (so `alg: none` and any other algorithm fail), verifies the signature,
    `exp`, `iss` == settings.jwt_issuer and `aud` == settings.jwt_audience (a single string), and
    requires every claim in REQUIRED_CLAIMS. Then the user is loaded from Postgres: a disabled or
    deleted user answers 401 even with an unexpired token, and so does a token issued before the
    user's password last changed or the account was last enabled again (its generation differs)."""
    return JWTAuth[Principal, Token](
        retrieve_user_handler=retrieve_principal,
        token_cls=VerifiedToken,
        token_secret=settings.jwt_secret,
        algorithm=ALGORITHM,
        default_token_expiration=timedelta(seconds=settings.jwt_ttl_seconds),
        accepted_issuers=[settings.jwt_issuer],
        accepted_audiences=[settings.jwt_audience],
        strict_audience=True,
        require_claims=REQUIRED_CLAIMS,
        exclude=PUBLIC_PATHS,
        authentication_middleware_class=RoleCheckingJWTMiddleware,
        description="Bearer token from POST /auth/login",
    )


def issue_token(jwt_auth: JWTAuth[Principal, Token], settings: Settings, user_id: UUID, token_version: int) -> str:
    """`token_version`: the user's token generation (TOKEN_VERSION_CLAIM; auth/principal.py refuses the
    token once the user's password changes or the account is enabled again)."""
    return jwt_auth.create_token(
        identifier=str(user_id),
        token_issuer=settings.jwt_issuer,
        token_audience=settings.jwt_audience,
        token_unique_jwt_id=uuid4().hex,
        token_extras={TOKEN_VERSION_CLAIM: token_version},
    )
