from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import jwt
import pytest
from litestar.testing import AsyncTestClient

from inspect_api.app import create_app
from inspect_api.auth.passwords import hasher_for
from inspect_api.settings import Settings
from tests.integration.conftest import TEST_JWT_SECRET
from tests.integration.factories import (
    PASSWORD,
    World,
    fast_app_fixture,
    fast_settings,
    login,
    login_as,
    make_org,
    make_user,
)

app = fast_app_fixture()


def mint(settings: Settings, sub: str | None, *, key: str = TEST_JWT_SECRET, alg: str = "HS256", **claims: Any) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": sub,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "tv": 0,  # the token generation of a user who never changed password (migration 0017)
    } | claims
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, key, algorithm=alg)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_login_returns_a_bearer_token_and_me(client: AsyncTestClient, world: World) -> None:
    response = await client.post("/auth/login", json={"email": "Lead@Alpha.test", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert body["user"]["user_id"] == str(world.a.lead.id)
    assert body["user"]["region_ids"] == [str(world.a.r1)]
    assert response.headers["RateLimit-Limit"]

    me = await client.get("/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["role"] == "regional_lead"
    assert me.json()["org"]["slug"] == "alpha"


async def test_token_carries_issuer_audience_and_short_expiry(
    client: AsyncTestClient, world: World, settings: Settings
) -> None:
    headers = await login_as(client, world.a.admin)
    token = headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, TEST_JWT_SECRET, algorithms=["HS256"], audience=settings.jwt_audience)
    assert claims["iss"] == settings.jwt_issuer
    assert claims["sub"] == str(world.a.admin.id)
    assert claims["exp"] - claims["iat"] <= settings.jwt_ttl_seconds + 1


@pytest.mark.parametrize(
    ("email", "password"),
    [("admin@alpha.test", "wrong password!"), ("nobody@alpha.test", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
async def test_bad_login_is_401_problem(client: AsyncTestClient, world: World, email: str, password: str) -> None:
    response = await client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "access_token" not in response.text


async def test_disabled_user_cannot_log_in(client: AsyncTestClient, db: asyncpg.Pool) -> None:
    org = await make_org(db, "gamma")
    await make_user(db, org, "off@gamma.test", "inspector", active=False)
    response = await client.post("/auth/login", json={"email": "off@gamma.test", "password": PASSWORD})
    assert response.status_code == 401


async def test_login_body_is_validated(client: AsyncTestClient) -> None:
    response = await client.post("/auth/login", json={"email": "a@b.c", "password": "x", "remember": True})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "case",
    ["expired", "wrong-signature", "alg-none", "wrong-audience", "wrong-issuer", "no-audience", "garbage", "no-sub"],
)
async def test_bad_tokens_are_401(client: AsyncTestClient, world: World, settings: Settings, case: str) -> None:
    sub = str(world.a.admin.id)
    token = {
        "expired": lambda: mint(
            settings,
            sub,
            iat=int((datetime.now(UTC) - timedelta(hours=2)).timestamp()),
            exp=int((datetime.now(UTC) - timedelta(hours=1)).timestamp()),
        ),
        "wrong-signature": lambda: mint(settings, sub, key="another-secret-" + "y" * 40),
        "alg-none": lambda: jwt.encode(
            {"sub": sub, "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "exp": 4102444800, "iat": 1},
            None,
            algorithm="none",
        ),
        "wrong-audience": lambda: mint(settings, sub, aud="someone-else"),
        "wrong-issuer": lambda: mint(settings, sub, iss="evil-issuer"),
        "no-audience": lambda: mint(settings, sub, aud=None),
        "garbage": lambda: "not.a.jwt",
        "no-sub": lambda: mint(settings, None),
    }[case]()
    response = await client.get("/me", headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_well_formed_minted_token_works(client: AsyncTestClient, world: World, settings: Settings) -> None:
    # The control for the cases above: only the named defect makes them fail.
    response = await client.get("/me", headers=bearer(mint(settings, str(world.a.admin.id))))
    assert response.status_code == 200, response.text


async def test_missing_token_is_401_but_public_routes_answer(client: AsyncTestClient) -> None:
    assert (await client.get("/me")).status_code == 401
    assert (await client.get("/branches")).status_code == 401
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/schema/openapi.json")).status_code == 200


async def test_disabled_users_old_token_is_401(client: AsyncTestClient, world: World) -> None:
    admin = await login_as(client, world.a.admin)
    inspector = await login_as(client, world.a.inspector)
    assert (await client.get("/me/visits", headers=inspector)).status_code == 200

    disabled = await client.patch(f"/users/{world.a.inspector.id}", json={"active": False}, headers=admin)
    assert disabled.status_code == 200, disabled.text
    assert (await client.get("/me/visits", headers=inspector)).status_code == 401
    assert (await client.get("/me", headers=inspector)).status_code == 401


async def test_deleted_users_token_is_401(client: AsyncTestClient, db: asyncpg.Pool) -> None:
    org = await make_org(db, "delta")
    user = await make_user(db, org, "gone@delta.test", "branch_manager")
    headers = await login(client, user.email)
    await db.execute("DELETE FROM users WHERE id = $1", user.id)
    assert (await client.get("/me", headers=headers)).status_code == 401


async def test_login_upgrades_a_weaker_hash(client: AsyncTestClient, db: asyncpg.Pool, settings: Settings) -> None:
    org = await make_org(db, "echo")
    weak = hasher_for(1, 8, 1).hash(PASSWORD)
    user = await make_user(db, org, "old@echo.test", "inspector")
    await db.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user.id, weak)
    await login(client, user.email)
    stored = await db.fetchval("SELECT password_hash FROM users WHERE id = $1", user.id)
    assert stored != weak
    assert not hasher_for(1, 64, 1).check_needs_rehash(stored)  # fast_settings' parameters
    await login(client, user.email)  # and the new hash verifies


async def test_login_is_rate_limited(settings: Settings, db: asyncpg.Pool) -> None:
    limited = create_app(fast_settings(settings, login_rate_per_minute=3))
    async with AsyncTestClient(app=limited) as client:
        answers = [
            await client.post("/auth/login", json={"email": "x@y.test", "password": "whatever"}) for _ in range(4)
        ]
        assert [a.status_code for a in answers] == [401, 401, 401, 429]
        assert answers[0].headers["RateLimit-Remaining"] == "2"
        blocked = answers[-1]
        assert blocked.headers["content-type"].startswith("application/problem+json")
        assert blocked.headers["RateLimit-Limit"] == "3"
        assert blocked.headers["RateLimit-Remaining"] == "0"
        assert int(blocked.headers["RateLimit-Reset"]) >= 0
        # Only the login route is limited.
        assert (await client.get("/healthz")).status_code == 200
