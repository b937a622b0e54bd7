"""HTTP routes for appeals (#17): thin handlers, one service call each.

    POST /appeals                     branch_manager: dispute a released result of their branch (whole or
                                      one item) with a reason and optional evidence photos -> 201
    GET  /appeals                     admin, reviewer, regional_lead, branch_manager: appeals in scope
                                      (managers: their branches; leads: their regions; QA: its scope),
                                      newest first; filters status, branch_id, submission_id
    GET  /appeals/{id}                one appeal (QA and leads also get the disputed revision's score card)
    POST /appeals/{id}/accept         admin, reviewer: corrected answers -> a new revision, re-derived
    POST /appeals/{id}/reject         admin, reviewer: with a reason
    POST /appeals/{id}/withdraw       branch_manager: their open appeal
Inspectors get 403 everywhere; a wrong role 403, out of scope 404, a closed appeal or a second open one 409.
"""

from __future__ import annotations

from typing import Annotated, Final
from uuid import UUID

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from inspect_api.appeals import service
from inspect_api.appeals.queries import ListFilters
from inspect_api.appeals.schemas import AcceptIn, AppealDetail, AppealIn, AppealOut, AppealStatus, RejectIn, WithdrawIn
from inspect_api.auth.guards import ALL_ROLES, roles
from inspect_api.auth.principal import Caller
from inspect_api.errors import problem_responses
from inspect_api.params import Offset
from inspect_api.resources import AppSettings, Blobs, Pool

Limit = Annotated[int, QueryParameter(ge=1, le=service.MAX_PAGE_SIZE, description="page size (max 200)")]
# QA decides appeals: admin, and the reviewer role where it exists (#17).
DECIDERS: Final = roles(*(r for r in ("admin", "reviewer") if r in ALL_ROLES))  # type: ignore[misc]
READERS: Final = roles(*(r for r in ("admin", "reviewer", "regional_lead", "branch_manager")  # type: ignore[misc]
                         if r in ALL_ROLES))
MANAGER: Final = roles("branch_manager")


class AppealsController(Controller):
    path = "/appeals"
    tags = ("appeals",)
    opt = READERS

    @post("/", opt=MANAGER, status_code=201, summary="Appeal a released result or one of its items",
          description="A branch manager disputes a released result of one of their branches: the whole result "
          "(no item_key) or one item, with a reason (3 to 2000 characters) and optionally evidence photos "
          "(POST /uploads with purpose action_evidence, upload, verify, then list the photo ids). One open "
          "appeal per result and item (409). A submission that is not a released result of the caller's "
          "branches is a 422 naming submission_id; an item the result's form does not have a 422 naming item_key.",
          responses=problem_responses(403, 404, 409, 422, 503))
    async def open_appeal(self, principal: Caller, pool: Pool, blobs: Blobs, settings: AppSettings,
                          data: JSONBody[AppealIn]) -> AppealDetail:
        return await service.open_appeal(pool, blobs, settings, principal, data)

    @get("/", summary="Appeals in the caller's scope, newest first")
    async def list_appeals(
        self,
        principal: Caller,
        pool: Pool,
        status: FromQuery[AppealStatus | None] = None,
        branch_id: FromQuery[UUID | None] = None,
        submission_id: FromQuery[UUID | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> list[AppealOut]:
        filters = ListFilters(status=status, branch_id=branch_id, submission_id=submission_id)
        return await service.list_appeals(pool, principal, filters, limit=limit, offset=offset)

    @get("/{appeal_id:uuid}", summary="One appeal", responses=problem_responses(404))
    async def get_appeal(self, principal: Caller, pool: Pool, appeal_id: FromPath[UUID]) -> AppealDetail:
        return await service.get_appeal(pool, principal, appeal_id)

    @post("/{appeal_id:uuid}/accept", opt=DECIDERS, status_code=200,
          summary="Accept: correct the result by a new, server-scored revision",
          description="The answers replace the current ones by item (only the disputed item's, when the appeal "
          "names one: another item is a 422 naming answers[i].item) in a new revision scored by the server. "
          "The result stays released; its per-item facts, roll-ups (so /rankings) and follow-up actions are "
          "re-derived in the same transaction; the earlier revision and its score card stay readable to QA.",
          responses=problem_responses(403, 404, 409, 422))
    async def accept(self, principal: Caller, pool: Pool, appeal_id: FromPath[UUID],
                     data: JSONBody[AcceptIn]) -> AppealDetail:
        return await service.accept(pool, principal, appeal_id, data)

    @post("/{appeal_id:uuid}/reject", opt=DECIDERS, status_code=200, summary="Reject with a reason",
          responses=problem_responses(403, 404, 409, 422))
    async def reject(self, principal: Caller, pool: Pool, appeal_id: FromPath[UUID],
                     data: JSONBody[RejectIn]) -> AppealDetail:
        return await service.reject(pool, principal, appeal_id, data)

    @post("/{appeal_id:uuid}/withdraw", opt=MANAGER, status_code=200, summary="Withdraw an open appeal",
          responses=problem_responses(403, 404, 409))
    async def withdraw(self, principal: Caller, pool: Pool, appeal_id: FromPath[UUID],
                       data: JSONBody[WithdrawIn]) -> AppealDetail:
        return await service.withdraw(pool, principal, appeal_id, data)


routes = [AppealsController]
