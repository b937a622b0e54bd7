"""Reads on a streaming replica (issue #20): `DATABASE_READ_URL` names a hot standby that serves the
heavy reads (rankings, their trend/weakness views and exports, the submissions and actions exports as
CSV and xlsx), through the `read_pool` dependency. Unset: `read_pool` is the primary pool, nothing changes.

Read-your-writes, per org, exactly: a replica replays the primary's commits in order, and every write
rankings are computed from (a release's roll-up rows, branch and region changes) bumps the org's row in
`rankings_generations` in the same transaction (rankings/sql/rankings_generation.sql). Before each read
request the router reads that generation on the primary and on the replica (two primary-key lookups):
the replica serves the request only when it has replayed at least the primary's generation, i.e.
every release of the org committed before the request began; otherwise the request reads the primary.
So the user who just released (and everyone in their org) sees the release in the very next request,
whichever API replica it reaches, with no time window to tune; a replica that lags only sends its
orgs' reads back to the primary until it catches up. A replica that cannot be reached does the same.
Writes that bump no generation (an intake, QA's review of a result not yet released, an action's
move) reach a caught-up replica within its replay lag: an admin's submissions or actions export taken
the instant after such a write may miss it until the replica replays it (released results, what leads
and managers export, are exact as above).

Not routed: writes (of course), the /events feed (its long poll wakes on the primary's NOTIFY, and a
lagging replica would answer the wake-up with nothing), and everything that reads what it then writes.
"""

from __future__ import annotations

import logging
from typing import Final
from uuid import UUID

import asyncpg

log = logging.getLogger(__name__)

SELECT_GENERATION: Final = "SELECT generation FROM rankings_generations WHERE org_id = $1"


class ReadRouter:
    def __init__(self, primary: asyncpg.Pool, replica: asyncpg.Pool | None) -> None:
        self.primary = primary
        self.replica = replica
        self.routed = {"replica": 0, "primary": 0}  # observability and tests

    async def pool_for(self, org_id: UUID) -> asyncpg.Pool:
        """The pool to read the org's data from: the replica when it has replayed the org's last write."""
        if self.replica is None:
            return self.primary
        try:
            wanted = await self.primary.fetchval(SELECT_GENERATION, org_id)
            have = None if wanted is None else await self.replica.fetchval(SELECT_GENERATION, org_id)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("read replica unavailable, reading from the primary: %s", exc)
            self.routed["primary"] += 1
            return self.primary
        caught_up = wanted is None or (have is not None and have >= wanted)
        self.routed["replica" if caught_up else "primary"] += 1
        return self.replica if caught_up else self.primary
