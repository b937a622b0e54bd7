"""argon2id password hashing. Hashing and verifying are CPU-bound: they run in a worker thread."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from litestar.di import NamedDependency

from inspect_api.settings import Settings


@lru_cache(maxsize=8)
def hasher_for(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher_from_settings(settings: Settings) -> PasswordHasher:
    return hasher_for(settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism)


def provide_hasher(settings: NamedDependency[Settings]) -> PasswordHasher:
    """DI provider (the app provides `settings`)."""
    return hasher_from_settings(settings)


Hasher = NamedDependency[PasswordHasher]  # `hasher: Hasher` in a handler signature


@lru_cache(maxsize=8)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("no such user: burn the same time as a real check")


async def hash_password(hasher: PasswordHasher, password: str) -> str:
    return await asyncio.to_thread(hasher.hash, password)


def _verify(hasher: PasswordHasher, stored_hash: str | None, password: str) -> bool:
    try:
        return hasher.verify(stored_hash or _dummy_hash(hasher), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(hasher: PasswordHasher, stored_hash: str | None, password: str) -> bool:
    """True when `password` matches. With no stored hash (unknown user) a dummy hash is checked so
    that unknown and known e-mails take about the same time."""
    return await asyncio.to_thread(_verify, hasher, stored_hash, password)


def needs_rehash(hasher: PasswordHasher, stored_hash: str) -> bool:
    try:
        return hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
