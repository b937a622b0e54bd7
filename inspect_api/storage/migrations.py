"""The schema's runner: numbered table migrations, then every feature's SQL functions and triggers.

1. Tables: `migrations/NNNN_name.sql`, forward-only, applied in order, one transaction each, checksummed
   (`schema_migrations`): an applied file is never edited, a change is a new file.
2. Functions and triggers: `inspect_api/<feature>/sql/*.sql`, each file the CURRENT definition of the
   feature's functions (and the triggers that call them), written to be re-run: `CREATE OR REPLACE
   FUNCTION`, `CREATE OR REPLACE TRIGGER`. After the migrations, in one transaction, the runner applies
   every file that is new or changed since it last applied it (checksums in `schema_functions`), and
   all of them after any numbered migration was applied (one may have dropped what a file defines).
   Files apply in path order: features alphabetically, files by name within a feature. A SQL-language
   function or a trigger needs what it calls to exist first (plpgsql resolves names only when called),
   so name such a file to sort after its dependency (a `NN_` prefix where names do not already).

Rules for changing a function:
- Edit its file; the next migrate re-applies it. The file is what the database holds.
- `CREATE OR REPLACE` cannot change a function's arguments or result type, nor rename anything: a
  numbered migration DROPs the old one first (the file then creates the new one in the same run).
- A function removed from sql/ (or a trigger removed from its file) stays in the database until a
  numbered migration DROPs it: removing the file alone leaves it there.
- Migrations run before the files, so a migration never relies on a file's new definition.

Everything runs under one advisory lock, so several processes may migrate at once. `inspect-api
migrate`, `inspect-api dev`, the test fixtures and the benches all call `migrate`.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Final

import asyncpg
import msgspec

from inspect_api.bundled import MIGRATIONS_DIR

# Any constant works; it only has to be the same for every migrator of this schema.
MIGRATION_LOCK_KEY: Final = 0x1A5BEC7  # "inspect"
FILENAME: Final = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
SQL_FILENAME: Final = re.compile(r"^[a-z0-9_]+\.sql$")
# The repository's migrations/ in a checkout, the copy inside the package in a wheel (bundled.py).
DEFAULT_DIR: Final = MIGRATIONS_DIR
# The package: its <feature>/sql/*.sql files (shipped inside the wheel with the code).
DEFAULT_SQL_ROOT: Final = Path(__file__).resolve().parents[1]

CREATE_LEDGER: Final = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
SELECT_APPLIED: Final = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
RERECORD_APPLIED: Final = "UPDATE schema_migrations SET checksum = $2 WHERE version = $1"
# The checksums an applied migration had before a comment-only correction, accepted in place of today's
# (the ledger row then moves to today's checksum). Only for comments: a change to what a file does is a
# new migration. 0008: its comment named auth/principal_cache.py, since merged into auth/principal.py.
EARLIER_CHECKSUMS: Final[dict[int, frozenset[str]]] = {
    8: frozenset({"88b12f51371aefa1dac03a6db51d91b50d1b2b17a11ec19077d00bc7b2603bb9"}),
}
INSERT_APPLIED: Final = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"

CREATE_SQL_LEDGER: Final = """
CREATE TABLE IF NOT EXISTS schema_functions (
    path       text PRIMARY KEY,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
SELECT_SQL_APPLIED: Final = "SELECT path, checksum FROM schema_functions"
UPSERT_SQL_APPLIED: Final = """
INSERT INTO schema_functions (path, checksum) VALUES ($1, $2)
ON CONFLICT (path) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()"""
# Rows of files no longer on disk (their functions are dropped by a numbered migration).
DELETE_SQL_GONE: Final = "DELETE FROM schema_functions WHERE NOT path = ANY($1::text[])"


class MigrationError(RuntimeError):
    """The migration set on disk does not match the database, or a file failed."""


class MigrationFile(msgspec.Struct, frozen=True):
    version: int
    name: str
    path: Path
    checksum: str


class AppliedMigration(msgspec.Struct, frozen=True):
    version: int
    name: str
    checksum: str


class SqlFile(msgspec.Struct, frozen=True):
    """One feature's function file; `name` is its path under the package, e.g. `org/sql/x.sql`."""

    name: str
    path: Path
    checksum: str


class MigrationRun(msgspec.Struct, frozen=True):
    migrations: list[MigrationFile]
    sql_files: list[SqlFile]


def _checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_migration_files(directory: Path = DEFAULT_DIR) -> list[MigrationFile]:
    files: dict[int, MigrationFile] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix != ".sql":
            continue
        match = FILENAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files must be named NNNN_lower_snake.sql")
        version = int(match["version"])
        if version in files:
            raise MigrationError(f"{path.name}: version {version} is used by {files[version].path.name} too")
        files[version] = MigrationFile(version, match["name"], path, _checksum(path))
    return [files[v] for v in sorted(files)]


def read_sql_files(root: Path = DEFAULT_SQL_ROOT) -> list[SqlFile]:
    """Every `<feature>/sql/*.sql` under root, in the order they apply."""
    files: list[SqlFile] = []
    for path in sorted(root.glob("*/sql/*.sql"), key=lambda p: p.relative_to(root).as_posix()):
        name = path.relative_to(root).as_posix()
        if SQL_FILENAME.match(path.name) is None:
            raise MigrationError(f"{name}: function files must be named lower_snake.sql")
        files.append(SqlFile(name, path, _checksum(path)))
    return files


def _check_consistent(on_disk: list[MigrationFile], applied: list[AppliedMigration]) -> list[MigrationFile]:
    """Refuse an edited or missing applied file; return the files applied under an earlier checksum."""
    by_version = {f.version: f for f in on_disk}
    rerecord: list[MigrationFile] = []
    for row in applied:
        file = by_version.get(row.version)
        if file is None:
            raise MigrationError(f"migration {row.version:04d}_{row.name} is applied but its file is gone")
        if file.checksum != row.checksum and row.checksum in EARLIER_CHECKSUMS.get(row.version, frozenset()):
            rerecord.append(file)
        elif file.checksum != row.checksum:
            raise MigrationError(
                f"{file.path.name} was edited after it was applied (checksum {row.checksum[:12]} in the "
                f"database, {file.checksum[:12]} on disk); add a new migration instead"
            )
    return rerecord


async def _apply_numbered(conn: asyncpg.Connection, on_disk: list[MigrationFile]) -> list[MigrationFile]:
    await conn.execute(CREATE_LEDGER)
    applied = msgspec.convert([dict(r) for r in await conn.fetch(SELECT_APPLIED)], list[AppliedMigration])
    for file in _check_consistent(on_disk, applied):
        await conn.execute(RERECORD_APPLIED, file.version, file.checksum)
    done = {row.version for row in applied}
    newly_applied: list[MigrationFile] = []
    for file in on_disk:
        if file.version in done:
            continue
        try:
            async with conn.transaction():
                await conn.execute(file.path.read_text(encoding="utf-8"))
                await conn.execute(INSERT_APPLIED, file.version, file.name, file.checksum)
        except asyncpg.PostgresError as exc:
            raise MigrationError(f"{file.path.name} failed and was rolled back: {exc}") from exc
        newly_applied.append(file)
    return newly_applied


async def _apply_sql_files(conn: asyncpg.Connection, files: list[SqlFile], *, all_files: bool) -> list[SqlFile]:
    """Apply new or changed files (every file when `all_files`), all or none."""
    async with conn.transaction():
        await conn.execute(CREATE_SQL_LEDGER)
        recorded = {r["path"]: r["checksum"] for r in await conn.fetch(SELECT_SQL_APPLIED)}
        pending = [f for f in files if all_files or recorded.get(f.name) != f.checksum]
        for file in pending:
            try:
                async with conn.transaction():  # a savepoint: the error names the file
                    await conn.execute(file.path.read_text(encoding="utf-8"))
            except asyncpg.PostgresError as exc:
                raise MigrationError(f"{file.name} failed; no function file was applied: {exc}") from exc
            await conn.execute(UPSERT_SQL_APPLIED, file.name, file.checksum)
        await conn.execute(DELETE_SQL_GONE, [f.name for f in files])
    return pending


async def apply_migrations(
    conn: asyncpg.Connection, directory: Path = DEFAULT_DIR, sql_root: Path | None = DEFAULT_SQL_ROOT
) -> MigrationRun:
    """Apply pending migrations in order, then the function files due (none when `sql_root` is None);
    return what was applied. Safe to run from several processes at once."""
    on_disk = read_migration_files(directory)
    sql_files = read_sql_files(sql_root) if sql_root is not None else []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
        migrations = await _apply_numbered(conn, on_disk)
        applied_sql = await _apply_sql_files(conn, sql_files, all_files=bool(migrations)) if sql_files else []
        return MigrationRun(migrations, applied_sql)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)


async def migrate(
    dsn: str, directory: Path = DEFAULT_DIR, sql_root: Path | None = DEFAULT_SQL_ROOT
) -> MigrationRun:
    conn = await asyncpg.connect(dsn)
    try:
        return await apply_migrations(conn, directory, sql_root)
    finally:
        await conn.close()
