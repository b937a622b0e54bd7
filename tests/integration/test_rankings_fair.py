"""GET /rankings?adjust=shrinkage (issue 18): empirical-Bayes adjusted scores beside the raw ones, on real
Postgres through the HTTP API; the figures equal the pure model's (rankings/fairness.py) on the same visits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import AsyncTestClient

from inspect_api.rankings.fairness import Visit, fit_leniency, samples_from_scores, shrink
from inspect_api.rankings.stats import competition_ranks
from tests.integration.factories import World, login_as
from tests.integration.releases import (
    FUEL,
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    reference_month,
)


async def get(client: AsyncTestClient, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get("/rankings", params={k: str(v) for k, v in params.items()}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_shrinkage_shows_adjusted_scores_beside_the_raw_ones(
    client: AsyncTestClient, world: World, fuel_catalogue: Catalogue,  # noqa: F811
) -> None:
    run = Inspections(client, world, fuel_catalogue)
    month = reference_month()
    a = world.a
    plan: dict[UUID, list[tuple[str, ...]]] = {
        a.b11: [("p1_greeting",), (), ()],
        a.b12: [(), ()],
        a.b21: [("p1_greeting", "p4_equal_treatment")] * 3,
        a.b22: [()],  # one perfect visit: unranked raw, pulled down once adjusted
    }
    scores: dict[UUID, list[float]] = {}
    for branch, visits in plan.items():
        for n, failing in enumerate(visits):
            receipt = await run.released(branch, month + timedelta(days=9 + n), failing=failing)
            scores.setdefault(branch, []).append(receipt["score"]["total_percent"])
    admin = await run.headers("admin")

    plain = await get(client, admin, form_key=FUEL, on=month)
    body = await get(client, admin, form_key=FUEL, on=month, adjust="shrinkage")
    assert plain["adjustment"] is None and all(r["adjusted"] is None for r in plain["rows"])
    # The raw ranking is untouched: same rows, same order, same figures.
    assert [(r["branch"], r["current"]) for r in body["rows"]] == [(r["branch"], r["current"]) for r in plain["rows"]]

    region_of = {a.b11: a.r1, a.b12: a.r1, a.b21: a.r2, a.b22: a.r2}
    expected, model = shrink(samples_from_scores(scores, region_of.__getitem__))
    assert model.sigma2 is not None and model.sigma2 > 0 and model.tau2 > 0
    assert body["adjustment"] == {"method": "empirical_bayes", "peer_group": "region", "branches": 4,
                                  "sigma2": pytest.approx(model.sigma2, abs=1e-3),
                                  "tau2": pytest.approx(model.tau2, abs=1e-3)}
    ranks = competition_ranks([round(s.adjusted, 4) for s in expected])
    rows = {UUID(r["branch"]["id"]): r for r in body["rows"]}
    for s, rank in zip(expected, ranks, strict=True):
        adjusted = rows[s.key]["adjusted"]
        assert adjusted["raw_mean"] == pytest.approx(rows[s.key]["current"]["mean"])
        assert adjusted["adjusted_mean"] == pytest.approx(s.adjusted, abs=1e-3)
        assert adjusted["weight"] == pytest.approx(s.weight, abs=1e-3)
        assert adjusted["ci_low"] <= adjusted["adjusted_mean"] <= adjusted["ci_high"]
        assert adjusted["rank"] == rank
    b22 = rows[a.b22]
    assert b22["current"]["ranked"] is False and b22["adjusted"]["rank"] >= 1
    assert b22["adjusted"]["adjusted_mean"] < b22["adjusted"]["raw_mean"] == 100.0
    # Within a region the two branches rank 1 and 2 (the groups are too small for their own peer mean).
    assert sorted(rows[b]["adjusted"]["region_rank"] for b in (a.b21, a.b22)) == [1, 2]
    assert [rows[b]["adjusted"]["peer_mean"] for b in region_of] == [pytest.approx(model.grand_mean, abs=1e-3)] * 4

    # A branch manager: own region only, peers still anonymised.
    manager = await login_as(client, a.manager)
    mine = await get(client, manager, form_key=FUEL, on=month, adjust="shrinkage")
    assert mine["adjustment"]["branches"] == 2
    assert all(r["adjusted"] is not None for r in mine["rows"])
    assert [r["branch"] for r in mine["rows"] if not r["own"]] == [None]

    bad = await client.get("/rankings", params={"form_key": FUEL, "adjust": "luck"}, headers=admin)
    assert bad.status_code == 400 and "adjust" in bad.text


async def test_the_inspector_report_fits_leniency_and_kappa_for_admins_only(
    client: AsyncTestClient, world: World, fuel_catalogue: Catalogue,  # noqa: F811
) -> None:
    a = world.a
    month = reference_month()
    first = Inspections(client, world, fuel_catalogue)
    second = Inspections(client, world, fuel_catalogue)
    second._headers["inspector"] = await login_as(client, a.inspector2)  # the helper submits as "inspector"
    plan = (  # (who, branch, day, failing): both at B11 and at B12 on the same days; inspector2 alone at B21
        (first, a.inspector.id, a.b11, 9, ("p1_greeting",)), (second, a.inspector2.id, a.b11, 9, ()),
        (first, a.inspector.id, a.b12, 10, ()), (second, a.inspector2.id, a.b12, 10, ()),
        (second, a.inspector2.id, a.b21, 11, ("p4_equal_treatment",)),
    )
    visits = []
    for run, inspector, branch, day, failing in plan:
        receipt = await run.released(branch, month + timedelta(days=day), failing=failing)
        visits.append(Visit(branch=branch, inspector=inspector, score=receipt["score"]["total_percent"]))
    admin = await first.headers("admin")

    response = await client.get("/rankings/inspectors", params={"form_key": FUEL, "on": month.isoformat()},
                                headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    fit = fit_leniency(visits)
    assert body["visits"] == 5 and body["converged"] is True and body["window_days"] == 0
    effects = {UUID(i["inspector_id"]): i for i in body["inspectors"]}
    assert {k: v["effect"] for k, v in effects.items()} == {
        k: pytest.approx(v, abs=0.01) for k, v in fit.inspector_effects.items()}
    assert effects[a.inspector.id]["effect"] < 0 < effects[a.inspector2.id]["effect"]  # the one who failed p1
    assert effects[a.inspector.id]["email"] == a.inspector.email and effects[a.inspector2.id]["visits"] == 3
    branches = {row["branch"]["code"]: row for row in body["branches"]}
    assert branches["B11"]["corrected_mean"] == pytest.approx(fit.corrected[a.b11], abs=1e-3)
    assert branches["B11"]["raw_mean"] == pytest.approx(fit.raw[a.b11], abs=1e-3)

    # Calibration: two same-day pairs (B11, B12); they disagree only on p1 at B11.
    assert body["calibration_pairs"] == 2
    items = {i["item_key"]: i["agreement"] for i in body["by_item"]}
    assert items["p1_greeting"]["answers"] == 2 and items["p1_greeting"]["observed"] == 0.5
    assert all(v["observed"] == 1.0 for k, v in items.items() if k != "p1_greeting")
    assert [(p["pairs"], {p["first"], p["second"]}) for p in body["by_pair"]] == [
        (2, {str(a.inspector.id), str(a.inspector2.id)})]
    pair = body["by_pair"][0]["agreement"]
    assert 0.0 < pair["observed"] < 1.0 and pair["answers"] == 2 * len(items)
    assert len(body["by_inspector"]) == 2

    # A window of 2 days pairs B21's lone visit with nobody else: still two pairs.
    wider = await client.get("/rankings/inspectors", params={"form_key": FUEL, "on": month.isoformat(),
                                                               "window_days": "2"}, headers=admin)
    assert wider.status_code == 200 and wider.json()["calibration_pairs"] == 2

    # A period without visits is an empty report, not an error.
    empty = await client.get("/rankings/inspectors", params={"form_key": FUEL, "on": (month - timedelta(days=400))
                                                               .isoformat()}, headers=admin)
    assert empty.status_code == 200, empty.text
    assert (empty.json()["visits"], empty.json()["inspectors"], empty.json()["calibration_pairs"]) == (0, [], 0)

    for role in ("regional_lead", "branch_manager", "inspector"):
        refused = await client.get("/rankings/inspectors", params={"form_key": FUEL}, headers=await first.headers(role))
        assert refused.status_code == 403, role
    too_wide = await client.get("/rankings/inspectors", params={"form_key": FUEL, "window_days": "99"}, headers=admin)
    assert too_wide.status_code == 400 and "window_days" in too_wide.text
