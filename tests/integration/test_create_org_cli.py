"""`inspect-api create-org` (#17 item 5) through the CLI entry point against the test database: the
org and its admin are created, the printed one-time password logs in (and passes the password rules),
the new admin sees nothing of other orgs, and a taken slug or e-mail exits 2 writing nothing."""

from __future__ import annotations

import asyncio
import re

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from inspect_api.auth.password_rules import check_new_password
from inspect_api.cli import main
from inspect_api.settings import Settings
from tests.integration.factories import World, login


async def run_cli(monkeypatch: pytest.MonkeyPatch, settings: Settings, *args: str) -> int:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    for name, value in (("PASSWORD_TIME_COST", "1"), ("PASSWORD_MEMORY_KIB", "8192"), ("PASSWORD_PARALLELISM", "1")):
        monkeypatch.setenv(name, value)  # cheap hashing for the test; the hash is upgraded at login
    return await asyncio.to_thread(main, ["create-org", *args])  # main runs its own event loop


async def counts(db: asyncpg.Pool) -> tuple[int, int]:
    return await db.fetchval("SELECT count(*) FROM orgs"), await db.fetchval("SELECT count(*) FROM users")


async def test_create_org_prints_a_one_time_password_for_an_isolated_admin(
    client: AsyncTestClient, world: World, db: asyncpg.Pool, settings: Settings,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    rc = await run_cli(monkeypatch, settings, "--name", "Charlie Stations 查理", "--admin-email", "Boss@Charlie.test")
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "org 'charlie-stations' created" in out
    password = re.search(r"one-time password .*: (\S+)$", out, re.M).group(1)
    assert check_new_password(password, "boss@charlie.test") is None
    org = await db.fetchrow("SELECT id, name, settings FROM orgs WHERE slug = 'charlie-stations'")
    assert org["name"] == "Charlie Stations 查理" and org["settings"]["allow_adhoc_submissions"] is False
    assert await db.fetchval("SELECT password_hash FROM users WHERE email = 'boss@charlie.test'") != password
    audit = await db.fetchrow("SELECT action, org_id, after FROM audit_log WHERE action = 'org.created'")
    assert audit["org_id"] == org["id"] and audit["after"]["admin_email"] == "boss@charlie.test"

    admin = await login(client, "boss@charlie.test", password)
    me = (await client.get("/me", headers=admin)).json()
    assert me["role"] == "admin" and me["org"]["slug"] == "charlie-stations"
    for path in ("/branches", "/regions", "/visits", "/submissions", "/actions", "/programmes", "/appeals"):
        answer = await client.get(path, headers=admin)
        assert answer.status_code in (200, 404) and (answer.status_code == 404 or answer.json() == []), path
    users = (await client.get("/users", headers=admin)).json()
    assert [u["email"] for u in users] == ["boss@charlie.test"]
    for path in (f"/branches/{world.a.b11}", f"/users/{world.a.admin.id}", f"/regions/{world.b.r1}",
                 f"/visits/{world.a.v11}"):
        assert (await client.get(path, headers=admin)).status_code == 404, path
    assert (await client.get("/org", headers=admin)).json()["name"] == "Charlie Stations 查理"


@pytest.mark.parametrize(("args", "message"), [
    (("--name", "Alpha again", "--slug", "alpha", "--admin-email", "new@alpha2.test"), "--slug: an org with slug"),
    (("--name", "Delta", "--admin-email", "ADMIN@alpha.test"), "--admin-email: admin@alpha.test is already a user"),
    (("--name", "演示", "--admin-email", "x@y.test"), "--slug"),
    (("--name", "Echo", "--admin-email", "adm\u200bin@echo.test"), "--admin-email"),
    (("--name", "Foxtrot", "--slug", "Bad Slug", "--admin-email", "f@f.test"), "--slug"),
])
async def test_create_org_refuses_cleanly_and_writes_nothing(
    world: World, db: asyncpg.Pool, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str,
) -> None:
    before = await counts(db)
    rc = await run_cli(monkeypatch, settings, *args)
    captured = capsys.readouterr()
    assert rc == 2 and message in captured.err, captured
    assert "password" not in captured.out
    assert await counts(db) == before


async def test_create_org_needs_database_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert await asyncio.to_thread(main, ["create-org", "--name", "X", "--admin-email", "x@x.test"]) == 2
    assert "DATABASE_URL" in capsys.readouterr().err
