from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
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
    fast_settings,
    login,
    login_as,
    make_org,
    make_user,
)

WAIT_SECONDS = 10.0


async def eventually_401(client: AsyncTestClient, headers: dict[str, str]) -> int:
    """Poll GET /me until 401 (bounded): another worker hears of a commit by NOTIFY, not with the response."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        status = (await client.get("/me", headers=headers)).status_code
        if status == 401 or loop.time() > deadline:
            return status
        await asyncio.sleep(0.02)


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


# ---- tokens end when credentials change (issue #14 item 9) ------------------------------------


async def test_a_password_reset_ends_the_users_earlier_tokens_at_once(client: AsyncTestClient, world: World) -> None:
    admin = await login_as(client, world.a.admin)
    manager = await login_as(client, world.a.manager)
    assert (await client.get("/me", headers=manager)).status_code == 200  # cached by this worker now
    reset = await client.patch(
        f"/users/{world.a.manager.id}", json={"password": "a brand new secret"}, headers=admin
    )
    assert reset.status_code == 200, reset.text
    assert (await client.get("/me", headers=manager)).status_code == 401
    assert (await client.get("/branches", headers=manager)).status_code == 401
    fresh = await login(client, world.a.manager.email, "a brand new secret")
    assert (await client.get("/me", headers=fresh)).status_code == 200
    assert (await client.get("/me", headers=admin)).status_code == 200  # nobody else's tokens end


async def test_enabling_a_user_again_does_not_revive_their_old_tokens(client: AsyncTestClient, world: World) -> None:
    admin = await login_as(client, world.a.admin)
    inspector = await login_as(client, world.a.inspector)
    assert (await client.get("/me", headers=inspector)).status_code == 200
    for active in (False, True):
        changed = await client.patch(f"/users/{world.a.inspector.id}", json={"active": active}, headers=admin)
        assert changed.status_code == 200, changed.text
    assert (await client.get("/me", headers=inspector)).status_code == 401
    fresh = await login_as(client, world.a.inspector)
    assert (await client.get("/me/visits", headers=fresh)).status_code == 200


async def test_other_changes_keep_the_users_tokens(client: AsyncTestClient, world: World) -> None:
    """Scope, name and the login's own re-hash (same password, stronger parameters) end no token."""
    admin = await login_as(client, world.a.admin)
    lead = await login_as(client, world.a.lead)
    renamed = await client.patch(f"/users/{world.a.lead.id}", json={"display_name": "Lead Two"}, headers=admin)
    assert renamed.status_code == 200
    moved = await client.put(f"/users/{world.a.lead.id}/regions", json={"region_ids": [str(world.a.r2)]},
                             headers=admin)
    assert moved.status_code == 200
    me = await client.get("/me", headers=lead)
    assert me.status_code == 200 and me.json()["region_ids"] == [str(world.a.r2)]


async def test_the_login_rehash_keeps_the_token_generation(
    client: AsyncTestClient, db: asyncpg.Pool, settings: Settings
) -> None:
    org = await make_org(db, "foxtrot")
    user = await make_user(db, org, "rehash@foxtrot.test", "inspector")
    weak = hasher_for(1, 8, 1).hash(PASSWORD)
    await db.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user.id, weak)
    generation = await db.fetchval("SELECT token_version FROM users WHERE id = $1", user.id)
    earlier = bearer(mint(settings, str(user.id), tv=generation))  # as issued before the re-hash
    assert (await client.get("/me", headers=earlier)).status_code == 200
    await login(client, user.email)  # re-hashes the weak hash
    assert await db.fetchval("SELECT password_hash FROM users WHERE id = $1", user.id) != weak
    assert (await client.get("/me", headers=earlier)).status_code == 200


async def test_a_password_changed_outside_the_api_ends_tokens_too(client: AsyncTestClient, world: World,
                                                                  db: asyncpg.Pool) -> None:
    """psql, a script: the trigger bumps the generation whoever writes the hash."""
    inspector = await login_as(client, world.a.inspector)
    assert (await client.get("/me", headers=inspector)).status_code == 200
    await db.execute("UPDATE users SET password_hash = $2 WHERE id = $1", world.a.inspector.id,
                     hasher_for(1, 64, 1).hash("another long secret"))
    assert await eventually_401(client, inspector) == 401


@pytest.mark.parametrize("tv", [None, 1, "0", True], ids=["no-generation", "future", "string", "bool"])
async def test_a_token_of_another_generation_is_401(
    client: AsyncTestClient, world: World, settings: Settings, tv: Any
) -> None:
    response = await client.get("/me", headers=bearer(mint(settings, str(world.a.admin.id), tv=tv)))
    assert response.status_code == 401, response.text


async def test_every_worker_refuses_the_old_token_without_waiting_for_the_cache_to_expire(
    settings: Settings, world: World
) -> None:
    """Two apps ("workers") on one database, each caching callers for an hour: only the NOTIFY of the
    reset's commit can make the second one refuse the token."""
    async with (
        AsyncTestClient(app=create_app(fast_settings(settings, principal_cache_seconds=3600))) as first,
        AsyncTestClient(app=create_app(fast_settings(settings, principal_cache_seconds=3600))) as second,
    ):
        admin = await login_as(first, world.a.admin)
        manager = await login_as(first, world.a.manager)
        inspector = await login_as(first, world.a.inspector)
        for worker in (first, second):  # both workers now hold both callers
            assert (await worker.get("/me", headers=manager)).status_code == 200
            assert (await worker.get("/me", headers=inspector)).status_code == 200
        reset = await first.patch(
            f"/users/{world.a.manager.id}", json={"password": "a brand new secret"}, headers=admin
        )
        assert reset.status_code == 200, reset.text
        for active in (False, True):
            changed = await first.patch(f"/users/{world.a.inspector.id}", json={"active": active}, headers=admin)
            assert changed.status_code == 200, changed.text
        assert (await first.get("/me", headers=manager)).status_code == 401  # the writing worker: at once
        assert (await first.get("/me", headers=inspector)).status_code == 401
        assert await eventually_401(second, manager) == 401
        assert await eventually_401(second, inspector) == 401
        fresh = await login(second, world.a.manager.email, "a brand new secret")
        assert (await first.get("/me", headers=fresh)).status_code == 200


# ---- e-mails are identities (issue #14 item 11) -------------------------------------------------


@pytest.mark.parametrize("typed", ["ＡＤＭＩＮ@ＡＬＰＨＡ.test", "ａdmin@alpha.test", "Admin@ALPHA.test"])
async def test_login_finds_the_user_by_any_spelling_of_their_address(
    client: AsyncTestClient, world: World, typed: str
) -> None:
    response = await client.post("/auth/login", json={"email": typed, "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert response.json()["user"]["user_id"] == str(world.a.admin.id)


# ---- per-account login throttle (issue #14 item 10) ---------------------------------------------


def throttled_app(settings: Settings, attempts: int = 3) -> Any:
    return create_app(fast_settings(settings, login_account_attempts=attempts, login_account_window_seconds=600))


async def test_an_account_is_throttled_after_failed_logins_even_for_the_right_password(
    settings: Settings, world: World, db: asyncpg.Pool
) -> None:
    async with AsyncTestClient(app=throttled_app(settings)) as client:
        email = world.a.admin.email
        guesses = [await client.post("/auth/login", json={"email": email, "password": f"guess {n}"})
                   for n in range(3)]
        assert [g.status_code for g in guesses] == [401, 401, 401]
        for password in ("guess 4", PASSWORD):
            blocked = await client.post("/auth/login", json={"email": email.upper(), "password": password})
            assert blocked.status_code == 429, blocked.text
            assert blocked.headers["content-type"].startswith("application/problem+json")
            assert 0 < int(blocked.headers["Retry-After"]) <= 600
        # Another account is not affected; the window's end lets the owner in again.
        await login(client, world.a.lead.email)
        await db.execute("UPDATE login_attempts SET window_ends_at = now() - interval '1 second'")
        await login(client, email)


async def test_unknown_addresses_are_throttled_like_known_ones(settings: Settings, world: World) -> None:
    """The answers do not tell whether the account exists."""
    async with AsyncTestClient(app=throttled_app(settings)) as client:
        statuses = {}
        for email in (world.a.admin.email, "nobody@alpha.test"):
            answers = [await client.post("/auth/login", json={"email": email, "password": "wrong guess"})
                       for _ in range(5)]
            statuses[email] = [a.status_code for a in answers]
        assert statuses[world.a.admin.email] == statuses["nobody@alpha.test"] == [401, 401, 401, 429, 429]


async def test_a_successful_login_resets_the_count(settings: Settings, world: World) -> None:
    async with AsyncTestClient(app=throttled_app(settings)) as client:
        email = world.a.inspector.email
        for _ in range(3):
            for n in range(2):
                assert (await client.post("/auth/login", json={"email": email, "password": f"x{n}"})).status_code == 401
            await login(client, email)  # the third attempt of each round: the owner's, resetting


async def test_the_account_throttle_is_shared_by_every_worker(settings: Settings, world: World) -> None:
    async with (
        AsyncTestClient(app=throttled_app(settings)) as first,
        AsyncTestClient(app=throttled_app(settings)) as second,
    ):
        email = world.a.manager.email
        for worker in (first, second, first):
            assert (await worker.post("/auth/login", json={"email": email, "password": "nope nope"})).status_code == 401
        assert (await second.post("/auth/login", json={"email": email, "password": PASSWORD})).status_code == 429


async def test_attempted_addresses_are_not_stored_readable(settings: Settings, db: asyncpg.Pool) -> None:
    async with AsyncTestClient(app=throttled_app(settings)) as client:
        await client.post("/auth/login", json={"email": "typo.secret@alpha.test", "password": "whatever it is"})
    keys = await db.fetch("SELECT account_key FROM login_attempts")
    assert len(keys) == 1 and b"typo" not in keys[0]["account_key"]


async def test_migration_0017_brings_stored_addresses_to_the_canonical_form(
    client: AsyncTestClient, db: asyncpg.Pool
) -> None:
    """Its e-mail step, run again on rows written the old way (only lower-cased): a lookalike whose
    canonical form is taken keeps its address; the others move and log in by any spelling."""
    sql = (Path(__file__).parents[2] / "migrations" / "0017_credentials_and_login_throttle.sql").read_text()
    rewrite = sql[sql.index("DO $$"):]
    org = await make_org(db, "golf")
    taken = await make_user(db, org, "admin@golf.test", "admin")
    lookalike = await make_user(db, org, "ａdmin@golf.test", "inspector")  # full-width a, as stored before
    wide = await make_user(db, org, "ｗｉｄｅ@golf.test", "inspector")
    await db.execute(rewrite)
    stored = {r["id"]: r["email"] for r in await db.fetch("SELECT id, email FROM users WHERE org_id = $1", org)}
    assert stored == {taken.id: "admin@golf.test", lookalike.id: "ａdmin@golf.test", wide.id: "wide@golf.test"}
    response = await client.post("/auth/login", json={"email": "ＷＩＤＥ@golf.test", "password": PASSWORD})
    assert response.status_code == 200 and response.json()["user"]["user_id"] == str(wide.id)
    response = await client.post("/auth/login", json={"email": "ａdmin@golf.test", "password": PASSWORD})
    assert response.status_code == 200 and response.json()["user"]["user_id"] == str(taken.id)


async def test_ended_windows_are_dropped_as_attempts_come_in(settings: Settings, db: asyncpg.Pool) -> None:
    await db.execute("""INSERT INTO login_attempts (account_key, attempts, window_ends_at)
                        SELECT sha256(n::text::bytea), 3, now() - interval '1 minute' FROM generate_series(1, 30) n""")
    async with AsyncTestClient(app=throttled_app(settings)) as client:
        await client.post("/auth/login", json={"email": "someone@alpha.test", "password": "whatever it is"})
        await client.post("/auth/login", json={"email": "someone@alpha.test", "password": "whatever it is"})
    assert await db.fetchval("SELECT count(*) FROM login_attempts") == 1  # only the live window is left
