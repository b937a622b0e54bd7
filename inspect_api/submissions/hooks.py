"""Release announces itself here; other features react (rankings: per-item facts and roll-ups; actions:
follow-up actions and rechecks). Submissions imports neither of them: they register at app start
(app.create_app), so the dependency points one way, from the reacting feature to this module.

Every hook runs inside the releasing transaction, after the submission became `released` and with the
series (branch x form key) advisory lock held, so hooks of two releases of one series never interleave
and the order of the hooks among themselves does not matter. A hook that raises rolls the release back.

A released result can be corrected later (an accepted appeal, #17: submissions/corrections.py): a new
revision becomes current while the submission stays released. Correction hooks then replace what the
release derived from the previous revision with what the new one derives (rankings: take the old
revision's facts and roll-up deltas out, put the new ones in; actions: carry, close and open follow-ups),
in the correcting transaction and under the same series lock.
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


class Corrected(msgspec.Struct, frozen=True, kw_only=True):
    """A released submission whose current revision was just replaced: `previous` is what the release
    hooks derived from, `current` what must be derived now (same submission, visit date and release
    time; another revision and score card). `corrected_at` is when (the correcting transaction's time)."""

    previous: Released
    current: Released
    corrected_at: datetime


CorrectionHook = Callable[[asyncpg.Connection, Corrected], Awaitable[None]]

_CORRECTION_HOOKS: list[CorrectionHook] = []


def on_correction(hook: CorrectionHook) -> CorrectionHook:
    """Register `hook` to run in every transaction that corrects a released result."""
    if hook not in _CORRECTION_HOOKS:
        _CORRECTION_HOOKS.append(hook)
    return hook


def correction_hooks() -> tuple[CorrectionHook, ...]:
    return tuple(_CORRECTION_HOOKS)


async def announce_correction(conn: asyncpg.Connection, corrected: Corrected) -> None:
    hooks = correction_hooks()
    if not hooks:
        raise NoReleaseHooks("no correction hooks registered: call inspect_api.app.register_release_hooks() first")
    for hook in hooks:
        await hook(conn, corrected)
