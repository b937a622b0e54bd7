from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from inspect_api.storage.migrations import DEFAULT_DIR, MigrationError, migrate, read_migration_files
from inspect_api.storage.scratch import create_database, drop_database
from tests.integration.conftest import Engines


@pytest_asyncio.fixture
async def scratch_dsn(engines: Engines, scratch_db_name: str) -> AsyncIterator[str]:
    dsn = await create_database(engines.server_dsn, scratch_db_name)
    yield dsn
    await drop_database(engines.server_dsn, scratch_db_name)


async def ledger(dsn: str) -> list[tuple[int, str]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations ORDER BY version")
        return [(r["version"], r["checksum"]) for r in rows]
    finally:
        await conn.close()


async def test_second_run_applies_nothing(scratch_dsn: str) -> None:
    first = await migrate(scratch_dsn)
    assert [f.version for f in first] == [f.version for f in read_migration_files()]
    assert await migrate(scratch_dsn) == []
    assert [v for v, _ in await ledger(scratch_dsn)] == [f.version for f in first]


async def test_concurrent_migrators_apply_each_file_once(scratch_dsn: str) -> None:
    results = await asyncio.gather(*(migrate(scratch_dsn) for _ in range(4)))
    applied_versions = sorted(f.version for result in results for f in result)
    expected = [f.version for f in read_migration_files()]
    # Exactly one migrator applied each file; the others found it done.
    assert applied_versions == expected
    assert [v for v, _ in await ledger(scratch_dsn)] == expected


async def test_edited_applied_migration_is_refused(scratch_dsn: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(DEFAULT_DIR, directory)
    await migrate(scratch_dsn, directory)
    first = sorted(directory.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- an innocent-looking edit\n")
    with pytest.raises(MigrationError, match=re.escape(f"{first.name} was edited after it was applied")):
        await migrate(scratch_dsn, directory)


async def test_failed_file_stops_loudly_and_leaves_nothing(scratch_dsn: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "0001_ok.sql").write_text("CREATE TABLE one (id int);")
    (directory / "0002_broken.sql").write_text("CREATE TABLE two (id int); SELECT no_such_function();")
    (directory / "0003_later.sql").write_text("CREATE TABLE three (id int);")
    with pytest.raises(MigrationError, match=re.escape("0002_broken.sql failed and was rolled back")):
        await migrate(scratch_dsn, directory)
    conn = await asyncpg.connect(scratch_dsn)
    try:
        tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
    finally:
        await conn.close()
    assert tables == {"schema_migrations", "one"}  # "two" rolled back, "three" never attempted
    assert [v for v, _ in await ledger(scratch_dsn)] == [1]


def test_badly_named_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "1_Create.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=re.escape("NNNN_lower_snake.sql")):
        read_migration_files(tmp_path)
