"""SQL for device sessions (migrations/0022, auth/sql/device_sessions.sql), one typed function each."""

from __future__ import annotations

from typing import Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.auth.session_schemas import SessionOut
from inspect_api.storage.db import row_to, rows_to

# A live session: not ended and not lapsed.
_LIVE: Final = "s.ended_at IS NULL AND s.expires_at > now()"
_SESSION_COLUMNS: Final = "s.id, s.user_id, s.device_name, s.device_id, s.created_at, s.last_used_at, s.expires_at"

# A new login from a device ends that device's earlier live session ($1 user, $2 device id, $3 org).
END_DEVICE_SESSION: Final = """
UPDATE device_sessions SET ended_at = now(), end_reason = 'replaced'
WHERE org_id = $3 AND user_id = $1 AND device_id = $2 AND ended_at IS NULL
RETURNING id
"""


async def end_device_session(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, device_id: str) -> list[UUID]:
    return [r["id"] for r in await conn.fetch(END_DEVICE_SESSION, user_id, device_id, org_id)]


# $1 org, $2 user, $3 device name, $4 device id, $5 the user's token generation at the password check,
# $6 lifetime in seconds, $7 the first refresh token's hash. Only while the user is active and still at
# that generation (a password changed since the check makes nothing).
INSERT_SESSION: Final = """
WITH s AS (
    INSERT INTO device_sessions (org_id, user_id, device_name, device_id, token_version, expires_at)
    SELECT u.org_id, u.id, $3, $4, $5, now() + make_interval(secs => $6)
    FROM users u WHERE u.id = $2 AND u.org_id = $1 AND u.active AND u.token_version = $5
    RETURNING *
), t AS (
    INSERT INTO device_session_tokens (org_id, token_hash, session_id) SELECT org_id, $7, id FROM s
)
SELECT id FROM s
"""


async def insert_session(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, device_name: str, device_id: str | None,
    token_version: int, ttl_seconds: int, token_hash: bytes,
) -> UUID | None:
    return await conn.fetchval(INSERT_SESSION, org_id, user_id, device_name, device_id, token_version,
                               float(ttl_seconds), token_hash)


class PresentedToken(msgspec.Struct, frozen=True, kw_only=True):
    """A refresh token found by its hash, with its session and user, the session row locked."""

    session_id: UUID
    org_id: UUID
    user_id: UUID
    rotated: bool  # already traded in once: this is a reuse
    ended: bool
    lapsed: bool
    session_token_version: int
    user_active: bool
    user_token_version: int


SELECT_PRESENTED: Final = """
SELECT s.id AS session_id, s.org_id, s.user_id, t.rotated_at IS NOT NULL AS rotated,
       s.ended_at IS NOT NULL AS ended, s.expires_at <= now() AS lapsed,
       s.token_version AS session_token_version, u.active AS user_active, u.token_version AS user_token_version
FROM device_session_tokens t
JOIN device_sessions s ON s.org_id = t.org_id AND s.id = t.session_id
JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id
WHERE t.token_hash = $1
FOR UPDATE OF s
"""


async def presented_token(conn: asyncpg.Connection, token_hash: bytes) -> PresentedToken | None:
    return row_to(PresentedToken, await conn.fetchrow(SELECT_PRESENTED, token_hash))


# Trade the current token $2 of session $1 (org $5) for $3; the session lives $4 seconds from now (sliding).
ROTATE: Final = """
WITH old AS (
    UPDATE device_session_tokens SET rotated_at = now()
    WHERE org_id = $5 AND session_id = $1 AND token_hash = $2 AND rotated_at IS NULL
    RETURNING org_id, session_id
), new AS (
    INSERT INTO device_session_tokens (org_id, token_hash, session_id) SELECT org_id, $3, session_id FROM old
)
UPDATE device_sessions SET last_used_at = now(), expires_at = now() + make_interval(secs => $4)
WHERE org_id = $5 AND id = (SELECT session_id FROM old)
RETURNING id
"""


async def rotate(conn: asyncpg.Connection, org_id: UUID, session_id: UUID, old_hash: bytes, new_hash: bytes,
                 ttl_seconds: int) -> bool:
    return await conn.fetchval(ROTATE, session_id, old_hash, new_hash, float(ttl_seconds), org_id) is not None


END_SESSION: Final = """
UPDATE device_sessions SET ended_at = now(), end_reason = $2
WHERE org_id = $3 AND id = $1 AND ended_at IS NULL RETURNING id
"""


async def end_session(conn: asyncpg.Connection, org_id: UUID, session_id: UUID, reason: str) -> bool:
    return await conn.fetchval(END_SESSION, session_id, reason, org_id) is not None


# The live sessions of user $2 in org $1, most recently used first.
SELECT_LIVE_SESSIONS: Final = f"""
SELECT {_SESSION_COLUMNS} FROM device_sessions s
WHERE s.org_id = $1 AND s.user_id = $2 AND {_LIVE}
ORDER BY s.last_used_at DESC, s.id
LIMIT $3
"""


async def live_sessions(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, limit: int) -> list[SessionOut]:
    return rows_to(SessionOut, await conn.fetch(SELECT_LIVE_SESSIONS, org_id, user_id, limit))


# End user $2's live session $3 in org $1 (reason $4), returning it as it was.
END_USERS_SESSION: Final = f"""
UPDATE device_sessions s SET ended_at = now(), end_reason = $4
WHERE s.org_id = $1 AND s.user_id = $2 AND s.id = $3 AND {_LIVE}
RETURNING {_SESSION_COLUMNS}
"""


async def end_users_session(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, session_id: UUID, reason: str
) -> SessionOut | None:
    return row_to(SessionOut, await conn.fetchrow(END_USERS_SESSION, org_id, user_id, session_id, reason))


USER_IN_ORG: Final = "SELECT EXISTS (SELECT 1 FROM users WHERE org_id = $1 AND id = $2)"


async def user_in_org(conn: asyncpg.Connection, org_id: UUID, user_id: UUID) -> bool:
    return await conn.fetchval(USER_IN_ORG, org_id, user_id)
