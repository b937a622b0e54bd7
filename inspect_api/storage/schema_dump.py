"""Today's schema as one normalised text: `pg_dump --schema-only` of a freshly migrated database.

The checked-in copy is `schema.sql` at the repository root, compared with a fresh migrate by
tests/integration/test_schema_file.py. Regenerate it after any migration or sql/ file change with
REGENERATE_COMMAND (embedded PostgreSQL from the `dev` extra, or the server named by DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

from inspect_api.storage.embedded import EmbeddedPostgres, postgres_bin_dir
from inspect_api.storage.migrations import migrate
from inspect_api.storage.scratch import create_database, drop_database

REGENERATE_COMMAND: Final = ".venv/bin/python -m inspect_api.storage.schema_dump > schema.sql"
SCHEMA_FILE: Final = Path(__file__).resolve().parents[2] / "schema.sql"
# The runner's own bookkeeping, not the application's schema.
RUNNER_TABLES: Final = ("schema_migrations", "schema_functions")
HEADER: Final = (
    "-- Today's schema: pg_dump --schema-only of a freshly migrated database, normalised.\n"
    f"-- Generated, do not edit: {REGENERATE_COMMAND}\n"
    "-- Tables change through migrations/NNNN_*.sql, functions and triggers in inspect_api/<feature>/sql/.\n\n"
)
# Lines that vary with the pg_dump build or session, not with the schema: versions, session settings,
# and the random key newer pg_dump versions print with \restrict / \unrestrict.
VOLATILE_LINE: Final = re.compile(
    r"^(-- Dumped (from|by) |SET [a-z_]+ = .*;$|SELECT pg_catalog\.set_config\(|\\restrict |\\unrestrict )"
)


class SchemaDumpError(RuntimeError):
    pass


def normalise(dump: str) -> str:
    kept = "\n".join(line.rstrip() for line in dump.splitlines() if not VOLATILE_LINE.match(line))
    return HEADER + re.sub(r"\n{3,}", "\n\n", kept).strip() + "\n"


def dump_schema(dsn: str) -> str:
    """The normalised schema of the database at `dsn` (blocking: runs pg_dump)."""
    excluded = [f"--exclude-table=public.{table}" for table in RUNNER_TABLES]
    result = subprocess.run(
        [str(postgres_bin_dir() / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges", *excluded,
         "--dbname", dsn],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise SchemaDumpError(f"pg_dump failed: {result.stderr.strip()}")
    return normalise(result.stdout)


async def migrated_schema(server_dsn: str) -> str:
    """Migrate a new scratch database on the server, dump its schema, drop it."""
    name = f"inspect_schema_{secrets.token_hex(4)}"
    dsn = await create_database(server_dsn, name)
    try:
        await migrate(dsn)
        return await asyncio.to_thread(dump_schema, dsn)
    finally:
        await drop_database(server_dsn, name)


def main() -> int:
    if server_dsn := os.environ.get("DATABASE_URL"):
        sys.stdout.write(asyncio.run(migrated_schema(server_dsn)))
        return 0
    with tempfile.TemporaryDirectory(prefix="inspect-schema-") as tmp:
        postgres = EmbeddedPostgres(Path(tmp) / "postgres")
        try:
            sys.stdout.write(asyncio.run(migrated_schema(postgres.start())))
        finally:
            postgres.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
