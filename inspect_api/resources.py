"""Process-wide resources (DB pool, S3 blob store) and their Litestar DI providers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency

from inspect_api.auth.principal import PrincipalCache, principal_cache
from inspect_api.rankings.cache import RankingsCache
from inspect_api.settings import Settings
from inspect_api.storage.blobs import BlobStore
from inspect_api.storage.changes import ChangeFeed
from inspect_api.storage.db import create_pool
from inspect_api.storage.read_pool import ReadRouter


class Resources(msgspec.Struct):
    pool: asyncpg.Pool
    blobs: BlobStore
    changes: ChangeFeed
    principals: PrincipalCache
    rankings: RankingsCache
    reads: ReadRouter  # the primary, or DATABASE_READ_URL's replica when it has replayed the org's writes


class Stores(msgspec.Struct, frozen=True):
    """The pool, the blob store and the settings as ONE dependency, for handlers that need all three:
    Litestar resolves a request's independent dependencies concurrently, spawning an anyio task per
    dependency in a task group, which on the intake path cost more than the three lookups themselves."""

    pool: asyncpg.Pool
    blobs: BlobStore
    settings: Settings


async def open_resources(settings: Settings) -> Resources:
    pool = await create_pool(settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    changes = ChangeFeed(settings.database_url)
    principals = principal_cache(changes, settings.principal_cache_seconds)
    replica: asyncpg.Pool | None = None
    try:
        if settings.database_read_url:
            replica = await create_pool(settings.database_read_url, min_size=settings.db_pool_min,
                                        max_size=settings.db_pool_max)
        await changes.start()
    except BaseException:
        if replica is not None:
            await replica.close()
        await pool.close()
        raise
    return Resources(pool=pool, blobs=BlobStore(settings.s3), changes=changes, principals=principals,
                     rankings=RankingsCache(), reads=ReadRouter(pool, replica))


async def close_resources(resources: Resources) -> None:
    await resources.changes.close()
    if resources.reads.replica is not None:
        await resources.reads.replica.close()
    await resources.pool.close()


def lifespan_for(settings: Settings):
    """Open the pool and S3 client for the app's lifetime."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        resources = await open_resources(settings)
        app.state.resources = resources
        app.state.stores = Stores(pool=resources.pool, blobs=resources.blobs, settings=settings)
        try:
            yield
        finally:
            await close_resources(resources)

    return lifespan


def resources_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Resources:
    """The app's open resources, for a hot path that would pay more for a DI dependency than for its
    work (resolving one costs ~15 us a request)."""
    return connection.app.state.resources


# Providers take the request, not `state: State`: Litestar validates a `state` argument on every call
# (building a State copy, ~15 us a request), while `request` is passed through unchecked.


def provide_pool(request: Request[Any, Any, Any]) -> asyncpg.Pool:
    return request.app.state.resources.pool


async def provide_read_pool(request: Request[Any, Any, Any]) -> asyncpg.Pool:
    """The pool for the caller's heavy reads: the replica when it has replayed the org's last write."""
    return await request.app.state.resources.reads.pool_for(request.user.org_id)


def provide_blobs(request: Request[Any, Any, Any]) -> BlobStore:
    return request.app.state.resources.blobs


def provide_stores(request: Request[Any, Any, Any]) -> Stores:
    return request.app.state.stores


def provide_settings(request: Request[Any, Any, Any]) -> Settings:
    return request.app.state.settings


# How a handler asks for them (app-level dependencies, see app.py), the caller being `principal: Caller`
# (auth/principal.py): `pool: Pool`, `blobs: Blobs`, `settings: AppSettings`, or `stores: AllStores`
# when it needs all three.
Pool = NamedDependency[asyncpg.Pool]
ReadPool = NamedDependency[asyncpg.Pool]  # `read_pool: ReadPool`: rankings, roll-ups, exports (read_pool.py)
Blobs = NamedDependency[BlobStore]
AppSettings = NamedDependency[Settings]
AllStores = NamedDependency[Stores]
