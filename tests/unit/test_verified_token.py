"""VerifiedToken: a remembered decoding is re-checked for expiry, and never serves other settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from litestar.exceptions import NotAuthorizedException

from inspect_api.auth import tokens
from inspect_api.auth.tokens import REQUIRED_CLAIMS, VerifiedToken

SECRET = "s" * 40
CHECKS = {"audience": "aud", "issuer": "iss", "require_claims": REQUIRED_CLAIMS, "strict_audience": True}


def encoded(expires_in: timedelta, secret: str = SECRET) -> str:
    now = datetime.now(UTC)
    claims = {"sub": "u1", "iss": "iss", "aud": "aud", "iat": now, "exp": now + expires_in, "jti": now.isoformat()}
    return jwt.encode(claims, secret, algorithm="HS256")


def decode(token: str, secret: str = SECRET) -> VerifiedToken:
    return VerifiedToken.decode(token, secret, "HS256", **CHECKS)


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    token = encoded(timedelta(minutes=5))
    assert decode(token).sub == "u1"
    assert decode(token).sub == "u1"  # remembered

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return datetime.now(tz) + timedelta(minutes=6)

    monkeypatch.setattr(tokens, "datetime", Later)
    with pytest.raises(NotAuthorizedException):
        decode(token)


def test_a_remembered_token_is_not_accepted_under_another_secret_or_audience() -> None:
    token = encoded(timedelta(minutes=5))
    decode(token)
    with pytest.raises(NotAuthorizedException):
        decode(token, secret="t" * 40)
    with pytest.raises(NotAuthorizedException):
        VerifiedToken.decode(token, SECRET, "HS256", **(CHECKS | {"audience": "other"}))


def test_a_forged_token_is_refused_every_time() -> None:
    forged = encoded(timedelta(minutes=5), secret="x" * 40)
    for _ in range(2):
        with pytest.raises(NotAuthorizedException):
            decode(forged)
