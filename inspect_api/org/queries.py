"""SQL for orgs, regions, branches and users: one constant and one typed function per statement.

Scope: every statement takes the caller's org, and reads/writes of regions and branches also filter
with visible_region_ids / visible_branch_ids (org/sql/) using ($1 org, $2 user,
$3 role). Users are admin-only: their scope is the org.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.auth.principal import Principal
from inspect_api.org.schemas import BranchOut, OrgOut, OrgSettings, RegionOut, UserOut
from inspect_api.storage.db import one_to, row_to, rows_to


def _scope(p: Principal) -> tuple[UUID, UUID, str]:
    return (p.org_id, p.user_id, p.role)


# ---- org ---------------------------------------------------------------------------------------

# Settings are read through org_settings() (org/sql/org_settings.sql): typed, defaults filled in.
SELECT_ORG: Final = "SELECT id, slug, name, org_settings(id) AS settings FROM orgs WHERE id = $1"
SELECT_ORG_FOR_UPDATE: Final = SELECT_ORG + " FOR UPDATE"


def _settings(stored: dict[str, Any]) -> OrgSettings:
    """org_settings()'s JSON as OrgSettings. A value stored out of bounds (written around PATCH /org)
    reads as its default rather than failing the request."""
    try:
        return msgspec.convert(stored, OrgSettings)
    except msgspec.ValidationError:
        kept = {}
        for name in OrgSettings.__struct_fields__:
            try:
                msgspec.convert({name: stored.get(name)}, OrgSettings)
                kept[name] = stored[name]
            except (msgspec.ValidationError, KeyError):
                pass
        return msgspec.convert(kept, OrgSettings)


def _org(row: asyncpg.Record | None) -> OrgOut | None:
    if row is None:
        return None
    return OrgOut(id=row["id"], slug=row["slug"], name=row["name"], settings=_settings(row["settings"]))


async def get_org(conn: asyncpg.Connection, org_id: UUID, *, lock: bool = False) -> OrgOut | None:
    return _org(await conn.fetchrow(SELECT_ORG_FOR_UPDATE if lock else SELECT_ORG, org_id))


SELECT_ORG_SETTINGS: Final = "SELECT org_settings($1)"


async def org_settings(conn: asyncpg.Connection, org_id: UUID) -> OrgSettings:
    """THE read of an org's settings in Python (every feature that needs one calls this)."""
    return _settings(await conn.fetchval(SELECT_ORG_SETTINGS, org_id))


# RETURNING cannot read the new settings through org_settings() (the statement's snapshot is the old
# row), so the caller reads the org again.
UPDATE_ORG: Final = """
UPDATE orgs SET name = COALESCE($2, name), settings = settings || $3::jsonb
WHERE id = $1
RETURNING id
"""


async def update_org(conn: asyncpg.Connection, org_id: UUID, name: str | None, settings: dict) -> OrgOut | None:
    if await conn.fetchval(UPDATE_ORG, org_id, name, settings) is None:
        return None
    return await get_org(conn, org_id)


async def mystery_revisit_days(conn: asyncpg.Connection, org_id: UUID, default: int) -> int:
    """The org's mystery_revisit_days (OrgSettings; `default` is kept for callers and is also
    OrgSettings' default)."""
    return (await org_settings(conn, org_id)).mystery_revisit_days


# ---- regions -----------------------------------------------------------------------------------

_REGION_COLUMNS: Final = "r.id, r.code, r.name_zh, r.name_en, r.created_at"
_VISIBLE_REGION: Final = "r.org_id = $1 AND r.id IN (SELECT visible_region_ids($1, $2, $3))"

LIST_REGIONS: Final = f"SELECT {_REGION_COLUMNS} FROM regions r WHERE {_VISIBLE_REGION} ORDER BY r.code"


async def list_regions(conn: asyncpg.Connection, p: Principal) -> list[RegionOut]:
    return rows_to(RegionOut, await conn.fetch(LIST_REGIONS, *_scope(p)))


GET_REGION: Final = f"SELECT {_REGION_COLUMNS} FROM regions r WHERE {_VISIBLE_REGION} AND r.id = $4"
LOCK_REGION: Final = GET_REGION + " FOR UPDATE"


async def get_region(
    conn: asyncpg.Connection, p: Principal, region_id: UUID, *, lock: bool = False
) -> RegionOut | None:
    return row_to(RegionOut, await conn.fetchrow(LOCK_REGION if lock else GET_REGION, *_scope(p), region_id))


SELECT_REGION_IDS_BY_CODE: Final = "SELECT code, id FROM regions WHERE org_id = $1"


async def region_ids_by_code(conn: asyncpg.Connection, org_id: UUID) -> dict[str, UUID]:
    return {row["code"]: row["id"] for row in await conn.fetch(SELECT_REGION_IDS_BY_CODE, org_id)}


SELECT_EXISTING_REGIONS: Final = "SELECT id FROM regions WHERE org_id = $1 AND id = ANY($2::uuid[])"


async def existing_region_ids(conn: asyncpg.Connection, org_id: UUID, ids: Sequence[UUID]) -> set[UUID]:
    return {row["id"] for row in await conn.fetch(SELECT_EXISTING_REGIONS, org_id, list(ids))}


INSERT_REGION: Final = f"""
INSERT INTO regions AS r (org_id, code, name_zh, name_en) VALUES ($1, $2, $3, $4)
RETURNING {_REGION_COLUMNS}
"""


async def insert_region(conn: asyncpg.Connection, org_id: UUID, code: str, name_zh: str, name_en: str) -> RegionOut:
    return one_to(RegionOut, await conn.fetchrow(INSERT_REGION, org_id, code, name_zh, name_en))


UPDATE_REGION: Final = f"""
UPDATE regions AS r SET code = $5, name_zh = $6, name_en = $7
WHERE {_VISIBLE_REGION} AND r.id = $4
RETURNING {_REGION_COLUMNS}
"""


async def update_region(
    conn: asyncpg.Connection, p: Principal, region_id: UUID, code: str, name_zh: str, name_en: str
) -> RegionOut | None:
    return row_to(RegionOut, await conn.fetchrow(UPDATE_REGION, *_scope(p), region_id, code, name_zh, name_en))


DELETE_REGION: Final = f"DELETE FROM regions AS r WHERE {_VISIBLE_REGION} AND r.id = $4 RETURNING r.id"


async def delete_region(conn: asyncpg.Connection, p: Principal, region_id: UUID) -> bool:
    return await conn.fetchval(DELETE_REGION, *_scope(p), region_id) is not None


# ---- branches ----------------------------------------------------------------------------------

_BRANCH_COLUMNS: Final = """
    b.id, b.region_id, r.code AS region_code, b.code, b.name_zh, b.name_en, b.timezone, b.latitude,
    b.longitude, b.address, b.active, b.created_at, b.format"""
_VISIBLE_BRANCH: Final = "b.org_id = $1 AND b.id IN (SELECT visible_branch_ids($1, $2, $3))"

LIST_BRANCHES: Final = f"""
SELECT {_BRANCH_COLUMNS}
FROM branches b JOIN regions r ON r.org_id = b.org_id AND r.id = b.region_id
WHERE {_VISIBLE_BRANCH}
  AND ($4::uuid IS NULL OR b.region_id = $4)
  AND ($5::boolean IS NULL OR b.active = $5)
ORDER BY b.code
LIMIT $6 OFFSET $7
"""


async def list_branches(
    conn: asyncpg.Connection,
    p: Principal,
    *,
    region_id: UUID | None,
    active: bool | None,
    limit: int,
    offset: int,
) -> list[BranchOut]:
    return rows_to(BranchOut, await conn.fetch(LIST_BRANCHES, *_scope(p), region_id, active, limit, offset))


GET_BRANCH: Final = f"""
SELECT {_BRANCH_COLUMNS}
FROM branches b JOIN regions r ON r.org_id = b.org_id AND r.id = b.region_id
WHERE {_VISIBLE_BRANCH} AND b.id = $4
"""
LOCK_BRANCH: Final = GET_BRANCH + " FOR UPDATE OF b"


async def get_branch(
    conn: asyncpg.Connection, p: Principal, branch_id: UUID, *, lock: bool = False
) -> BranchOut | None:
    return row_to(BranchOut, await conn.fetchrow(LOCK_BRANCH if lock else GET_BRANCH, *_scope(p), branch_id))


SELECT_EXISTING_BRANCHES: Final = "SELECT id FROM branches WHERE org_id = $1 AND id = ANY($2::uuid[])"


async def existing_branch_ids(conn: asyncpg.Connection, org_id: UUID, ids: Sequence[UUID]) -> set[UUID]:
    return {row["id"] for row in await conn.fetch(SELECT_EXISTING_BRANCHES, org_id, list(ids))}


INSERT_BRANCH: Final = """
INSERT INTO branches (org_id, region_id, code, name_zh, name_en, timezone, latitude, longitude, address, active,
                      format)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING id
"""


async def insert_branch(
    conn: asyncpg.Connection,
    org_id: UUID,
    *,
    region_id: UUID,
    code: str,
    name_zh: str,
    name_en: str,
    timezone: str,
    latitude: float | None,
    longitude: float | None,
    address: str,
    active: bool,
    format: str | None = None,
) -> UUID:
    return await conn.fetchval(
        INSERT_BRANCH, org_id, region_id, code, name_zh, name_en, timezone, latitude, longitude, address, active,
        format,
    )


UPDATE_BRANCH: Final = """
UPDATE branches AS b
SET region_id = $5, code = $6, name_zh = $7, name_en = $8, timezone = $9, latitude = $10, longitude = $11,
    address = $12, active = $13, format = $14
WHERE b.org_id = $1 AND b.id IN (SELECT visible_branch_ids($1, $2, $3)) AND b.id = $4
RETURNING b.id
"""


async def update_branch(conn: asyncpg.Connection, p: Principal, b: BranchOut) -> bool:
    found = await conn.fetchval(
        UPDATE_BRANCH,
        *_scope(p),
        b.id,
        b.region_id,
        b.code,
        b.name_zh,
        b.name_en,
        b.timezone,
        b.latitude,
        b.longitude,
        b.address,
        b.active,
        b.format,
    )
    return found is not None


DELETE_BRANCH: Final = f"DELETE FROM branches AS b WHERE {_VISIBLE_BRANCH} AND b.id = $4 RETURNING b.id"


async def delete_branch(conn: asyncpg.Connection, p: Principal, branch_id: UUID) -> bool:
    return await conn.fetchval(DELETE_BRANCH, *_scope(p), branch_id) is not None


# One statement for the whole import: parallel arrays unnested into rows, created or updated by code.
UPSERT_BRANCHES: Final = """
INSERT INTO branches AS b (org_id, code, name_zh, name_en, region_id, timezone, latitude, longitude, address, active,
                           format)
SELECT $1, t.code, t.name_zh, t.name_en, t.region_id, t.timezone, t.latitude, t.longitude, t.address, t.active,
       t.format
FROM unnest($2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::float8[], $8::float8[], $9::text[],
            $10::boolean[], $11::text[])
     AS t (code, name_zh, name_en, region_id, timezone, latitude, longitude, address, active, format)
ON CONFLICT (org_id, code) DO UPDATE
SET name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en, region_id = EXCLUDED.region_id,
    timezone = EXCLUDED.timezone, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
    address = EXCLUDED.address, active = EXCLUDED.active, format = EXCLUDED.format
RETURNING (xmax = 0) AS created
"""


async def upsert_branches(conn: asyncpg.Connection, org_id: UUID, columns: dict[str, list]) -> tuple[int, int]:
    """(created, updated). `columns` holds one list per column, all the same length."""
    rows = await conn.fetch(
        UPSERT_BRANCHES,
        org_id,
        columns["code"],
        columns["name_zh"],
        columns["name_en"],
        columns["region_id"],
        columns["timezone"],
        columns["latitude"],
        columns["longitude"],
        columns["address"],
        columns["active"],
        columns["format"],
    )
    created = sum(1 for row in rows if row["created"])
    return created, len(rows) - created


# ---- users -------------------------------------------------------------------------------------

_USER_COLUMNS: Final = """
    u.id, u.email, u.display_name, u.role, u.active, u.created_at,
    ARRAY(SELECT ur.region_id FROM user_regions ur WHERE ur.org_id = u.org_id AND ur.user_id = u.id
          ORDER BY ur.region_id) AS region_ids,
    ARRAY(SELECT ub.branch_id FROM user_branches ub WHERE ub.org_id = u.org_id AND ub.user_id = u.id
          ORDER BY ub.branch_id) AS branch_ids"""

LIST_USERS: Final = f"""
SELECT {_USER_COLUMNS} FROM users u
WHERE u.org_id = $1 AND ($2::text IS NULL OR u.role = $2) AND ($3::boolean IS NULL OR u.active = $3)
ORDER BY u.email
LIMIT $4 OFFSET $5
"""


async def list_users(
    conn: asyncpg.Connection, org_id: UUID, *, role: str | None, active: bool | None, limit: int, offset: int
) -> list[UserOut]:
    return rows_to(UserOut, await conn.fetch(LIST_USERS, org_id, role, active, limit, offset))


GET_USER: Final = f"SELECT {_USER_COLUMNS} FROM users u WHERE u.org_id = $1 AND u.id = $2"
LOCK_USER: Final = GET_USER + " FOR UPDATE OF u"


async def get_user(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, *, lock: bool = False) -> UserOut | None:
    return row_to(UserOut, await conn.fetchrow(LOCK_USER if lock else GET_USER, org_id, user_id))


INSERT_USER: Final = """
INSERT INTO users (org_id, email, display_name, role, password_hash) VALUES ($1, $2, $3, $4, $5)
RETURNING id
"""


async def insert_user(
    conn: asyncpg.Connection, org_id: UUID, email: str, display_name: str, role: str, password_hash: str
) -> UUID:
    return await conn.fetchval(INSERT_USER, org_id, email, display_name, role, password_hash)


UPDATE_USER: Final = """
UPDATE users SET email = $3, display_name = $4, role = $5, active = $6, password_hash = COALESCE($7, password_hash)
WHERE org_id = $1 AND id = $2
"""


async def update_user(
    conn: asyncpg.Connection,
    org_id: UUID,
    user: UserOut,
    password_hash: str | None,
) -> None:
    await conn.execute(
        UPDATE_USER, org_id, user.id, user.email, user.display_name, user.role, user.active, password_hash
    )


DELETE_USER: Final = "DELETE FROM users WHERE org_id = $1 AND id = $2 RETURNING id"


async def delete_user(conn: asyncpg.Connection, org_id: UUID, user_id: UUID) -> bool:
    return await conn.fetchval(DELETE_USER, org_id, user_id) is not None


# Replace a user's assignments in one statement: drop those not listed, add the listed ones of the org.
REPLACE_USER_REGIONS: Final = """
WITH dropped AS (
    DELETE FROM user_regions WHERE org_id = $1 AND user_id = $2 AND NOT (region_id = ANY($3::uuid[]))
)
INSERT INTO user_regions (org_id, user_id, region_id)
SELECT $1, $2, r.id FROM regions r WHERE r.org_id = $1 AND r.id = ANY($3::uuid[])
ON CONFLICT DO NOTHING
"""


async def replace_user_regions(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, region_ids: Sequence[UUID]
) -> None:
    await conn.execute(REPLACE_USER_REGIONS, org_id, user_id, list(region_ids))


REPLACE_USER_BRANCHES: Final = """
WITH dropped AS (
    DELETE FROM user_branches WHERE org_id = $1 AND user_id = $2 AND NOT (branch_id = ANY($3::uuid[]))
)
INSERT INTO user_branches (org_id, user_id, branch_id)
SELECT $1, $2, b.id FROM branches b WHERE b.org_id = $1 AND b.id = ANY($3::uuid[])
ON CONFLICT DO NOTHING
"""


async def replace_user_branches(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, branch_ids: Sequence[UUID]
) -> None:
    await conn.execute(REPLACE_USER_BRANCHES, org_id, user_id, list(branch_ids))
