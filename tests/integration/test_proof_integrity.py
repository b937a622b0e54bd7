"""Proof of visit through the API (#18): EXIF capture times read in the branch's zone, the integrity
summary in the QA queue, and the fairness report leaving low-integrity visits out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from inspect_api.rankings.fairness import Visit, fit_leniency
from inspect_api.submissions.proof import Integrity, ProofOfVisit, counts_for_fairness
from tests.integration.factories import World, login_as, make_visit
from tests.integration.fuel_visit import BRANCH_GPS, Fuel, fuel_fixture, http_fixture  # noqa: F401  (fixtures)
from tests.integration.phone import answers_for, get_slots, submission_body, upload
from tests.integration.releases import (
    FUEL,
    Catalogue,
    fuel_catalogue,  # noqa: F401  (fixture)
    local_noon,
    reference_month,
)
from tests.unit.photos.samples import jpeg

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the factory branches' zone (UTC+8, no daylight saving)


async def photo_taken(client: AsyncTestClient, http: httpx.AsyncClient, headers: dict[str, str],
                      seed: int, taken_at: datetime | None, *, verify: bool = True) -> UUID:
    """One uploaded photo near the branch whose EXIF DateTimeOriginal is the naive wall clock `taken_at`."""
    (slot,) = await get_slots(client, headers, "image/jpeg")
    exif: dict[str, Any] = dict(BRANCH_GPS)
    if taken_at is not None:
        exif["taken_at"] = taken_at
    response = await upload(http, slot, jpeg(seed, **exif))
    assert response.status_code in (200, 204), response.text
    photo_id = UUID(slot["photo_id"])
    if verify:
        verified = await client.post(f"/uploads/{photo_id}/verify", headers=headers)
        assert verified.status_code == 200, verified.text
    return photo_id


def wall_clock(instant: datetime, zone: ZoneInfo) -> datetime:
    """What a camera set to `zone` writes into EXIF for `instant`: local time without a zone."""
    return instant.astimezone(zone).replace(tzinfo=None, microsecond=0)


async def submit(client: AsyncTestClient, inspector: dict[str, str], fuel: Fuel, visit_id: UUID,
                 photos: list[UUID], **fields: Any) -> str:
    body = submission_body(answers_for(fuel.form, photos={"p1_greeting": photos}), visit_id=str(visit_id), **fields)
    response = await client.post("/submissions", json=body, headers=inspector)
    assert response.status_code == 201, response.text
    return response.json()["submission_id"]


def photo_reasons(proof: dict[str, Any], photo_id: UUID) -> list[tuple[str, str]]:
    return [(r["level"], r["message"]) for r in proof["integrity"]["reasons"] if str(photo_id) in r["message"]]


async def test_exif_times_are_read_in_the_branchs_zone(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    inspector, admin = await login_as(client, world.a.inspector), await login_as(client, world.a.admin)
    assert await db.fetchval("SELECT timezone FROM branches WHERE id = $1", world.a.b11) == "Asia/Shanghai"
    now = datetime.now(UTC)
    during = now - timedelta(minutes=15)  # the inspection runs from 25 to 5 minutes ago
    # A camera on Shanghai time during the visit: inside the window and the inspection.
    local = await photo_taken(client, http, inspector, 1, wall_clock(during, SHANGHAI))
    # The same moment's UTC wall clock: read in Shanghai that is 8 h before the visit, outside the window
    # (read as UTC, as before the zone was passed, it would have looked fine).
    utc_clock = await photo_taken(client, http, inspector, 2, wall_clock(during, UTC), verify=False)
    # Three days before, on Shanghai time: another day altogether.
    old = await photo_taken(client, http, inspector, 3, wall_clock(now - timedelta(days=3), SHANGHAI))
    submission_id = await submit(client, inspector, fuel, fuel.visit_id, [local, utc_clock, old])

    proof = (await client.get(f"/submissions/{submission_id}", headers=admin)).json()["proof"]
    assert proof["within_window"] is True and proof["near_branch"] is True
    assert photo_reasons(proof, local) == []
    assert photo_reasons(proof, utc_clock) == [
        ("review", f"photo {utc_clock} was taken 7.8 hours before the inspection started"),
        ("review", f"photo {utc_clock} was taken outside the visit window"),
    ]
    levels = [level for level, _ in photo_reasons(proof, old)]
    assert levels == ["suspect", "review"]
    assert proof["integrity"]["level"] == "suspect"


async def test_a_photo_taken_on_time_gives_an_ok_proof(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel
) -> None:
    inspector, admin = await login_as(client, world.a.inspector), await login_as(client, world.a.admin)
    taken = await photo_taken(client, http, inspector, 4, wall_clock(datetime.now(UTC) - timedelta(minutes=10),
                                                                   SHANGHAI))
    submission_id = await submit(client, inspector, fuel, fuel.visit_id, [taken])
    proof = (await client.get(f"/submissions/{submission_id}", headers=admin)).json()["proof"]
    assert proof["integrity"] == {"level": "ok", "reasons": []}
    assert proof["warnings"] == []


async def test_the_review_queue_shows_each_results_integrity_to_qa_only(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    inspector, admin = await login_as(client, world.a.inspector), await login_as(client, world.a.admin)
    on_time = wall_clock(datetime.now(UTC) - timedelta(minutes=10), SHANGHAI)
    good = await submit(client, inspector, fuel, fuel.visit_id, [await photo_taken(client, http, inspector, 5, on_time)])
    visits = [await make_visit(db, world.a.id, world.a.b11, world.a.inspector.id, fuel.version_id, world.a.admin.id,
                               mode="mystery", days_ahead=-0.1) for _ in range(2)]
    far = await submit(client, inspector, fuel, visits[0], [await photo_taken(client, http, inspector, 6, on_time)],
                       gps={"latitude": 31.30, "longitude": 121.47, "accuracy_m": 10.0})  # ~7.8 km north
    old = await submit(client, inspector, fuel, visits[1], [await photo_taken(client, http, inspector, 7, on_time)])
    # A proof stored before the integrity summary existed.
    await db.execute("UPDATE submission_revisions SET proof = proof - 'integrity' WHERE submission_id = $1", UUID(old))

    queue = await client.get("/submissions", params={"status": "submitted"}, headers=admin)
    assert queue.status_code == 200, queue.text
    rows = {row["id"]: row for row in queue.json()}
    assert set(rows) == {good, far, old}
    assert rows[good]["integrity"] == {"level": "ok", "reasons": []}
    assert rows[far]["integrity"]["level"] == "suspect"
    assert [r["level"] for r in rows[far]["integrity"]["reasons"]] == ["suspect"]
    assert rows[far]["integrity"]["reasons"][0]["message"].startswith("submission GPS is ")
    assert rows[old]["integrity"] is None
    detail = (await client.get(f"/submissions/{far}", headers=admin)).json()
    assert detail["proof"]["integrity"] == rows[far]["integrity"]  # the same verdict as the detail's

    # Nobody else reads proofs: the inspector's own list and, once released, the lead's have no integrity.
    for step in ("approve", "release"):
        assert (await client.post(f"/submissions/{far}/{step}", headers=admin)).status_code == 200
    for user in (world.a.inspector, world.a.lead, world.a.manager):
        listed = (await client.get("/submissions", headers=await login_as(client, user))).json()
        assert listed and all("integrity" not in row for row in listed), user.role


# ---- the fairness report leaves low-integrity visits out -----------------------------------------


async def test_sql_counts_for_fairness_agrees_with_the_python_rule(db: asyncpg.Pool) -> None:
    proofs: list[ProofOfVisit | None] = [None, ProofOfVisit(gps_distance_m=None, gps_accuracy_m=None, near_branch=None,
                                                            within_window=None, photos=[], warnings=[])]
    for level in ("ok", "review", "suspect"):
        proofs.append(ProofOfVisit(gps_distance_m=None, gps_accuracy_m=None, near_branch=None, within_window=None,
                                   photos=[], warnings=[], integrity=Integrity(level=level, reasons=[])))
    for proof in proofs:
        stored = None if proof is None else msgspec.to_builtins(proof)
        assert await db.fetchval("SELECT proof_counts_for_fairness($1, NULL)", stored) is True
        for exclude_from in ("review", "suspect"):
            in_sql = await db.fetchval("SELECT proof_counts_for_fairness($1, $2)", stored, exclude_from)
            assert in_sql is counts_for_fairness(proof, exclude_from=exclude_from), (proof, exclude_from)


async def test_the_inspector_report_leaves_suspect_visits_out_by_default(
    client: AsyncTestClient, world: World, fuel_catalogue: Catalogue,  # noqa: F811
) -> None:
    a = world.a
    month = reference_month()
    admin = await login_as(client, a.admin)
    inspectors = {a.inspector.id: await login_as(client, a.inspector), a.inspector2.id: await login_as(client, a.inspector2)}
    far = {"latitude": 31.30, "longitude": 121.47, "accuracy_m": 10.0}  # ~7.8 km from the branches
    plan = (  # (inspector, branch, day, failing, gps)
        (a.inspector.id, a.b11, 9, ("p1_greeting",), None), (a.inspector2.id, a.b11, 9, (), None),
        (a.inspector.id, a.b12, 10, (), None), (a.inspector2.id, a.b12, 10, ("p4_equal_treatment",), far),
    )
    visits = []
    for inspector, branch, day, failing, gps in plan:
        finished = local_noon(month + timedelta(days=day))
        body = submission_body(answers_for(fuel_catalogue.form, failing=set(failing)), branch_id=str(branch),
                               form_version_id=str(fuel_catalogue.version_id),
                               started_at=(finished - timedelta(minutes=20)).isoformat(),
                               finished_at=finished.isoformat())
        if gps is not None:
            body["gps"] = gps
        receipt = await client.post("/submissions", json=body, headers=inspectors[inspector])
        assert receipt.status_code == 201, receipt.text
        submission_id = receipt.json()["submission_id"]
        for step in ("approve", "release"):
            assert (await client.post(f"/submissions/{submission_id}/{step}", headers=admin)).status_code == 200
        visits.append((Visit(branch=branch, inspector=inspector, score=receipt.json()["score"]["total_percent"]),
                       gps is None))

    async def report(**params: str) -> dict[str, Any]:
        response = await client.get("/rankings/inspectors", params={"form_key": FUEL, "on": month.isoformat(),
                                                                    **params}, headers=admin)
        assert response.status_code == 200, response.text
        return response.json()

    default = await report()
    assert (default["exclude_integrity"], default["visits"], default["excluded_visits"]) == ("suspect", 3, 1)
    fit = fit_leniency([v for v, trusted in visits if trusted])
    effects = {UUID(i["inspector_id"]): i for i in default["inspectors"]}
    assert {k: v["effect"] for k, v in effects.items()} == {
        k: pytest.approx(v, abs=0.01) for k, v in fit.inspector_effects.items()}
    assert effects[a.inspector2.id]["visits"] == 1
    assert default["calibration_pairs"] == 1  # the B12 pair lost its suspect half
    assert await report(exclude_integrity="suspect") == default

    every = await report(exclude_integrity="none")
    assert (every["visits"], every["excluded_visits"], every["calibration_pairs"]) == (4, 0, 2)
    assert {UUID(i["inspector_id"]): i["visits"] for i in every["inspectors"]}[a.inspector2.id] == 2
    # review: also leaves out any warning; these ad-hoc visits without photos have none but the far one.
    assert (await report(exclude_integrity="review"))["visits"] == 3

    bad = await client.get("/rankings/inspectors", params={"form_key": FUEL, "exclude_integrity": "ok"}, headers=admin)
    assert bad.status_code == 400 and "exclude_integrity" in bad.text
