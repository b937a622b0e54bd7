"""SQL for login and /me, one typed function per statement."""

from __future__ import annotations

from typing import Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.auth.schemas import MeOut
from inspect_api.storage.db import row_to


class LoginRow(msgspec.Struct, frozen=True):
    id: UUID
    password_hash: str
    active: bool


SELECT_LOGIN: Final = "SELECT id, password_hash, active FROM users WHERE email = $1"


async def login_row(conn: asyncpg.Connection, email: str) -> LoginRow | None:
    return row_to(LoginRow, await conn.fetchrow(SELECT_LOGIN, email))


UPDATE_PASSWORD_HASH: Final = "UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2"


async def replace_password_hash(conn: asyncpg.Connection, user_id: UUID, old_hash: str, new_hash: str) -> None:
    """Only if nobody changed the password meanwhile."""
    await conn.execute(UPDATE_PASSWORD_HASH, user_id, old_hash, new_hash)


SELECT_ME: Final = """
SELECT u.id AS user_id, u.email, u.display_name, u.role,
       jsonb_build_object('id', o.id, 'slug', o.slug, 'name', o.name) AS org,
       COALESCE((SELECT array_agg(ur.region_id ORDER BY ur.region_id) FROM user_regions ur
                 WHERE ur.user_id = u.id AND ur.org_id = u.org_id), '{}') AS region_ids,
       COALESCE((SELECT array_agg(ub.branch_id ORDER BY ub.branch_id) FROM user_branches ub
                 WHERE ub.user_id = u.id AND ub.org_id = u.org_id), '{}') AS branch_ids
FROM users u JOIN orgs o ON o.id = u.org_id
WHERE u.id = $1 AND u.active
"""


async def me_by_id(conn: asyncpg.Connection, user_id: UUID) -> MeOut | None:
    return row_to(MeOut, await conn.fetchrow(SELECT_ME, user_id))
