"""JWT bearer auth (Litestar's JWTAuth): HS256, short-lived, issuer and audience set and checked."""

from __future__ import annotations

from datetime import timedelta
from typing import Final
from uuid import UUID, uuid4

from litestar.security.jwt import JWTAuth, Token

from inspect_api.auth.guards import role_guard
from inspect_api.auth.principal import Principal, retrieve_principal
from inspect_api.settings import Settings

ALGORITHM: Final = "HS256"
# Paths that answer without a token. Routes may also opt out with `exclude_from_auth=True`.
PUBLIC_PATHS: Final = ["^/healthz$", "^/readyz$", "^/schema", "^/auth/login$"]
REQUIRED_CLAIMS: Final = ("exp", "iat", "sub", "iss", "aud")


def build_jwt_auth(settings: Settings) -> JWTAuth[Principal, Token]:
    """The app's auth config: `Litestar(on_app_init=[jwt_auth.on_app_init])` installs the middleware,
    the OpenAPI security scheme and the app-wide role guard.

    Decoding accepts only HS256 (so `alg: none` and any other algorithm fail), verifies the signature,
    `exp`, `iss` == settings.jwt_issuer and `aud` == settings.jwt_audience (a single string), and
    requires every claim in REQUIRED_CLAIMS. Then the user is loaded from Postgres: a disabled or
    deleted user answers 401 even with an unexpired token."""
    return JWTAuth[Principal, Token](
        retrieve_user_handler=retrieve_principal,
        token_secret=settings.jwt_secret,
        algorithm=ALGORITHM,
        default_token_expiration=timedelta(seconds=settings.jwt_ttl_seconds),
        accepted_issuers=[settings.jwt_issuer],
        accepted_audiences=[settings.jwt_audience],
        strict_audience=True,
        require_claims=REQUIRED_CLAIMS,
        exclude=PUBLIC_PATHS,
        guards=[role_guard],
        description="Bearer token from POST /auth/login",
    )


def issue_token(jwt_auth: JWTAuth[Principal, Token], settings: Settings, user_id: UUID) -> str:
    return jwt_auth.create_token(
        identifier=str(user_id),
        token_issuer=settings.jwt_issuer,
        token_audience=settings.jwt_audience,
        token_unique_jwt_id=uuid4().hex,
    )
