"""HTTP routes for submissions: intake, corrections, review, role-shaped reads."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from inspect_api.auth.principal import Principal
from inspect_api.errors import problem_responses
from inspect_api.params import Offset, checked_day, day_param
from inspect_api.resources import Stores
from inspect_api.submissions import intake, review
from inspect_api.submissions.schemas import (
    BranchSubmissionView,
    Receipt,
    RejectIn,
    SubmissionIn,
    SubmissionStatus,
    SubmissionSummary,
    SubmissionView,
)

INSPECTOR = {"roles": ("inspector",)}
QA = {"roles": ("admin",)}
PageSize = Annotated[int, Parameter(ge=1, le=review.MAX_PAGE_SIZE, description="page size (max 200)")]
AuthedRequest = Request[Principal, Any, Any]


class SubmissionsController(Controller):
    path = "/submissions"
    tags = ["submissions"]
    opt = {"roles": ("admin", "regional_lead", "branch_manager", "inspector")}

    @post(
        "/",
        opt=INSPECTOR,
        summary="Submit an inspection (idempotent on client_id)",
        description="Resending the same body with the same client_id answers the stored result; "
        "the same client_id with a different body is a 409.",
        responses=problem_responses(404, 409, 422, 503),
    )
    async def submit(
        self,
        request: AuthedRequest,
        stores: NamedDependency[Stores],
        data: SubmissionIn,
    ) -> Receipt:
        return await intake.submit(stores.pool, stores.blobs, stores.settings, request.user, data)

    @post(
        "/{submission_id:uuid}/revisions",
        opt=INSPECTOR,
        summary="Correct a rejected submission with a new revision (history kept)",
        responses=problem_responses(404, 409, 422, 503),
    )
    async def correct(
        self,
        request: AuthedRequest,
        stores: NamedDependency[Stores],
        submission_id: UUID,
        data: SubmissionIn,
    ) -> Receipt:
        return await intake.submit(stores.pool, stores.blobs, stores.settings, request.user, data,
                                   correction_of=submission_id)

    @get("/", summary="Submissions in the caller's scope (branch managers: released only)")
    async def list_submissions(
        self,
        request: AuthedRequest,
        pool: NamedDependency[asyncpg.Pool],
        branch_id: UUID | None = None,
        status: SubmissionStatus | None = None,
        form_key: str | None = None,
        date_from: Annotated[date | None, day_param("visited on or after", name="from")] = None,
        date_to: Annotated[date | None, day_param("visited on or before", name="to")] = None,
        limit: PageSize = 50,
        offset: Offset = 0,
    ) -> list[SubmissionSummary]:
        return await review.list_submissions(
            pool, request.user, branch_id=branch_id, status=status, form_key=form_key,
            date_from=checked_day("from", date_from), date_to=checked_day("to", date_to), limit=limit, offset=offset,
        )

    @get(
        "/{submission_id:uuid}",
        summary="One submission, shaped by role (branch managers never see who inspected)",
        responses=problem_responses(404),
    )
    async def get_submission(
        self, request: AuthedRequest, pool: NamedDependency[asyncpg.Pool], submission_id: UUID
    ) -> SubmissionView | BranchSubmissionView:
        return await review.get_submission(pool, request.user, submission_id)

    @post("/{submission_id:uuid}/approve", opt=QA, status_code=200, responses=problem_responses(404, 409))
    async def approve(
        self, request: AuthedRequest, pool: NamedDependency[asyncpg.Pool], submission_id: UUID
    ) -> SubmissionView | BranchSubmissionView:
        return await review.transition(pool, request.user, submission_id, "approved")

    @post(
        "/{submission_id:uuid}/release",
        opt=QA,
        status_code=200,
        summary="Release an approved result to the branch",
        responses=problem_responses(404, 409),
    )
    async def release(
        self, request: AuthedRequest, pool: NamedDependency[asyncpg.Pool], submission_id: UUID
    ) -> SubmissionView | BranchSubmissionView:
        return await review.transition(pool, request.user, submission_id, "released")

    @post("/{submission_id:uuid}/reject", opt=QA, status_code=200, responses=problem_responses(404, 409))
    async def reject(
        self, request: AuthedRequest, pool: NamedDependency[asyncpg.Pool], submission_id: UUID, data: RejectIn
    ) -> SubmissionView | BranchSubmissionView:
        return await review.transition(pool, request.user, submission_id, "rejected", data.reason)


routes = [SubmissionsController]
