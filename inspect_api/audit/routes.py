"""The audit log, admins only.

    GET /audit        entries newest first, filtered by actor, target, action and time, paged by before_id
    GET /audit.csv    the same filters, every matching entry as CSV
"""

from __future__ import annotations

from typing import Annotated, Final
from uuid import UUID

from litestar import Response, get
from litestar.params import QueryParameter

from inspect_api.audit import service
from inspect_api.audit.schemas import AuditEntry, AuditFilters
from inspect_api.auth.guards import roles
from inspect_api.auth.principal import Caller
from inspect_api.errors import problem_responses
from inspect_api.params import parse_time, time_param
from inspect_api.resources import Pool

ActorId = Annotated[UUID | None, QueryParameter(description="who acted")]
TargetId = Annotated[str | None, QueryParameter(max_length=100, description="what was acted on (its id)")]
Action = Annotated[str | None, QueryParameter(max_length=64, pattern=r"^[a-z_]+\.[a-z_]+$",
                                              description="e.g. user.updated, auth.login_failed")]
BeforeId = Annotated[int | None, QueryParameter(ge=1, le=2**62, description="entries older than this id")]
Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="page size")]
# Text parsed by params.parse_time (a `datetime` parameter also took a bare number as a Unix time).
Since = Annotated[str | None, time_param("from this time (inclusive)")]
Until = Annotated[str | None, time_param("up to this time (exclusive)")]


def _filters(actor_id: UUID | None, target_id: str | None, action: str | None, since: str | None,
             until: str | None, before_id: int | None, limit: int) -> AuditFilters:
    return AuditFilters(actor_id=actor_id, target_id=target_id, action=action, since=parse_time("since", since),
                        until=parse_time("until", until), before_id=before_id, limit=limit)


@get("/audit", opt=roles("admin"), tags=["audit"], responses=problem_responses(400, 403, 422),
     summary="Who did what, when, from where (newest first)")
async def list_audit(principal: Caller, pool: Pool, actor_id: ActorId = None, target_id: TargetId = None,
                     action: Action = None, since: Since = None, until: Until = None, before_id: BeforeId = None,
                     limit: Limit = 100) -> list[AuditEntry]:
    filters = _filters(actor_id, target_id, action, since, until, before_id, limit)
    return await service.entries(pool, principal, filters)


@get("/audit.csv", opt=roles("admin"), tags=["audit"], media_type="text/csv",
     responses=problem_responses(400, 403, 422), summary="The audit log as CSV (same filters)")
async def export_audit(principal: Caller, pool: Pool, actor_id: ActorId = None, target_id: TargetId = None,
                       action: Action = None, since: Since = None, until: Until = None) -> Response[bytes]:
    filters = _filters(actor_id, target_id, action, since, until, None, 1000)
    body = await service.export_csv(pool, principal, filters)
    await service.record_export(pool, principal, "audit.csv", filters)
    return Response(body, media_type="text/csv",
                    headers={"content-disposition": 'attachment; filename="audit.csv"'})


routes: Final = [list_audit, export_audit]
