"""Submissions end to end on real Postgres + SeaweedFS, through the HTTP API."""

from __future__ import annotations

import asyncio
import io
import threading
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient
from PIL import ExifTags, Image

from inspect_api.settings import Settings
from tests.integration.conftest import Engines
from tests.integration.factories import World, login_as, make_visit
from tests.integration.fuel_visit import BRANCH_GPS, Fuel, fuel_fixture, http_fixture  # noqa: F401  (fixtures)
from tests.integration.phone import answers_for, get_slots, submission_body, upload
from tests.unit.photos.samples import jpeg


async def uploaded_photos(client: AsyncTestClient, http: httpx.AsyncClient, headers: dict[str, str],
                          count: int = 2, data: bytes | None = None, seed: int = 0) -> list[UUID]:
    slots = await get_slots(client, headers, *["image/jpeg"] * count)
    for n, slot in enumerate(slots):
        body = data if data is not None else jpeg(seed + n, **BRANCH_GPS)
        response = await upload(http, slot, body)
        assert response.status_code in (200, 204), response.text
    return [UUID(slot["photo_id"]) for slot in slots]


async def row_counts(pool: asyncpg.Pool) -> dict[str, int]:
    tables = ("submissions", "submission_revisions", "submission_items", "actions", "action_events")
    counts = {t: await pool.fetchval(f"SELECT count(*) FROM {t}") for t in tables}
    counts["attached_photos"] = await pool.fetchval("SELECT count(*) FROM photos WHERE status = 'attached'")
    return counts


def strings_in(value: Any) -> list[str]:
    """Every key and string value anywhere in a JSON document."""
    match value:
        case dict():
            return [s for k, v in value.items() for s in [k, *strings_in(v)]]
        case list():
            return [s for v in value for s in strings_in(v)]
        case str():
            return [value]
        case _:
            return [str(value)]


async def test_inspection_end_to_end(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    inspector = await login_as(client, world.a.inspector)

    visits = (await client.get("/me/visits", headers=inspector)).json()
    pinned = next(v for v in visits if v["id"] == str(fuel.visit_id))
    form_response = await client.get("/forms/fuel-attendant/versions/1", params={"lang": "en"}, headers=inspector)
    assert form_response.status_code == 200
    assert str(fuel.version_id) in str(pinned)

    photo_ids = await uploaded_photos(client, http, inspector)
    answers = answers_for(fuel.form, failing={"p1_greeting"}, photos={"p1_greeting": photo_ids})
    body = submission_body(answers, visit_id=str(fuel.visit_id))

    first = await client.post("/submissions", json=body, headers=inspector)
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert receipt["score"]["failed_items"] == ["p1_greeting"]
    assert receipt["actions_opened"] == 1  # p1 has a follow-up rule: the release will open it
    for _ in range(5):
        retry = await client.post("/submissions", json=body, headers=inspector)
        assert retry.status_code == 201
        assert retry.content == first.content
    counts = await row_counts(db)
    # Intake derives nothing the branch would see (#19 item 3): no item facts, no actions before the release.
    assert counts == {"submissions": 1, "submission_revisions": 1, "submission_items": 0,
                      "actions": 0, "action_events": 0, "attached_photos": 2}

    submission_id = receipt["submission_id"]
    admin = await login_as(client, world.a.admin)
    manager = await login_as(client, world.a.manager)
    hidden = await client.get(f"/submissions/{submission_id}", headers=manager)
    assert hidden.status_code == 404  # not released yet
    qa_view = (await client.get(f"/submissions/{submission_id}", headers=admin)).json()
    assert qa_view["proof"]["near_branch"] is True
    assert qa_view["inspector"]["id"] == str(world.a.inspector.id)
    assert (await client.post(f"/submissions/{submission_id}/release", headers=admin)).status_code == 409
    assert (await client.post(f"/submissions/{submission_id}/approve", headers=admin)).status_code == 200
    assert (await row_counts(db))["actions"] == 0  # approved is not released either
    released = await client.post(f"/submissions/{submission_id}/release", headers=admin)
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    counts = await row_counts(db)
    assert (counts["submission_items"], counts["actions"], counts["action_events"]) == (
        len(receipt["score"]["items"]), 1, 1)
    release_time = await db.fetchval("SELECT released_at FROM submissions WHERE id = $1", UUID(submission_id))
    assert await db.fetchval("SELECT array_agg(DISTINCT created_at) FROM actions") == [release_time]
    assert (retry := await client.post("/submissions", json=body, headers=inspector)).content == first.content

    seen = await client.get(f"/submissions/{submission_id}", headers=manager)
    assert seen.status_code == 200, seen.text
    view = seen.json()
    everything = strings_in(view)
    inspector_row = await db.fetchrow("SELECT email, display_name FROM users WHERE id = $1", world.a.inspector.id)
    for secret in (str(world.a.inspector.id), inspector_row["email"], inspector_row["display_name"],
                   body["started_at"][:16], body["finished_at"][:16], "31.2301", "121.4702"):
        assert not any(secret in s for s in everything), f"{secret!r} leaked to the branch manager"
    for key in ("inspector", "inspector_id", "started_at", "finished_at", "submitted_at", "gps", "proof",
                "client_id"):
        assert key not in everything
    assert view["visited_on"] == body["finished_at"][:10] or len(view["visited_on"]) == 10

    listed = (await client.get("/submissions", headers=manager)).json()
    assert [row["id"] for row in listed] == [submission_id]

    photo = await client.get(f"/photos/{photo_ids[0]}", headers=manager)
    assert photo.status_code == 200, photo.text
    image = Image.open(io.BytesIO((await http.get(photo.json()["url"])).content))
    exif = image.getexif()
    assert ExifTags.IFD.GPSInfo not in exif and not exif.get_ifd(ExifTags.IFD.GPSInfo)


async def test_same_client_id_with_a_different_body_is_a_conflict(
    client: AsyncTestClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    inspector = await login_as(client, world.a.inspector)
    body = submission_body(answers_for(fuel.form), visit_id=str(fuel.visit_id))
    assert (await client.post("/submissions", json=body, headers=inspector)).status_code == 201
    changed = body | {"comment": "something else"}
    response = await client.post("/submissions", json=changed, headers=inspector)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "client_id" in response.json()["detail"]
    assert (await row_counts(db))["submission_revisions"] == 1


async def test_concurrent_duplicates_make_exactly_one_row(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    inspector = await login_as(client, world.a.inspector)
    photo_ids = await uploaded_photos(client, http, inspector)
    body = submission_body(answers_for(fuel.form, photos={"p1_greeting": photo_ids}), visit_id=str(fuel.visit_id))
    responses = await asyncio.gather(*(client.post("/submissions", json=body, headers=inspector) for _ in range(8)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1
    counts = await row_counts(db)
    assert counts["submissions"] == 1 and counts["submission_revisions"] == 1 and counts["attached_photos"] == 2


async def test_invalid_answers_are_listed_per_item_and_nothing_is_written(
    client: AsyncTestClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    inspector = await login_as(client, world.a.inspector)
    answers = answers_for(fuel.form, values={"p2_needs": 9})
    answers = [a for a in answers if a["item"] != "p3_courtesy"] + [{"item": "no_such_item", "value": True}]
    response = await client.post("/submissions", json=submission_body(answers, visit_id=str(fuel.visit_id)),
                                 headers=inspector)
    assert response.status_code == 422, response.text
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"answers[p2_needs]", "answers[p3_courtesy]", "answers[no_such_item]"} <= fields
    assert (await row_counts(db))["submissions"] == 0


@pytest.mark.parametrize("whose", ["missing", "other_inspector"])
async def test_a_photo_that_is_not_the_inspectors_writes_nothing(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel, db: asyncpg.Pool, whose: str
) -> None:
    inspector = await login_as(client, world.a.inspector)
    if whose == "missing":
        photo_id = UUID(int=7)
    else:
        other = await login_as(client, world.a.inspector2)
        photo_id = (await uploaded_photos(client, http, other, count=1))[0]
    body = submission_body(answers_for(fuel.form, photos={"p1_greeting": [photo_id]}), visit_id=str(fuel.visit_id))
    response = await client.post("/submissions", json=body, headers=inspector)
    assert response.status_code == 404, response.text
    assert str(photo_id) in response.json()["detail"]
    assert await row_counts(db) == dict.fromkeys(
        ("submissions", "submission_revisions", "submission_items", "actions", "action_events", "attached_photos"), 0)


async def test_a_renamed_non_image_is_refused(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    inspector = await login_as(client, world.a.inspector)
    photo_ids = await uploaded_photos(client, http, inspector, count=1, data=b"%PDF-1.7 not a picture at all")
    body = submission_body(answers_for(fuel.form, photos={"p1_greeting": photo_ids}), visit_id=str(fuel.visit_id))
    response = await client.post("/submissions", json=body, headers=inspector)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == f"photos[{photo_ids[0]}]"
    assert (await row_counts(db))["submissions"] == 0


async def test_s3_outage_is_503_writes_nothing_and_the_retry_succeeds(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel, db: asyncpg.Pool, engines: Engines
) -> None:
    if engines.seaweed is None:
        pytest.skip("S3 is external; cannot stop it from a test")
    inspector = await login_as(client, world.a.inspector)
    photo_ids = await uploaded_photos(client, http, inspector)
    body = submission_body(answers_for(fuel.form, photos={"p1_greeting": photo_ids}), visit_id=str(fuel.visit_id))
    engines.seaweed.stop(grace=2)
    try:
        down = await client.post("/submissions", json=body, headers=inspector)
    finally:
        engines.seaweed.start()
    assert down.status_code == 503, down.text
    assert down.headers["content-type"].startswith("application/problem+json")
    assert (await row_counts(db))["submissions"] == 0
    back = await client.post("/submissions", json=body, headers=inspector)
    assert back.status_code == 201, back.text


async def test_rejected_result_is_corrected_by_a_new_revision(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    inspector = await login_as(client, world.a.inspector)
    admin = await login_as(client, world.a.admin)
    kept, added = await uploaded_photos(client, http, inspector)
    failing = submission_body(answers_for(fuel.form, failing={"p4_equal_treatment", "p1_greeting"},
                                          photos={"p1_greeting": [kept]}), visit_id=str(fuel.visit_id))
    first = await client.post("/submissions", json=failing, headers=inspector)
    submission_id = first.json()["submission_id"]
    assert first.json()["actions_opened"] == 1  # p1's follow-up, had this revision been released
    early = await client.post(f"/submissions/{submission_id}/revisions",
                              json=submission_body(answers_for(fuel.form)), headers=inspector)
    assert early.status_code == 409  # only a rejected result can be corrected
    rejected = await client.post(f"/submissions/{submission_id}/reject", json={"reason": "p4 needs a note"},
                                 headers=admin)
    assert rejected.json()["status"] == "rejected"
    # The correction keeps the photo of the first revision and adds a new one.
    correction = submission_body(answers_for(fuel.form, photos={"p1_greeting": [kept, added]}))
    second = await client.post(f"/submissions/{submission_id}/revisions", json=correction, headers=inspector)
    assert second.status_code == 201, second.text
    assert second.json()["revision"] == 2
    assert second.json()["score"]["total_percent"] == 100.0
    view = (await client.get(f"/submissions/{submission_id}", headers=admin)).json()
    assert view["status"] == "submitted" and view["revision"] == 2
    assert [r["revision"] for r in view["revisions"]] == [1, 2]
    assert view["revisions"][0]["total_percent"] < 100.0
    attached = await db.fetch("SELECT id FROM photos WHERE submission_id = $1", UUID(submission_id))
    assert {r["id"] for r in attached} == {kept, added}

    # Released, the result derives from the revision QA released only: revision 1's failed p1 opens nothing.
    for step in ("approve", "release"):
        assert (await client.post(f"/submissions/{submission_id}/{step}", headers=admin)).status_code == 200
    assert await db.fetchval("SELECT count(*) FROM actions") == 0
    item_revisions = await db.fetch("SELECT DISTINCT r.revision FROM submission_items i "
                                    "JOIN submission_revisions r ON r.id = i.revision_id")
    assert [row["revision"] for row in item_revisions] == [2]


@pytest.mark.parametrize(
    ("who", "before_release", "after_release"),
    [
        ("a.inspector", 200, 200),  # their own
        ("a.inspector2", 404, 404),  # another inspector
        ("a.admin", 200, 200),  # QA sees everything in the org
        ("a.lead", 404, 200),  # region r1 holds b11; released only
        ("a.manager", 404, 200),  # runs b11; released only
        ("b.admin", 404, 404),  # other org
        ("b.lead", 404, 404),
        ("b.manager", 404, 404),
    ],
)
async def test_who_sees_a_submission_before_and_after_release(
    client: AsyncTestClient, world: World, fuel: Fuel, who: str, before_release: int, after_release: int
) -> None:
    org, role = who.split(".")
    viewer = await login_as(client, getattr(getattr(world, org), role))
    inspector = await login_as(client, world.a.inspector)
    admin = await login_as(client, world.a.admin)
    receipt = await client.post("/submissions", json=submission_body(answers_for(fuel.form),
                                                                      visit_id=str(fuel.visit_id)), headers=inspector)
    submission_id = receipt.json()["submission_id"]

    async def visible() -> tuple[int, bool]:
        one = await client.get(f"/submissions/{submission_id}", headers=viewer)
        listed = await client.get("/submissions", headers=viewer)
        assert listed.status_code == 200
        return one.status_code, submission_id in {row["id"] for row in listed.json()}

    assert await visible() == (before_release, before_release == 200)
    await client.post(f"/submissions/{submission_id}/approve", headers=admin)
    await client.post(f"/submissions/{submission_id}/release", headers=admin)
    assert await visible() == (after_release, after_release == 200)


@pytest.mark.parametrize("role", ["regional_lead", "branch_manager", "inspector"])
async def test_only_qa_reviews(client: AsyncTestClient, world: World, fuel: Fuel, role: str) -> None:
    inspector = await login_as(client, world.a.inspector)
    receipt = await client.post("/submissions", json=submission_body(answers_for(fuel.form),
                                                                      visit_id=str(fuel.visit_id)), headers=inspector)
    headers = await login_as(client, world.a.user(role))
    for action in ("approve", "release"):
        response = await client.post(f"/submissions/{receipt.json()['submission_id']}/{action}", headers=headers)
        assert response.status_code == 403


@pytest.mark.parametrize("role", ["admin", "regional_lead", "branch_manager"])
async def test_only_inspectors_submit(client: AsyncTestClient, world: World, fuel: Fuel, role: str) -> None:
    headers = await login_as(client, world.a.user(role))
    response = await client.post("/submissions", json=submission_body(answers_for(fuel.form),
                                                                       visit_id=str(fuel.visit_id)), headers=headers)
    assert response.status_code == 403


async def test_another_inspectors_visit_is_not_found(client: AsyncTestClient, world: World, fuel: Fuel) -> None:
    other = await login_as(client, world.a.inspector2)
    response = await client.post("/submissions", json=submission_body(answers_for(fuel.form),
                                                                      visit_id=str(fuel.visit_id)), headers=other)
    assert response.status_code == 404


async def test_unknown_fields_are_refused_not_dropped(client: AsyncTestClient, world: World, fuel: Fuel) -> None:
    inspector = await login_as(client, world.a.inspector)
    body = submission_body(answers_for(fuel.form), visit_id=str(fuel.visit_id)) | {"total_percent": 100}
    response = await client.post("/submissions", json=body, headers=inspector)
    assert response.status_code == 400
    assert "total_percent" in response.text


async def test_a_photo_taken_by_a_concurrent_request_rolls_the_whole_submission_back(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel, db: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first submission is one statement; a photo attached elsewhere between the facts read and
    that statement must undo all of it: no submission, revision, items, actions, attached photos."""
    from inspect_api.submissions import intake

    inspector = await login_as(client, world.a.inspector)
    kept, taken = await uploaded_photos(client, http, inspector)
    for photo_id in (kept, taken):
        assert (await client.post(f"/uploads/{photo_id}/verify", headers=inspector)).status_code == 200
    published_version = intake.published_version

    async def another_request_attaches_first(conn: asyncpg.Connection, *args: Any, **kwargs: Any) -> Any:
        # between intake's read and its write, on the app's connection (its event loop), committed
        await conn.execute("UPDATE photos SET status = 'attached', attached_at = now() WHERE id = $1", taken)
        return await published_version(conn, *args, **kwargs)

    monkeypatch.setattr(intake, "published_version", another_request_attaches_first)
    body = submission_body(answers_for(fuel.form, failing={"p4_equal_treatment"},
                                       photos={"p1_greeting": [kept, taken]}), visit_id=str(fuel.visit_id))
    response = await client.post("/submissions", json=body, headers=inspector)
    assert response.status_code == 409, response.text
    assert response.json()["errors"] == [
        {"field": f"photos[{taken}]", "message": f"photo {taken} is already attached elsewhere"}]
    counts = await row_counts(db)
    assert counts == {"submissions": 0, "submission_revisions": 0, "submission_items": 0, "actions": 0,
                      "action_events": 0, "attached_photos": 1}  # only the photo the other request took
    assert await db.fetchval("SELECT status FROM photos WHERE id = $1", kept) == "verified"
    assert await db.fetchval("SELECT status FROM visits WHERE id = $1", fuel.visit_id) != "submitted"

    monkeypatch.setattr(intake, "published_version", published_version)
    retry = body | {"client_id": str(UUID(int=99)),
                    "answers": answers_for(fuel.form, failing={"p4_equal_treatment"}, photos={"p1_greeting": [kept]})}
    receipt = await client.post("/submissions", json=retry, headers=inspector)
    assert receipt.status_code == 201, receipt.text
    counts = await row_counts(db)
    assert counts["submissions"] == 1 and counts["attached_photos"] == 2
    assert counts["submission_items"] == counts["actions"] == counts["action_events"] == 0  # until the release
    assert await db.fetchval("SELECT status FROM visits WHERE id = $1", fuel.visit_id) == "submitted"


# ---- photo reuse (links made when each photo is sealed, migration 0013) ------------------------


def lookalike(seed: int, quality: int) -> bytes:
    """The same scene at another JPEG quality: a different file with (nearly) the same hash."""
    from tests.unit.photos.samples import encode, exif_with, scene

    return encode(scene(seed), "image/jpeg", exif=exif_with(**BRANCH_GPS), quality=quality)


async def verified_photo(client: AsyncTestClient, http: httpx.AsyncClient, headers: dict[str, str],
                         data: bytes) -> UUID:
    (photo_id,) = await uploaded_photos(client, http, headers, count=1, data=data)
    response = await client.post(f"/uploads/{photo_id}/verify", headers=headers)
    assert response.status_code == 200, response.text
    return photo_id


async def test_a_reused_photo_is_flagged_whichever_copy_was_verified_first(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    inspector, admin = await login_as(client, world.a.inspector), await login_as(client, world.a.admin)
    async with db.acquire() as conn:
        visits = [fuel.visit_id] + [
            await make_visit(conn, world.a.id, world.a.b11, world.a.inspector.id, fuel.version_id,
                             world.a.admin.id, mode="mystery", days_ahead=-0.1) for _ in range(2)]
    earlier = await verified_photo(client, http, inspector, lookalike(21, 95))
    later = await verified_photo(client, http, inspector, lookalike(21, 70))
    unrelated = await verified_photo(client, http, inspector, jpeg(22, **BRANCH_GPS))

    async def submit(visit_id: UUID, *photos: UUID) -> dict[str, Any]:
        body = submission_body(answers_for(fuel.form, photos={"p1_greeting": list(photos)}), visit_id=str(visit_id))
        response = await client.post("/submissions", json=body, headers=inspector)
        assert response.status_code == 201, response.text
        submission_id = response.json()["submission_id"]
        view = (await client.get(f"/submissions/{submission_id}", headers=admin)).json()
        return {"id": submission_id, "reused": {p["photo_id"]: p["reused_from"] for p in view["proof"]["photos"]},
                "warnings": view["proof"]["warnings"]}

    # The copy verified later goes first: nothing it resembles is attached yet.
    first = await submit(visits[0], later, unrelated)
    assert first["reused"] == {str(later): [], str(unrelated): []}
    # The copy verified earlier links to nothing itself; the later copy's links name it.
    second = await submit(visits[1], earlier)
    assert second["reused"] == {str(earlier): [first["id"]]}
    assert any("resembles photos of other submissions" in w for w in second["warnings"])
    # A third copy, verified last, links to both.
    third = await submit(visits[2], await verified_photo(client, http, inspector, lookalike(21, 80)))
    assert list(third["reused"].values()) == [sorted([first["id"], second["id"]])]


async def test_a_seal_waits_for_the_orgs_seal_in_progress_and_links_to_it(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel, db: asyncpg.Pool,
    settings: Settings,
) -> None:
    """Two lookalikes sealed at once: the second seal must wait for the first to commit and link to it,
    or neither would see the other (each search runs before the other's row is committed)."""
    from inspect_api.photos import queries as photo_queries
    from inspect_api.photos.images import analyse

    inspector = await login_as(client, world.a.inspector)
    first_bytes = lookalike(31, 95)
    (first,) = await uploaded_photos(client, http, inspector, count=1, data=first_bytes)
    (second,) = await uploaded_photos(client, http, inspector, count=1, data=lookalike(31, 70))
    facts = analyse(first_bytes, "image/jpeg")
    upload_key = await db.fetchval("SELECT object_key FROM photos WHERE id = $1", first)
    held, release = threading.Event(), threading.Event()

    async def first_seal_held_open() -> None:
        # The first seal as photos/service.py runs it, held before its commit. Its own thread and loop:
        # the test client runs the app's request to completion before this loop could go on.
        conn = await asyncpg.connect(settings.database_url)
        try:
            async with conn.transaction():
                await photo_queries.lock_org_seals(conn, world.a.id)
                assert await photo_queries.seal(conn, photo_queries.SealValues(
                    id=first, upload_key=upload_key, sealed_key=upload_key, redacted_key=f"redacted/{first}.jpg",
                    size_bytes=len(first_bytes),
                    phash=facts.phash, exif_latitude=facts.latitude, exif_longitude=facts.longitude,
                    exif_taken_at=facts.taken_at), lookalike_threshold=6) is not None
                held.set()
                await asyncio.to_thread(release.wait, 1.5)  # the second seal reaches its search meanwhile
        finally:
            await conn.close()

    sealer = threading.Thread(target=asyncio.run, args=(first_seal_held_open(),))
    sealer.start()
    try:
        assert await asyncio.to_thread(held.wait, 30)
        response = await client.post(f"/uploads/{second}/verify", headers=inspector)
    finally:
        release.set()
        sealer.join()
    assert response.status_code == 200, response.text
    assert await db.fetchval("SELECT lookalike_ids FROM photos WHERE id = $1", second) == [first]


# ---- a photo belongs to its visit (#14 item 8) -------------------------------------------------------

NOTHING_WRITTEN: dict[str, int] = dict.fromkeys(
    ("submissions", "submission_revisions", "submission_items", "actions", "action_events", "attached_photos"), 0)


async def photos_for(client: AsyncTestClient, http: httpx.AsyncClient, headers: dict[str, str],
                     visit_id: UUID | None, seed: int) -> UUID:
    """One uploaded photo whose slot was asked for `visit_id` (None: no visit named)."""
    extra = {} if visit_id is None else {"visit_id": str(visit_id)}
    (slot,) = await get_slots(client, headers, "image/jpeg", **extra)
    assert (await upload(http, slot, jpeg(seed, **BRANCH_GPS))).status_code in (200, 204)
    return UUID(slot["photo_id"])


async def test_a_photo_asked_for_another_visit_is_refused_naming_it_and_nothing_is_written(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    inspector = await login_as(client, world.a.inspector)
    other_visit = world.a.v11  # the inspector's other visit, at the same branch
    foreign = await photos_for(client, http, inspector, other_visit, seed=31)
    own = await photos_for(client, http, inspector, fuel.visit_id, seed=32)
    body = submission_body(answers_for(fuel.form, photos={"p1_greeting": [own, foreign]}), visit_id=str(fuel.visit_id))
    response = await client.post("/submissions", json=body, headers=inspector)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": f"photos[{foreign}]", "message": f"photo {foreign} was taken for another visit"}]
    assert await row_counts(db) == NOTHING_WRITTEN
    # The photos of this visit, and those asked for without naming a visit, are its own.
    unnamed = await photos_for(client, http, inspector, None, seed=33)
    body = submission_body(answers_for(fuel.form, photos={"p1_greeting": [own, unnamed]}), visit_id=str(fuel.visit_id))
    accepted = await client.post("/submissions", json=body, headers=inspector)
    assert accepted.status_code == 201, accepted.text


async def test_an_ad_hoc_inspection_refuses_a_photo_asked_for_a_visit(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    await db.execute("""UPDATE orgs SET settings = settings || '{"allow_adhoc_submissions": true}' WHERE id = $1""",
                     world.a.id)
    inspector = await login_as(client, world.a.inspector)
    visit_photo = await photos_for(client, http, inspector, fuel.visit_id, seed=34)
    body = submission_body(answers_for(fuel.form, photos={"p1_greeting": [visit_photo]}),
                           branch_id=str(world.a.b11), form_version_id=str(fuel.version_id))
    response = await client.post("/submissions", json=body, headers=inspector)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [f"photos[{visit_photo}]"]
    assert await row_counts(db) == NOTHING_WRITTEN


async def test_a_correction_refuses_a_photo_asked_for_another_visit(
    client: AsyncTestClient, http: httpx.AsyncClient, world: World, fuel: Fuel, db: asyncpg.Pool
) -> None:
    inspector = await login_as(client, world.a.inspector)
    admin = await login_as(client, world.a.admin)
    first = await client.post("/submissions", json=submission_body(answers_for(fuel.form, failing={"p1_greeting"}),
                                                                   visit_id=str(fuel.visit_id)), headers=inspector)
    submission_id = first.json()["submission_id"]
    assert (await client.post(f"/submissions/{submission_id}/reject", json={"reason": "add a photo"},
                              headers=admin)).status_code == 200
    before = await row_counts(db)
    foreign = await photos_for(client, http, inspector, world.a.v11, seed=35)
    correction = submission_body(answers_for(fuel.form, photos={"p1_greeting": [foreign]}))
    response = await client.post(f"/submissions/{submission_id}/revisions", json=correction, headers=inspector)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [f"photos[{foreign}]"]
    assert await row_counts(db) == before
    own = await photos_for(client, http, inspector, fuel.visit_id, seed=36)
    correction = submission_body(answers_for(fuel.form, photos={"p1_greeting": [own]}))
    accepted = await client.post(f"/submissions/{submission_id}/revisions", json=correction, headers=inspector)
    assert accepted.status_code == 201, accepted.text


# ---- the intake write reads its values by name (#19 item 2) ----------------------------------------


def first_submission_values(world: World, fuel: Fuel) -> dict[str, Any]:
    """WRITE_FIRST_SUBMISSION's parameter as plain JSON values, right in every field."""
    from datetime import UTC, date, datetime, timedelta

    import msgspec

    from inspect_api.forms.scoring import score
    from inspect_api.submissions import queries
    from inspect_api.submissions.intake import request_hash
    from inspect_api.submissions.schemas import SubmissionIn

    data = msgspec.convert(submission_body(answers_for(fuel.form), visit_id=str(fuel.visit_id)), SubmissionIn)
    card = score(fuel.form, data.answers, form_version=1, content_hash="h")
    finished = datetime.now(UTC)
    values = queries.FirstSubmission(
        submission=queries.SubmissionValues(
            org_id=world.a.id, branch_id=world.a.b11, visit_id=fuel.visit_id, form_version_id=fuel.version_id,
            inspector_id=world.a.inspector.id, mode="mystery", revision=1, total_percent=card.total_percent,
            passed=card.passed, visited_on=date.today()),
        revision=queries.RevisionValues(
            client_id=UUID(int=4242), request_hash=request_hash(data), answers=[{"item": "p1_greeting"}],
            score_card=card, started_at=finished - timedelta(minutes=20), finished_at=finished,
            gps_latitude=31.2301, gps_longitude=121.4702, gps_accuracy_m=8.0, comment="", proof={"near": True}),
        photo_ids=[])
    return msgspec.to_builtins(values)


@pytest.mark.parametrize(("first", "second", "refused_by"), [
    ("client_id", "request_hash", asyncpg.InvalidTextRepresentationError),  # a uuid column takes no hash
    ("started_at", "finished_at", asyncpg.CheckViolationError),  # same type: the order check refuses it
    ("gps_latitude", "gps_longitude", asyncpg.CheckViolationError),  # 121.47 is no latitude
    ("answers", "score_card", asyncpg.CheckViolationError),  # both jsonb: the shape checks refuse it
])
async def test_a_value_sent_under_another_fields_name_fails_loudly(
    db: asyncpg.Pool, world: World, fuel: Fuel, first: str, second: str, refused_by: type[Exception]
) -> None:
    """The write statement reads its one jsonb parameter by name: two fields exchanged never land in each
    other's columns (the positional text[] arrays it replaced took such a swap silently)."""
    from inspect_api.submissions.queries import WRITE_FIRST_SUBMISSION

    values = first_submission_values(world, fuel)
    async with db.acquire() as conn:
        with pytest.raises(RolledBack):
            async with conn.transaction():  # the control: the right values are written, in their columns
                written = await conn.fetchrow(WRITE_FIRST_SUBMISSION, values)
                assert written["client_id"] == UUID(int=4242)
                assert await conn.fetchval("SELECT gps_latitude FROM submission_revisions") == 31.2301
                raise RolledBack
        revision = values["revision"]
        revision[first], revision[second] = revision[second], revision[first]
        with pytest.raises(refused_by):
            await conn.fetchrow(WRITE_FIRST_SUBMISSION, values)
    assert await db.fetchval("SELECT count(*) FROM submission_revisions") == 0


class RolledBack(Exception):
    """Raised to roll a test's transaction back."""


async def test_photos_attached_elsewhere_is_its_own_sqlstate_not_a_unique_violation(db: asyncpg.Pool) -> None:
    """Intake maps the error by its code (IA001), so no real unique violation can be taken for it."""
    from inspect_api.submissions.queries import PHOTOS_ATTACHED_ELSEWHERE

    photo_ids = [UUID(int=1), UUID(int=2)]
    with pytest.raises(asyncpg.PostgresError) as raised:
        await db.fetchval("SELECT photos_attached_elsewhere($1::uuid[])", photo_ids)
    assert raised.value.sqlstate == PHOTOS_ATTACHED_ELSEWHERE == "IA001"
    assert not isinstance(raised.value, asyncpg.UniqueViolationError)
    assert raised.value.detail == ",".join(map(str, photo_ids))  # type: ignore[attr-defined]
