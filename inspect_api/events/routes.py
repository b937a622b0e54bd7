"""GET /events: the outbox feed, scoped and shaped by the caller's role (events/__init__.py).

    GET /events   admin (every event), regional lead (events of their regions' branches), branch manager
                  (events of their branches that a manager may see, in the manager's shape)
"""

from __future__ import annotations

from typing import Annotated, Final

from litestar import get
from litestar.params import QueryParameter

from inspect_api.auth.guards import roles
from inspect_api.auth.principal import Caller
from inspect_api.errors import problem_responses
from inspect_api.events import service
from inspect_api.events.schemas import EVENT_TYPES, EventPage, EventType
from inspect_api.resources import Pool

Cursor = Annotated[str | None, QueryParameter(
    pattern=r"^[0-9]{1,18}-[0-9]{1,18}$", max_length=40,
    description="next_cursor of the previous page (`<xid>-<id>`); none: from the first event")]
Types = Annotated[list[EventType] | None, QueryParameter(max_items=len(EVENT_TYPES), description="only these types")]
Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="page size")]
Wait = Annotated[int, QueryParameter(ge=0, le=30, description="seconds to wait for an event when there is none yet")]


@get("/events", opt=roles("admin", "regional_lead", "branch_manager"), tags=["events"],
     summary="Events after a cursor, in commit order per subject; never skips one",
     responses=problem_responses(400, 403))
async def list_events(
    principal: Caller, pool: Pool, after: Cursor = None, types: Types = None, limit: Limit = 100, wait: Wait = 0
) -> EventPage:
    wanted = list(types) if types else None
    return await service.feed(pool, principal, after=after, types=wanted, limit=limit, wait_seconds=wait)


routes: Final = [list_events]
