"""`seed`: load the seed forms (and, for `dev`, the demo organisation) idempotently."""

from __future__ import annotations

from pathlib import Path

from inspect_api.forms.loader import load_seed_dir
from inspect_api.forms.service import seed_catalogue
from inspect_api.org.demo import seed_demo_org
from inspect_api.settings import Settings
from inspect_api.storage.db import create_pool


async def seed_all(settings: Settings, seed_dir: Path, *, demo: bool) -> list[str]:
    """Seed forms first (visits pin them), then the demo org when asked. Returns printable lines."""
    forms = load_seed_dir(seed_dir)  # a bad file stops here, before anything is written
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            lines = [outcome.describe() for outcome in await seed_catalogue(conn, forms)]
            if demo:
                lines += await seed_demo_org(conn)
        return lines
    finally:
        await pool.close()
