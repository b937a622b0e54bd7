"""`seed`: load the seed forms (and, for `dev`, the demo organisation and its inspections) idempotently."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import msgspec

from inspect_api.forms.loader import load_seed_dir
from inspect_api.forms.service import seed_catalogue
from inspect_api.org.demo import seed_demo_org
from inspect_api.settings import Settings
from inspect_api.storage.db import create_pool


async def seed_all(settings: Settings, seed_dir: Path, *, demo: bool) -> list[str]:
    """Seed forms first (visits pin them), then the demo org and its inspections when asked. Returns
    printable lines."""
    forms = load_seed_dir(seed_dir)  # a bad file stops here, before anything is written
    pool = await create_pool(settings.database_url, min_size=1, max_size=4)
    try:
        async with pool.acquire() as conn:
            lines = [outcome.describe() for outcome in await seed_catalogue(conn, forms)]
            if demo:
                lines += await seed_demo_org(conn, hash_cost=(
                    settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism))
        if demo:
            lines += await _seed_demo_inspections(settings, pool)
        return lines
    finally:
        await pool.close()


async def _seed_demo_inspections(settings: Settings, pool: asyncpg.Pool) -> list[str]:
    from inspect_api.app import register_release_hooks
    from inspect_api.org.demo_inspections import seed_demo_inspections
    from inspect_api.storage.blobs import BlobStore

    # Releasing derives item facts and follow-up actions through the release hooks (submissions/hooks.py).
    register_release_hooks()
    # Photo checks in threads: a few dozen small photos do not pay for starting decode processes.
    settings = msgspec.structs.replace(settings, photo_decode_in="thread")
    return await seed_demo_inspections(pool, BlobStore(settings.s3), settings)
