"""Peer groups by branch attribute (#18): branches carry a format (create, update, CSV import), and
GET /rankings?adjust=shrinkage&peer=region|format|all shrinks and ranks each branch among its peers; the
figures equal the pure model's (rankings/fairness.py) on the same visits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from inspect_api.rankings.fairness import samples_from_scores, shrink
from inspect_api.rankings.stats import competition_ranks
from tests.integration.factories import World, login_as, make_branch
from tests.integration.releases import (
    FUEL,
    Catalogue,
    Inspections,
    fuel_catalogue,  # noqa: F401  (fixture)
    reference_month,
)


def branch_body(world: World, **changes: Any) -> dict[str, Any]:
    return {"code": "F1", "name_zh": "高速店", "name_en": "Highway", "region_id": str(world.a.r1),
            "timezone": "Asia/Shanghai"} | changes


async def test_a_branch_keeps_its_format_through_create_update_and_import(
    client: AsyncTestClient, world: World, db: asyncpg.Pool
) -> None:
    admin = await login_as(client, world.a.admin)
    created = await client.post("/branches", json=branch_body(world, format="highway"), headers=admin)
    assert created.status_code == 201, created.text
    branch = created.json()
    assert branch["format"] == "highway"
    plain = await client.post("/branches", json=branch_body(world, code="F2"), headers=admin)
    assert plain.status_code == 201 and plain.json()["format"] is None

    changed = await client.patch(f"/branches/{branch['id']}", json={"format": "urban"}, headers=admin)
    assert changed.status_code == 200 and changed.json()["format"] == "urban"
    untouched = await client.patch(f"/branches/{branch['id']}", json={"name_en": "Urban"}, headers=admin)
    assert untouched.json()["format"] == "urban"
    cleared = await client.patch(f"/branches/{branch['id']}", json={"format": None}, headers=admin)
    assert cleared.json()["format"] is None

    for bad in ("Highway", "", "a" * 41, "high way"):
        refused = await client.post("/branches", json=branch_body(world, code="F3", format=bad), headers=admin)
        assert refused.status_code == 400 and "format" in {e["field"] for e in refused.json()["errors"]}, bad
    patch = await client.patch(f"/branches/{branch['id']}", json={"format": "UP"}, headers=admin)
    assert patch.status_code == 400 and "format" in patch.text

    csv = ("code,name_zh,name_en,region_code,timezone,format\n"
           "F1,高速店,Highway,R1,Asia/Shanghai,highway\nF4,社区店,Community,R2,Asia/Shanghai,\n")
    imported = await client.post("/branches/import", content=csv.encode(),
                                 headers=admin | {"Content-Type": "text/csv"})
    assert imported.status_code == 200, imported.text
    listed = {b["code"]: b for b in (await client.get("/branches", headers=admin)).json()}
    assert (listed["F1"]["format"], listed["F4"]["format"]) == ("highway", None)
    bad_csv = "code,name_zh,name_en,region_code,timezone,format\nF5,甲,A,R1,UTC,Big Box\n"
    refused = await client.post("/branches/import", content=bad_csv.encode(),
                                headers=admin | {"Content-Type": "text/csv"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["column"] == "format"
    assert await db.fetchval("SELECT count(*) FROM branches WHERE code = 'F5'") == 0


async def get(client: AsyncTestClient, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get("/rankings", params={k: str(v) for k, v in params.items()}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_rankings_shrink_and_rank_within_region_format_or_all(
    client: AsyncTestClient, world: World, db: asyncpg.Pool, fuel_catalogue: Catalogue,  # noqa: F811
) -> None:
    a = world.a
    async with db.acquire() as conn:
        b13 = await make_branch(conn, a.id, a.r1, "B13")
        b23 = await make_branch(conn, a.id, a.r2, "B23")
        # Formats cut across regions: three highway and three urban branches, each region holding both.
        for branch, fmt in ((a.b11, "highway"), (a.b12, "highway"), (a.b21, "highway"),
                            (a.b22, "urban"), (b13, "urban"), (b23, "urban")):
            await conn.execute("UPDATE branches SET format = $2 WHERE id = $1", branch, fmt)
    region_of = {a.b11: a.r1, a.b12: a.r1, b13: a.r1, a.b21: a.r2, a.b22: a.r2, b23: a.r2}
    format_of = {a.b11: "highway", a.b12: "highway", a.b21: "highway", a.b22: "urban", b13: "urban", b23: "urban"}
    plan: dict[UUID, list[tuple[str, ...]]] = {
        a.b11: [(), (), ("p1_greeting",)],
        a.b12: [(), ("p4_equal_treatment",)],
        a.b21: [()],
        a.b22: [("p1_greeting", "p4_equal_treatment"), ("p1_greeting",)],
        b13: [("p1_greeting",), ("p4_equal_treatment",), ()],
        b23: [("p1_greeting", "p4_equal_treatment")],
    }
    run = Inspections(client, world, fuel_catalogue)
    month = reference_month()
    scores: dict[UUID, list[float]] = {}
    for branch, visits in plan.items():
        for n, failing in enumerate(visits):
            receipt = await run.released(branch, month + timedelta(days=9 + n), failing=failing)
            scores.setdefault(branch, []).append(receipt["score"]["total_percent"])
    admin = await run.headers("admin")

    for peer, group_of in (("region", region_of), ("format", format_of), ("all", lambda _: None)):
        body = await get(client, admin, form_key=FUEL, on=month, adjust="shrinkage", peer=peer)
        lookup = group_of if callable(group_of) else group_of.__getitem__
        expected, model = shrink(samples_from_scores(scores, lookup))
        assert body["adjustment"]["peer_group"] == peer
        assert body["adjustment"]["tau2"] == pytest.approx(model.tau2, abs=1e-3)
        rows = {UUID(r["branch"]["id"]): r["adjusted"] for r in body["rows"]}
        by_group: dict[Any, list[Any]] = {}
        for s in expected:
            assert rows[s.key]["adjusted_mean"] == pytest.approx(s.adjusted, abs=1e-3), (peer, s.key)
            assert rows[s.key]["peer_mean"] == pytest.approx(s.peer_mean, abs=1e-3), (peer, s.key)
            by_group.setdefault(s.group, []).append(s)
        for members in by_group.values():
            ranks = competition_ranks([round(s.adjusted, 4) for s in members])
            assert [rows[s.key]["peer_rank"] for s in members] == ranks, peer
        if peer == "format":
            # Each format has three branches: its own mean is the centre, not the region's.
            highway = sum(sum(scores[b]) / len(scores[b]) for b in (a.b11, a.b12, a.b21)) / 3
            assert rows[a.b21]["peer_mean"] == pytest.approx(highway, abs=1e-3)
        if peer == "all":
            assert all(r["peer_rank"] == r["rank"] for r in rows.values())
        if peer == "region":
            assert all(r["peer_rank"] == r["region_rank"] for r in rows.values())
    # The default peer group is the region, as before.
    default = await get(client, admin, form_key=FUEL, on=month, adjust="shrinkage")
    assert default["adjustment"]["peer_group"] == "region"

    alone = await client.get("/rankings", params={"form_key": FUEL, "on": str(month), "peer": "format"},
                             headers=admin)
    assert alone.status_code == 422 and [e["field"] for e in alone.json()["errors"]] == ["peer"]
    bad = await client.get("/rankings", params={"form_key": FUEL, "adjust": "shrinkage", "peer": "size"},
                           headers=admin)
    assert bad.status_code == 400 and "peer" in bad.text
    # A branch manager ranks within the own region's formats too; peers stay anonymous.
    manager = await login_as(client, a.manager)
    mine = await get(client, manager, form_key=FUEL, on=month, adjust="shrinkage", peer="format")
    assert mine["adjustment"]["peer_group"] == "format" and all(r["adjusted"] for r in mine["rows"])
    assert [r["branch"] for r in mine["rows"] if not r["own"]] == [None, None]
