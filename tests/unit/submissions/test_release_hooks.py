"""The release hook list: a release nobody reacts to is refused, registering twice runs a hook once."""

from __future__ import annotations

from typing import Any

import pytest

from inspect_api.app import register_release_hooks
from inspect_api.submissions import hooks


async def test_a_release_with_no_hooks_registered_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hooks, "_RELEASE_HOOKS", [])
    with pytest.raises(hooks.NoReleaseHooks):
        await hooks.announce(None, None)  # type: ignore[arg-type]


async def test_registered_hooks_run_once_each_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hooks, "_RELEASE_HOOKS", [])
    calls: list[str] = []

    async def first(conn: Any, released: Any) -> None:
        calls.append("first")

    async def second(conn: Any, released: Any) -> None:
        calls.append("second")

    for hook in (first, second, first):
        hooks.on_release(hook)
    await hooks.announce(None, None)  # type: ignore[arg-type]
    assert calls == ["first", "second"]


def test_the_app_registers_the_rankings_and_actions_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hooks, "_RELEASE_HOOKS", [])
    register_release_hooks()
    register_release_hooks()
    assert [f"{h.__module__}.{h.__name__}" for h in hooks.release_hooks()] == [
        "inspect_api.rankings.rollups.add_release", "inspect_api.actions.loop.on_release"]
