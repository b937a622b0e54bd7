"""Scratch databases on a Postgres server, for the test session and the benchmarks."""

from __future__ import annotations

from urllib.parse import urlparse, urlunparse

import asyncpg


def with_database(dsn: str, name: str) -> str:
    """The same server DSN pointing at database `name` (keeps user, host, port and query options)."""
    return urlunparse(urlparse(dsn)._replace(path=f"/{name}"))


async def create_database(server_dsn: str, name: str) -> str:
    """Create database `name` on the server and return its DSN."""
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_dsn, name)


async def drop_database(server_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
