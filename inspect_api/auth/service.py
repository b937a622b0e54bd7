"""Login and /me. Services own their transactions; password checks run outside any connection."""

from __future__ import annotations

import asyncpg
from argon2 import PasswordHasher

from inspect_api.auth import queries
from inspect_api.auth.passwords import hash_password, needs_rehash, verify_password
from inspect_api.auth.principal import Principal
from inspect_api.auth.schemas import MeOut, normalise_email
from inspect_api.errors import NotFound, Unauthorized

BAD_LOGIN = "wrong e-mail or password, or the account is disabled"


async def login(pool: asyncpg.Pool, hasher: PasswordHasher, email: str, password: str) -> MeOut:
    """The user for a right e-mail + password of an active user; Unauthorized otherwise (one message
    for every failure). Upgrades the stored hash when the configured cost changed."""
    async with pool.acquire() as conn:
        row = await queries.login_row(conn, normalise_email(email))
    ok = await verify_password(hasher, row.password_hash if row else None, password)
    if row is None or not ok or not row.active:
        raise Unauthorized(BAD_LOGIN)
    if needs_rehash(hasher, row.password_hash):
        new_hash = await hash_password(hasher, password)
        async with pool.acquire() as conn, conn.transaction():
            await queries.replace_password_hash(conn, row.id, row.password_hash, new_hash)
    async with pool.acquire() as conn:
        found = await queries.me_by_id(conn, row.id)
    if found is None:  # disabled or deleted meanwhile
        raise Unauthorized(BAD_LOGIN)
    return found


async def me(pool: asyncpg.Pool, principal: Principal) -> MeOut:
    async with pool.acquire() as conn:
        found = await queries.me_by_id(conn, principal.user_id)
    if found is None or found.org.id != principal.org_id:  # disabled between authentication and now
        raise NotFound("no such user")
    return found
