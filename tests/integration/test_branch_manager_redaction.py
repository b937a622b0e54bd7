"""Every response a branch manager can get, scanned for the inspector's identity, the exact visit time
and GPS. The GET operations come from the OpenAPI schema, so a new endpoint is scanned the day it lands.

Arranged first: the org's set-up is dated well before the visit; then a mystery visit inspected now (real
started, finished and receive times, seconds before the release) with two photos carrying EXIF GPS and
time, failing an item (so a follow-up action opens), commented on by QA before the release, approved and
released to the manager's branch. The manager then works the action (their own events).

Every time-looking value anywhere (JSON strings and numbers, CSV, xlsx XML, headers, presigned URLs) is
parsed: one finer than a date must be the release time itself or come from the manager's own requests
(at or after the scan began, e.g. a URL's expiry); anything else fails, and one near the shopper's
started/finished/receive times fails naming which.
"""

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pypdf
from litestar.testing import AsyncTestClient
from PIL import ExifTags, Image

from inspect_api.forms.loader import load_seed_dir
from inspect_api.forms.service import seed_catalogue
from tests.integration.factories import World, login_as, make_visit
from tests.integration.phone import answers_for, get_slots, submission_body, upload
from tests.unit.photos.samples import jpeg

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_forms"
INSPECTOR_NAME = "Qiu Mingyue (mystery shopper 7731)"
VISIT_GPS = (31.230417, 121.470253)  # where the inspector stood: near, but not at, the branch's 31.23, 121.47
BRANCH_ZONE = ZoneInfo("Asia/Shanghai")  # the factories' branches
QA_COMMENT = "checked the photos before release"
SHARED_COMMENT = "greet every customer at the pump"
NEAR_VISIT = timedelta(minutes=10)


def texts(value: Any) -> list[str]:
    """Every key and scalar in a JSON document, as text."""
    match value:
        case dict():
            return [s for k, v in value.items() for s in [str(k), *texts(v)]]
        case list():
            return [s for v in value for s in texts(v)]
        case _:
            return [str(value)]


def numbers(value: Any) -> list[float]:
    match value:
        case dict():
            return [n for v in value.values() for n in numbers(v)]
        case list():
            return [n for v in value for n in numbers(v)]
        case bool():
            return []
        case int() | float():
            return [value]
        case _:
            return []


def body_texts(response: httpx.Response) -> list[str]:
    kind = response.headers.get("content-type", "")
    if "json" in kind:
        return texts(response.json())
    if "spreadsheetml" in kind:  # xlsx: the cells live in XML inside the zip
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return [book.read(name).decode(errors="replace") for name in book.namelist()]
    if "pdf" in kind:  # the words on the pages and the document's metadata, not the compressed bytes
        document = pypdf.PdfReader(io.BytesIO(response.content))
        metadata = [str(value) for value in (document.metadata or {}).values()]
        return [page.extract_text() for page in document.pages] + metadata
    return [response.text]


# ---- every time-looking value -------------------------------------------------------------------

_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?")
EXIF_TIME = re.compile(r"\d{4}:\d{2}:\d{2} \d{2}:\d{2}(?::\d{2})?")
COMPACT_TIME = re.compile(r"(?<!\d)\d{8}T\d{6}Z?")  # X-Amz-Date
HTTP_TIME = re.compile(rf"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{{2}} (?:{_MONTHS}) \d{{4}} \d{{2}}:\d{{2}}:\d{{2}} GMT")


def _readings(text: str, naive: datetime) -> list[datetime]:
    """An aware time as itself; a naive one as UTC and as branch-local (either could be meant)."""
    if naive.tzinfo is not None:
        return [naive]
    return [naive.replace(tzinfo=UTC), naive.replace(tzinfo=BRANCH_ZONE)]


def times_in(text: str) -> Iterator[tuple[str, list[datetime]]]:
    """(as written, its possible readings) for every time of day written in `text`."""
    text = unquote(text)
    for match in ISO_TIME.finditer(text):
        written = match.group()
        value = written.replace(" ", "T", 1)
        value = value[:-1] + "+00:00" if value.endswith("Z") else value
        if re.search(r"[+-]\d{2}$", value):
            value += ":00"
        yield written, _readings(written, datetime.fromisoformat(value))
    for match in EXIF_TIME.finditer(text):
        written = match.group()
        pattern = "%Y:%m:%d %H:%M:%S" if written.count(":") == 4 else "%Y:%m:%d %H:%M"
        yield written, _readings(written, datetime.strptime(written, pattern))
    for match in COMPACT_TIME.finditer(text):
        written = match.group()
        parsed = datetime.strptime(written.rstrip("Z"), "%Y%m%dT%H%M%S")
        yield written, [parsed.replace(tzinfo=UTC)] if written.endswith("Z") else _readings(written, parsed)
    for match in HTTP_TIME.finditer(text):
        written = match.group()
        yield written, [datetime.strptime(written, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)]


def epoch_times(values: list[float]) -> Iterator[tuple[str, list[datetime]]]:
    """JSON numbers that read as a Unix time (seconds or milliseconds) in this century."""
    for n in values:
        for seconds in (n, n / 1000):
            if 946_684_800 <= seconds < 4_102_444_800:
                yield str(n), [datetime.fromtimestamp(seconds, UTC)]


def is_a_date(moment: datetime) -> bool:
    """Midnight in UTC or the branch's zone: a date written as a time, no finer than the day."""
    return any(moment.astimezone(zone).time() == time(0) for zone in (UTC, BRANCH_ZONE))


class Timeline:
    """The real moments of the visit, and what a branch manager may see finer than a date."""

    def __init__(self, *, set_up_until: datetime, started: datetime, finished: datetime, received: datetime,
                 released: datetime, scan_began: datetime) -> None:
        self.set_up_until = set_up_until  # the org, its branches and users, the forms: long before the visit
        self.visit = {"started_at": started, "finished_at": finished, "received_at": received}
        self.released = released
        # Written to the second, the manager's own request times still come after the release (arrange
        # waits for the next second), so the cut is at the scan's first whole second.
        self.own_requests_from = scan_began.replace(microsecond=0)
        assert self.own_requests_from > released

    def allowed(self, moment: datetime) -> bool:
        return (moment == self.released or moment >= self.own_requests_from or moment <= self.set_up_until
                or is_a_date(moment))

    def problem(self, where: str, written: str, readings: list[datetime]) -> str | None:
        if any(self.allowed(r) for r in readings):
            return None
        distance, name = min((abs(r - moment), name) for r in readings for name, moment in self.visit.items())
        if distance <= NEAR_VISIT:
            return (f"{where} shows the branch manager {written!r}, "
                    f"{distance.total_seconds():.3f} s from the visit's {name}")
        return (f"{where} shows the branch manager {written!r}: finer than a date, and neither the release "
                f"time ({self.released.isoformat()}) nor one of the manager's own requests")


def scan_times(timeline: Timeline, where: str, seen: list[str], json_numbers: list[float]) -> int:
    found = [found for text in seen for found in times_in(text)] + list(epoch_times(json_numbers))
    for written, readings in found:
        problem = timeline.problem(where, written, readings)
        assert problem is None, problem
    return len(found)


# ---- arrange ------------------------------------------------------------------------------------

async def db_now(db: asyncpg.Pool) -> datetime:
    return await db.fetchval("SELECT clock_timestamp()")


SET_UP_AGO = timedelta(days=30)


async def date_the_set_up_long_ago(db: asyncpg.Pool) -> datetime:
    """Everything that exists before the visit (orgs, regions, branches, users, forms) is dated 30 days
    earlier, as in life: only what the visit causes is near it. Returns when the set-up now ends."""
    until = await db_now(db) - SET_UP_AGO
    columns = await db.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND data_type = 'timestamp with time zone' "
        "AND table_name <> 'schema_migrations'")
    async with db.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")  # published forms are immutable
        for column in columns:
            await conn.execute(f'UPDATE "{column["table_name"]}" SET "{column["column_name"]}" = '
                               f'"{column["column_name"]}" - $1::interval', SET_UP_AGO)
    return until


async def arrange(client: AsyncTestClient, http: httpx.AsyncClient, db: asyncpg.Pool, world: World) -> dict[str, Any]:
    forms = {f.key: f for f in load_seed_dir(SEED_DIR)}
    async with db.acquire() as conn:
        await seed_catalogue(conn, list(forms.values()))
        version_id = await conn.fetchval(
            "SELECT v.id FROM form_versions v JOIN forms f ON f.id = v.form_id "
            "WHERE f.key = 'fuel-attendant' AND f.org_id IS NULL AND v.version = 1")
        await conn.execute("UPDATE users SET display_name = $2 WHERE id = $1", world.a.inspector.id, INSPECTOR_NAME)
    set_up_until = await date_the_set_up_long_ago(db)
    async with db.acquire() as conn:
        visit_id = await make_visit(conn, world.a.id, world.a.b11, world.a.inspector.id, version_id,
                                    world.a.admin.id, mode="mystery", days_ahead=-0.1)
    started = await db_now(db)
    inspector = await login_as(client, world.a.inspector)
    slots = await get_slots(client, inspector, "image/jpeg", "image/jpeg", visit_id=str(visit_id))
    for n, slot in enumerate(slots):
        taken_local = started.astimezone(BRANCH_ZONE).replace(tzinfo=None) + timedelta(seconds=n)
        photo = jpeg(n, latitude=VISIT_GPS[0], longitude=VISIT_GPS[1], taken_at=taken_local, make="Pixel")
        assert (await upload(http, slot, photo)).status_code in (200, 204)
    photo_ids = [UUID(s["photo_id"]) for s in slots]
    finished = await db_now(db)
    body = submission_body(answers_for(forms["fuel-attendant"], failing={"p1_greeting"},
                                       photos={"p1_greeting": photo_ids}),
                           visit_id=str(visit_id), started_at=started.isoformat(), finished_at=finished.isoformat(),
                           gps={"latitude": VISIT_GPS[0], "longitude": VISIT_GPS[1], "accuracy_m": 8.0})
    receipt = await client.post("/submissions", json=body, headers=inspector)
    assert receipt.status_code == 201, receipt.text
    submission_id = receipt.json()["submission_id"]
    received = datetime.fromisoformat(receipt.json()["received_at"])
    admin = await login_as(client, world.a.admin)
    # QA's comments (#17), written before the release: the shared one reaches the manager (text, date).
    for comment in ({"body": SHARED_COMMENT, "item_key": "p1_greeting", "share_with_branch": True},
                    {"body": f"QA only: {INSPECTOR_NAME} stood at {VISIT_GPS[0]}"}):
        assert (await client.post(f"/submissions/{submission_id}/comments", json=comment,
                                  headers=admin)).status_code == 201
    for step in ("approve", "release"):
        done = await client.post(f"/submissions/{submission_id}/{step}", headers=admin)
        assert done.status_code == 200, done.text
    released = await db.fetchval("SELECT released_at FROM submissions WHERE id = $1", submission_id)
    # The release opens the visit's action (#19 item 3: none exists before), dated at the release.
    action_id = await db.fetchval("SELECT id FROM actions WHERE submission_id = $1", submission_id)
    assert action_id is not None
    # On to the next whole second (see Timeline): a time the manager's requests cause, even written to
    # the second, then comes after the release. Not a timing threshold: nothing is judged by how long.
    next_second = released.replace(microsecond=0) + timedelta(seconds=1)
    await asyncio.sleep(max(0.0, (next_second - await db_now(db)).total_seconds()))
    scan_began = await db_now(db)
    # QA's comment on the released action is later work, like the manager's (in a real org, hours after
    # the visit; here it would fall within a second of the receipt, which the scan cannot tell apart).
    commented = await client.post(f"/actions/{action_id}/comments", json={"note": QA_COMMENT}, headers=admin)
    assert commented.status_code == 201, commented.text
    manager = await login_as(client, world.a.manager)
    for path, body in ((f"/actions/{action_id}/start", None), (f"/actions/{action_id}/comments", {"note": "on it"})):
        worked = await client.post(path, json=body, headers=manager)
        assert worked.status_code in (200, 201), worked.text
    return {"submission_id": submission_id, "photo_id": str(photo_ids[0]), "action_id": str(action_id),
            "visit_id": str(visit_id), "version_id": str(version_id), "manager": manager,
            "timeline": Timeline(set_up_until=set_up_until, started=started, finished=finished, received=received,
                                 released=released, scan_began=scan_began)}


def fill(path: str, operation: dict[str, Any], ids: dict[str, str]) -> tuple[str, dict[str, str]] | None:
    """Path and required query values for an operation, from the arranged ids; None if unknown."""
    for name in re.findall(r"{(\w+)}", path):
        if name not in ids:
            return None
        path = path.replace("{" + name + "}", ids[name])
    query = {}
    for param in operation.get("parameters", []):
        if param["in"] == "query" and param.get("required"):
            if param["name"] not in ids:
                return None
            query[param["name"]] = ids[param["name"]]
    return path, query


async def test_nothing_a_branch_manager_can_read_reveals_the_inspector_the_visit_time_or_gps(
    client: AsyncTestClient, db: asyncpg.Pool, world: World
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        arranged = await arrange(client, http, db, world)
        manager, timeline = arranged["manager"], arranged["timeline"]
        inspector = await db.fetchrow("SELECT id, email FROM users WHERE id = $1", world.a.inspector.id)
        secrets = {
            "inspector id": str(inspector["id"]),
            "inspector e-mail": inspector["email"],
            "inspector name": INSPECTOR_NAME,
            "visit GPS latitude": f"{VISIT_GPS[0]:.4f}",
            "visit GPS longitude": f"{VISIT_GPS[1]:.4f}",
        }  # times: scan_times, which reads every written time instead of matching a few spellings
        # A mystery programme at the manager's branch (#17): its generated visits must leave no trace.
        programme = await client.post("/programmes", headers=await login_as(client, world.a.admin), json={
            "name": "Mystery rounds", "form_key": "fuel-attendant", "mode": "mystery", "branch_ids": [str(world.a.b11)],
            "period": "month", "visits_per_period": 2, "days_of_week": [1, 2, 3, 4, 5, 6, 7],
            "window_start_time": "10:00", "window_end_time": "12:00", "starts_on": date.today().isoformat()})
        assert programme.status_code == 201, programme.text
        occurrences = await db.fetch("SELECT id FROM visits WHERE programme_id = $1", UUID(programme.json()["id"]))
        assert occurrences
        secrets |= {f"programme visit {n}": str(row["id"]) for n, row in enumerate(occurrences)}
        secrets["programme id"] = programme.json()["id"]
        # Appeals (#17): the manager disputes an item and the whole result; QA accepts the item's appeal
        # (a corrected revision, re-derived), the other stays open. Both are the manager's to read.
        fuel = {f.key: f for f in load_seed_dir(SEED_DIR)}["fuel-attendant"]
        corrected = next(a for a in answers_for(fuel, failing={"p2_needs"}) if a["item"] == "p2_needs")
        appeals = []
        for body in ({"item_key": "p2_needs", "reason": "Needs were asked"}, {"reason": "The whole visit"}):
            opened = await client.post("/appeals", json={"submission_id": arranged["submission_id"], **body},
                                       headers=manager)
            assert opened.status_code == 201, opened.text
            appeals.append(opened.json()["appeal"]["id"])
        accepted = await client.post(f"/appeals/{appeals[0]}/accept", json={"answers": [corrected]},
                                     headers=await login_as(client, world.a.admin))
        assert accepted.status_code == 200, accepted.text
        forbidden_keys = {"inspector", "inspector_id", "inspector_name", "started_at", "finished_at", "gps",
                          "gps_latitude", "gps_longitude", "proof", "client_id", "exif_latitude", "exif_longitude",
                          "exif_taken_at", "taken_at", "received_at", "submitted_at", "integrity"}
        ids = {
            "submission_id": arranged["submission_id"], "photo_id": arranged["photo_id"],
            "action_id": arranged["action_id"], "visit_id": arranged["visit_id"], "branch_id": str(world.a.b11),
            "region_id": str(world.a.r1), "user_id": str(world.a.manager.id), "key": "fuel-attendant",
            "form_key": "fuel-attendant", "version": "1", "form_version_id": arranged["version_id"],
            "on": date.today().isoformat(), "endpoint_id": str(world.a.admin.id),  # admin-only routes: any id (403)
            "programme_id": str(world.a.admin.id),  # programmes (#17) answer a manager 403: any id
            "appeal_id": appeals[0],
        }
        schema = (await client.get("/schema/openapi.json")).json()
        scanned: dict[str, httpx.Response] = {}
        photos_checked = times_checked = 0
        for path, item in sorted(schema["paths"].items()):
            operation = item.get("get")
            if operation is None or path.startswith("/schema") or path in ("/healthz", "/readyz"):
                continue
            filled = fill(path, operation, ids)
            assert filled is not None, f"the scan does not know how to call GET {path}: add its parameters to ids"
            url, query = filled
            response = await client.get(url, params=query, headers=manager)
            scanned[path] = response
            seen = body_texts(response) + [f"{k}: {v}" for k, v in response.headers.items()]
            for what, secret in secrets.items():
                leaks = [s for s in seen if secret in s]
                assert not leaks, f"GET {path} shows the branch manager the {what}: {leaks[0][:300]}"
            json_numbers: list[float] = []
            if "json" in response.headers.get("content-type", ""):
                leaked_keys = forbidden_keys & set(texts(response.json()))
                assert not leaked_keys, f"GET {path} has fields {leaked_keys}"
                json_numbers = numbers(response.json())
            times_checked += scan_times(timeline, f"GET {path}", seen, json_numbers)
            for photo_url in {s for s in seen if s.startswith("http") and "X-Amz-Signature" in s}:
                times_checked += await assert_photo_is_clean(http, photo_url, path, timeline)
                photos_checked += 1
        assert photos_checked >= 1
        # The scan reached the data: the manager really saw the released result, its photo, its action
        # with every event (created, QA's comment, their own), and the action in the export.
        for path in ("/submissions", "/submissions/{submission_id}", "/photos/{photo_id}", "/actions",
                     "/actions/{action_id}", "/exports/actions.csv", "/exports/actions.xlsx",
                     "/exports/submissions.csv", "/exports/submissions.xlsx", "/submissions/{submission_id}/report.pdf",
                     "/branches/{branch_id}/report.pdf"):
            assert scanned[path].status_code == 200, (path, scanned[path].status_code)
        # The PDFs were read as words (their text is what was scanned), not as compressed bytes.
        assert "B11" in " ".join(body_texts(scanned["/submissions/{submission_id}/report.pdf"]))
        shared = scanned["/submissions/{submission_id}/comments"].json()  # #17: the shared one only
        assert [(c["body"], c["item_key"]) for c in shared] == [(SHARED_COMMENT, "p1_greeting")]
        events = scanned["/actions/{action_id}"].json()["events"]
        assert [e["kind"] for e in events] == ["created", "comment", "status", "comment"], events
        assert events[0]["actor"] is None and events[1]["note"] == QA_COMMENT
        assert arranged["action_id"] in scanned["/exports/actions.csv"].text
        # The xlsx exports were scanned as their XML, with the manager's rows in it (#20).
        for path, row_id in (("/exports/submissions.xlsx", arranged["submission_id"]),
                             ("/exports/actions.xlsx", arranged["action_id"]),
                             ("/exports/submissions.csv", arranged["submission_id"])):
            assert any(row_id in text for text in body_texts(scanned[path])), path
        # The feed was scanned with the release and the action's events in it (#16).
        feed_types = {e["type"] for e in scanned["/events"].json()["events"]}
        assert {"submission.released", "action.opened", "action.moved", "action.commented"} <= feed_types, feed_types
        # The appeals were scanned: listed, the accepted one read, their events in the feed (#17).
        assert {a["id"] for a in scanned["/appeals"].json()} == set(appeals)
        assert scanned["/appeals/{appeal_id}"].json()["appeal"]["status"] == "accepted"
        assert {"appeal.opened", "appeal.accepted"} <= feed_types, feed_types
        assert times_checked >= 10  # action and event times, export cells, URL dates and expiries, headers


async def assert_photo_is_clean(http: httpx.AsyncClient, url: str, path: str, timeline: Timeline) -> int:
    """A photo a manager can download has no EXIF GPS, time or device, and no visit time in its headers."""
    response = await http.get(url)
    image = Image.open(io.BytesIO(response.content))
    exif = image.getexif()
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo), f"photo from GET {path} carries GPS"
    assert ExifTags.Base.DateTime not in exif and not exif.get_ifd(ExifTags.IFD.Exif), f"photo from {path} has EXIF"
    headers = [f"{k}: {v}" for k, v in response.headers.items()]
    return scan_times(timeline, f"the photo from GET {path}", [url, *headers], [])
