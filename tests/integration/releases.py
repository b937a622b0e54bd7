"""Test helpers for roll-ups and actions: a seeded catalogue, ad-hoc inspections on chosen local dates,
approved and released through the HTTP API like QA does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import pytest_asyncio
from litestar.testing import AsyncTestClient

from inspect_api.forms.loader import load_seed_dir
from inspect_api.forms.model import FormDocument
from inspect_api.forms.service import seed_catalogue
from inspect_api.rankings.stats import period_start
from tests.integration.factories import World, login_as
from tests.integration.phone import answers_for, submission_body

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_forms"
BRANCH_ZONE = ZoneInfo("Asia/Shanghai")  # the factories' branches
FUEL = "fuel-attendant"


@dataclass
class Catalogue:
    form: FormDocument
    version_id: UUID


@pytest_asyncio.fixture
async def fuel_catalogue(db: asyncpg.Pool, world: World) -> Catalogue:
    """The seed forms in the catalogue, and ad-hoc inspections allowed in org alpha."""
    forms = {f.key: f for f in load_seed_dir(SEED_DIR)}
    async with db.acquire() as conn:
        await seed_catalogue(conn, list(forms.values()))
        version_id = await conn.fetchval(
            "SELECT v.id FROM form_versions v JOIN forms f ON f.id = v.form_id "
            "WHERE f.key = $1 AND f.org_id IS NULL AND v.version = 1", FUEL)
        await conn.execute(
            """UPDATE orgs SET settings = settings || '{"allow_adhoc_submissions": true}'::jsonb WHERE id = $1""",
            world.a.id)
    return Catalogue(forms[FUEL], version_id)


def reference_month() -> date:
    """A whole month safely in the past (so every visit date in it and the month before is allowed)."""
    return period_start("month", datetime.now(BRANCH_ZONE).date() - timedelta(days=75))


def previous_month(month: date) -> date:
    return period_start("month", month - timedelta(days=1))


def local_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), BRANCH_ZONE).astimezone(UTC)


async def set_org_settings(db: asyncpg.Pool, org_id: UUID, **values: Any) -> None:
    await db.execute("UPDATE orgs SET settings = settings || $2::jsonb WHERE id = $1", org_id, values)


class Inspections:
    """Submit (ad hoc, as world.a.inspector), approve and release (as world.a.admin) over HTTP."""

    def __init__(self, client: AsyncTestClient, world: World, catalogue: Catalogue) -> None:
        self.client = client
        self.world = world
        self.catalogue = catalogue
        self._headers: dict[str, dict[str, str]] = {}

    async def headers(self, role: str) -> dict[str, str]:
        if role not in self._headers:
            self._headers[role] = await login_as(self.client, self.world.a.user(role))
        return self._headers[role]

    async def submit(self, branch_id: UUID, day: date, *, failing: tuple[str, ...] = ()) -> dict[str, Any]:
        finished = local_noon(day)
        body = submission_body(
            answers_for(self.catalogue.form, failing=set(failing)),
            branch_id=str(branch_id), form_version_id=str(self.catalogue.version_id),
            started_at=(finished - timedelta(minutes=20)).isoformat(), finished_at=finished.isoformat(),
        )
        response = await self.client.post("/submissions", json=body, headers=await self.headers("inspector"))
        assert response.status_code == 201, response.text
        return response.json()

    async def release(self, submission_id: str) -> None:
        admin = await self.headers("admin")
        approved = await self.client.post(f"/submissions/{submission_id}/approve", headers=admin)
        assert approved.status_code == 200, approved.text
        released = await self.client.post(f"/submissions/{submission_id}/release", headers=admin)
        assert released.status_code == 200, released.text

    async def released(self, branch_id: UUID, day: date, *, failing: tuple[str, ...] = ()) -> dict[str, Any]:
        receipt = await self.submit(branch_id, day, failing=failing)
        await self.release(receipt["submission_id"])
        return receipt
