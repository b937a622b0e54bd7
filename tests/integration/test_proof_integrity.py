"""Proof of visit through the API (#18): EXIF capture times read in the branch's zone, the integrity
summary in the QA queue, and the fairness report leaving low-integrity visits out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from litestar.testing import AsyncTestClient

from tests.integration.factories import World, login_as
from tests.integration.fuel_visit import BRANCH_GPS, Fuel, fuel_fixture, http_fixture  # noqa: F401  (fixtures)
from tests.integration.phone import answers_for, get_slots, submission_body, upload
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
