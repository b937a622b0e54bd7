"""Session-scoped real engines: embedded Postgres + SeaweedFS, or the ones named by the environment.

With DATABASE_URL set, a fresh database is created on that server for the session (and dropped after);
with S3_ENDPOINT_URL set, a fresh bucket is used. Otherwise both engines run embedded in a temp dir.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from inspect_api.app import create_app
from inspect_api.settings import S3Settings, Settings, s3_from_env
from inspect_api.storage.blobs import ensure_bucket
from inspect_api.storage.db import create_pool
from inspect_api.storage.embedded import EmbeddedPostgres, EmbeddedSeaweed
from inspect_api.storage.migrations import migrate
from inspect_api.storage.scratch import create_database, drop_database
from tests.integration.shared import TRUNCATE_ALL, fast_settings

TEST_JWT_SECRET = "test-secret-" + "x" * 40


@dataclass
class Engines:
    server_dsn: str  # maintenance connection on the server (to create scratch databases)
    database_url: str  # the session's own database
    s3: S3Settings
    seaweed: EmbeddedSeaweed | None  # None when S3 is external (outage tests skip)
    postgres: EmbeddedPostgres | None


@pytest_asyncio.fixture(scope="session")
async def engines(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Engines]:
    base: Path = tmp_path_factory.mktemp("engines")
    postgres: EmbeddedPostgres | None = None
    seaweed: EmbeddedSeaweed | None = None
    if os.environ.get("DATABASE_URL"):
        server_dsn = os.environ["DATABASE_URL"]
    else:
        postgres = EmbeddedPostgres(base / "postgres")
        server_dsn = postgres.start()
    try:
        if os.environ.get("S3_ENDPOINT_URL"):
            s3 = s3_from_env(os.environ | {"S3_BUCKET": f"inspect-test-{secrets.token_hex(4)}"})
            ensure_bucket(s3)
        else:
            seaweed = EmbeddedSeaweed(base / "seaweed", bucket="inspect-test")
            s3 = seaweed.start()
        db_name = f"inspect_test_{secrets.token_hex(4)}"
        database_url = await create_database(server_dsn, db_name)
        await migrate(database_url)
        yield Engines(server_dsn, database_url, s3, seaweed, postgres)
        await drop_database(server_dsn, db_name)
    finally:
        if seaweed:
            seaweed.stop(grace=3)
        if postgres:
            postgres.stop()


@pytest.fixture(scope="session")
def settings(engines: Engines) -> Settings:
    return Settings(database_url=engines.database_url, s3=engines.s3, jwt_secret=TEST_JWT_SECRET)


@pytest_asyncio.fixture(scope="session")
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    """The tests' own pool, for arranging and checking rows. The app under test opens its own in its
    lifespan: AsyncTestClient runs the app on a separate event loop, so the two cannot share one."""
    test_pool = await create_pool(settings.database_url, min_size=1, max_size=5)
    yield test_pool
    await test_pool.close()


@pytest_asyncio.fixture
async def db(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Pool]:
    """A clean database for each test that asks for it (directly or through `client`)."""
    await pool.execute(TRUNCATE_ALL)
    yield pool


@pytest.fixture
def app(settings: Settings, db: asyncpg.Pool) -> Litestar:
    """The one app flavour (fast_settings); a test needing other settings builds its own from them."""
    return create_app(fast_settings(settings))


@pytest_asyncio.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture
def scratch_db_name() -> Iterator[str]:
    yield f"inspect_scratch_{secrets.token_hex(4)}"


# Shared factories (two-org world, login helpers, fast app settings): tests/integration/factories.py
from tests.integration.factories import world  # noqa: E402, F401
