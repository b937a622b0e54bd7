"""HTTP routes for PDF reports: thin handlers, one service call each.

    GET /submissions/{id}/report.pdf   every role that may read the submission's JSON, shaped the same way
    GET /branches/{id}/report.pdf      a branch's period scorecard: admin, regional_lead, branch_manager
"""

from __future__ import annotations

from typing import Annotated, Final
from uuid import UUID

from litestar import Controller, Response, get
from litestar.params import QueryParameter

from inspect_api.audit.service import record_export
from inspect_api.auth.guards import roles
from inspect_api.auth.principal import Caller
from inspect_api.errors import problem_responses
from inspect_api.params import checked_day
from inspect_api.rankings.routes import FormKey, On, Period
from inspect_api.reports import service
from inspect_api.reports.words import Lang
from inspect_api.resources import AllStores

PDF: Final = "application/pdf"
LangParam = Annotated[
    Lang | None,
    QueryParameter(name="lang", description="zh or en; default: both, as the forms' labels are bilingual"),
]


def _pdf(body: bytes, filename: str) -> Response[bytes]:
    return Response(body, media_type=PDF, headers={"Content-Disposition": f'inline; filename="{filename}"',
                                                   "Cache-Control": "private, no-store"})


class SubmissionReportController(Controller):
    path = "/submissions/{submission_id:uuid}/report.pdf"
    tags = ("reports",)
    opt = roles("admin", "regional_lead", "branch_manager", "inspector", "reviewer")

    @get(
        "/",
        media_type=PDF,
        summary="One inspection as a PDF, shaped by role exactly like GET /submissions/{id}",
        description="Branch, form and version, visit date, total and section scores, critical effects in "
        "words, every item's answer, comment and photos (bounded JPEG copies; branch managers' are the "
        "redacted copies), proof of visit (admins only) and the visit's open follow-up actions (roles that "
        "read actions). A branch manager's PDF holds nothing their JSON lacks: no inspector, no time finer "
        "than the visit date, no GPS or EXIF. Outside the caller's scope: 404.",
        responses=problem_responses(404, 503),
    )
    async def submission_report(
        self, principal: Caller, stores: AllStores, submission_id: UUID, lang: LangParam = None,
    ) -> Response[bytes]:
        body = await service.submission_pdf(stores.pool, stores.blobs, stores.settings, principal, submission_id,
                                            lang)
        await record_export(stores.pool, principal, "submission-report.pdf",
                            {"submission_id": submission_id, "lang": lang})
        return _pdf(body, f"submission-{submission_id}.pdf")


class BranchReportController(Controller):
    path = "/branches/{branch_id:uuid}/report.pdf"
    tags = ("reports",)
    opt = roles("admin", "regional_lead", "branch_manager")

    @get(
        "/",
        media_type=PDF,
        summary="A branch's period scorecard as a PDF",
        description="Mean score and rank in its region with the 95% interval, the trend over the last "
        f"{service.TREND_PERIODS} periods, the weakest items, and follow-up actions opened by the period's "
        "visits (closed, still open) and overdue now. The same scope rules as /rankings (404 outside).",
        responses=problem_responses(403, 404, 422),
    )
    async def branch_report(
        self,
        principal: Caller,
        stores: AllStores,
        branch_id: UUID,
        form_key: FormKey,
        period: Period = "month",
        on: On = None,
        lang: LangParam = None,
    ) -> Response[bytes]:
        body = await service.branch_pdf(stores.pool, principal, branch_id, form_key=form_key, kind=period,
                                        on=checked_day("on", on), lang=lang)
        await record_export(stores.pool, principal, "branch-report.pdf", {
            "branch_id": branch_id, "form_key": form_key, "period": period, "on": on, "lang": lang})
        return _pdf(body, f"branch-{branch_id}-{period}.pdf")


routes = [SubmissionReportController, BranchReportController]
