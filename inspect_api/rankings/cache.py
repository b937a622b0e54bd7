"""Computed ranking pages per org, valid for one roll-up generation.

Every write a ranking is computed from (a release's roll-up rows, branches, regions) bumps the org's
generation in its own transaction (triggers in rankings/sql/rankings_generation.sql). A ranking request
reads the generation together with the org's settings, so an entry is served only while nothing it was
built from has changed: a release is in the very next request of every worker, without notifications.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Final
from uuid import UUID

from inspect_api.rankings.schemas import RankingsOut

MAX_ORGS: Final = 256
MAX_PAGES_PER_ORG: Final = 128


class RankingsCache:
    def __init__(self) -> None:
        self._orgs: dict[UUID, tuple[int, dict[Hashable, RankingsOut]]] = {}

    def get(self, org_id: UUID, generation: int | None, key: Hashable) -> RankingsOut | None:
        held = self._orgs.get(org_id)
        if held is None or generation is None or held[0] != generation:
            return None
        return held[1].get(key)

    def put(self, org_id: UUID, generation: int | None, key: Hashable, page: RankingsOut) -> None:
        if generation is None:
            return  # no roll-up written yet: nothing worth keeping
        held = self._orgs.get(org_id)
        if held is None or held[0] != generation:
            if held is not None and held[0] > generation:
                return  # a slower request read an older generation: keep the newer pages
            if held is None and len(self._orgs) >= MAX_ORGS:
                self._orgs.pop(next(iter(self._orgs)))
            held = (generation, {})
            self._orgs[org_id] = held
        pages = held[1]
        if len(pages) >= MAX_PAGES_PER_ORG:
            pages.pop(next(iter(pages)))
        pages[key] = page
