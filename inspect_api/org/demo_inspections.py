"""Demo inspections for the demo org: three months of visits at every demo branch, so the dashboard's
rankings, trends, heat map, actions and QA review queue have something to show.

Everything goes through the features' own entry points, as a phone and QA would: visits through
`visits.service.schedule_visit` (a visit whose window already ended is refused there, so those are
written with the visits feature's `queries.insert_visit`, the statement the service runs), photos
through `photos.service.create_upload_slots` -> `BlobStore.put` (the phone's upload) ->
`photos.service.verify_upload`, answers through `submissions.intake.submit`, QA through
`submissions.review.transition` (approve, release: release derives item facts and follow-up actions).

Idempotent and resumable: each planned inspection has a stable key, and its submission's client_id is
derived from the org and that key; a planned inspection whose client_id is stored is not submitted again
(it is only moved on to its planned status if it stopped short, e.g. after an interrupted start).

The plan (pure, `plan_inspections`): per branch, a mystery visit about every 11 days by the rotating
shoppers and a monthly announced audit by the demo inspector, over ~3 months up to each branch's
LAST_VISIT_DAYS_AGO (so some branches' latest follow-ups are overdue now), all released; plus
REVIEW_QUEUE results submitted today and left for QA (one reuses a photo of an earlier visit, so its
proof of visit warns). Answers are drawn per branch from a failure rate with a trend, so rankings move;
a few visits fail a critical item.
"""

from __future__ import annotations

import asyncio
import io
import random
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from fractions import Fraction
from time import monotonic
from typing import Any, Final
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
from PIL import ExifTags, Image, ImageDraw

from inspect_api.auth.principal import Principal, fetch_principal
from inspect_api.forms.model import (
    ChecklistItem,
    ChoiceItem,
    FormDocument,
    Item,
    NumberItem,
    PhotoItem,
    ScaleItem,
    TextItem,
    YesNoItem,
    is_scored,
)
from inspect_api.forms.service import published_version
from inspect_api.org.demo import BRANCHES, DEMO_SLUG, SHOPPERS, USERS, DemoBranch
from inspect_api.photos.schemas import UploadRequest
from inspect_api.photos.service import create_upload_slots, verify_upload
from inspect_api.settings import Settings
from inspect_api.storage.blobs import BlobStore
from inspect_api.submissions.intake import submit
from inspect_api.submissions.review import transition
from inspect_api.submissions.schemas import SubmissionIn
from inspect_api.visits import queries as visit_queries
from inspect_api.visits.schemas import VisitIn
from inspect_api.visits.service import schedule_visit

ZONE: Final = ZoneInfo("Asia/Shanghai")  # every demo branch's zone
CLIENT_ID_NAMESPACE: Final = UUID("6f1d3c2a-93b4-4c53-8f0e-5a7d2b9e4c10")
FORM_BY_KIND: Final = {"F": "fuel-attendant", "P": "pharmacy-service", "H": "hotel-front-desk"}
MYSTERY_EVERY_DAYS: Final = 11
MYSTERY_VISITS: Final = 9  # 0, 11, ..., 88 days ago
AUDITS: Final = 3  # monthly announced audits by the demo inspector
REVISIT_DAYS: Final = 30  # the demo org's mystery_revisit_days
PHOTO_SIZE: Final = (320, 240)
MAX_PHOTOS_PER_VISIT: Final = 3
# Per branch: how often a scored item fails, and how that changes over the three months (+ worse lately).
FAILURE_RATE: Final = {"SH-F01": 0.08, "HZ-F02": 0.20, "SH-P01": 0.12, "GZ-P02": 0.24, "GZ-F03": 0.15, "SZ-H01": 0.14}
TREND: Final = {"SH-F01": -0.6, "HZ-F02": 0.8, "SH-P01": 0.0, "GZ-P02": -0.8, "GZ-F03": 0.4, "SZ-H01": -0.3}
# Days since each branch's latest released visit: where it is more than a follow-up's few days, the
# actions that visit opened are overdue now (a later visit would have rechecked them).
LAST_VISIT_DAYS_AGO: Final = {"SH-F01": 9, "HZ-F02": 0, "SH-P01": 12, "GZ-P02": 0, "GZ-F03": 16, "SZ-H01": 4}
# Failed items (with a follow-up) at least, per planned inspection: the latest visits of those branches.
MIN_FAILURES: Final = {"SH-F01/m0": 1, "SH-P01/m0": 1, "GZ-F03/m0": 1, "SZ-H01/m0": 1}
# Planned inspections (by key) that fail their form's first critical item.
CRITICAL_FAILURES: Final = frozenset({"SH-F01/m0", "HZ-F02/m2", "GZ-P02/m6", "SZ-H01/m4", "GZ-F03/m1", "queue/SH-P01"})
# Results submitted today and left for QA: (branch, key of the earlier inspection whose photo is reused).
REVIEW_QUEUE: Final = (("SH-F01", "SH-F01/m1"), ("SH-P01", None), ("GZ-F03", None))
REUSED_PHOTO_SOURCES: Final = frozenset(source for _, source in REVIEW_QUEUE if source is not None)
VISIT_COMMENTS: Final = (
    "午间到店,客流一般。 Visited at lunch time, normal traffic.",
    "傍晚高峰时段到店。 Evening peak hours.",
    "上午到店,店内顾客较少。 Morning visit, few customers.",
    "周末到店,排队较多。 Weekend visit, long queue.",
)


class PlannedInspection(msgspec.Struct, frozen=True, kw_only=True):
    key: str  # stable across starts: the client_id comes from it
    branch: str
    form_key: str
    inspector: str  # e-mail
    mode: str  # mystery | announced
    window_start: datetime
    window_end: datetime
    started_at: datetime
    finished_at: datetime
    release: bool  # False: left submitted, for the QA review queue
    critical_failure: bool
    reuse_photo_of: str | None = None


def client_id_for(org_id: UUID, key: str) -> UUID:
    return uuid5(CLIENT_ID_NAMESPACE, f"{org_id}/{key}")


def _form_key(branch: DemoBranch) -> str:
    return FORM_BY_KIND[branch.code.split("-")[1][0]]


def _windows_clash(a: PlannedInspection, b: PlannedInspection, days: int) -> bool:
    """The mystery revisit rule's test (visits.queries.REVISIT_CONFLICT), without the mode part."""
    gap = timedelta(days=days)
    return a.window_start < b.window_end + gap and a.window_end > b.window_start - gap


def with_modes(planned: Sequence[PlannedInspection], days: int = REVISIT_DAYS) -> list[PlannedInspection]:
    """A planned mystery visit stays one only when its inspector has no other visit at the branch within
    `days` of it; otherwise it becomes announced. The relation is symmetric, so the result never breaks
    the revisit rule (both visits of a close pair are announced)."""
    out = []
    for visit in planned:
        clash = any(
            other is not visit and other.inspector == visit.inspector and other.branch == visit.branch
            and _windows_clash(visit, other, days)
            for other in planned
        )
        out.append(msgspec.structs.replace(visit, mode="announced") if clash and visit.mode == "mystery" else visit)
    return out


def _visit(key: str, branch: DemoBranch, inspector: str, mode: str, finished: datetime, rng: random.Random,
           *, release: bool = True, reuse: str | None = None) -> PlannedInspection:
    duration = timedelta(minutes=rng.randint(15, 40))
    return PlannedInspection(
        key=key, branch=branch.code, form_key=_form_key(branch), inspector=inspector, mode=mode,
        window_start=finished - timedelta(hours=6), window_end=finished + timedelta(hours=3),
        started_at=finished - duration, finished_at=finished, release=release,
        critical_failure=key in CRITICAL_FAILURES, reuse_photo_of=reuse,
    )


def _past_finish(now: datetime, days_ago: int, rng: random.Random) -> datetime:
    """A local daytime finish `days_ago` days back, or a few hours ago for today (never after `now`)."""
    local_now = now.astimezone(ZONE)
    if days_ago == 0:
        earliest = datetime.combine(local_now.date(), time(0, 1), ZONE)  # today, so this week and month count
        finished = local_now - timedelta(hours=rng.randint(1, 4), minutes=rng.randint(0, 59))
        return max(finished, min(earliest, local_now - timedelta(seconds=30))).astimezone(UTC)
    day = local_now.date() - timedelta(days=days_ago)
    return datetime.combine(day, time(rng.randint(9, 19), rng.randint(0, 59)), ZONE).astimezone(UTC)


def plan_inspections(now: datetime, shoppers: Sequence[str], auditor: str) -> list[PlannedInspection]:
    """The whole demo, oldest first. `shoppers` make the mystery visits (the auditor does when empty)."""
    planned: list[PlannedInspection] = []
    by_code = {b.code: b for b in BRANCHES}
    rotation = list(shoppers) or [auditor]
    for index, branch in enumerate(BRANCHES):
        for k in range(MYSTERY_VISITS):
            key = f"{branch.code}/m{k}"
            rng = random.Random(key)
            days_ago = LAST_VISIT_DAYS_AGO[branch.code] + MYSTERY_EVERY_DAYS * k + (rng.randint(0, 2) if k else 0)
            planned.append(_visit(key, branch, rotation[(k + index) % len(rotation)], "mystery",
                                  _past_finish(now, days_ago, rng), rng))
        for m in range(AUDITS):
            key = f"{branch.code}/a{m}"
            rng = random.Random(key)
            days_ago = LAST_VISIT_DAYS_AGO[branch.code] + 30 * m + 5 + index
            planned.append(_visit(key, branch, auditor, "announced", _past_finish(now, days_ago, rng), rng))
    for code, reuse in REVIEW_QUEUE:
        key = f"queue/{code}"
        rng = random.Random(key)
        # Left for QA: scheduled through the service, so the window must still be open now.
        finished = now - timedelta(minutes=rng.randint(30, 50))
        planned.append(_visit(key, by_code[code], auditor, "announced", finished, rng, release=False, reuse=reuse))
    return sorted(with_modes(planned), key=lambda p: (p.finished_at, p.key))


# --- answers --------------------------------------------------------------------------------------


def failure_rate(code: str, age_fraction: float) -> float:
    """`age_fraction`: 1.0 for three months ago, 0.0 for today."""
    return max(0.0, FAILURE_RATE[code] * (1 + TREND[code] * (0.5 - age_fraction)))


def _value(item: Item, outcome: str, rng: random.Random) -> Any:
    """A well-formed value for `outcome`: pass, partial (where the item type has one) or fail."""
    match item:
        case YesNoItem():
            if not item.scored:
                return rng.random() < 0.4
            return item.pass_value if outcome != "fail" else not item.pass_value
        case ScaleItem():
            if outcome == "pass":
                return item.max
            return item.min if outcome == "fail" else max(item.min, item.max - rng.randint(1, 2))
        case ChoiceItem():
            if not item.scored:
                return item.options[0].key  # the ordinary case (e.g. "none" for unsafe behaviour)
            ranked = sorted(item.options, key=lambda o: o.score)
            return (ranked[-1] if outcome != "fail" else ranked[0]).key
        case ChecklistItem():
            keys = [o.key for o in item.options]
            if outcome == "pass":
                return keys
            return [] if outcome == "fail" else rng.sample(keys, max(1, len(keys) - rng.randint(1, 2)))
        case NumberItem():
            target = item.target
            if target is None:
                return item.min if item.min is not None else 0
            if outcome != "fail":
                return target.min if target.min is not None else target.max
            return (target.max + 1) if target.max is not None else (target.min - 1)
        case TextItem():
            return "" if not item.required else "正常 / as expected"
        case PhotoItem():
            return None
    raise AssertionError(f"unknown item {item!r}")


class PlannedAnswer(msgspec.Struct, frozen=True, kw_only=True):
    answer: dict[str, Any]  # as the phone sends it, photos still to add
    photos: int  # how many photos to attach


def plan_answers(form: FormDocument, rate: float, rng: random.Random, *, critical_failure: bool,
                 min_failures: int = 0) -> list[PlannedAnswer]:
    """An answer for every item. Critical items pass unless `critical_failure` (then the first one fails,
    and the item its condition depends on is set so that it applies); other scored items fail at `rate`
    and are partly done at `rate` too, and at least `min_failures` unconditional ones with a follow-up
    fail. Required photos are attached, an optional one now and then."""
    items = [item for _, item in form.iter_items()]
    # The soonest due first: these are the failures meant to be overdue by now.
    followed = sorted((item.follow_up.due_in_days, rng.random(), item.key) for item in items
                       if item.follow_up is not None and item.critical is None and item.applies_when is None
                       and is_scored(item))
    must_fail = {key for _, _, key in followed[:min_failures]}
    critical = next((item for item in items if item.critical is not None), None) if critical_failure else None
    forced: dict[str, Any] = {}
    if critical is not None and critical.applies_when is not None:
        forced[critical.applies_when.item] = critical.applies_when.accepted_values()[0]
    planned: list[PlannedAnswer] = []
    photos_left = MAX_PHOTOS_PER_VISIT
    for item in items:
        if item is critical or item.key in must_fail:
            outcome = "fail"
        elif item.critical is not None or not is_scored(item):
            outcome = "pass"
        else:
            draw = rng.random()
            outcome = "fail" if draw < rate else "partial" if draw < 2 * rate else "pass"
        answer: dict[str, Any] = {"item": item.key}
        value = forced.get(item.key, _value(item, outcome, rng))
        if value is not None:
            answer["value"] = value
        if outcome == "fail":
            answer["comment"] = f"未做到:{item.label.zh} / Not done: {item.label.en}"
        rule = item.photos
        wanted = 0
        if rule.mode == "required" or (rule.mode == "required_on_fail" and outcome == "fail"):
            wanted = rule.min_count
        elif rule.mode == "optional" and photos_left > 0 and rng.random() < (0.6 if outcome == "fail" else 0.15):
            wanted = 1
        wanted = min(wanted, rule.max_count)
        photos_left -= wanted
        planned.append(PlannedAnswer(answer=answer, photos=wanted))
    return planned


# --- photos ---------------------------------------------------------------------------------------


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction(round(((value - degrees) * 60 - minutes) * 60 * 1000), 1000)
    return Fraction(degrees), Fraction(minutes), seconds


def demo_photo(seed: str, latitude: float, longitude: float, taken_local: datetime, caption: str,
               *, quality: int = 85) -> bytes:
    """A small JPEG that differs from every other seed's (random colour blocks, so their difference
    hashes are far apart: no false reuse warnings), with EXIF GPS and DateTimeOriginal (local, no zone)."""
    rng = random.Random(seed)
    blocks = Image.new("RGB", (12, 9))
    blocks.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(12 * 9)])
    image = blocks.resize(PHOTO_SIZE, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, PHOTO_SIZE[1] - 28, 8 + 7 * len(caption), PHOTO_SIZE[1] - 10), fill=(20, 20, 20))
    draw.text((12, PHOTO_SIZE[1] - 26), caption, fill=(240, 240, 240))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "DemoPhone"
    stamp = taken_local.strftime("%Y:%m:%d %H:%M:%S")
    exif[ExifTags.Base.DateTime] = stamp
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = stamp
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N" if latitude >= 0 else "S"
    gps[ExifTags.GPS.GPSLatitude] = _dms(latitude)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E" if longitude >= 0 else "W"
    gps[ExifTags.GPS.GPSLongitude] = _dms(longitude)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


# --- seeding --------------------------------------------------------------------------------------

SELECT_DEMO_ORG: Final = "SELECT id FROM orgs WHERE slug = $1"
SELECT_USER_IDS: Final = "SELECT email, id FROM users WHERE org_id = $1 AND email = ANY($2::text[]) AND active"
SELECT_BRANCH_IDS: Final = "SELECT code, id FROM branches WHERE org_id = $1"
SELECT_CATALOGUE_VERSIONS: Final = """
SELECT DISTINCT ON (f.key) f.key, v.id FROM form_versions v JOIN forms f ON f.id = v.form_id
WHERE f.org_id IS NULL AND v.status = 'published' AND f.key = ANY($1::text[])
ORDER BY f.key, v.version DESC
"""
SELECT_STORED: Final = """
SELECT r.client_id, s.id AS submission_id, s.status FROM submission_revisions r
JOIN submissions s ON s.id = r.submission_id
WHERE r.org_id = $1 AND r.client_id = ANY($2::uuid[])
"""


class _Context(msgspec.Struct, kw_only=True):
    pool: asyncpg.Pool
    blobs: BlobStore
    settings: Settings
    org_id: UUID
    admin: Principal
    inspectors: dict[str, Principal]
    branches: dict[str, UUID]
    versions: dict[str, UUID]
    forms: dict[str, FormDocument]


async def _principals(conn: asyncpg.Connection, org_id: UUID, emails: list[str]) -> dict[str, Principal]:
    found = {}
    for row in await conn.fetch(SELECT_USER_IDS, org_id, emails):
        principal = await fetch_principal(conn, row["id"])
        if principal is not None:
            found[row["email"]] = principal
    return found


async def _visit_for(ctx: _Context, planned: PlannedInspection, now: datetime) -> UUID:
    inspector = ctx.inspectors[planned.inspector]
    branch_id, version_id = ctx.branches[planned.branch], ctx.versions[planned.form_key]
    if planned.window_end > now:
        visit = await schedule_visit(ctx.pool, ctx.admin, VisitIn(
            branch_id=branch_id, form_version_id=version_id, inspector_id=inspector.user_id, mode=planned.mode,
            window_start=planned.window_start, window_end=planned.window_end))
        return visit.id
    # schedule_visit refuses a window that has ended: write the row with the feature's own statement.
    async with ctx.pool.acquire() as conn, conn.transaction():
        return await visit_queries.insert_visit(
            conn, ctx.org_id, branch_id=branch_id, form_version_id=version_id, inspector_id=inspector.user_id,
            mode=planned.mode, window_start=planned.window_start, window_end=planned.window_end,
            created_by=ctx.admin.user_id)


async def _photos(ctx: _Context, planned: PlannedInspection, visit_id: UUID, count: int) -> list[UUID]:
    """Upload slots, the upload (what the phone does with the presigned POST), verification."""
    if count == 0:
        return []
    inspector = ctx.inspectors[planned.inspector]
    branch = next(b for b in BRANCHES if b.code == planned.branch)
    request = msgspec.convert({"purpose": "submission", "visit_id": str(visit_id),
                               "files": [{"content_type": "image/jpeg"}] * count}, UploadRequest)
    slots = await create_upload_slots(ctx.pool, ctx.blobs, ctx.settings, inspector, request)
    rng = random.Random(f"{planned.key}/gps")
    ids = []
    for n, slot in enumerate(slots.slots):
        taken = (planned.started_at + (planned.finished_at - planned.started_at) * (n + 1) / (count + 1))
        taken_local = taken.astimezone(ZONE).replace(tzinfo=None)
        seed, quality = f"{planned.key}/{n}", 85
        if n == 0 and planned.reuse_photo_of is not None:
            seed, quality = f"{planned.reuse_photo_of}/0", 70  # the earlier visit's picture, re-encoded
        data = await asyncio.to_thread(
            demo_photo, seed, branch.latitude + rng.uniform(-3e-4, 3e-4), branch.longitude + rng.uniform(-3e-4, 3e-4),
            taken_local, f"{branch.code} {taken_local:%Y-%m-%d %H:%M}", quality=quality)
        await ctx.blobs.put(slot.object_key, data, slot.content_type)
        verified = await verify_upload(ctx.pool, ctx.blobs, ctx.settings, inspector, slot.photo_id)
        ids.append(verified.id)
    return ids


async def _submit(ctx: _Context, planned: PlannedInspection, now: datetime) -> UUID:
    form = ctx.forms[planned.form_key]
    oldest = timedelta(days=MYSTERY_EVERY_DAYS * MYSTERY_VISITS)
    age = min(1.0, max(0.0, (now - planned.finished_at) / oldest))
    rng = random.Random(planned.key)
    answers = plan_answers(form, failure_rate(planned.branch, age), rng, critical_failure=planned.critical_failure,
                           min_failures=MIN_FAILURES.get(planned.key, 0))
    if (planned.reuse_photo_of is not None or planned.key in REUSED_PHOTO_SOURCES) and not any(
            a.photos for a in answers):
        first_optional = next(i for i, (_, item) in enumerate(form.iter_items()) if item.photos.mode != "none")
        answers[first_optional] = msgspec.structs.replace(answers[first_optional], photos=1)
    visit_id = await _visit_for(ctx, planned, now)
    photo_ids = await _photos(ctx, planned, visit_id, sum(a.photos for a in answers))
    body_answers = []
    for planned_answer in answers:
        taken, photo_ids = photo_ids[:planned_answer.photos], photo_ids[planned_answer.photos:]
        body_answers.append(planned_answer.answer | ({"photos": [str(p) for p in taken]} if taken else {}))
    branch = next(b for b in BRANCHES if b.code == planned.branch)
    body = {
        "client_id": str(client_id_for(ctx.org_id, planned.key)),
        "visit_id": str(visit_id),
        "answers": body_answers,
        "started_at": planned.started_at.isoformat(),
        "finished_at": planned.finished_at.isoformat(),
        "gps": {"latitude": branch.latitude + rng.uniform(-2e-4, 2e-4),
                "longitude": branch.longitude + rng.uniform(-2e-4, 2e-4), "accuracy_m": float(rng.randint(5, 25))},
        "comment": rng.choice(VISIT_COMMENTS),
    }
    receipt = await submit(ctx.pool, ctx.blobs, ctx.settings, ctx.inspectors[planned.inspector],
                           msgspec.convert(body, SubmissionIn))
    return receipt.submission_id


async def seed_demo_inspections(pool: asyncpg.Pool, blobs: BlobStore, settings: Settings,
                                *, now: datetime | None = None) -> list[str]:
    """Seed the demo org's inspections (see the module doc). Needs the demo org and the catalogue, and
    the release hooks registered (app.create_app registers them). Returns printable lines."""
    now = now or datetime.now(UTC)
    started = monotonic()
    async with pool.acquire() as conn:
        org_id = await conn.fetchval(SELECT_DEMO_ORG, DEMO_SLUG)
        if org_id is None:
            return ["demo inspections: no demo org, nothing seeded"]
        emails = [u.email for u in (*USERS, *SHOPPERS)]
        principals = await _principals(conn, org_id, emails)
        admin = next((principals[u.email] for u in USERS if u.role == "admin" and u.email in principals), None)
        auditor = next((u.email for u in USERS if u.role == "inspector" and u.email in principals), None)
        if admin is None or auditor is None:
            return ["demo inspections: the demo admin or inspector is missing or disabled, nothing seeded"]
        shoppers = [u.email for u in SHOPPERS if u.email in principals]
        planned = plan_inspections(now, shoppers, auditor)
        client_ids = {client_id_for(org_id, p.key): p.key for p in planned}
        stored = {client_ids[r["client_id"]]: (r["submission_id"], r["status"])
                  for r in await conn.fetch(SELECT_STORED, org_id, list(client_ids))}
        target = {p.key: "released" if p.release else "submitted" for p in planned}
        if all(key in stored and stored[key][1] in (target[key], "released", "rejected") for key in target):
            return [f"demo inspections: already seeded ({len(stored)}), left as they are"]
        form_keys = sorted({p.form_key for p in planned})
        versions = {r["key"]: r["id"] for r in await conn.fetch(SELECT_CATALOGUE_VERSIONS, form_keys)}
        if set(versions) != set(form_keys):
            return [f"demo inspections: forms {', '.join(sorted(set(form_keys) - set(versions)))} are not "
                    "published (seed the forms first), nothing seeded"]
        forms = {key: (await published_version(conn, org_id, version_id)).document
                 for key, version_id in versions.items()}
        branches = {r["code"]: r["id"] for r in await conn.fetch(SELECT_BRANCH_IDS, org_id)}
    ctx = _Context(pool=pool, blobs=blobs, settings=settings, org_id=org_id, admin=admin, inspectors=principals,
                   branches=branches, versions=versions, forms=forms)
    added = 0
    for p in planned:  # oldest first: reused photos and rechecks find the earlier visits
        if p.key not in stored:
            stored[p.key] = (await _submit(ctx, p, now), "submitted")
            added += 1
        submission_id, status = stored[p.key]
        if p.release and status == "submitted":
            await transition(pool, admin, submission_id, "approved")
            status = "approved"
        if p.release and status == "approved":
            await transition(pool, admin, submission_id, "released")
    released = sum(1 for p in planned if p.release)
    return [f"demo inspections: {added} submitted now ({released} released over ~3 months, "
            f"{len(planned) - released} waiting for QA review) in {monotonic() - started:.1f} s"]
