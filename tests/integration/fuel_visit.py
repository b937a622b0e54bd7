"""The seeded fuel-attendant form and one open mystery visit to world.a's b11 for world.a's inspector:
the fixtures the intake tests share (test_submissions, test_proof_integrity). Import `fuel_fixture`
and `http_fixture` into a test module to get the `fuel` and `http` fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from uuid import UUID

import asyncpg
import httpx
import pytest_asyncio

from inspect_api.forms.loader import load_seed_dir
from inspect_api.forms.model import FormDocument
from inspect_api.forms.service import seed_catalogue
from tests.integration.factories import World, make_visit

SEED_DIR: Final = Path(__file__).resolve().parents[2] / "seed_forms"
BRANCH_GPS: Final = {"latitude": 31.2302, "longitude": 121.4701}  # the factory branches stand at 31.23, 121.47


@dataclass
class Fuel:
    form: FormDocument
    version_id: UUID
    visit_id: UUID


@pytest_asyncio.fixture(name="http")
async def http_fixture() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest_asyncio.fixture(name="fuel")
async def fuel_fixture(db: asyncpg.Pool, world: World) -> Fuel:
    forms = {f.key: f for f in load_seed_dir(SEED_DIR)}
    async with db.acquire() as conn:
        await seed_catalogue(conn, list(forms.values()))
        version_id = await conn.fetchval(
            "SELECT v.id FROM form_versions v JOIN forms f ON f.id = v.form_id "
            "WHERE f.key = 'fuel-attendant' AND f.org_id IS NULL AND v.version = 1"
        )
        # The window opened 2.4 h ago and closes in 1.6 h.
        visit_id = await make_visit(conn, world.a.id, world.a.b11, world.a.inspector.id, version_id,
                                    world.a.admin.id, mode="mystery", days_ahead=-0.1)
    return Fuel(forms["fuel-attendant"], version_id, visit_id)
