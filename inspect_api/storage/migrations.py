"""Forward-only SQL migrations: numbered files, one transaction each, checksummed, under an advisory lock."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Final

import asyncpg
import msgspec

# Any constant works; it only has to be the same for every migrator of this schema.
MIGRATION_LOCK_KEY: Final = 0x1A5BEC7  # "inspect"
FILENAME: Final = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
DEFAULT_DIR: Final = Path(__file__).resolve().parents[2] / "migrations"

CREATE_LEDGER: Final = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
SELECT_APPLIED: Final = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
INSERT_APPLIED: Final = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"


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
        checksum = hashlib.sha256(path.read_bytes()).hexdigest()
        files[version] = MigrationFile(version, match["name"], path, checksum)
    return [files[v] for v in sorted(files)]


def _check_consistent(on_disk: list[MigrationFile], applied: list[AppliedMigration]) -> None:
    by_version = {f.version: f for f in on_disk}
    for row in applied:
        file = by_version.get(row.version)
        if file is None:
            raise MigrationError(f"migration {row.version:04d}_{row.name} is applied but its file is gone")
        if file.checksum != row.checksum:
            raise MigrationError(
                f"{file.path.name} was edited after it was applied (checksum {row.checksum[:12]} in the "
                f"database, {file.checksum[:12]} on disk); add a new migration instead"
            )


async def apply_migrations(conn: asyncpg.Connection, directory: Path = DEFAULT_DIR) -> list[MigrationFile]:
    """Apply pending files in order; return those applied. Safe to run from several processes at once."""
    on_disk = read_migration_files(directory)
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
        await conn.execute(CREATE_LEDGER)
        applied = msgspec.convert([dict(r) for r in await conn.fetch(SELECT_APPLIED)], list[AppliedMigration])
        _check_consistent(on_disk, applied)
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
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)


async def migrate(dsn: str, directory: Path = DEFAULT_DIR) -> list[MigrationFile]:
    conn = await asyncpg.connect(dsn)
    try:
        return await apply_migrations(conn, directory)
    finally:
        await conn.close()
