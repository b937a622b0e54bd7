"""What a worker keeps of rankings per org, valid for one roll-up generation or patched to a newer one.

Every write a ranking is computed from (a release's roll-up rows, branches, regions, org settings) bumps
the org's generation in its own transaction and logs what it changed (triggers in
rankings/sql/rankings_generation.sql, table rankings_changes). So a request reads only the generation
(and the change log since what it holds) and a release is in the very next request of every worker,
without notifications. Held per org:
* pages: the answer (and its encoded JSON) per request key, served while the generation is unchanged;
* scopes (#20): every branch's figures per (form, period kind, period start), patched from the change log
  when the generation moved (rankings/scope_state.py), so the first view after a release re-reads a
  branch, not the org;
* the context: settings and time zones, valid until an `everything` change.
A slower request that read an older generation never replaces what is held at a newer one.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Final
from uuid import UUID

import msgspec

from inspect_api.rankings.schemas import RankingsOut
from inspect_api.rankings.scope_state import HeldScope, ScopeContext

MAX_ORGS: Final = 256
MAX_PAGES_PER_ORG: Final = 128
MAX_SCOPES_PER_ORG: Final = 16  # each ~2,000 branches' figures


class Page:
    """A computed answer and, once asked for, its JSON: a warm view is a memory copy, not an encode."""

    __slots__ = ("_body", "out")

    def __init__(self, out: RankingsOut) -> None:
        self.out = out
        self._body: bytes | None = None

    def body(self) -> bytes:
        if self._body is None:
            self._body = msgspec.json.encode(self.out)
        return self._body


class HeldContext(msgspec.Struct, frozen=True):
    generation: int  # the newest generation it is known valid at
    context: ScopeContext


class _Org:
    __slots__ = ("context", "pages", "pages_generation", "scopes")

    def __init__(self) -> None:
        self.pages_generation = -1
        self.pages: dict[Hashable, Page] = {}
        self.scopes: dict[Hashable, HeldScope] = {}
        self.context: HeldContext | None = None


def _bounded_put(held: dict[Hashable, object], key: Hashable, value: object, limit: int) -> None:
    if key not in held and len(held) >= limit:
        held.pop(next(iter(held)))
    held[key] = value


class RankingsCache:
    def __init__(self) -> None:
        self._orgs: dict[UUID, _Org] = {}
        self.counters: dict[str, int] = {}  # scopes held / patched / read whole (observability and tests)

    def _org(self, org_id: UUID) -> _Org:
        held = self._orgs.get(org_id)
        if held is None:
            if len(self._orgs) >= MAX_ORGS:
                self._orgs.pop(next(iter(self._orgs)))
            held = self._orgs[org_id] = _Org()
        return held

    # ---- pages ----

    def get(self, org_id: UUID, generation: int | None, key: Hashable) -> Page | None:
        held = self._orgs.get(org_id)
        if held is None or generation is None or held.pages_generation != generation:
            return None
        return held.pages.get(key)

    def put(self, org_id: UUID, generation: int | None, key: Hashable, page: RankingsOut | Page) -> Page:
        stored = page if isinstance(page, Page) else Page(page)
        if generation is None:
            return stored  # no roll-up written yet: nothing worth keeping
        held = self._org(org_id)
        if held.pages_generation != generation:
            if held.pages_generation > generation:
                return stored  # a slower request read an older generation: keep the newer pages
            held.pages_generation, held.pages = generation, {}
        _bounded_put(held.pages, key, stored, MAX_PAGES_PER_ORG)  # type: ignore[arg-type]
        return stored

    # ---- scopes and context (#20) ----

    def scope(self, org_id: UUID, key: Hashable) -> HeldScope | None:
        held = self._orgs.get(org_id)
        return None if held is None else held.scopes.get(key)

    def put_scope(self, org_id: UUID, key: Hashable, scope: HeldScope) -> None:
        held = self._org(org_id)
        current = held.scopes.get(key)
        if current is None or current.generation < scope.generation:
            _bounded_put(held.scopes, key, scope, MAX_SCOPES_PER_ORG)  # type: ignore[arg-type]

    def context(self, org_id: UUID) -> HeldContext | None:
        held = self._orgs.get(org_id)
        return None if held is None else held.context

    def put_context(self, org_id: UUID, context: HeldContext) -> None:
        held = self._org(org_id)
        if held.context is None or held.context.generation < context.generation:
            held.context = context

    def forget(self, org_id: UUID) -> None:
        """Drop the org's scopes and context (an `everything` change, or a log too short to patch from)."""
        held = self._orgs.get(org_id)
        if held is not None:
            held.scopes.clear()
            held.context = None
