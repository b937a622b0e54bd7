"""Scheduling programmes (#17) through HTTP: create (region, list, CSV), idempotent generation with
visit.scheduled events, pause/resume, assignment and the job board's rules, concurrent claims, the
missed-visit job, workload and coverage, per role."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from litestar.testing import AsyncTestClient

from inspect_api.programmes import jobs as programme_jobs
from tests.integration.factories import World, login_as, make_user
from tests.integration.fuel_visit import Fuel, fuel_fixture  # noqa: F401  (fixture)
from tests.integration.phone import answers_for, submission_body

FORM_KEY = "catalogue-test"  # the factories' published catalogue form


def body(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Quarterly shop", "form_key": FORM_KEY, "mode": "announced", "period": "month",
        "visits_per_period": 2, "days_of_week": [1, 2, 3, 4, 5, 6, 7], "window_start_time": "09:00",
        "window_end_time": "17:00", "starts_on": date.today().isoformat(),
    }
    return values | changes


async def create(client: AsyncTestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = await client.post("/programmes", json=body(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def occurrences(pool: asyncpg.Pool, programme_id: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT id, branch_id, period_start, occurrence_n, inspector_id, status, window_start, window_end "
        "FROM visits WHERE programme_id = $1 ORDER BY period_start, branch_id, occurrence_n", UUID(programme_id))


def next_period(rows: list[asyncpg.Record]) -> date:
    return max(r["period_start"] for r in rows)


async def test_generation_is_idempotent_and_emits_visit_scheduled(
    client: AsyncTestClient, db: asyncpg.Pool, world: World
) -> None:
    admin = await login_as(client, world.a.admin)
    programme = await create(client, admin, region_id=str(world.a.r1))
    assert programme["branch_rule"] == "region" and programme["status"] == "active"
    assert set(programme["branch_ids"]) == {str(world.a.b11), str(world.a.b12)}
    rows = await occurrences(db, programme["id"])
    # The next period is always whole: 2 visits x 2 branches; this period what is still ahead.
    assert len([r for r in rows if r["period_start"] == next_period(rows)]) == 4
    assert all(r["inspector_id"] is None and r["status"] == "scheduled" for r in rows)
    assert {r["branch_id"] for r in rows} == {world.a.b11, world.a.b12}
    again = await client.post(f"/programmes/{programme['id']}/generate", headers=admin)
    assert again.status_code == 200, again.text
    assert again.json()["created"] == 0 and len(again.json()["periods"]) == 2
    async with db.acquire() as conn, conn.transaction():  # the periodic job: nothing twice either
        assert await programme_jobs.generate_ahead(conn, datetime.now(UTC)) == 0
    assert len(await occurrences(db, programme["id"])) == len(rows)
    events = await db.fetch("SELECT subject_id, branch_payload, payload FROM events WHERE type = 'visit.scheduled'")
    assert sorted(e["subject_id"] for e in events) == sorted(r["id"] for r in rows)
    assert all(e["branch_payload"] is None for e in events)  # never for branch managers
    assert events[0]["payload"]["programme_id"] == programme["id"]
    # Unassigned occurrences are in the visits list, without an inspector.
    listed = await client.get("/visits", params={"branch_id": str(world.a.b12)}, headers=admin)
    mine = [v for v in listed.json() if v["programme_id"] == programme["id"]]
    assert mine and all(v["inspector"] is None for v in mine)


async def test_programme_validation_names_the_field(client: AsyncTestClient, world: World) -> None:
    admin = await login_as(client, world.a.admin)
    cases = [
        (body(branch_ids=[str(world.a.b11)], window_end_time="09:00"), 422, "window_end_time"),
        (body(), 422, "branch_ids"),
        (body(region_id=str(world.a.r1), branch_ids=[str(world.a.b11)]), 422, "branch_ids"),
        (body(branch_ids=[str(world.a.b11)], form_key="no-such-form"), 422, "form_key"),
        (body(branch_ids=[str(world.b.b11)]), 422, "branch_ids"),  # another org's branch
        (body(branch_codes=["B11", "NOPE"]), 422, "branch_codes"),
        (body(branch_ids=[str(world.a.b11)], ends_on="2020-01-01"), 422, "ends_on"),
        (body(branch_ids=[str(world.a.b11)], window_start_time="25:00"), 400, "window_start_time"),
        (body(branch_ids=[str(world.a.b11)], days_of_week=[0]), 400, "days_of_week"),
        (body(branch_ids=[str(world.a.b11)], visits_per_period=0), 400, "visits_per_period"),
    ]
    for sent, status, field in cases:
        response = await client.post("/programmes", json=sent, headers=admin)
        assert response.status_code == status, (field, response.text)
        assert field in str(response.json()["errors"]), response.text
    assert (await client.get("/programmes", headers=admin)).json() == []  # nothing half-written


async def test_lead_works_in_their_regions_only(client: AsyncTestClient, world: World) -> None:
    lead = await login_as(client, world.a.lead)
    admin = await login_as(client, world.a.admin)
    refused = await client.post("/programmes", json=body(region_id=str(world.a.r2)), headers=lead)
    assert refused.status_code == 422 and "region_id" in refused.text
    refused = await client.post("/programmes", json=body(branch_ids=[str(world.a.b11), str(world.a.b21)]),
                                headers=lead)
    assert refused.status_code == 422 and str(world.a.b21) in refused.text
    own = await create(client, lead, branch_codes=["B12", "B11"])
    assert own["branch_ids"] == [str(world.a.b12), str(world.a.b11)] or set(own["branch_ids"]) == {
        str(world.a.b11), str(world.a.b12)}
    other = await create(client, admin, region_id=str(world.a.r2))
    assert [p["id"] for p in (await client.get("/programmes", headers=lead)).json()] == [own["id"]]
    assert (await client.get(f"/programmes/{other['id']}", headers=lead)).status_code == 404
    assert (await client.post(f"/programmes/{other['id']}/pause", headers=lead)).status_code == 404
    changed = await client.patch(f"/programmes/{own['id']}", json={"name": "Renamed", "visits_per_period": 3},
                                 headers=lead)
    assert changed.status_code == 200 and changed.json()["name"] == "Renamed"
    assert changed.json()["visits_per_period"] == 3
    bad = await client.patch(f"/programmes/{own['id']}", json={"branch_ids": [str(world.a.b21)]}, headers=lead)
    assert bad.status_code == 422
    for role_user in (world.a.manager, world.a.inspector):
        headers = await login_as(client, role_user)
        assert (await client.get("/programmes", headers=headers)).status_code == 403
        assert (await client.post("/programmes", json=body(region_id=str(world.a.r1)),
                                  headers=headers)).status_code == 403


async def test_csv_upload_replaces_the_branches(client: AsyncTestClient, db: asyncpg.Pool, world: World) -> None:
    admin = await login_as(client, world.a.admin)
    programme = await create(client, admin, region_id=str(world.a.r1))
    csv_headers = admin | {"Content-Type": "text/csv"}
    url = f"/programmes/{programme['id']}/branches"
    unknown = await client.post(url, content=b"code\nB11\nZZ9\n", headers=csv_headers)
    assert unknown.status_code == 422 and "ZZ9" in unknown.text
    assert (await client.get(f"/programmes/{programme['id']}", headers=admin)).json()["branch_rule"] == "region"
    done = await client.post(url, content="\ufeffcode,note\nB21,a\nB11,b\n".encode(), headers=csv_headers)
    assert done.status_code == 200, done.text
    assert done.json()["branch_rule"] == "list" and set(done.json()["branch_ids"]) == {str(world.a.b11),
                                                                                        str(world.a.b21)}
    generated = await client.post(f"/programmes/{programme['id']}/generate", headers=admin)
    assert generated.json()["created"] >= 2  # B21's occurrences
    assert world.a.b21 in {r["branch_id"] for r in await occurrences(db, programme["id"])}
    empty = await client.post(url, content=b"\n", headers=csv_headers)
    assert empty.status_code == 422


async def _inspectors(db: asyncpg.Pool, world: World, n: int) -> list[Any]:
    async with db.acquire() as conn:
        return [await make_user(conn, world.a.id, f"shopper{i}@alpha.test", "inspector") for i in range(n)]


async def test_concurrent_claims_of_one_occurrence_exactly_one_wins(
    client: AsyncTestClient, db: asyncpg.Pool, world: World
) -> None:
    admin = await login_as(client, world.a.admin)
    programme = await create(client, admin, branch_ids=[str(world.a.b11)])
    target = (await occurrences(db, programme["id"]))[-1]
    shoppers = await _inspectors(db, world, 6)
    tokens = [await login_as(client, s) for s in shoppers]
    board = await client.get("/programmes/jobs", headers=tokens[0])
    assert board.status_code == 200 and str(target["id"]) in {j["id"] for j in board.json()}
    job = next(j for j in board.json() if j["id"] == str(target["id"]))
    assert set(job) == {"id", "mode", "window_start", "window_end", "branch", "form"}  # nothing else
    answers = await asyncio.gather(*[client.post(f"/programmes/jobs/{target['id']}/claim", headers=t)
                                     for t in tokens])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 5, [a.text for a in answers]
    winner = shoppers[[a.status_code for a in answers].index(200)]
    assert await db.fetchval("SELECT inspector_id FROM visits WHERE id = $1", target["id"]) == winner.id
    assert await db.fetchval("SELECT count(*) FROM events WHERE type = 'visit.assigned' AND subject_id = $1",
                             target["id"]) == 1
    # The winner has it in their visits; it left the board of everyone.
    winner_token = tokens[[a.status_code for a in answers].index(200)]
    assert str(target["id"]) in {v["id"] for v in (await client.get("/me/visits", headers=winner_token)).json()}
    for t in tokens:
        assert str(target["id"]) not in {j["id"] for j in (await client.get("/programmes/jobs", headers=t)).json()}
    again = await client.post(f"/programmes/jobs/{target['id']}/claim", headers=winner_token)
    assert again.status_code == 200  # one's own claim again: the same visit


async def test_board_and_claims_follow_the_revisit_rule_and_the_cap(
    client: AsyncTestClient, db: asyncpg.Pool, world: World
) -> None:
    admin = await login_as(client, world.a.admin)
    mystery = await create(client, admin, mode="mystery", branch_ids=[str(world.a.b12)])
    rows = await occurrences(db, mystery["id"])
    first, second = [r for r in rows if r["period_start"] == next_period(rows)]
    (shopper,) = await _inspectors(db, world, 1)
    token = await login_as(client, shopper)
    assert (await client.post(f"/programmes/jobs/{first['id']}/claim", headers=token)).status_code == 200
    board = {j["id"] for j in (await client.get("/programmes/jobs", headers=token)).json()}
    assert str(second["id"]) not in board  # the same branch within 30 days of a mystery visit
    refused = await client.post(f"/programmes/jobs/{second['id']}/claim", headers=token)
    assert refused.status_code == 409 and refused.json()["rule"] == "mystery_revisit_days"
    # Assigning by an admin obeys it as well.
    refused = await client.post(f"/programmes/occurrences/{second['id']}/assign",
                                json={"inspector_id": str(shopper.id)}, headers=admin)
    assert refused.status_code == 409 and refused.json()["rule"] == "mystery_revisit_days"

    capped = await create(client, admin, branch_ids=[str(world.a.b21), str(world.a.b22)],
                          inspector_cap_per_period=1)
    rows = await occurrences(db, capped["id"])
    period = [r for r in rows if r["period_start"] == next_period(rows)]
    assert (await client.post(f"/programmes/jobs/{period[0]['id']}/claim", headers=token)).status_code == 200
    board = {j["id"] for j in (await client.get("/programmes/jobs", headers=token)).json()}
    assert not board & {str(r["id"]) for r in period}  # cap reached for this period
    refused = await client.post(f"/programmes/jobs/{period[1]['id']}/claim", headers=token)
    assert refused.status_code == 409 and refused.json()["rule"] == "inspector_cap_per_period"


async def test_assignment_by_admin_and_lead(client: AsyncTestClient, db: asyncpg.Pool, world: World) -> None:
    admin = await login_as(client, world.a.admin)
    lead = await login_as(client, world.a.lead)
    programme = await create(client, admin, region_id=str(world.a.r1))
    other = await create(client, admin, region_id=str(world.a.r2))
    target = (await occurrences(db, programme["id"]))[-1]
    elsewhere = (await occurrences(db, other["id"]))[-1]
    url = f"/programmes/occurrences/{target['id']}/assign"
    assigned = await client.post(url, json={"inspector_id": str(world.a.inspector2.id)}, headers=lead)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["inspector"]["id"] == str(world.a.inspector2.id)
    moved = await client.post(url, json={"inspector_id": str(world.a.inspector.id)}, headers=admin)
    assert moved.status_code == 200 and moved.json()["inspector"]["id"] == str(world.a.inspector.id)
    not_inspector = await client.post(url, json={"inspector_id": str(world.a.manager.id)}, headers=admin)
    assert not_inspector.status_code == 422 and "inspector_id" in not_inspector.text
    out_of_scope = await client.post(f"/programmes/occurrences/{elsewhere['id']}/assign",
                                     json={"inspector_id": str(world.a.inspector.id)}, headers=lead)
    assert out_of_scope.status_code == 404
    manager = await login_as(client, world.a.manager)
    assert (await client.post(url, json={"inspector_id": str(world.a.inspector.id)},
                              headers=manager)).status_code == 403
    listed = await client.get(f"/programmes/{programme['id']}/occurrences", params={"unassigned": "false"},
                              headers=lead)
    assert [o["id"] for o in listed.json()] == [str(target["id"])]


async def test_pause_gives_up_open_occurrences_and_resume_brings_them_back(
    client: AsyncTestClient, db: asyncpg.Pool, world: World
) -> None:
    admin = await login_as(client, world.a.admin)
    programme = await create(client, admin, branch_ids=[str(world.a.b11)])
    rows = await occurrences(db, programme["id"])
    kept = rows[-1]
    await client.post(f"/programmes/occurrences/{kept['id']}/assign", json={"inspector_id": str(world.a.inspector.id)},
                      headers=admin)
    paused = await client.post(f"/programmes/{programme['id']}/pause", headers=admin)
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    statuses = {r["id"]: r["status"] for r in await occurrences(db, programme["id"])}
    assert statuses[kept["id"]] == "scheduled"
    assert all(s == "cancelled" for i, s in statuses.items() if i != kept["id"])
    assert (await client.post(f"/programmes/{programme['id']}/generate", headers=admin)).status_code == 409
    shopper = await login_as(client, world.a.inspector2)
    assert (await client.get("/programmes/jobs", headers=shopper)).json() == []
    resumed = await client.post(f"/programmes/{programme['id']}/resume", headers=admin)
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    assert {r["status"] for r in await occurrences(db, programme["id"])} == {"scheduled"}
    assert len(await occurrences(db, programme["id"])) == len(rows)


async def test_missed_visits_the_job_events_lists_workload_and_coverage(
    client: AsyncTestClient, db: asyncpg.Pool, world: World
) -> None:
    admin = await login_as(client, world.a.admin)
    programme = await create(client, admin, branch_ids=[str(world.a.b11)])
    rows = await occurrences(db, programme["id"])
    late, open_one, done = rows[-1], rows[-2], rows[0]
    for row in (late, done):
        await client.post(f"/programmes/occurrences/{row['id']}/assign",
                          json={"inspector_id": str(world.a.inspector.id)}, headers=admin)
    # Their windows pass (moved into the past; the job is called directly: no waiting).
    period = late["period_start"]
    await db.execute("UPDATE visits SET window_start = now() - interval '3 hours', window_end = now() - interval "
                     "'1 hour' WHERE id = ANY($1::uuid[])", [late["id"], open_one["id"]])
    await db.execute("UPDATE visits SET status = 'submitted' WHERE id = $1", done["id"])
    overdue = await client.get("/programmes/workload", params={"inspector_id": str(world.a.inspector.id)},
                               headers=admin)
    row = next(r for r in overdue.json()["rows"] if r["inspector"]["id"] == str(world.a.inspector.id))
    assert row["overdue"] == 1 and row["missed"] == 0  # window over, not yet marked
    async with db.acquire() as conn, conn.transaction():
        assert await programme_jobs.mark_missed_visits(conn, datetime.now(UTC)) == 2
    async with db.acquire() as conn, conn.transaction():
        assert await programme_jobs.mark_missed_visits(conn, datetime.now(UTC)) == 0
    assert await db.fetchval("SELECT status FROM visits WHERE id = $1", late["id"]) == "missed"
    events = await db.fetch("SELECT subject_id, branch_payload, payload FROM events WHERE type = 'visit.missed'")
    assert {e["subject_id"] for e in events} == {late["id"], open_one["id"]}
    assert all(e["branch_payload"] is None for e in events)
    missed = await client.get("/visits", params={"status": "missed"}, headers=admin)
    assert {v["id"] for v in missed.json()} == {str(late["id"]), str(open_one["id"])}
    workload = await client.get("/programmes/workload", params={"inspector_id": str(world.a.inspector.id)},
                                headers=admin)
    row = next(r for r in workload.json()["rows"] if r["inspector"]["id"] == str(world.a.inspector.id))
    assert row["missed"] == 1 and row["overdue"] == 0 and row["completed"] == 1
    assert {i["bucket"] for i in workload.json()["items"]} >= {"missed", "completed", "upcoming"}
    coverage = await client.get(f"/programmes/{programme['id']}/coverage", params={"on": period.isoformat()},
                                headers=admin)
    assert coverage.status_code == 200, coverage.text
    (branch_row,) = coverage.json()["rows"]
    assert branch_row["missed"] >= 1 and branch_row["branch"]["id"] == str(world.a.b11)
    # The scope's coverage beside /rankings: one-off and programme visits of the period, per branch.
    lead = await login_as(client, world.a.lead)
    month = await db.fetchval("SELECT (window_start AT TIME ZONE 'Asia/Shanghai')::date FROM visits WHERE id = $1",
                              late["id"])  # the branch's local date of the moved window
    scoped = await client.get("/programmes/coverage", params={"period": "month", "on": month.isoformat(),
                                                              "form_key": FORM_KEY}, headers=lead)
    assert scoped.status_code == 200, scoped.text
    by_branch = {r["branch"]["id"]: r for r in scoped.json()["rows"]}
    assert set(by_branch) <= {str(world.a.b11), str(world.a.b12)}  # the lead's r1 only
    assert by_branch[str(world.a.b11)]["missed"] >= 1
    manager = await login_as(client, world.a.manager)
    assert (await client.get("/programmes/coverage", headers=manager)).status_code == 403
    # A phone that syncs after the window still submits: intake accepts a missed visit.
    await db.execute("UPDATE visits SET status = 'submitted' WHERE id = $1", late["id"])
    # The manager's feed shows none of it.
    feed = await client.get("/events", headers=manager)
    assert not [e for e in feed.json()["events"] if e["type"].startswith("visit.")]
    assert {j.name for j in programme_jobs.periodic_jobs()} == {"programmes.generate", "visits.missed"}


async def test_workload_per_role(client: AsyncTestClient, db: asyncpg.Pool, world: World) -> None:
    inspector = await login_as(client, world.a.inspector)
    own = await client.get("/programmes/workload", headers=inspector)
    assert own.status_code == 200, own.text
    assert [r["inspector"]["id"] for r in own.json()["rows"]] == [str(world.a.inspector.id)]
    assert [i["id"] for i in own.json()["items"]] == [str(world.a.v11)]
    other = await client.get("/programmes/workload", params={"inspector_id": str(world.a.inspector2.id)},
                             headers=inspector)
    assert other.status_code == 403
    lead = await login_as(client, world.a.lead)
    rows = {r["inspector"]["id"]: r for r in (await client.get("/programmes/workload", headers=lead)).json()["rows"]}
    # r1: v11 (inspector) and v12 (inspector2); v21, v22 are in r2
    assert rows[str(world.a.inspector.id)]["upcoming"] == 1 and rows[str(world.a.inspector2.id)]["upcoming"] == 1
    admin = await login_as(client, world.a.admin)
    rows = {r["inspector"]["id"]: r for r in (await client.get("/programmes/workload", headers=admin)).json()["rows"]}
    assert rows[str(world.a.inspector2.id)]["upcoming"] == 3
    manager = await login_as(client, world.a.manager)
    assert (await client.get("/programmes/workload", headers=manager)).status_code == 403


async def test_programmes_are_in_openapi(client: AsyncTestClient, db: asyncpg.Pool) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path in ("/programmes", "/programmes/{programme_id}", "/programmes/jobs", "/programmes/jobs/{visit_id}/claim",
                 "/programmes/occurrences/{visit_id}/assign", "/programmes/workload",
                 "/programmes/{programme_id}/coverage", "/programmes/{programme_id}/branches"):
        assert path in paths, path


async def test_a_missed_visit_still_takes_the_phone_s_late_submission(
    client: AsyncTestClient, db: asyncpg.Pool, world: World, fuel: Fuel
) -> None:
    """Offline phones: the window passed and the job marked the visit missed before the phone synced."""
    await db.execute("UPDATE visits SET window_start = now() - interval '2 hours', "
                     "window_end = now() - interval '10 minutes' WHERE id = $1", fuel.visit_id)
    async with db.acquire() as conn, conn.transaction():
        assert await programme_jobs.mark_missed_visits(conn, datetime.now(UTC)) == 1
    inspector = await login_as(client, world.a.inspector)
    body = submission_body(answers_for(fuel.form), visit_id=str(fuel.visit_id))
    response = await client.post("/submissions", json=body, headers=inspector)
    assert response.status_code == 201, response.text
    row = await db.fetchrow("SELECT status, missed_at FROM visits WHERE id = $1", fuel.visit_id)
    assert row["status"] == "submitted" and row["missed_at"] is not None  # the record of the miss stays
