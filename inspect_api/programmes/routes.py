"""HTTP routes for programmes: thin handlers, one service call each.

    POST  /programmes                            admin, regional_lead (branches of their regions)
    GET   /programmes, /programmes/{id}          admin, regional_lead (programmes wholly in their scope)
    PATCH /programmes/{id}                       admin, regional_lead
    POST  /programmes/{id}/pause|resume          admin, regional_lead
    POST  /programmes/{id}/branches              admin, regional_lead: text/csv of branch codes
    POST  /programmes/{id}/generate              admin, regional_lead: the current and next period now
    GET   /programmes/{id}/occurrences           admin, regional_lead
    GET   /programmes/{id}/coverage              admin, regional_lead: planned/open/assigned/completed/missed
    POST  /programmes/occurrences/{visit_id}/assign   admin, regional_lead
    GET   /programmes/jobs                       inspector: the job board (open occurrences they may claim)
    POST  /programmes/jobs/{visit_id}/claim      inspector
    GET   /programmes/workload                   admin, regional_lead (scoped), inspector (own)
Branch managers get 403 on all of them: programmes and occurrences tell when (mystery) visits come.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final, Literal
from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, RawBody

from inspect_api.auth.guards import roles
from inspect_api.auth.principal import Caller
from inspect_api.errors import problem_responses
from inspect_api.params import Offset, checked_day, day_param, parse_time, time_param
from inspect_api.programmes import service
from inspect_api.programmes.queries import WorkloadFilters
from inspect_api.programmes.schemas import (
    AssignIn,
    ClaimOut,
    CoverageOut,
    GenerateOut,
    JobOut,
    OccurrenceOut,
    OccurrenceStatus,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammePatch,
    ProgrammeStatus,
    ScopeCoverageOut,
    WorkloadOut,
)
from inspect_api.resources import Pool

PLANNERS: Final = roles("admin", "regional_lead")
Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="page size")]
IsoTime = str  # documented as format: date-time (params.parse_time)


class ProgrammesController(Controller):
    path = "/programmes"
    tags = ("programmes",)
    opt = PLANNERS

    @post("/", summary="Create a programme; its current and next period are generated at once",
          responses=problem_responses(403, 422))
    async def create(self, principal: Caller, pool: Pool, data: JSONBody[ProgrammeIn]) -> ProgrammeOut:
        return await service.create_programme(pool, principal, data)

    @get("/", summary="Programmes in the caller's scope, newest first")
    async def list_programmes(
        self, principal: Caller, pool: Pool, status: FromQuery[ProgrammeStatus | None] = None, limit: Limit = 200,
        offset: Offset = 0,
    ) -> list[ProgrammeOut]:
        return await service.list_programmes(pool, principal, status, limit, offset)

    @get("/{programme_id:uuid}", responses=problem_responses(403, 404))
    async def get_programme(self, principal: Caller, pool: Pool, programme_id: FromPath[UUID]) -> ProgrammeOut:
        return await service.get_programme(pool, principal, programme_id)

    @patch("/{programme_id:uuid}", summary="Change a programme (applies to periods generated from now on)",
           responses=problem_responses(403, 404, 422))
    async def update(
        self, principal: Caller, pool: Pool, programme_id: FromPath[UUID], data: JSONBody[ProgrammePatch]
    ) -> ProgrammeOut:
        return await service.update_programme(pool, principal, programme_id, data)

    @post("/{programme_id:uuid}/pause", status_code=200, responses=problem_responses(403, 404),
          summary="Pause: no more generation; open (unassigned) upcoming occurrences are cancelled")
    async def pause(self, principal: Caller, pool: Pool, programme_id: FromPath[UUID]) -> ProgrammeOut:
        return await service.pause(pool, principal, programme_id)

    @post("/{programme_id:uuid}/resume", status_code=200, responses=problem_responses(403, 404),
          summary="Resume: the occurrences the pause cancelled come back if still ahead; generation goes on")
    async def resume(self, principal: Caller, pool: Pool, programme_id: FromPath[UUID]) -> ProgrammeOut:
        return await service.resume(pool, principal, programme_id)

    @post("/{programme_id:uuid}/branches", status_code=200, responses=problem_responses(403, 404, 422),
          summary="Replace the branches with a CSV of branch codes",
          description="Body: text/csv (UTF-8, BOM allowed): a header with a `code` (or `branch_code`) column, or "
          "one code per row in the first column. Every code must be a branch in your scope (422 lists the "
          "unknown ones, nothing is changed). The programme becomes an explicit list.")
    async def import_branches(
        self, principal: Caller, pool: Pool, programme_id: FromPath[UUID], body: RawBody
    ) -> ProgrammeOut:
        return await service.import_branches(pool, principal, programme_id, body)

    @post("/{programme_id:uuid}/generate", status_code=200, responses=problem_responses(403, 404, 409),
          summary="Generate the current and next period's occurrences now (idempotent: adds only what is missing)")
    async def generate(self, principal: Caller, pool: Pool, programme_id: FromPath[UUID]) -> GenerateOut:
        return await service.generate(pool, principal, programme_id)

    @get("/{programme_id:uuid}/occurrences", responses=problem_responses(403, 404, 422),
         summary="The programme's visits (occurrences) at branches in the caller's scope")
    async def occurrences(
        self,
        principal: Caller,
        pool: Pool,
        programme_id: FromPath[UUID],
        status: FromQuery[OccurrenceStatus | None] = None,
        on: Annotated[date | None, day_param("only the period holding this day")] = None,
        unassigned: FromQuery[bool | None] = None,
        limit: Limit = 200,
        offset: Offset = 0,
    ) -> list[OccurrenceOut]:
        return await service.list_occurrences(pool, principal, programme_id, status=status,
                                              period=checked_day("on", on), unassigned=unassigned, limit=limit,
                                              offset=offset)

    @get("/{programme_id:uuid}/coverage", responses=problem_responses(403, 404, 422),
         summary="Per branch in a period: planned, open, assigned, completed and missed visits")
    async def coverage(
        self, principal: Caller, pool: Pool, programme_id: FromPath[UUID],
        on: Annotated[date | None, day_param("a day inside the period (default: today)")] = None,
    ) -> CoverageOut:
        return await service.coverage(pool, principal, programme_id, checked_day("on", on))

    @get("/coverage", responses=problem_responses(403, 422),
         summary="Coverage per branch in a period: planned, open, assigned, overdue, completed, missed visits",
         description="Every visit (one-off or a programme's) whose window starts in the period, by the branch's "
         "local date; branches in the caller's scope that have visits, by code. The visit-count side of "
         "/rankings (which scores released results only): a missed visit shows here.")
    async def scope_coverage(
        self,
        principal: Caller,
        pool: Pool,
        period: FromQuery[Literal["week", "month", "quarter"]] = "month",
        on: Annotated[date | None, day_param("a day inside the period (default: today)")] = None,
        form_key: Annotated[str | None, QueryParameter(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$(?!\n)",
                                                       description="only visits of this form")] = None,
        region_id: FromQuery[UUID | None] = None,
        limit: Limit = 200,
        offset: Offset = 0,
    ) -> ScopeCoverageOut:
        return await service.scope_coverage(pool, principal, kind=period, on=checked_day("on", on),
                                            form_key=form_key, region_id=region_id, limit=limit, offset=offset)

    @post("/occurrences/{visit_id:uuid}/assign", status_code=200, responses=problem_responses(403, 404, 409, 422),
          summary="Give an occurrence to an inspector (409 names the revisit rule or the cap when it applies)")
    async def assign(
        self, principal: Caller, pool: Pool, visit_id: FromPath[UUID], data: JSONBody[AssignIn]
    ) -> OccurrenceOut:
        return await service.assign(pool, principal, visit_id, data.inspector_id)

    @get("/jobs", opt=roles("inspector"), responses=problem_responses(403),
         summary="The job board: open occurrences the calling inspector may claim, soonest first",
         description="Only occurrences the inspector may take: the mystery revisit rule and the programme's cap "
         "per inspector are already applied. Each names the branch (where to go) and the window, nothing else.")
    async def jobs(
        self,
        principal: Caller,
        pool: Pool,
        window_from: Annotated[IsoTime | None, time_param("window ends after", name="from")] = None,
        window_to: Annotated[IsoTime | None, time_param("window starts before", name="to")] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[JobOut]:
        return await service.job_board(pool, principal, window_from=parse_time("from", window_from),
                                       window_to=parse_time("to", window_to), limit=limit, offset=offset)

    @post("/jobs/{visit_id:uuid}/claim", opt=roles("inspector"), status_code=200,
          responses=problem_responses(403, 404, 409),
          summary="Claim an open occurrence (exactly one of concurrent claims wins; the others get 409)")
    async def claim(self, principal: Caller, pool: Pool, visit_id: FromPath[UUID]) -> ClaimOut:
        return await service.claim(pool, principal, visit_id)

    @get("/workload", opt=roles("admin", "regional_lead", "inspector"), responses=problem_responses(403, 422),
         summary="Per inspector: upcoming, overdue, missed and completed visits",
         description="Admins and regional leads: every inspector with visits at branches in their scope; an "
         "inspector: their own (with the visits listed). With inspector_id, the visits are listed too.")
    async def workload(
        self,
        principal: Caller,
        pool: Pool,
        inspector_id: FromQuery[UUID | None] = None,
        programme_id: FromQuery[UUID | None] = None,
        window_from: Annotated[IsoTime | None, time_param("window ends after", name="from")] = None,
        window_to: Annotated[IsoTime | None, time_param("window starts before", name="to")] = None,
        limit: Limit = 200,
        offset: Offset = 0,
    ) -> WorkloadOut:
        filters = WorkloadFilters(inspector_id=inspector_id, programme_id=programme_id,
                                  window_from=parse_time("from", window_from), window_to=parse_time("to", window_to),
                                  limit=limit, offset=offset)
        return await service.workload(pool, principal, filters)


routes: Final = [ProgrammesController]
