"""HTTP routes for visits: thin handlers, one service call each.

    POST /visits                 admin, regional_lead (branches of their regions)
    GET  /visits, /visits/{id}   admin, regional_lead (scoped), inspector (own visits only)
    POST /visits/{id}/cancel     admin, regional_lead (scoped)
    GET  /me/visits              inspector: open (scheduled) visits with branch and pinned form
Branch managers get 403 on all of them: a visit names the inspector and the exact time.
"""

from __future__ import annotations

from typing import Annotated, Final
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from inspect_api.auth.guards import roles
from inspect_api.auth.principal import Caller
from inspect_api.errors import problem_responses
from inspect_api.paging import PAGING_HEADERS, After, link_headers
from inspect_api.params import Offset, parse_time, time_param
from inspect_api.resources import Pool
from inspect_api.visits import service
from inspect_api.visits.queries import VisitFilters
from inspect_api.visits.schemas import MyVisitOut, VisitIn, VisitMode, VisitOut, VisitStatus

SCHEDULERS: Final = roles("admin", "regional_lead")
# Taken as text and parsed by params.parse_time: a `datetime` query parameter also accepted a bare number
# as a Unix timestamp (`?to=0.5` meant 1970), which the schema's date-time format does not allow.
IsoTime = str  # documented as format: date-time


class VisitsController(Controller):
    path = "/visits"
    tags = ("visits",)
    opt = roles("admin", "regional_lead", "inspector")

    @post(
        "/",
        opt=SCHEDULERS,
        summary="Schedule a visit (409 names the mystery revisit rule when it applies)",
        responses=problem_responses(403, 409, 422),
    )
    async def schedule(self, principal: Caller, pool: Pool, data: JSONBody[VisitIn]) -> VisitOut:
        return await service.schedule_visit(pool, principal, data)

    @get("/", summary="Visits in the caller's scope, latest window first",
         description="Page with `after` (the `Next-Cursor` header of the previous page): every page costs "
         "what the first does. `offset` still works but is deprecated for deep pages.",
         response_headers=PAGING_HEADERS, responses=problem_responses(400))
    async def list_visits(
        self,
        request: Request,
        principal: Caller,
        pool: Pool,
        status: FromQuery[VisitStatus | None] = None,
        branch_id: FromQuery[UUID | None] = None,
        inspector_id: FromQuery[UUID | None] = None,
        mode: FromQuery[VisitMode | None] = None,
        window_from: Annotated[IsoTime | None, time_param("window ends after", name="from")] = None,
        window_to: Annotated[IsoTime | None, time_param("window starts before", name="to")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
        offset: Offset = 0,
        after: After = None,
    ) -> Response[list[VisitOut]]:
        filters = VisitFilters(
            status=status,
            branch_id=branch_id,
            inspector_id=inspector_id,
            mode=mode,
            window_from=parse_time("from", window_from),
            window_to=parse_time("to", window_to),
            limit=limit,
            offset=offset,
        )
        page, cursor = await service.list_visits(pool, principal, filters, after)
        return Response(page, headers=link_headers(cursor, request.url.path, dict(request.query_params)))

    @get("/{visit_id:uuid}", responses=problem_responses(403, 404))
    async def get_visit(self, principal: Caller, pool: Pool, visit_id: FromPath[UUID]) -> VisitOut:
        return await service.get_visit(pool, principal, visit_id)

    @post("/{visit_id:uuid}/cancel", opt=SCHEDULERS, status_code=200, responses=problem_responses(403, 404, 409))
    async def cancel(self, principal: Caller, pool: Pool, visit_id: FromPath[UUID]) -> VisitOut:
        return await service.cancel_visit(pool, principal, visit_id)


@get(
    "/me/visits",
    opt=roles("inspector"),
    tags=["visits"],
    summary="The inspector's open visits: branch, window and the pinned form version",
    responses=problem_responses(403),
)
async def my_visits(principal: Caller, pool: Pool) -> list[MyVisitOut]:
    return await service.my_open_visits(pool, principal)


routes = [VisitsController, my_visits]
