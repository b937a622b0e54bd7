"""Rankings, trends, weakness maps and exports on real Postgres, through the HTTP API, per role."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from inspect_api.app import create_app
from inspect_api.rankings.rollups import backfill
from inspect_api.rankings.stats import PERIOD_KINDS, period_start
from inspect_api.settings import Settings
from tests.integration.factories import World, fast_settings, login_as, make_user
from tests.integration.releases import (
    FUEL,
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    previous_month,
    reference_month,
    set_org_settings,
)

FAIL_SOME = ("p1_greeting", "p4_equal_treatment")


def by_code(body: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {(row["branch"] or {}).get("code"): row for row in body["rows"]}


@pytest_asyncio.fixture
async def scenario(client: AsyncTestClient, world: World, fuel_catalogue: Catalogue) -> dict[str, Any]:  # noqa: F811
    """Reference month M and the month before, P, at org alpha:
        B11  P: 3 visits failing p1+p4     M: 3 perfect visits
        B12  P: 3 perfect visits           M: 3 perfect visits          (ties B11 in M)
        B21  P: -                          M: 3 visits failing p1+p4 (p1 fails at consecutive visits)
        B22  P: -                          M: 1 perfect visit           (unranked below 3 visits)
    """
    run = Inspections(client, world, fuel_catalogue)
    month, before = reference_month(), previous_month(reference_month())
    a = world.a
    scores: dict[str, list[float]] = {}
    passes: list[bool] = []
    for code, branch, day0, failing, count in (
        ("B11-P", a.b11, before, FAIL_SOME, 3), ("B12-P", a.b12, before, (), 3),
        ("B11", a.b11, month, (), 3), ("B12", a.b12, month, (), 3),
        ("B21", a.b21, month, FAIL_SOME, 3), ("B22", a.b22, month, (), 1),
    ):
        for n in range(count):
            receipt = await run.released(branch, day0 + timedelta(days=9 + n), failing=failing)
            scores.setdefault(code, []).append(receipt["score"]["total_percent"])
            if day0 == month:
                passes.append(receipt["score"]["passed"])
    return {"run": run, "month": month, "before": before, "scores": scores, "passes": passes}


async def get(client: AsyncTestClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get(path, params={k: str(v) for k, v in params.items()}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_ranking_ties_unranked_branches_and_deltas(
    client: AsyncTestClient, world: World, scenario: dict[str, Any]
) -> None:
    admin = await scenario["run"].headers("admin")
    month, scores = scenario["month"], scenario["scores"]
    body = await get(client, "/rankings", admin, form_key=FUEL, period="month", on=month + timedelta(days=20))
    assert body["scope"] == "org" and body["min_visits"] == 3
    assert body["period"] == {"kind": "month", "first_day": month.isoformat(),
                              "last_day": (period_start("month", month + timedelta(days=40)) - timedelta(days=1))
                              .isoformat()}
    assert body["previous_period"]["first_day"] == scenario["before"].isoformat()
    rows = by_code(body)
    assert [r["branch"]["code"] for r in body["rows"]] == ["B11", "B12", "B21", "B22"]
    b11, b12, b21, b22 = rows["B11"], rows["B12"], rows["B21"], rows["B22"]
    assert b11["current"]["rank"] == b12["current"]["rank"] == 1  # a tie shares the rank
    assert b21["current"]["rank"] == 3 and b21["current"]["percentile"] == 0.0
    assert b11["current"]["percentile"] == b12["current"]["percentile"] == 75.0
    assert b22["current"] | {"mean": None} == {
        "visits": 1, "mean": None, "ci_low": 0.0, "ci_high": 100.0, "pass_rate": 1.0, "ranked": False,
        "rank": None, "percentile": None}
    low_mean = sum(scores["B21"]) / 3
    assert low_mean < 100.0 and b21["current"]["mean"] == pytest.approx(low_mean, abs=1e-4)
    assert b21["current"]["ci_low"] <= b21["current"]["mean"] <= b21["current"]["ci_high"]
    # Against the previous month: B11 rose from rank 2 to a shared first place, B12 held rank 1.
    assert b11["previous"]["rank"] == 2 and b11["delta_rank"] == 1
    assert b11["delta_mean"] == pytest.approx(100.0 - sum(scores["B11-P"]) / 3, abs=1e-3)
    assert b12["previous"]["rank"] == 1 and b12["delta_rank"] == 0 and b12["delta_mean"] == 0.0
    assert b21["previous"]["visits"] == 0 and b21["delta_mean"] is None and b21["delta_rank"] is None
    distribution = body["distribution"]
    assert (distribution["branches"], distribution["ranked"], distribution["visits"]) == (4, 3, 10)
    assert distribution["min"] == pytest.approx(low_mean, abs=1e-3)
    assert distribution["median"] == distribution["max"] == 100.0
    assert distribution["pass_rate"] == round(sum(scenario["passes"]) / 10, 4)

    # The threshold: from the query (within limits), else the org setting.
    loose = by_code(await get(client, "/rankings", admin, form_key=FUEL, on=month, min_visits=1))
    assert loose["B22"]["current"]["rank"] == 1 and loose["B21"]["current"]["rank"] == 4
    too_low = await client.get("/rankings", params={"form_key": FUEL, "min_visits": "0"}, headers=admin)
    assert too_low.status_code == 400
    paged = await get(client, "/rankings", admin, form_key=FUEL, on=month, limit=2, offset=1)
    assert [r["branch"]["code"] for r in paged["rows"]] == ["B12", "B21"] and paged["total"] == 4


async def test_the_org_setting_sets_the_threshold_and_weeks_rank_too(
    client: AsyncTestClient, world: World, scenario: dict[str, Any], db: asyncpg.Pool
) -> None:
    admin = await scenario["run"].headers("admin")
    month = scenario["month"]
    await set_org_settings(db, world.a.id, min_ranked_visits=4)
    strict = await get(client, "/rankings", admin, form_key=FUEL, on=month)
    assert strict["min_visits"] == 4 and strict["distribution"]["ranked"] == 0
    assert all(not r["current"]["ranked"] for r in strict["rows"])
    week = await get(client, "/rankings", admin, form_key=FUEL, period="week", on=month + timedelta(days=9),
                     min_visits=1)
    assert week["period"]["first_day"] == period_start("week", month + timedelta(days=9)).isoformat()
    visit_days = [month + timedelta(days=9 + n) for n in (0, 1, 2) for _ in range(3)] + [month + timedelta(days=9)]
    in_week = [d for d in visit_days if period_start("week", d) == period_start("week", month + timedelta(days=9))]
    assert sum(r["current"]["visits"] for r in week["rows"]) == len(in_week)
    quarter = await get(client, "/rankings", admin, form_key=FUEL, period="quarter", on=month)
    assert quarter["distribution"]["visits"] >= 10


async def test_who_sees_which_ranking(client: AsyncTestClient, world: World, scenario: dict[str, Any],
                                      db: asyncpg.Pool) -> None:
    month = scenario["month"]
    lead = await login_as(client, world.a.lead)
    manager = await login_as(client, world.a.manager)
    inspector = await login_as(client, world.a.inspector)
    other_admin = await login_as(client, world.b.admin)

    region = await get(client, "/rankings", lead, form_key=FUEL, on=month)  # the lead's only region
    assert region["scope"] == "region" and region["region_id"] == str(world.a.r1)
    assert sorted(by_code(region)) == ["B11", "B12"]
    assert (await client.get("/rankings", params={"form_key": FUEL, "scope": "org"}, headers=lead)).status_code == 403
    elsewhere = await client.get("/rankings", params={"form_key": FUEL, "region_id": str(world.a.r2)}, headers=lead)
    assert elsewhere.status_code == 404
    foreign = await client.get("/rankings", params={"form_key": FUEL, "region_id": str(world.a.r1)},
                               headers=other_admin)
    assert foreign.status_code == 404
    theirs = (await get(client, "/rankings", other_admin, form_key=FUEL, on=month))["rows"]
    assert {r["branch"]["id"] for r in theirs} == {str(b) for b in (world.b.b11, world.b.b12, world.b.b21, world.b.b22)}
    assert all(r["current"]["visits"] == 0 for r in theirs)

    # A branch manager: their own branch by name, the region's distribution, peers anonymised.
    mine = await get(client, "/rankings", manager, form_key=FUEL, on=month)
    assert mine["region_id"] == str(world.a.r1) and mine["distribution"]["branches"] == 2
    own = [r for r in mine["rows"] if r["own"]]
    peers = [r for r in mine["rows"] if not r["own"]]
    assert [r["branch"]["code"] for r in own] == ["B11"] and own[0]["current"]["rank"] == 1
    assert len(peers) == 1 and peers[0]["branch"] is None and peers[0]["current"]["rank"] == 1
    assert "B12" not in str(mine)
    await set_org_settings(db, world.a.id, show_peer_names=True)
    named = await get(client, "/rankings", manager, form_key=FUEL, on=month)
    assert sorted(by_code(named)) == ["B11", "B12"]

    for path in ("/rankings", "/rankings/weakness", "/rankings/trend", "/exports/rankings.csv"):
        response = await client.get(path, params={"form_key": FUEL, "branch_id": str(world.a.b11)}, headers=inspector)
        assert response.status_code == 403, path


async def test_a_release_is_in_the_ranking_at_once(client: AsyncTestClient, world: World,
                                                   scenario: dict[str, Any]) -> None:
    run, month = scenario["run"], scenario["month"]
    admin = await run.headers("admin")
    before = by_code(await get(client, "/rankings", admin, form_key=FUEL, on=month))["B22"]["current"]
    receipt = await run.submit(world.a.b22, month + timedelta(days=20), failing=("p1_greeting",))
    unreleased = by_code(await get(client, "/rankings", admin, form_key=FUEL, on=month))["B22"]["current"]
    assert unreleased == before  # submitted and even approved results do not count
    await run.release(receipt["submission_id"])
    after = by_code(await get(client, "/rankings", admin, form_key=FUEL, on=month))["B22"]["current"]
    assert after["visits"] == 2
    assert after["mean"] == pytest.approx((100.0 + receipt["score"]["total_percent"]) / 2, abs=1e-4)


async def test_weakness_map_and_recurring_failures(client: AsyncTestClient, world: World,
                                                   scenario: dict[str, Any]) -> None:
    month = scenario["month"]
    admin = await scenario["run"].headers("admin")
    manager = await login_as(client, world.a.manager)
    lead = await login_as(client, world.a.lead)

    branch = await get(client, "/rankings/weakness", admin, form_key=FUEL, on=month, branch_id=world.a.b21)
    assert branch["scope"] == "branch" and branch["branch"]["code"] == "B21" and branch["visits"] == 3
    top = branch["items"][:2]
    assert {i["item_key"] for i in top} == set(FAIL_SOME)
    for item in top:
        assert (item["applicable"], item["failures"], item["failure_rate"]) == (3, 3, 1.0)
        assert item["repeat_failures"] == 2 and item["recurring"] is True  # visits 2 and 3 repeat visit 1
    assert top[0]["label"]["zh"] and top[0]["section_key"]
    rest = branch["items"][2:]
    assert rest and all(i["failures"] == 0 and not i["recurring"] for i in rest)

    region = await get(client, "/rankings/weakness", admin, form_key=FUEL, on=month, region_id=world.a.r2)
    p1 = next(i for i in region["items"] if i["item_key"] == "p1_greeting")
    assert region["visits"] == 4 and (p1["applicable"], p1["failures"], p1["branches_recurring"]) == (4, 3, 1)
    org = await get(client, "/rankings/weakness", admin, form_key=FUEL, on=month)
    assert org["scope"] == "org" and org["visits"] == 10

    # Scope: managers their branch (and their region in aggregate), leads their regions.
    assert (await get(client, "/rankings/weakness", manager, form_key=FUEL, on=month,
                      branch_id=world.a.b11))["items"][0]["failures"] == 0
    assert (await get(client, "/rankings/weakness", manager, form_key=FUEL, on=month,
                      region_id=world.a.r1))["visits"] == 6
    for who, params in ((manager, {"branch_id": world.a.b12}), (lead, {"branch_id": world.a.b21}),
                        (lead, {"region_id": world.a.r2})):
        response = await client.get("/rankings/weakness", params={"form_key": FUEL, **params}, headers=who)
        assert response.status_code == 404
    assert (await client.get("/rankings/weakness", params={"form_key": FUEL}, headers=lead)).status_code == 403


async def test_trend_over_the_last_periods(client: AsyncTestClient, world: World, scenario: dict[str, Any]) -> None:
    month, before, scores = scenario["month"], scenario["before"], scenario["scores"]
    manager = await login_as(client, world.a.manager)
    trend = await get(client, "/rankings/trend", manager, branch_id=world.a.b11, form_key=FUEL, period="month",
                      periods=3, on=month)
    assert trend["branch"]["code"] == "B11"
    assert [p["period"]["first_day"] for p in trend["points"]] == [
        previous_month(before).isoformat(), before.isoformat(), month.isoformat()]
    assert [p["visits"] for p in trend["points"]] == [0, 3, 3]
    assert trend["points"][0]["mean"] is None
    assert trend["points"][1]["mean"] == pytest.approx(sum(scores["B11-P"]) / 3, abs=1e-4)
    assert trend["points"][2]["mean"] == 100.0 and trend["points"][2]["ci_low"] == 100.0
    denied = await client.get("/rankings/trend", params={"branch_id": str(world.a.b12), "form_key": FUEL},
                              headers=manager)
    assert denied.status_code == 404


async def test_incremental_rollups_equal_a_backfill_even_for_late_releases(
    client: AsyncTestClient, world: World, scenario: dict[str, Any], db: asyncpg.Pool
) -> None:
    run, month = scenario["run"], scenario["month"]
    # B12: a later visit released first, then an earlier one (out of series order), both failing p1.
    later = await run.submit(world.a.b12, month + timedelta(days=25), failing=("p1_greeting",))
    earlier = await run.submit(world.a.b12, month + timedelta(days=24), failing=("p1_greeting",))
    await run.release(later["submission_id"])
    await run.release(earlier["submission_id"])

    async def snapshot() -> tuple[list[Any], list[Any]]:
        branch = await db.fetch("SELECT * FROM rollup_branch_periods ORDER BY 1, 2, 3, 4, 5")
        items = await db.fetch("SELECT * FROM rollup_item_periods ORDER BY 1, 2, 3, 4, 5, 6")
        return [tuple(r) for r in branch], [tuple(r) for r in items]

    incremental = await snapshot()
    async with db.acquire() as conn, conn.transaction():
        await backfill(conn, world.a.id)
    assert await snapshot() == incremental
    p1 = await db.fetchrow(
        "SELECT failures, repeat_failures FROM rollup_item_periods WHERE branch_id = $1 AND item_key = 'p1_greeting' "
        "AND period_kind = 'month' AND period_start = $2", world.a.b12, month)
    assert tuple(p1) == (2, 1)  # the later visit repeats the earlier one, though released first


async def test_sql_periods_match_the_python_ones(db: asyncpg.Pool) -> None:
    days = [date(2024, 1, 1) + timedelta(days=n * 13) for n in range(120)]
    for kind in PERIOD_KINDS:
        rows = await db.fetch("SELECT d, date_trunc($1, d::timestamp)::date AS s FROM unnest($2::date[]) AS d",
                              kind, days)
        assert {r["d"]: r["s"] for r in rows} == {d: period_start(kind, d) for d in days}


async def test_exports_are_scoped_excel_friendly_csv_and_xlsx(
    client: AsyncTestClient, world: World, scenario: dict[str, Any]
) -> None:
    month = scenario["month"]
    admin = await scenario["run"].headers("admin")
    manager = await login_as(client, world.a.manager)

    response = await client.get("/exports/rankings.csv", params={"form_key": FUEL, "on": str(month)}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["branch_code"] for r in rows] == ["B11", "B12", "B21", "B22"]
    assert rows[0]["branch_name_zh"] == "B11店" and rows[0]["rank"] == "1" and rows[3]["ranked"] == "false"

    hidden = await client.get("/exports/rankings.csv", params={"form_key": FUEL, "on": str(month)}, headers=manager)
    hidden_rows = list(csv.DictReader(io.StringIO(hidden.content.decode("utf-8-sig"))))
    assert sorted(r["branch_code"] for r in hidden_rows) == ["", "B11"]

    book = await client.get("/exports/rankings.xlsx", params={"form_key": FUEL, "on": str(month)}, headers=admin)
    assert book.status_code == 200 and book.headers["content-type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(book.content)) as archive:
        strings = archive.read("xl/sharedStrings.xml").decode("utf-8")
    assert "B21店" in strings and "branch_code" in strings

    subs = await client.get("/exports/submissions.csv", params={"form_key": FUEL, "from": str(month)},
                            headers=manager)
    assert subs.status_code == 200, subs.text
    sub_rows = list(csv.DictReader(io.StringIO(subs.content.decode("utf-8-sig"))))
    assert len(sub_rows) == 3 and {r["branch_code"] for r in sub_rows} == {"B11"}
    assert {r["status"] for r in sub_rows} == {"released"}
    assert sub_rows[0]["p1_greeting"] == "pass" and float(sub_rows[0]["p1_greeting_points"]) > 0
    assert "inspector" not in subs.text
    everything = await client.get("/exports/submissions.csv", params={"form_key": FUEL}, headers=admin)
    assert len(list(csv.DictReader(io.StringIO(everything.content.decode("utf-8-sig"))))) == 16
    unknown = await client.get("/exports/submissions.csv", params={"form_key": "no-such-form"}, headers=admin)
    assert unknown.status_code == 404

    actions = await client.get("/exports/actions.csv", params={"region_id": str(world.a.r2)}, headers=admin)
    action_rows = list(csv.DictReader(io.StringIO(actions.content.decode("utf-8-sig"))))
    assert action_rows and {r["branch_code"] for r in action_rows} == {"B21"}
    assert {r["item_key"] for r in action_rows} == {"p1_greeting"}


async def test_a_branch_manager_without_branches_sees_no_region(client: AsyncTestClient, world: World,
                                                                db: asyncpg.Pool, scenario: dict[str, Any]) -> None:
    async with db.acquire() as conn:
        idle = await make_user(conn, world.a.id, "idle-manager@alpha.test", "branch_manager")
    headers = await login_as(client, idle)
    response = await client.get("/rankings", params={"form_key": FUEL}, headers=headers)
    assert response.status_code == 422
    response = await client.get("/rankings", params={"form_key": FUEL, "region_id": str(world.a.r1)},
                                headers=headers)
    assert response.status_code == 404


async def test_an_export_fails_as_a_503_problem_before_its_200_when_postgres_is_gone(
    settings: Settings, world: World
) -> None:
    """Streamed CSVs take their connection and declare their query before the response starts: a
    database outage must not become a 200 whose body stops short."""
    app = create_app(fast_settings(settings))
    async with AsyncTestClient(app=app) as client:
        admin = await login_as(client, world.a.admin)
        assert (await client.get("/exports/actions.csv", headers=admin)).status_code == 200
        # Postgres goes away (the caller stays cached, so auth needs no database).
        real_pool = app.state.resources.pool
        app.state.resources.pool = UnreachablePool()
        answer = await client.get("/exports/actions.csv", headers=admin)
        assert answer.status_code == 503, (answer.status_code, answer.text[:200])
        assert answer.headers["content-type"].startswith("application/problem+json")
        app.state.resources.pool = real_pool  # closed by the lifespan


class UnreachablePool(asyncpg.Pool):
    """What asyncpg raises when Postgres refuses connections, at the first acquire."""

    def __init__(self) -> None:  # no connections: there is no server
        pass

    def acquire(self, *, timeout: float | None = None) -> Any:
        raise ConnectionRefusedError("[Errno 111] Connect call failed (test: Postgres stopped)")
