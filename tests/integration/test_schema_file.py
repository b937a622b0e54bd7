"""schema.sql is today's schema: what a fresh migrate produces, so every schema change shows in its diff."""

from __future__ import annotations

import difflib

import pytest

from inspect_api.storage.schema_dump import REGENERATE_COMMAND, SCHEMA_FILE, migrated_schema, normalise
from tests.integration.conftest import Engines


async def test_schema_sql_is_what_a_fresh_migrate_produces(engines: Engines) -> None:
    fresh = await migrated_schema(engines.server_dsn)
    checked_in = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
    if fresh != checked_in:
        diff = "".join(difflib.unified_diff(
            checked_in.splitlines(keepends=True), fresh.splitlines(keepends=True),
            "schema.sql (checked in)", "schema after a fresh migrate",
        ))
        pytest.fail(f"schema.sql is not today's schema; regenerate it with\n    {REGENERATE_COMMAND}\n{diff}")


def test_normalise_drops_what_varies_with_the_pg_dump_build() -> None:
    dump = (
        "--\n-- PostgreSQL database dump\n--\n\n\\restrict 3kQ9xYzRandomKey\n\n"
        "-- Dumped from database version 16.2\n-- Dumped by pg_dump version 17.6\n\n"
        "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\n\n\n"
        "CREATE TABLE public.t (\n    id integer\n);   \n\n\\unrestrict 3kQ9xYzRandomKey\n"
    )
    normalised = normalise(dump)
    for gone in ("restrict", "Dumped", "statement_timeout", "set_config", "   \n", "\n\n\n"):
        assert gone not in normalised
    assert normalised.endswith("--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE public.t (\n    id integer\n);\n")
