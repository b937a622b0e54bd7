"""Reusable test data: orgs with regions, branches, users of every role, a catalogue form version,
visits; and how tests get a bearer token.

    world = await make_org_world(db)               # two orgs, each 2 regions x 2 branches
    headers = await login(client, world.a.admin.email)
    headers = await login_as(client, world.a.lead)

Every factory user's password is PASSWORD, hashed once with cheap argon2 parameters that match
`fast_settings` (so logging in costs microseconds and never triggers a rehash). Test modules that log
in a lot get them from conftest's `app`, which is built with those settings (a high login rate limit,
cheap hashing).

Modules with many read-only (or non-interfering) cases share one world, app, client and a token per
role of org "alpha" across the module:

    world, app, client, tokens = module_world_fixtures()
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Final
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from inspect_api.app import create_app
from inspect_api.auth.passwords import hasher_for
from inspect_api.settings import Settings
from tests.integration.shared import FAST_HASH_PARAMS, TRUNCATE_ALL, fast_settings

PASSWORD: Final = "correct horse battery staple"
ROLES: Final = ("admin", "regional_lead", "branch_manager", "inspector", "reviewer")


def module_world_fixtures():
    """Module-scoped `world` (built once after truncating), `app`, `client` and `tokens`
    ({role: headers} for world.a's users): conftest's app flavour, shared by the module. Such a module
    must not use `db`, which truncates."""

    @pytest_asyncio.fixture(scope="module")
    async def world(pool: asyncpg.Pool) -> World:
        await pool.execute(TRUNCATE_ALL)
        return await make_org_world(pool)

    @pytest.fixture(scope="module")
    def app(settings: Settings) -> Litestar:
        return create_app(fast_settings(settings))

    @pytest_asyncio.fixture(scope="module")
    async def client(app: Litestar, world: World) -> AsyncIterator[AsyncTestClient[Litestar]]:
        async with AsyncTestClient(app=app) as test_client:
            yield test_client

    @pytest_asyncio.fixture(scope="module")
    async def tokens(client: AsyncTestClient, world: World) -> dict[str, dict[str, str]]:
        return {role: await login_as(client, world.a.user(role)) for role in ROLES}

    return world, app, client, tokens


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hasher_for(
        FAST_HASH_PARAMS["password_time_cost"],
        FAST_HASH_PARAMS["password_memory_kib"],
        FAST_HASH_PARAMS["password_parallelism"],
    ).hash(PASSWORD)


# ---- tokens ------------------------------------------------------------------------------------


async def login(client: AsyncTestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """POST /auth/login and return the Authorization header to send."""
    response = await client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def login_as(client: AsyncTestClient, user: WorldUser) -> dict[str, str]:
    return await login(client, user.email)


# ---- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorldUser:
    id: UUID
    org_id: UUID
    email: str
    role: str


@dataclass(frozen=True)
class OrgWorld:
    """One org. Region r1 holds branches b11, b12; region r2 holds b21, b22.
    lead covers r1; manager runs b11; inspector has visit v11 at b11; inspector2 has v12, v21, v22;
    reviewer (QA, #17) reviews region r1 (an unscoped reviewer would review the whole org)."""

    id: UUID
    slug: str
    r1: UUID
    r2: UUID
    b11: UUID
    b12: UUID
    b21: UUID
    b22: UUID
    admin: WorldUser
    lead: WorldUser
    manager: WorldUser
    inspector: WorldUser
    inspector2: WorldUser
    v11: UUID
    v12: UUID
    v21: UUID
    v22: UUID
    own_form_version_id: UUID  # a published version of this org's own form
    reviewer: WorldUser

    def user(self, role: str) -> WorldUser:
        return {
            "admin": self.admin,
            "regional_lead": self.lead,
            "branch_manager": self.manager,
            "inspector": self.inspector,
            "reviewer": self.reviewer,
        }[role]


@dataclass(frozen=True)
class World:
    a: OrgWorld
    b: OrgWorld
    form_version_id: UUID  # published catalogue version (usable by every org)
    draft_version_id: UUID  # a draft of the same catalogue form


async def make_org(conn: asyncpg.Connection, slug: str, *, settings: dict[str, Any] | None = None) -> UUID:
    return await conn.fetchval(
        "INSERT INTO orgs (slug, name, settings) VALUES ($1, $2, $3) RETURNING id",
        slug,
        f"Org {slug}",
        settings or {},
    )


async def make_region(conn: asyncpg.Connection, org_id: UUID, code: str) -> UUID:
    return await conn.fetchval(
        "INSERT INTO regions (org_id, code, name_zh, name_en) VALUES ($1, $2, $3, $4) RETURNING id",
        org_id,
        code,
        f"{code}区",
        f"Region {code}",
    )


async def make_branch(conn: asyncpg.Connection, org_id: UUID, region_id: UUID, code: str) -> UUID:
    return await conn.fetchval(
        """INSERT INTO branches (org_id, region_id, code, name_zh, name_en, timezone, latitude, longitude)
           VALUES ($1, $2, $3, $4, $5, 'Asia/Shanghai', 31.23, 121.47) RETURNING id""",
        org_id,
        region_id,
        code,
        f"{code}店",
        f"Branch {code}",
    )


async def make_user(
    conn: asyncpg.Connection,
    org_id: UUID,
    email: str,
    role: str,
    *,
    region_ids: tuple[UUID, ...] = (),
    branch_ids: tuple[UUID, ...] = (),
    active: bool = True,
) -> WorldUser:
    user_id = await conn.fetchval(
        """INSERT INTO users (org_id, email, display_name, role, password_hash, active)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
        org_id,
        email,
        email.split("@")[0],
        role,
        password_hash(),
        active,
    )
    for region_id in region_ids:
        await conn.execute(
            "INSERT INTO user_regions (org_id, user_id, region_id) VALUES ($1, $2, $3)", org_id, user_id, region_id
        )
    for branch_id in branch_ids:
        await conn.execute(
            "INSERT INTO user_branches (org_id, user_id, branch_id) VALUES ($1, $2, $3)", org_id, user_id, branch_id
        )
    return WorldUser(id=user_id, org_id=org_id, email=email, role=role)


async def make_form_version(
    conn: asyncpg.Connection, key: str, *, org_id: UUID | None = None, version: int = 1, published: bool = True
) -> UUID:
    """A form version row (minimal document: the forms feature's loader is not involved)."""
    form_id = await conn.fetchval(
        """INSERT INTO forms (org_id, key) VALUES ($1, $2)
           ON CONFLICT (org_id, key) DO UPDATE SET key = EXCLUDED.key RETURNING id""",
        org_id,
        key,
    )
    return await conn.fetchval(
        """INSERT INTO form_versions (form_id, version, status, document, content_hash, published_at)
           VALUES ($1, $2, $3, $4, $5, CASE WHEN $3 = 'published' THEN now() END) RETURNING id""",
        form_id,
        version,
        "published" if published else "draft",
        {"title": {"zh": f"{key} 表", "en": f"{key} form"}},
        f"hash-{key}-{version}",
    )


def future_window(days_ahead: float = 1, hours: float = 4) -> tuple[datetime, datetime]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days_ahead)
    return start, start + timedelta(hours=hours)


async def make_visit(
    conn: asyncpg.Connection,
    org_id: UUID,
    branch_id: UUID,
    inspector_id: UUID,
    form_version_id: UUID,
    created_by: UUID,
    *,
    mode: str = "announced",
    days_ahead: float = 1,
    status: str = "scheduled",
) -> UUID:
    start, end = future_window(days_ahead)
    return await conn.fetchval(
        """INSERT INTO visits (org_id, branch_id, form_version_id, inspector_id, mode, window_start, window_end,
                               created_by, status, cancelled_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $9 = 'cancelled' THEN now() END) RETURNING id""",
        org_id,
        branch_id,
        form_version_id,
        inspector_id,
        mode,
        start,
        end,
        created_by,
        status,
    )


async def _make_one_org(conn: asyncpg.Connection, slug: str, form_version_id: UUID) -> OrgWorld:
    org_id = await make_org(conn, slug)
    r1 = await make_region(conn, org_id, "R1")
    r2 = await make_region(conn, org_id, "R2")
    b11 = await make_branch(conn, org_id, r1, "B11")
    b12 = await make_branch(conn, org_id, r1, "B12")
    b21 = await make_branch(conn, org_id, r2, "B21")
    b22 = await make_branch(conn, org_id, r2, "B22")
    admin = await make_user(conn, org_id, f"admin@{slug}.test", "admin")
    lead = await make_user(conn, org_id, f"lead@{slug}.test", "regional_lead", region_ids=(r1,))
    manager = await make_user(conn, org_id, f"manager@{slug}.test", "branch_manager", branch_ids=(b11,))
    inspector = await make_user(conn, org_id, f"inspector@{slug}.test", "inspector")
    inspector2 = await make_user(conn, org_id, f"inspector2@{slug}.test", "inspector")
    visits = [
        await make_visit(conn, org_id, branch, who.id, form_version_id, admin.id)
        for branch, who in ((b11, inspector), (b12, inspector2), (b21, inspector2), (b22, inspector2))
    ]
    own_form = await make_form_version(conn, f"{slug}-own", org_id=org_id)
    reviewer = await make_user(conn, org_id, f"reviewer@{slug}.test", "reviewer", region_ids=(r1,))
    return OrgWorld(
        org_id, slug, r1, r2, b11, b12, b21, b22, admin, lead, manager, inspector, inspector2, *visits, own_form,
        reviewer,
    )


async def make_org_world(pool: asyncpg.Pool) -> World:
    """Two orgs ("alpha", "bravo") built identically, plus a published and a draft catalogue version."""
    async with pool.acquire() as conn, conn.transaction():
        published = await make_form_version(conn, "catalogue-test")
        draft = await make_form_version(conn, "catalogue-test", version=2, published=False)
        a = await _make_one_org(conn, "alpha", published)
        b = await _make_one_org(conn, "bravo", published)
    return World(a=a, b=b, form_version_id=published, draft_version_id=draft)


@pytest_asyncio.fixture
async def world(db: asyncpg.Pool) -> World:
    return await make_org_world(db)
