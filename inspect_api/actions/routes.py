"""HTTP routes for follow-up actions: thin handlers, one service call each.

    GET  /actions                    admin, regional_lead, branch_manager (scoped; released only for
                                     leads and managers); filters branch, region, status, form, overdue
    GET  /actions/overdue            the same, pending actions past their due date (branch's local date)
    GET  /actions/{id}               one action with its whole history and evidence photo ids
    POST /actions/{id}/start         branch_manager: open | reopened -> in_progress
    POST /actions/{id}/resolve       branch_manager: in_progress -> resolved (note, evidence photos)
    POST /actions/{id}/verify        regional_lead, admin: resolved -> verified
    POST /actions/{id}/reopen        regional_lead, admin: resolved | verified -> reopened (note)
    POST /actions/{id}/comments      admin, regional_lead, branch_manager
    GET  /exports/actions.csv|.xlsx  admin, regional_lead, branch_manager: actions in scope (read_pool)
Inspectors get 403 everywhere; a wrong role 403, out of scope 404, an illegal move 409.
"""

from __future__ import annotations

from typing import Annotated, Final
from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream

from inspect_api.actions import exports, service
from inspect_api.actions.lifecycle import ActionStatus
from inspect_api.actions.queries import ListFilters
from inspect_api.actions.schemas import ActionDetail, ActionOut, ActionPatchIn, NoteIn, ResolveIn, VerifyIn
from inspect_api.audit.service import record_export
from inspect_api.auth.guards import roles
from inspect_api.auth.principal import Caller
from inspect_api.errors import problem_responses
from inspect_api.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, attachment
from inspect_api.paging import PAGING_HEADERS, After, link_headers
from inspect_api.params import Offset
from inspect_api.resources import AppSettings, Blobs, Pool, ReadPool

Limit = Annotated[int, QueryParameter(ge=1, le=service.MAX_PAGE_SIZE, description="page size (max 200)")]
MANAGER: Final = roles("branch_manager")
CHECKERS: Final = roles("regional_lead", "admin")


class ActionsController(Controller):
    path = "/actions"
    tags = ("actions",)
    opt = roles("admin", "regional_lead", "branch_manager")

    @get("/", summary="Follow-up actions in the caller's scope, earliest due first",
         description="Page with `after` (the `Next-Cursor` header of the previous page): every page costs "
         "what the first does. `offset` still works but is deprecated for deep pages.",
         response_headers=PAGING_HEADERS, responses=problem_responses(400))
    async def list_actions(
        self,
        request: Request,
        principal: Caller,
        pool: Pool,
        branch_id: FromQuery[UUID | None] = None,
        region_id: FromQuery[UUID | None] = None,
        status: FromQuery[ActionStatus | None] = None,
        form_key: FromQuery[str | None] = None,
        overdue: FromQuery[bool] = False,
        include_merged: FromQuery[bool] = False,
        limit: Limit = 50,
        offset: Offset = 0,
        after: After = None,
    ) -> Response[list[ActionOut]]:
        filters = ListFilters(branch_id=branch_id, region_id=region_id, status=status, form_key=form_key,
                              overdue_only=overdue, include_merged=include_merged)
        page, cursor = await service.list_actions_page(pool, principal, filters, limit=limit, offset=offset,
                                                       after=after)
        return Response(page, headers=link_headers(cursor, request.url.path, dict(request.query_params)))

    @get("/overdue", summary="Pending actions past their due date, per branch or region")
    async def overdue(
        self,
        principal: Caller,
        pool: Pool,
        branch_id: FromQuery[UUID | None] = None,
        region_id: FromQuery[UUID | None] = None,
        limit: Limit = 200,
        offset: Offset = 0,
    ) -> list[ActionOut]:
        filters = ListFilters(branch_id=branch_id, region_id=region_id, overdue_only=True)
        return await service.list_actions(pool, principal, filters, limit=limit, offset=offset)

    @get("/{action_id:uuid}", summary="One action with its history", responses=problem_responses(404))
    async def get_action(self, principal: Caller, pool: Pool, action_id: FromPath[UUID]) -> ActionDetail:
        return await service.get_action(pool, principal, action_id)

    @patch("/{action_id:uuid}", opt=CHECKERS, summary="Set the named assignee and the priority",
           description="assignee_id: a user who sees the action's branch (its manager, the region's lead, "
           "an admin), or null; priority: low, normal, high or urgent. Audited; emits action.updated.",
           responses=problem_responses(403, 404, 422))
    async def update_action(
        self, principal: Caller, pool: Pool, action_id: FromPath[UUID], data: JSONBody[ActionPatchIn]
    ) -> ActionDetail:
        return await service.update(pool, principal, action_id, data)

    @post("/{action_id:uuid}/start", opt=MANAGER, status_code=200, summary="Start work on the action",
          responses=problem_responses(403, 404, 409))
    async def start(self, principal: Caller, pool: Pool, action_id: FromPath[UUID]) -> ActionDetail:
        return await service.start(pool, principal, action_id)

    @post(
        "/{action_id:uuid}/resolve",
        opt=MANAGER,
        status_code=200,
        summary="Resolve with a note (and evidence photos where required)",
        description="Evidence: POST /uploads with purpose action_evidence and this action_id, upload to S3 "
        "with the presigned POST, then list the photo ids here.",
        responses=problem_responses(403, 404, 409, 422, 503),
    )
    async def resolve(
        self,
        principal: Caller,
        pool: Pool,
        blobs: Blobs,
        settings: AppSettings,
        action_id: FromPath[UUID],
        data: JSONBody[ResolveIn],
    ) -> ActionDetail:
        return await service.resolve(pool, blobs, settings, principal, action_id, data)

    @post("/{action_id:uuid}/verify", opt=CHECKERS, status_code=200, summary="Confirm the fix",
          responses=problem_responses(403, 404, 409))
    async def verify(
        self, principal: Caller, pool: Pool, action_id: FromPath[UUID], data: JSONBody[VerifyIn]
    ) -> ActionDetail:
        return await service.verify(pool, principal, action_id, data)

    @post("/{action_id:uuid}/reopen", opt=CHECKERS, status_code=200, summary="Send the action back",
          responses=problem_responses(403, 404, 409, 422))
    async def reopen(
        self, principal: Caller, pool: Pool, action_id: FromPath[UUID], data: JSONBody[NoteIn]
    ) -> ActionDetail:
        return await service.reopen(pool, principal, action_id, data)

    @post("/{action_id:uuid}/comments", status_code=201, summary="Comment on the action",
          responses=problem_responses(404, 422))
    async def comment(
        self, principal: Caller, pool: Pool, action_id: FromPath[UUID], data: JSONBody[NoteIn]
    ) -> ActionDetail:
        return await service.comment(pool, principal, action_id, data)


class ActionExportsController(Controller):
    path = "/exports"
    tags = ("exports",)
    opt = roles("admin", "regional_lead", "branch_manager")

    @get("/actions.csv", media_type=CSV_MEDIA_TYPE, summary="Follow-up actions as CSV")
    async def actions_csv(
        self,
        principal: Caller,
        pool: Pool,
        read_pool: ReadPool,
        branch_id: FromQuery[UUID | None] = None,
        region_id: FromQuery[UUID | None] = None,
        status: FromQuery[ActionStatus | None] = None,
    ) -> Stream:
        body = await exports.actions_csv(read_pool, principal, branch_id=branch_id, region_id=region_id,
                                         status=status)
        await record_export(pool, principal, "actions.csv",
                            {"branch_id": branch_id, "region_id": region_id, "status": status})
        return Stream(body, media_type=CSV_MEDIA_TYPE, headers=attachment("actions.csv"))

    @get("/actions.xlsx", media_type=XLSX_MEDIA_TYPE, summary="Follow-up actions as an Excel workbook",
         description="The CSV's columns and rows on one sheet, at most EXPORT_XLSX_MAX_ROWS rows (a larger "
         "result is a 422 naming the filters).", responses=problem_responses(422))
    async def actions_xlsx(
        self,
        principal: Caller,
        pool: Pool,
        read_pool: ReadPool,
        settings: AppSettings,
        branch_id: FromQuery[UUID | None] = None,
        region_id: FromQuery[UUID | None] = None,
        status: FromQuery[ActionStatus | None] = None,
    ) -> Stream:
        body = await exports.actions_xlsx(read_pool, principal, branch_id=branch_id, region_id=region_id,
                                          status=status, max_rows=settings.export_xlsx_max_rows)
        await record_export(pool, principal, "actions.xlsx",
                            {"branch_id": branch_id, "region_id": region_id, "status": status})
        return Stream(body, media_type=XLSX_MEDIA_TYPE, headers=attachment("actions.xlsx"))


routes = [ActionsController, ActionExportsController]
