"""Every response a branch manager can get, scanned for the inspector's identity, the exact visit time
and GPS. The GET operations come from the OpenAPI schema, so a new endpoint is scanned the day it lands.

Arranged first: a mystery visit inspected with two photos carrying EXIF GPS and time, failing an item
(so a follow-up action opens), approved and released to the manager's branch.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from litestar.testing import AsyncTestClient
from PIL import ExifTags, Image

from inspect_api.forms.loader import load_seed_dir
from inspect_api.forms.service import seed_catalogue
from tests.integration.factories import World, fast_app_fixture, login_as, make_visit
from tests.integration.phone import answers_for, get_slots, submission_body, upload
from tests.unit.photos.samples import jpeg

app = fast_app_fixture()
SEED_DIR = Path(__file__).resolve().parents[2] / "seed_forms"
INSPECTOR_NAME = "Qiu Mingyue (mystery shopper 7731)"
VISIT_GPS = (31.230417, 121.470253)  # where the inspector stood: near, but not at, the branch's 31.23, 121.47


def texts(value: Any) -> list[str]:
    """Every key and scalar in a JSON document, as text."""
    match value:
        case dict():
            return [s for k, v in value.items() for s in [str(k), *texts(v)]]
        case list():
            return [s for v in value for s in texts(v)]
        case _:
            return [str(value)]


def body_texts(response: httpx.Response) -> list[str]:
    kind = response.headers.get("content-type", "")
    if "json" in kind:
        return texts(response.json())
    if "spreadsheetml" in kind:  # xlsx: the cells live in XML inside the zip
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return [book.read(name).decode(errors="replace") for name in book.namelist()]
    return [response.text]


def visit_time_forms(moment: datetime) -> list[str]:
    """How an exact time could be written: ISO and 'date time' at minute precision, UTC and branch-local."""
    forms = []
    for zone in (UTC, ZoneInfo("Asia/Shanghai")):
        local = moment.astimezone(zone)
        forms += [local.strftime("%Y-%m-%dT%H:%M"), local.strftime("%Y-%m-%d %H:%M"), local.strftime("%Y:%m:%d %H:%M")]
    return forms


async def arrange(client: AsyncTestClient, http: httpx.AsyncClient, db: asyncpg.Pool, world: World) -> dict[str, Any]:
    forms = {f.key: f for f in load_seed_dir(SEED_DIR)}
    async with db.acquire() as conn:
        await seed_catalogue(conn, list(forms.values()))
        version_id = await conn.fetchval(
            "SELECT v.id FROM form_versions v JOIN forms f ON f.id = v.form_id "
            "WHERE f.key = 'fuel-attendant' AND f.org_id IS NULL AND v.version = 1")
        visit_id = await make_visit(conn, world.a.id, world.a.b11, world.a.inspector.id, version_id,
                                    world.a.admin.id, mode="mystery", days_ahead=-0.1)
        await conn.execute("UPDATE users SET display_name = $2 WHERE id = $1", world.a.inspector.id, INSPECTOR_NAME)
    finished = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=47)
    started = finished - timedelta(minutes=23)
    inspector = await login_as(client, world.a.inspector)
    slots = await get_slots(client, inspector, "image/jpeg", "image/jpeg")
    for n, slot in enumerate(slots):
        taken_local = (started + timedelta(minutes=5 + n)).astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
        photo = jpeg(n, latitude=VISIT_GPS[0], longitude=VISIT_GPS[1], taken_at=taken_local, make="Pixel")
        assert (await upload(http, slot, photo)).status_code in (200, 204)
    photo_ids = [UUID(s["photo_id"]) for s in slots]
    body = submission_body(answers_for(forms["fuel-attendant"], failing={"p1_greeting"},
                                       photos={"p1_greeting": photo_ids}),
                           visit_id=str(visit_id), started_at=started.isoformat(), finished_at=finished.isoformat(),
                           gps={"latitude": VISIT_GPS[0], "longitude": VISIT_GPS[1], "accuracy_m": 8.0})
    receipt = await client.post("/submissions", json=body, headers=inspector)
    assert receipt.status_code == 201, receipt.text
    submission_id = receipt.json()["submission_id"]
    admin = await login_as(client, world.a.admin)
    for step in ("approve", "release"):
        done = await client.post(f"/submissions/{submission_id}/{step}", headers=admin)
        assert done.status_code == 200, done.text
    action_id = await db.fetchval("SELECT id FROM actions WHERE submission_id = $1", submission_id)
    assert action_id is not None
    return {"submission_id": submission_id, "photo_id": str(photo_ids[0]), "action_id": str(action_id),
            "visit_id": str(visit_id), "started": started, "finished": finished, "version_id": str(version_id)}


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
        manager = await login_as(client, world.a.manager)
        inspector = await db.fetchrow("SELECT id, email FROM users WHERE id = $1", world.a.inspector.id)
        secrets = {
            "inspector id": str(inspector["id"]),
            "inspector e-mail": inspector["email"],
            "inspector name": INSPECTOR_NAME,
            "visit GPS latitude": f"{VISIT_GPS[0]:.4f}",
            "visit GPS longitude": f"{VISIT_GPS[1]:.4f}",
            **{f"visit time {n}": form for n, form in enumerate(
                visit_time_forms(arranged["started"]) + visit_time_forms(arranged["finished"]))},
        }
        forbidden_keys = {"inspector", "inspector_id", "inspector_name", "started_at", "finished_at", "gps",
                          "gps_latitude", "gps_longitude", "proof", "client_id", "exif_latitude", "exif_longitude",
                          "exif_taken_at", "taken_at"}
        ids = {
            "submission_id": arranged["submission_id"], "photo_id": arranged["photo_id"],
            "action_id": arranged["action_id"], "visit_id": arranged["visit_id"], "branch_id": str(world.a.b11),
            "region_id": str(world.a.r1), "user_id": str(world.a.manager.id), "key": "fuel-attendant",
            "form_key": "fuel-attendant", "version": "1", "form_version_id": arranged["version_id"],
            "on": date.today().isoformat(),
        }
        schema = (await client.get("/schema/openapi.json")).json()
        scanned: dict[str, int] = {}
        photos_checked = 0
        for path, item in sorted(schema["paths"].items()):
            operation = item.get("get")
            if operation is None or path.startswith("/schema") or path in ("/healthz", "/readyz"):
                continue
            filled = fill(path, operation, ids)
            assert filled is not None, f"the scan does not know how to call GET {path}: add its parameters to ids"
            url, query = filled
            response = await client.get(url, params=query, headers=manager)
            scanned[path] = response.status_code
            seen = body_texts(response) + [f"{k}: {v}" for k, v in response.headers.items()]
            for what, secret in secrets.items():
                leaks = [s for s in seen if secret in s]
                assert not leaks, f"GET {path} shows the branch manager the {what}: {leaks[0][:300]}"
            if "json" in response.headers.get("content-type", ""):
                leaked_keys = forbidden_keys & set(texts(response.json()))
                assert not leaked_keys, f"GET {path} has fields {leaked_keys}"
            for photo_url in {s for s in seen if s.startswith("http") and "X-Amz-Signature" in s}:
                await assert_photo_is_clean(http, photo_url, path)
                photos_checked += 1
        assert photos_checked >= 1
        # The scan reached the data: the manager really saw the released result, its photo and its action.
        for path in ("/submissions", "/submissions/{submission_id}", "/photos/{photo_id}", "/actions",
                     "/actions/{action_id}"):
            if path in schema["paths"]:
                assert scanned[path] == 200, (path, scanned[path])


async def assert_photo_is_clean(http: httpx.AsyncClient, url: str, path: str) -> None:
    """A photo a manager can download has no EXIF GPS, time or device."""
    image = Image.open(io.BytesIO((await http.get(url)).content))
    exif = image.getexif()
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo), f"photo from GET {path} carries GPS"
    assert ExifTags.Base.DateTime not in exif and not exif.get_ifd(ExifTags.IFD.Exif), f"photo from {path} has EXIF"
