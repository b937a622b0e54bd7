"""Release announces itself here; other features react (rankings: per-item facts and roll-ups; actions:
follow-up actions and rechecks). Submissions imports neither of them: they register at app start
(app.create_app), so the dependency points one way, from the reacting feature to this module.

Every hook runs inside the releasing transaction, after the submission became `released` and with the
series (branch x form key) advisory lock held, so hooks of two releases of one series never interleave
and the order of the hooks among themselves does not matter. A hook that raises rolls the release back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.forms.scoring import ScoreCard


class Released(msgspec.Struct, frozen=True, kw_only=True):
    """A just-released submission: what the branch may now learn, from the revision QA released."""

    id: UUID
    org_id: UUID
    branch_id: UUID
    form_key: str
    revision_id: UUID
    visited_on: date
    released_at: datetime
    total_percent: Decimal | None
    passed: bool
    score_card: ScoreCard


ReleaseHook = Callable[[asyncpg.Connection, Released], Awaitable[None]]

_RELEASE_HOOKS: list[ReleaseHook] = []


def on_release(hook: ReleaseHook) -> ReleaseHook:
    """Register `hook` to run in every release transaction (registering it again changes nothing)."""
    if hook not in _RELEASE_HOOKS:
        _RELEASE_HOOKS.append(hook)
    return hook


def release_hooks() -> tuple[ReleaseHook, ...]:
    return tuple(_RELEASE_HOOKS)


class NoReleaseHooks(RuntimeError):
    """A release with nobody registered to derive what the branch sees would silently lose its facts."""


async def announce(conn: asyncpg.Connection, released: Released) -> None:
    hooks = release_hooks()
    if not hooks:
        raise NoReleaseHooks("no release hooks registered: call inspect_api.app.register_release_hooks() first")
    for hook in hooks:
        await hook(conn, released)
