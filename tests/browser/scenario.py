"""The data the browser tests click through, made through the HTTP API of a live server the way phones
and QA make it: org alpha of the factory world (tests/integration/factories.py), the seed catalogue,
released inspections in two months at four branches (rankings, trends, heat map, overdue actions),
two inspections waiting for QA (one reusing an earlier visit's photo), and the branch manager's actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final
from uuid import UUID

import asyncpg
import httpx

from inspect_api.forms.loader import load_seed_dir
from inspect_api.forms.model import FormDocument
from inspect_api.forms.service import seed_catalogue
from tests.integration.factories import PASSWORD, World, make_org_world
from tests.integration.phone import answers_for, submission_body
from tests.integration.releases import local_noon, previous_month, reference_month
from tests.unit.photos.samples import encode, exif_with, jpeg, scene

SEED_DIR: Final = Path(__file__).resolve().parents[2] / "seed_forms"
FUEL: Final = "fuel-attendant"
# Unique enough that finding it on a page can only mean the inspector's identity leaked.
INSPECTOR_NAME: Final = "Zhou Mystery-Shopper 周密探"
BRANCH_GPS: Final = {"latitude": 31.2302, "longitude": 121.4701}  # the factory branches stand at 31.23, 121.47


@dataclass
class Scenario:
    world: World
    month: date  # the reference month (whole, in the past)
    previous: date
    form: FormDocument
    queue: list[str] = field(default_factory=list)  # submitted, waiting for QA: [reused photo, plain]
    manager_released: list[str] = field(default_factory=list)  # released at the manager's branch b11

    @property
    def on(self) -> str:
        return self.month.isoformat()


async def prepare_rows(pool: asyncpg.Pool) -> tuple[World, FormDocument, UUID]:
    """The factory world, the seed catalogue, ad-hoc inspections allowed, branches ranked from 1 visit."""
    world = await make_org_world(pool)
    forms = {f.key: f for f in load_seed_dir(SEED_DIR)}
    async with pool.acquire() as conn:
        await seed_catalogue(conn, list(forms.values()))
        version_id = await conn.fetchval(
            "SELECT v.id FROM form_versions v JOIN forms f ON f.id = v.form_id "
            "WHERE f.key = $1 AND f.org_id IS NULL AND v.version = 1", FUEL)
        await conn.execute(
            """UPDATE orgs SET settings = settings
                 || '{"allow_adhoc_submissions": true, "min_ranked_visits": 1}'::jsonb WHERE id = $1""",
            world.a.id)
        await conn.execute("UPDATE users SET display_name = $2 WHERE id = $1", world.a.inspector.id, INSPECTOR_NAME)
    return world, forms[FUEL], version_id


class Phone:
    """Inspector and QA through the API of the live server."""

    def __init__(self, base_url: str, world: World, form: FormDocument, version_id: UUID) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.s3 = httpx.Client(timeout=30)
        self.world, self.form, self.version_id = world, form, version_id
        self.inspector = self.login(world.a.inspector.email)
        self.admin = self.login(world.a.admin.email)

    def login(self, email: str) -> dict[str, str]:
        answer = self.http.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def photo(self, data: bytes) -> str:
        slots = self.http.post("/uploads", headers=self.inspector,
                               json={"purpose": "submission", "files": [{"content_type": "image/jpeg"}]})
        assert slots.status_code == 201, slots.text
        slot = slots.json()["slots"][0]
        stored = self.s3.post(slot["url"], data=slot["fields"], files={"file": ("photo.jpg", data, "image/jpeg")})
        assert stored.status_code in (200, 201, 204), stored.text
        verified = self.http.post(f"/uploads/{slot['photo_id']}/verify", headers=self.inspector)
        assert verified.status_code == 200, verified.text
        return slot["photo_id"]

    def submit(self, branch_id: UUID, day: date, *, failing: tuple[str, ...] = (),
               photos: dict[str, list[str]] | None = None, comment: str = "Visited at lunch time.") -> str:
        finished = local_noon(day)
        body = submission_body(
            answers_for(self.form, failing=set(failing), photos=photos), branch_id=str(branch_id),
            form_version_id=str(self.version_id), started_at=(finished - timedelta(minutes=20)).isoformat(),
            finished_at=finished.isoformat(), comment=comment,
        )
        answer = self.http.post("/submissions", json=body, headers=self.inspector)
        assert answer.status_code == 201, answer.text
        return answer.json()["submission_id"]

    def release(self, submission_id: str) -> None:
        for step in ("approve", "release"):
            answer = self.http.post(f"/submissions/{submission_id}/{step}", headers=self.admin)
            assert answer.status_code == 200, answer.text

    def close(self) -> None:
        self.http.close()
        self.s3.close()


def build_scenario(base_url: str, world: World, form: FormDocument, version_id: UUID) -> Scenario:
    month = reference_month()
    scenario = Scenario(world=world, month=month, previous=previous_month(month), form=form)
    phone = Phone(base_url, world, form, version_id)
    a = world.a
    try:
        # Two months at four branches: b11 (the manager's) worsens, b21 improves.
        plan: list[tuple[UUID, date, tuple[str, ...]]] = [
            (a.b11, scenario.previous + timedelta(days=3), ()),
            (a.b12, scenario.previous + timedelta(days=4), ("p2_needs",)),
            (a.b21, scenario.previous + timedelta(days=5), ("p3_courtesy", "p8_six_voices")),
            (a.b22, scenario.previous + timedelta(days=6), ()),
            (a.b12, month + timedelta(days=2), ()),
            (a.b21, month + timedelta(days=3), ("p8_six_voices",)),
            (a.b22, month + timedelta(days=4), ("p2_needs",)),
            (a.b22, month + timedelta(days=5), ()),
        ]
        for branch_id, day, failing in plan:
            phone.release(phone.submit(branch_id, day, failing=failing))
        original = phone.photo(encode(scene(31), "image/jpeg", exif=exif_with(**BRANCH_GPS), quality=95))
        at_manager = phone.submit(a.b11, month + timedelta(days=6), failing=("p1_greeting", "p3_courtesy"),
                                  photos={"p1_greeting": [original]}, comment="Attendant was on the phone.")
        phone.release(at_manager)
        scenario.manager_released.append(at_manager)
        # Waiting for QA: one reusing (a lookalike of) the photo above, one plain.
        reused = phone.photo(encode(scene(31), "image/jpeg", exif=exif_with(**BRANCH_GPS), quality=70))
        scenario.queue.append(phone.submit(a.b12, month + timedelta(days=8), failing=("p2_needs",),
                                           photos={"p1_greeting": [reused]}, comment="<b>not bold</b> queue"))
        other = phone.photo(jpeg(32, **BRANCH_GPS))
        scenario.queue.append(phone.submit(a.b21, month + timedelta(days=9), photos={"p1_greeting": [other]}))
    finally:
        phone.close()
    return scenario


def as_dict(scenario: Scenario) -> dict[str, Any]:
    return {"month": scenario.on, "queue": scenario.queue, "manager_released": scenario.manager_released}
