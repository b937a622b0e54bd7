"""HTTP routes for rankings, trends, weakness maps and exports: thin handlers, one service call each.

    GET /rankings                    admin (scope org or region), regional_lead and branch_manager
                                     (scope region: a region they may see; managers see peers anonymised)
    GET /rankings/trend              a visible branch's score per period, last N periods
    GET /rankings/weakness           failure rate per item for a branch, a region or (admin) the org
    GET /rankings/inspectors         admins (QA): inspector leniency, rankings with and without it,
                                     calibration agreement (it names inspectors: nobody else)
    GET /exports/rankings.csv|.xlsx  the ranking, every row, same scope rules
(/exports/submissions.csv and /exports/actions.csv are the submissions' and actions' own routes.)
Inspectors get 403 on all of them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final
from uuid import UUID

from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream

from inspect_api.audit.service import record_export
from inspect_api.auth.guards import roles
from inspect_api.auth.principal import Caller
from inspect_api.errors import problem_responses
from inspect_api.exports import CSV_MEDIA_TYPE, attachment
from inspect_api.params import Offset, checked_day, day_param
from inspect_api.rankings import exports, service
from inspect_api.rankings.cache import RankingsCache
from inspect_api.rankings.schemas import (
    MIN_VISITS_LIMITS,
    Adjust,
    CalibrationOut,
    ExcludeIntegrity,
    Peer,
    RankingsOut,
    Scope,
    TrendOut,
    WeaknessOut,
)
from inspect_api.rankings.stats import PeriodKind
from inspect_api.resources import Pool, ReadPool


def provide_rankings_cache(request: Request[Any, Any, Any]) -> RankingsCache:
    return request.app.state.resources.rankings


READERS: Final = roles("admin", "regional_lead", "branch_manager")
FormKey = Annotated[str, QueryParameter(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$(?!\n)", description="form key")]
Period = Annotated[PeriodKind, QueryParameter(description="week (ISO, Monday first), month or quarter")]
On = Annotated[date | None, day_param("a day inside the period (default: today, local)")]
MinVisits = Annotated[
    int | None,
    QueryParameter(ge=MIN_VISITS_LIMITS[0], le=MIN_VISITS_LIMITS[1],
                   description="rank only branches with at least this many visits (default: org setting "
                               "min_ranked_visits, else 3)"),
]
# `scope` is a reserved handler argument in Litestar (the ASGI scope): read the query parameter by name.
ScopeParam = Annotated[Scope | None, QueryParameter(name="scope", description="org (admins) or region")]
AdjustParam = Annotated[
    Adjust,
    QueryParameter(description="shrinkage: also each branch's empirical-Bayes adjusted score (pulled toward its "
                               "region's mean when it has few visits), its interval and ranks on it"),
]
WindowDays = Annotated[
    int,
    QueryParameter(ge=0, le=service.MAX_CALIBRATION_WINDOW_DAYS,
                   description="calibration pairs: two inspectors' visits to one branch at most this many days "
                               "apart (0: the same day)"),
]
PeerParam = Annotated[
    Peer | None,
    QueryParameter(description="with adjust=shrinkage: the peer group each branch is pulled toward and ranked in "
                               "(adjusted.peer_rank): region (default), format (the branch attribute) or all"),
]
ExcludeIntegrityParam = Annotated[
    ExcludeIntegrity,
    QueryParameter(description="leave out of every figure the visits whose proof-of-visit integrity reaches this "
                               "level (suspect: GPS far off, a reused photo, a photo from another day; review: any "
                               "warning); none keeps every visit. Default suspect (proof.counts_for_fairness)"),
]
Limit = Annotated[int, QueryParameter(ge=1, le=service.MAX_PAGE_SIZE, description="page size (max 500)")]
Periods = Annotated[int, QueryParameter(ge=1, le=service.MAX_TREND_PERIODS, description="how many periods")]


class RankingsController(Controller):
    path = "/rankings"
    tags = ("rankings",)
    opt = READERS
    dependencies = {"rankings_cache": Provide(provide_rankings_cache, sync_to_thread=False)}

    @get(
        "/",
        summary="Branch ranking for a form and period, with deltas against the previous period",
        description="Mean score, visits, pass rate, rank (ties share a rank), percentile and 95% interval "
        "(Student's t) per branch; branches under min_visits are listed but unranked.",
        responses=problem_responses(403, 404, 422),
    )
    async def rankings(
        self,
        principal: Caller,
        read_pool: ReadPool,
        rankings_cache: NamedDependency[RankingsCache],
        form_key: FormKey,
        period: Period = "month",
        on: On = None,
        ranking_scope: ScopeParam = None,
        region_id: FromQuery[UUID | None] = None,
        min_visits: MinVisits = None,
        limit: Limit = 100,
        offset: Offset = 0,
        adjust: AdjustParam = "none",
        peer: PeerParam = None,
    ) -> RankingsOut:
        page = await service.rankings_page(read_pool, principal, form_key=form_key, kind=period,
                                           on=checked_day("on", on), scope=ranking_scope, region_id=region_id,
                                           min_visits=min_visits, limit=limit, offset=offset, cache=rankings_cache,
                                           adjust=adjust, peer=peer)
        # The page's JSON is kept with it (rankings/cache.py): a repeated view sends the same bytes, not a
        # re-encoding of the same answer. The schema stays RankingsOut's.
        return Response(page.body(), media_type=MediaType.JSON)  # type: ignore[return-value]

    @get("/trend", summary="A branch's score per period over the last N periods",
         responses=problem_responses(404, 422))
    async def trend(
        self,
        principal: Caller,
        read_pool: ReadPool,
        branch_id: FromQuery[UUID],
        form_key: FormKey,
        period: Period = "month",
        periods: Periods = 12,
        on: On = None,
    ) -> TrendOut:
        return await service.trend(read_pool, principal, branch_id=branch_id, form_key=form_key, kind=period,
                                   periods=periods, on=checked_day("on", on))

    @get("/weakness", summary="Failure rate per item, with items failing at consecutive visits",
         responses=problem_responses(403, 404, 422))
    async def weakness(
        self,
        principal: Caller,
        read_pool: ReadPool,
        form_key: FormKey,
        period: Period = "month",
        on: On = None,
        branch_id: FromQuery[UUID | None] = None,
        region_id: FromQuery[UUID | None] = None,
    ) -> WeaknessOut:
        return await service.weakness(read_pool, principal, form_key=form_key, kind=period, on=checked_day("on", on),
                                      branch_id=branch_id, region_id=region_id)


    @get("/inspectors", opt=roles("admin"), summary="Inspector leniency and calibration agreement (QA)",
         description="Each inspector's leniency (+) or harshness (−) from visits to shared branches, the branches "
         "ranked with and without it, and per item / pair / inspector agreement (Cohen's kappa) of calibration "
         "visits. Read from the period's released visits.",
         responses=problem_responses(403, 422))
    async def inspectors(
        self,
        principal: Caller,
        pool: Pool,
        form_key: FormKey,
        period: Period = "month",
        on: On = None,
        window_days: WindowDays = 0,
        exclude_integrity: ExcludeIntegrityParam = "suspect",
    ) -> CalibrationOut:
        return await service.inspector_report(pool, principal, form_key=form_key, kind=period,
                                              on=checked_day("on", on), window_days=window_days,
                                              exclude_integrity=exclude_integrity)


class ExportsController(Controller):
    path = "/exports"
    tags = ("exports",)
    opt = READERS

    @get("/rankings.csv", media_type=CSV_MEDIA_TYPE, summary="The ranking as CSV (UTF-8 with BOM)",
         responses=problem_responses(403, 404, 422))
    async def rankings_csv(
        self,
        principal: Caller,
        pool: Pool,
        read_pool: ReadPool,
        form_key: FormKey,
        period: Period = "month",
        on: On = None,
        ranking_scope: ScopeParam = None,
        region_id: FromQuery[UUID | None] = None,
        min_visits: MinVisits = None,
    ) -> Stream:
        export = await exports.rankings_csv(read_pool, principal, form_key=form_key, kind=period,
                                            on=checked_day("on", on), scope=ranking_scope, region_id=region_id,
                                            min_visits=min_visits)
        await record_export(pool, principal, "rankings.csv", {
            "form_key": form_key, "period": period, "on": on, "scope": ranking_scope, "region_id": region_id,
            "min_visits": min_visits})
        return Stream(export.body, media_type=CSV_MEDIA_TYPE, headers=attachment(export.filename))

    @get("/rankings.xlsx", media_type=exports.XLSX_MEDIA_TYPE, summary="The ranking as an Excel workbook",
         responses=problem_responses(403, 404, 422))
    async def rankings_xlsx(
        self,
        principal: Caller,
        pool: Pool,
        read_pool: ReadPool,
        form_key: FormKey,
        period: Period = "month",
        on: On = None,
        ranking_scope: ScopeParam = None,
        region_id: FromQuery[UUID | None] = None,
        min_visits: MinVisits = None,
    ) -> Response[bytes]:
        export = await exports.rankings_xlsx(read_pool, principal, form_key=form_key, kind=period,
                                             on=checked_day("on", on), scope=ranking_scope, region_id=region_id,
                                            min_visits=min_visits)
        await record_export(pool, principal, "rankings.xlsx", {
            "form_key": form_key, "period": period, "on": on, "scope": ranking_scope, "region_id": region_id,
            "min_visits": min_visits})
        return Response(export.body, media_type=exports.XLSX_MEDIA_TYPE, headers=attachment(export.filename))


routes = [RankingsController, ExportsController]
