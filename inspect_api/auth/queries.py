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
    token_version: int  # of the password being checked: a token issued for it carries this


SELECT_LOGIN: Final = "SELECT id, password_hash, active, token_version FROM users WHERE email = $1"


async def login_row(conn: asyncpg.Connection, email: str) -> LoginRow | None:
    return row_to(LoginRow, await conn.fetchrow(SELECT_LOGIN, email))


# The same password under stronger hash parameters: the token generation stays (migration 0017).
MARK_SAME_PASSWORD: Final = "SELECT set_config('inspect_api.same_password', 'on', true)"
UPDATE_PASSWORD_HASH: Final = "UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2"


async def replace_password_hash(conn: asyncpg.Connection, user_id: UUID, old_hash: str, new_hash: str) -> None:
    """Re-hash of the same password, inside a transaction; only if nobody changed the password meanwhile."""
    await conn.execute(MARK_SAME_PASSWORD)
    await conn.execute(UPDATE_PASSWORD_HASH, user_id, old_hash, new_hash)


class LoginAllowance(msgspec.Struct, frozen=True):
    allowed: bool
    retry_after_seconds: int


# Count one attempt for the account (a window starts at the first one, or anew once it has ended) and
# say whether it is within the limit. Capped at limit + 1: refused attempts neither overflow the count
# nor stretch the window. Locks one row only.
COUNT_LOGIN_ATTEMPT: Final = """
INSERT INTO login_attempts AS a (account_key, attempts, window_ends_at)
VALUES ($1, 1, now() + make_interval(secs => $3))
ON CONFLICT (account_key) DO UPDATE
SET attempts = CASE WHEN a.window_ends_at <= now() THEN 1 ELSE LEAST(a.attempts + 1, $2 + 1) END,
    window_ends_at = CASE WHEN a.window_ends_at <= now() THEN EXCLUDED.window_ends_at ELSE a.window_ends_at END
RETURNING attempts <= $2 AS allowed,
          GREATEST(1, ceil(extract(epoch FROM window_ends_at - now())))::int AS retry_after_seconds
"""


async def count_login_attempt(
    conn: asyncpg.Connection, account_key: bytes, limit: int, window_seconds: int
) -> LoginAllowance:
    row = await conn.fetchrow(COUNT_LOGIN_ATTEMPT, account_key, limit, float(window_seconds))
    return msgspec.convert(dict(row), LoginAllowance)


# Rows of ended windows, a few per attempt (each attempt adds at most one), so the table stays small.
# Its own statement, skipping rows others hold: it never waits, so it cannot deadlock with an attempt.
DROP_ENDED_LOGIN_WINDOWS: Final = """
DELETE FROM login_attempts WHERE account_key IN (
    SELECT account_key FROM login_attempts WHERE window_ends_at < now()
    ORDER BY window_ends_at LIMIT 20 FOR UPDATE SKIP LOCKED)
"""


async def drop_ended_login_windows(conn: asyncpg.Connection) -> None:
    await conn.execute(DROP_ENDED_LOGIN_WINDOWS)


CLEAR_LOGIN_ATTEMPTS: Final = "DELETE FROM login_attempts WHERE account_key = $1"


async def clear_login_attempts(conn: asyncpg.Connection, account_key: bytes) -> None:
    await conn.execute(CLEAR_LOGIN_ATTEMPTS, account_key)


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
