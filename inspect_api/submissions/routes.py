"""HTTP routes for submissions: intake, corrections, review, role-shaped reads, the CSV and xlsx exports
(read from `read_pool`: the replica when DATABASE_READ_URL names one; the download is audited on the primary).

Like every feature's routes: the caller is the `principal: Caller` dependency, the stores `pool: Pool` (or
`stores: AllStores` when a handler needs the pool, the blob store and the settings; app-level dependencies,
inspect_api/resources.py), roles are `opt=roles(...)`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery, Parameter, QueryParameter
from litestar.response import Stream

from inspect_api.audit.service import record_export
from inspect_api.auth.guards import roles
from inspect_api.auth.principal import REVIEWERS, Caller
from inspect_api.errors import problem_responses
from inspect_api.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, attachment
from inspect_api.paging import PAGING_HEADERS, After, link_headers
from inspect_api.params import Offset, checked_day, day_param
from inspect_api.resources import AllStores, AppSettings, Pool, ReadPool
from inspect_api.submissions import comments, exports, intake, rescore, review
from inspect_api.submissions.schemas import (
    BranchComment,
    BranchSubmissionView,
    CommentIn,
    HoldIn,
    Receipt,
    RejectIn,
    RescoreIn,
    RescoreReport,
    ReviewComment,
    ReviewSummary,
    SubmissionIn,
    SubmissionStatus,
    SubmissionSummary,
    SubmissionView,
)

INSPECTOR: Final = roles("inspector")
QA: Final = roles(*REVIEWERS)
PageSize = Annotated[int, Parameter(ge=1, le=review.MAX_PAGE_SIZE, description="page size (max 200)")]
FormKey = Annotated[str, QueryParameter(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$(?!\n)", description="form key")]


class SubmissionsController(Controller):
    path = "/submissions"
    tags = ["submissions"]
    opt = roles("admin", "regional_lead", "branch_manager", "inspector", "reviewer")

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
        principal: Caller,
        stores: AllStores,
        data: SubmissionIn,
    ) -> Receipt:
        return await intake.submit(stores.pool, stores.blobs, stores.settings, principal, data)

    @post(
        "/{submission_id:uuid}/revisions",
        opt=INSPECTOR,
        summary="Correct a rejected submission with a new revision (history kept)",
        responses=problem_responses(404, 409, 422, 503),
    )
    async def correct(
        self,
        principal: Caller,
        stores: AllStores,
        submission_id: UUID,
        data: SubmissionIn,
    ) -> Receipt:
        return await intake.submit(stores.pool, stores.blobs, stores.settings, principal, data,
                                   correction_of=submission_id)

    @get("/", summary="Submissions in the caller's scope (branch managers: released only)",
         # QA's review queue is ?status=submitted: for proof readers each row has its integrity summary.
         description="Newest visit first. Page with `after` (the `Next-Cursor` header of the previous page): "
         "every page costs what the first does. `offset` still works but is deprecated for deep pages.",
         response_headers=PAGING_HEADERS, responses=problem_responses(400))
    async def list_submissions(
        self,
        request: Request,
        principal: Caller,
        pool: Pool,
        branch_id: UUID | None = None,
        status: SubmissionStatus | None = None,
        form_key: str | None = None,
        date_from: Annotated[date | None, day_param("visited on or after", name="from")] = None,
        date_to: Annotated[date | None, day_param("visited on or before", name="to")] = None,
        limit: PageSize = 50,
        offset: Offset = 0,
        after: After = None,
    ) -> Response[list[ReviewSummary] | list[SubmissionSummary]]:
        page, cursor = await review.list_submissions(
            pool, principal, branch_id=branch_id, status=status, form_key=form_key,
            date_from=checked_day("from", date_from), date_to=checked_day("to", date_to), limit=limit, offset=offset,
            after=after,
        )
        return Response(page, headers=link_headers(cursor, request.url.path, dict(request.query_params)))

    @get(
        "/{submission_id:uuid}",
        summary="One submission, shaped by role (branch managers never see who inspected)",
        responses=problem_responses(404),
    )
    async def get_submission(
        self, principal: Caller, pool: Pool, submission_id: UUID
    ) -> SubmissionView | BranchSubmissionView:
        return await review.get_submission(pool, principal, submission_id)

    @post("/{submission_id:uuid}/approve", opt=QA, status_code=200, responses=problem_responses(404, 409))
    async def approve(
        self, principal: Caller, pool: Pool, submission_id: UUID
    ) -> SubmissionView | BranchSubmissionView:
        return await review.transition(pool, principal, submission_id, "approved")

    @post(
        "/{submission_id:uuid}/release",
        opt=QA,
        status_code=200,
        summary="Release an approved result to the branch",
        responses=problem_responses(404, 409),
    )
    async def release(
        self, principal: Caller, pool: Pool, submission_id: UUID
    ) -> SubmissionView | BranchSubmissionView:
        return await review.transition(pool, principal, submission_id, "released")

    @post(
        "/rescore",
        opt=roles("admin"),
        status_code=200,
        summary="Re-score unreleased results with the current scoring code (admin; dry run by default)",
        description="Chosen by submission_ids or form_key (and form_version), at most `limit` per call in id "
        "order (continue with after = next_after). Each result's current revision is scored again from its "
        "stored answers against its pinned form version; the report gives compare_cards' changes per result. "
        "With dry_run false, cards that differ are replaced in place (the old card kept in the re-score "
        "history, an audit row each). Released results are never re-scored: their cards are frozen.",
        responses=problem_responses(400, 422),
    )
    async def rescore_results(self, principal: Caller, pool: Pool, data: RescoreIn) -> RescoreReport:
        return await rescore.rescore(pool, principal, data)

    @post("/{submission_id:uuid}/reject", opt=QA, status_code=200, responses=problem_responses(404, 409))
    async def reject(
        self, principal: Caller, pool: Pool, submission_id: UUID, data: RejectIn
    ) -> SubmissionView | BranchSubmissionView:
        return await review.transition(pool, principal, submission_id, "rejected", data.reason)

    @post("/{submission_id:uuid}/hold", opt=QA, status_code=200,
          summary="Put a submitted or approved result on hold (QA; a reason is required)",
          description="A held result cannot be released (409) until unheld; the review queue shows on_hold. "
          "Approve and reject still work; a rejection ends the hold.",
          responses=problem_responses(404, 409))
    async def hold(self, principal: Caller, pool: Pool, submission_id: UUID, data: HoldIn) -> SubmissionView:
        return await review.set_hold(pool, principal, submission_id, data.reason, hold=True)

    @post("/{submission_id:uuid}/unhold", opt=QA, status_code=200,
          summary="Take a result off hold (QA; the reason is recorded)", responses=problem_responses(404, 409))
    async def unhold(self, principal: Caller, pool: Pool, submission_id: UUID, data: HoldIn) -> SubmissionView:
        return await review.set_hold(pool, principal, submission_id, data.reason, hold=False)

    @post("/{submission_id:uuid}/comments", opt=QA,
          summary="QA comments on the result or one item; share_with_branch shows it to the branch after release",
          responses=problem_responses(404, 422))
    async def add_comment(
        self, principal: Caller, pool: Pool, submission_id: UUID, data: CommentIn
    ) -> ReviewComment:
        return await comments.add(pool, principal, submission_id, data)

    @get("/{submission_id:uuid}/comments", opt=roles("admin", "reviewer", "regional_lead", "branch_manager"),
         summary="QA's comments: every one for QA; shared ones of a released result (text and date) for the branch",
         responses=problem_responses(404))
    async def list_comments(
        self, principal: Caller, pool: Pool, submission_id: UUID
    ) -> list[ReviewComment] | list[BranchComment]:
        return await comments.list_for(pool, principal, submission_id)


class SubmissionExportsController(Controller):
    path = "/exports"
    tags = ("exports",)
    opt = roles("admin", "regional_lead", "branch_manager")

    @get("/submissions.csv", media_type=CSV_MEDIA_TYPE,
         summary="Submissions of a form with item scores, as CSV",
         responses=problem_responses(404, 422))
    async def submissions_csv(
        self,
        principal: Caller,
        pool: Pool,
        read_pool: ReadPool,
        form_key: FormKey,
        date_from: Annotated[date | None, day_param("visited on or after", name="from")] = None,
        date_to: Annotated[date | None, day_param("visited on or before", name="to")] = None,
        branch_id: FromQuery[UUID | None] = None,
        region_id: FromQuery[UUID | None] = None,
    ) -> Stream:
        filters = exports.SubmissionExportFilters(form_key=form_key, date_from=checked_day("from", date_from),
                                                  date_to=checked_day("to", date_to),
                                                  branch_id=branch_id, region_id=region_id)
        body = await exports.submissions_csv(read_pool, principal, filters)
        await record_export(pool, principal, "submissions.csv", filters)
        return Stream(body, media_type=CSV_MEDIA_TYPE, headers=attachment(f"submissions-{form_key}.csv"))

    @get("/submissions.xlsx", media_type=XLSX_MEDIA_TYPE,
         summary="Submissions of a form with item scores, as an Excel workbook",
         description="The CSV's columns and rows on one sheet, written in constant memory. At most "
         "EXPORT_XLSX_MAX_ROWS rows (by default 1,048,575, Excel's sheet limit): a larger result is a 422 "
         "naming the filters that narrow it (the CSV has no cap).",
         responses=problem_responses(404, 422))
    async def submissions_xlsx(
        self,
        principal: Caller,
        pool: Pool,
        read_pool: ReadPool,
        settings: AppSettings,
        form_key: FormKey,
        date_from: Annotated[date | None, day_param("visited on or after", name="from")] = None,
        date_to: Annotated[date | None, day_param("visited on or before", name="to")] = None,
        branch_id: FromQuery[UUID | None] = None,
        region_id: FromQuery[UUID | None] = None,
    ) -> Stream:
        filters = exports.SubmissionExportFilters(form_key=form_key, date_from=checked_day("from", date_from),
                                                  date_to=checked_day("to", date_to),
                                                  branch_id=branch_id, region_id=region_id)
        body = await exports.submissions_xlsx(read_pool, principal, filters, max_rows=settings.export_xlsx_max_rows)
        await record_export(pool, principal, "submissions.xlsx", filters)
        return Stream(body, media_type=XLSX_MEDIA_TYPE, headers=attachment(f"submissions-{form_key}.xlsx"))


routes = [SubmissionsController, SubmissionExportsController]
