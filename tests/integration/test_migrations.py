from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

import inspect_api
from inspect_api.storage.migrations import (
    DEFAULT_DIR,
    DEFAULT_SQL_ROOT,
    EARLIER_CHECKSUMS,
    MigrationError,
    migrate,
    read_migration_files,
    read_sql_files,
)
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


async def sql_ledger(dsn: str) -> dict[str, str]:
    conn = await asyncpg.connect(dsn)
    try:
        return {r["path"]: r["checksum"] for r in await conn.fetch("SELECT path, checksum FROM schema_functions")}
    finally:
        await conn.close()


async def fetch_one(dsn: str, query: str) -> object:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()


def copy_sql_files(destination: Path) -> Path:
    """The package's <feature>/sql/ files alone, to edit in a test."""
    for file in read_sql_files():
        target = destination / file.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file.path, target)
    return destination


async def test_second_run_applies_nothing(scratch_dsn: str) -> None:
    first = await migrate(scratch_dsn)
    assert [f.version for f in first.migrations] == [f.version for f in read_migration_files()]
    assert [f.name for f in first.sql_files] == [f.name for f in read_sql_files()]
    second = await migrate(scratch_dsn)
    assert (second.migrations, second.sql_files) == ([], [])
    assert [v for v, _ in await ledger(scratch_dsn)] == [f.version for f in first.migrations]
    assert await sql_ledger(scratch_dsn) == {f.name: f.checksum for f in read_sql_files()}


async def test_concurrent_migrators_apply_each_file_once(scratch_dsn: str) -> None:
    results = await asyncio.gather(*(migrate(scratch_dsn) for _ in range(4)))
    applied_versions = sorted(f.version for result in results for f in result.migrations)
    expected = [f.version for f in read_migration_files()]
    # Exactly one migrator applied each file; the others found it done.
    assert applied_versions == expected
    assert [v for v, _ in await ledger(scratch_dsn)] == expected
    # The first migrator applied the function files; the others found them recorded.
    assert sorted(len(result.sql_files) for result in results) == [0, 0, 0, len(read_sql_files())]


async def test_edited_applied_migration_is_refused(scratch_dsn: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(DEFAULT_DIR, directory)
    await migrate(scratch_dsn, directory)
    first = sorted(directory.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- an innocent-looking edit\n")
    with pytest.raises(MigrationError, match=re.escape(f"{first.name} was edited after it was applied")):
        await migrate(scratch_dsn, directory)


async def test_an_earlier_checksum_of_a_comment_correction_is_accepted_and_rerecorded(scratch_dsn: str) -> None:
    """0008's comment was corrected (#19); a database that applied the earlier text still migrates."""
    await migrate(scratch_dsn)
    (earlier,) = EARLIER_CHECKSUMS[8]
    conn = await asyncpg.connect(scratch_dsn)
    try:
        await conn.execute("UPDATE schema_migrations SET checksum = $1 WHERE version = 8", earlier)
    finally:
        await conn.close()
    await migrate(scratch_dsn)
    today = {f.version: f.checksum for f in read_migration_files()}
    assert dict(await ledger(scratch_dsn))[8] == today[8] != earlier


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


DEFINED_IN_SQL_FILES = re.compile(r"^CREATE OR REPLACE (FUNCTION|TRIGGER) (\w+)", re.MULTILINE)
FUNCTIONS_AND_TRIGGERS = """
SELECT 'FUNCTION' AS kind, p.proname AS name FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')  -- extensions' own
UNION ALL
SELECT 'TRIGGER', t.tgname FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND NOT t.tgisinternal
"""


async def test_every_function_and_trigger_has_its_file_in_a_feature(scratch_dsn: str) -> None:
    """Today's definition of each is found in <feature>/sql/, not only in the migration that made it."""
    await migrate(scratch_dsn)
    conn = await asyncpg.connect(scratch_dsn)
    try:
        in_database = {(r["kind"], r["name"]) for r in await conn.fetch(FUNCTIONS_AND_TRIGGERS)}
    finally:
        await conn.close()
    in_files = {
        (kind, name) for file in read_sql_files() for kind, name in DEFINED_IN_SQL_FILES.findall(file.path.read_text())
    }
    assert in_database - in_files == set(), "defined only by migrations: give each a file in its feature's sql/"
    assert in_files - in_database == set(), "in a file but not in the database"


async def test_changed_sql_file_alone_is_applied_again(scratch_dsn: str, tmp_path: Path) -> None:
    sql_root = copy_sql_files(tmp_path / "package")
    await migrate(scratch_dsn, sql_root=sql_root)
    changed = sql_root / "org" / "sql" / "visible_region_ids.sql"
    changed.write_text(changed.read_text().replace("LANGUAGE sql STABLE PARALLEL SAFE", "LANGUAGE sql STABLE"))
    run = await migrate(scratch_dsn, sql_root=sql_root)
    assert (run.migrations, [f.name for f in run.sql_files]) == ([], ["org/sql/visible_region_ids.sql"])
    assert await fetch_one(scratch_dsn, "SELECT proparallel FROM pg_proc WHERE proname = 'visible_region_ids'") == b"u"
    new_checksum = {f.name: f.checksum for f in read_sql_files(sql_root)}["org/sql/visible_region_ids.sql"]
    assert (await sql_ledger(scratch_dsn))["org/sql/visible_region_ids.sql"] == new_checksum
    assert (await migrate(scratch_dsn, sql_root=sql_root)).sql_files == []


async def test_new_migration_reapplies_every_sql_file(scratch_dsn: str, tmp_path: Path) -> None:
    """A migration may drop what a file defines (a column dropped with CASCADE takes its triggers):
    every file is applied again after it, changed or not."""
    directory = tmp_path / "migrations"
    shutil.copytree(DEFAULT_DIR, directory)
    await migrate(scratch_dsn, directory)
    (directory / "9999_drop_a_trigger.sql").write_text("DROP TRIGGER users_token_version ON users;")
    run = await migrate(scratch_dsn, directory)
    assert [f.version for f in run.migrations] == [9999]
    assert [f.name for f in run.sql_files] == [f.name for f in read_sql_files()]
    assert await fetch_one(scratch_dsn, "SELECT count(*) FROM pg_trigger WHERE tgname = 'users_token_version'") == 1


async def test_failing_sql_file_is_named_and_applies_no_file(scratch_dsn: str, tmp_path: Path) -> None:
    sql_root = copy_sql_files(tmp_path / "package")
    await migrate(scratch_dsn, sql_root=sql_root)
    before = await sql_ledger(scratch_dsn)
    first = sql_root / "auth" / "sql" / "principal_changed.sql"
    first.write_text(first.read_text() + "\nCOMMENT ON FUNCTION notify_principal_changed() IS 'edited';\n")
    broken = sql_root / "rankings" / "sql" / "rankings_generation.sql"
    broken.write_text(broken.read_text() + "\nSELECT no_such_function();\n")
    with pytest.raises(MigrationError, match=re.escape("rankings/sql/rankings_generation.sql failed")):
        await migrate(scratch_dsn, sql_root=sql_root)
    assert await sql_ledger(scratch_dsn) == before
    # The file applied before the broken one was rolled back with it.
    assert await fetch_one(scratch_dsn, "SELECT obj_description('notify_principal_changed'::regproc)") is None


def test_sql_files_are_found_inside_the_package() -> None:
    """The runner reads them beside the code (the wheel ships them), one folder per feature."""
    files = read_sql_files()
    assert Path(inspect_api.__file__).resolve().parent == DEFAULT_SQL_ROOT
    assert "submissions/sql/intake_context.sql" in [f.name for f in files]
    assert all(f.path.is_relative_to(DEFAULT_SQL_ROOT) for f in files)


def test_badly_named_sql_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "org" / "sql").mkdir(parents=True)
    (tmp_path / "org" / "sql" / "Scope.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=re.escape("org/sql/Scope.sql: function files must be named")):
        read_sql_files(tmp_path)
