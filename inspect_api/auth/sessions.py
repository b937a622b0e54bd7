"""Device sessions (#17, "Offline phones"): a long-lived refresh token bound to one device of a user.

- `POST /auth/login` naming a device (device_name and/or device_id) starts a session and answers, beside
  the access token, its first refresh token. A new login from the same device_id ends that device's
  earlier session ('replaced').
- `POST /auth/refresh` trades the session's current refresh token for a new access token and a new
  refresh token (rotation); the session then lives `refresh_token_ttl_seconds` from now (sliding).
- Presenting a refresh token that was already traded in is reuse: one of two copies is in someone
  else's hands, and which one cannot be told, so the whole session is revoked ('refresh_reuse', with
  an audit row), as the OAuth 2.0 Security BCP (RFC 9700, 4.14.2) asks. A phone that never received
  the answer to a refresh therefore signs in again.
- A session is bound to the user's token generation at login: a new password or an account enabled
  again ends it, and so does disabling the user (a trigger, auth/sql/device_sessions.sql, covers every
  write path); a refresh also checks both.
- The user lists and revokes their own sessions (`/auth/sessions`), an admin those of a user of their
  org (`/users/{id}/sessions`); both write an audit row. Revoking ends the refresh token at once; an
  access token already issued lives out its short `jwt_ttl_seconds`.

Only SHA-256 hashes of refresh tokens are stored: a token is 32 random bytes, so no slow hash is needed,
and a database copy yields no usable token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.audit.service import record
from inspect_api.auth import queries, session_queries
from inspect_api.auth.principal import Principal
from inspect_api.auth.schemas import MeOut
from inspect_api.auth.session_schemas import REFRESH_TOKEN_PREFIX, SessionOut
from inspect_api.errors import NotFound, Unauthorized

MAX_LISTED_SESSIONS = 200
REFRESH_REFUSED = "the refresh token is not valid, or its session has ended: sign in again"
REUSE_REFUSED = "this refresh token was already used, so its session is revoked: sign in again"


class DeviceSession(msgspec.Struct, frozen=True, kw_only=True):
    session_id: UUID
    refresh_token: str


class Refreshed(msgspec.Struct, frozen=True, kw_only=True):
    user: MeOut
    token_version: int
    session: DeviceSession


class RefreshReused(Unauthorized):
    """A rotated refresh token came back; its session was revoked (committed before this is raised)."""


def new_refresh_token() -> str:
    return REFRESH_TOKEN_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def session_name(device_name: str | None, device_id: str | None) -> str | None:
    """What the session is called, or None when the login named no device (no session)."""
    return device_name or device_id


async def start(
    pool: asyncpg.Pool, org_id: UUID, user_id: UUID, token_version: int, *, device_name: str,
    device_id: str | None, ttl_seconds: int,
) -> DeviceSession:
    """A new session for a login that just succeeded (at `token_version`); Unauthorized when the user
    was disabled or their password changed since the password check."""
    token = new_refresh_token()
    async with pool.acquire() as conn, conn.transaction():
        if device_id is not None:
            for replaced in await session_queries.end_device_session(conn, org_id, user_id, device_id):
                await record(conn, None, "auth.session_replaced", target_type="device_session", target_id=replaced,
                             org_id=org_id, actor_id=user_id)
        session_id = await session_queries.insert_session(
            conn, org_id, user_id, device_name, device_id, token_version, ttl_seconds, token_hash(token)
        )
    if session_id is None:
        raise Unauthorized("the account changed while signing in: sign in again")
    return DeviceSession(session_id=session_id, refresh_token=token)


async def refresh(pool: asyncpg.Pool, presented: str, *, ttl_seconds: int) -> Refreshed:
    """Rotate: the presented token is used up, a new one is returned with the caller's current state."""
    old_hash, token = token_hash(presented), new_refresh_token()
    reused = False
    async with pool.acquire() as conn, conn.transaction():
        found = await session_queries.presented_token(conn, old_hash)
        if found is None:
            raise Unauthorized(REFRESH_REFUSED)
        if found.rotated:
            reused = await session_queries.end_session(conn, found.org_id, found.session_id, "refresh_reuse")
            await record(conn, None, "auth.refresh_reuse", target_type="device_session", target_id=found.session_id,
                         org_id=found.org_id, actor_id=found.user_id,
                         after={"session_revoked": reused})
        elif found.ended or found.lapsed:
            raise Unauthorized(REFRESH_REFUSED)
        elif not found.user_active or found.user_token_version != found.session_token_version:
            await session_queries.end_session(
                conn, found.org_id, found.session_id, "credentials_changed" if found.user_active else "user_disabled"
            )
        else:
            user = await queries.me_by_id(conn, found.user_id)
            if user is None or not await session_queries.rotate(conn, found.org_id, found.session_id, old_hash,
                                                                token_hash(token), ttl_seconds):
                raise Unauthorized(REFRESH_REFUSED)
            return Refreshed(user=user, token_version=found.user_token_version,
                             session=DeviceSession(session_id=found.session_id, refresh_token=token))
    # Here only after a commit that ended a session (reuse, or credentials that changed).
    raise RefreshReused(REUSE_REFUSED) if found.rotated else Unauthorized(REFRESH_REFUSED)


async def own_sessions(pool: asyncpg.Pool, caller: Principal) -> list[SessionOut]:
    async with pool.acquire() as conn:
        return await session_queries.live_sessions(conn, caller.org_id, caller.user_id, MAX_LISTED_SESSIONS)


async def revoke_own(pool: asyncpg.Pool, caller: Principal, session_id: UUID) -> None:
    async with pool.acquire() as conn, conn.transaction():
        ended = await session_queries.end_users_session(conn, caller.org_id, caller.user_id, session_id, "revoked")
        if ended is None:
            raise NotFound("no such live session of yours")
        await record(conn, caller, "auth.session_revoked", target_type="device_session", target_id=session_id,
                     before=_audited(ended), after={"end_reason": "revoked"})


async def users_sessions(pool: asyncpg.Pool, admin: Principal, user_id: UUID) -> list[SessionOut]:
    async with pool.acquire() as conn:
        if not await session_queries.user_in_org(conn, admin.org_id, user_id):
            raise NotFound("no such user")
        return await session_queries.live_sessions(conn, admin.org_id, user_id, MAX_LISTED_SESSIONS)


async def revoke_users(pool: asyncpg.Pool, admin: Principal, user_id: UUID, session_id: UUID) -> None:
    async with pool.acquire() as conn, conn.transaction():
        ended = await session_queries.end_users_session(conn, admin.org_id, user_id, session_id, "revoked_by_admin")
        if ended is None:
            raise NotFound("no such live session of this user")
        await record(conn, admin, "auth.session_revoked", target_type="device_session", target_id=session_id,
                     before=_audited(ended), after={"end_reason": "revoked_by_admin"})


def _audited(session: SessionOut) -> dict[str, object]:
    return {"user_id": str(session.user_id), "device_name": session.device_name, "device_id": session.device_id}
