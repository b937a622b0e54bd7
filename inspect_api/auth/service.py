"""Login and /me. Services own their transactions; password checks run outside any connection."""

from __future__ import annotations

import hashlib

import asyncpg
import msgspec
from argon2 import PasswordHasher

from inspect_api.audit.service import record
from inspect_api.auth import queries
from inspect_api.auth.emails import normalise_email
from inspect_api.auth.passwords import hash_password, needs_rehash, verify_password
from inspect_api.auth.principal import Principal
from inspect_api.auth.schemas import MeOut
from inspect_api.errors import DomainError, NotFound, Unauthorized

BAD_LOGIN = "wrong e-mail or password, or the account is disabled"


class LoginLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Per account: at most `attempts` logins without a success per `window_seconds`."""

    attempts: int
    window_seconds: int


class LoginThrottled(DomainError):
    """Too many attempts for this e-mail (whoever sends them); the route adds Retry-After."""

    status = 429
    type_slug = "too-many-requests"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("too many login attempts for this account: try again later")
        self.retry_after_seconds = retry_after_seconds


class LoggedIn(msgspec.Struct, frozen=True, kw_only=True):
    user: MeOut
    token_version: int  # the user's token generation when the password was checked


def account_key(email: str) -> bytes:
    """The throttle's key for a normalised e-mail (migration 0017: typed addresses are not kept)."""
    return hashlib.sha256(email.encode()).digest()


async def login(pool: asyncpg.Pool, hasher: PasswordHasher, limits: LoginLimits, email: str,
                password: str) -> LoggedIn:
    """The user for a right e-mail + password of an active user; Unauthorized otherwise (one message
    for every failure). The attempt is counted for the account first, known or not (LoginThrottled
    beyond the limit, before any password check); a success clears the count. Upgrades the stored hash
    when the configured cost changed."""
    canonical = normalise_email(email)
    key = account_key(canonical)
    async with pool.acquire() as conn:
        allowance = await queries.count_login_attempt(conn, key, limits.attempts, limits.window_seconds)
        await queries.drop_ended_login_windows(conn)
        if not allowance.allowed:
            raise LoginThrottled(allowance.retry_after_seconds)
        row = await queries.login_row(conn, canonical)
    ok = await verify_password(hasher, row.password_hash if row else None, password)
    if row is None or not ok or not row.active:
        async with pool.acquire() as conn:  # the typed address is not kept: the account key names it
            await record(conn, None, "auth.login_failed", target_type="account", target_id=key.hex()[:32],
                         actor_id=row.id if row else None)
        raise Unauthorized(BAD_LOGIN)
    if needs_rehash(hasher, row.password_hash):
        new_hash = await hash_password(hasher, password)
        async with pool.acquire() as conn, conn.transaction():
            await queries.replace_password_hash(conn, row.id, row.password_hash, new_hash)
    async with pool.acquire() as conn, conn.transaction():
        await queries.clear_login_attempts(conn, key)
        found = await queries.me_by_id(conn, row.id)
        if found is not None:
            await record(conn, None, "auth.login", target_type="user", target_id=row.id, actor_id=row.id)
    if found is None:  # disabled or deleted meanwhile
        raise Unauthorized(BAD_LOGIN)
    return LoggedIn(user=found, token_version=row.token_version)


async def me(pool: asyncpg.Pool, principal: Principal) -> MeOut:
    async with pool.acquire() as conn:
        found = await queries.me_by_id(conn, principal.user_id)
    if found is None or found.org.id != principal.org_id:  # disabled between authentication and now
        raise NotFound("no such user")
    return found
