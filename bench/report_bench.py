"""PDF report generation (issue 15): time per report and worker RSS while N are generated at once.

    .venv/bin/python -m bench.report_bench                       # 40 items, 10 photos, 10 sequential + 10 at once
    .venv/bin/python -m bench.report_bench --sequential 5 --concurrent 20 --role admin

On the embedded engines (bench/harness.py) with one real uvicorn worker on 127.0.0.1:
1. publishes a 40-item bilingual form (4 sections of 10 yes/no items), uploads 10 phone-sized JPEGs
   (4032 x 3024, EXIF GPS) straight to S3 as a phone does, submits an answer sheet with a comment on
   every item, a photo on each of 10 items and 8 failed items (so follow-up actions open), and releases it;
2. asks GET /submissions/{id}/report.pdf as the chosen role (default branch_manager: the redacted copies)
   --sequential times one after another (time per report: median and max);
   (worker_idle_mb: its RSS before the first report; worker_before_mb: after the sequential ones);
3. asks it --concurrent times at once, sampling the worker's VmRSS every 20 ms (peak = max of the samples and
   VmHWM), while GET /healthz is polled every 50 ms: its slowest answer shows whether rendering blocked the
   event loop (compiles run in threads, RENDER_CONCURRENCY at a time).
Refused (exit 1, no figures) when any report or health answer has another status than 200 or is no PDF.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import statistics
import sys
import time
from typing import Any, Final
from uuid import uuid4

import httpx
import msgspec

from bench.harness import LiveStack, ServerProcess, arrange_world, login, photo_jpeg, stop_cleanly_on_sigterm
from bench.photo_memory_bench import Sampler, rss_mb
from inspect_api.forms.model import FormDocument
from inspect_api.forms.service import seed_catalogue
from inspect_api.storage.db import create_pool

FORM_KEY: Final = "bench-forty-items"
SECTIONS: Final = 4
ITEMS_PER_SECTION: Final = 10
PHOTOS: Final = 10
PHOTO_SIZE: Final = (4032, 3024)  # a 12 MP phone photo
FAILED: Final = 8
HEALTH_EVERY: Final = 0.05


class RefusedRun(RuntimeError):
    """An answer other than a 200 PDF: the figures would not be about rendering reports."""


def forty_item_form() -> FormDocument:
    sections = [
        {"key": f"s{s}", "title": {"zh": f"第{s + 1}部分 服务检查", "en": f"Part {s + 1}: service checks"},
         "items": [{"type": "yes_no", "key": f"s{s}_i{i}",
                    "label": {"zh": f"第{s + 1}部分第{i + 1}项：员工主动问候并按标准完成服务步骤",
                              "en": f"Part {s + 1}, item {i + 1}: staff greeted and followed the service steps"},
                    "photos": {"mode": "optional", "max_count": 10},
                    "follow_up": {"due_in_days": 14, "title": {"zh": "整改", "en": "Fix it"}}}
                   for i in range(ITEMS_PER_SECTION)]}
        for s in range(SECTIONS)
    ]
    return msgspec.convert({"key": FORM_KEY, "title": {"zh": "四十项服务检查", "en": "Forty-item service check"},
                            "description": {"zh": "基准测试用", "en": "for the benchmark"}, "sections": sections},
                           FormDocument)


async def publish_form(database_url: str) -> str:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await seed_catalogue(conn, [forty_item_form()])
            return str(await conn.fetchval(
                "SELECT v.id FROM form_versions v JOIN forms f ON f.id = v.form_id "
                "WHERE f.key = $1 AND f.org_id IS NULL AND v.version = 1", FORM_KEY))
    finally:
        await pool.close()


async def upload_big_photos(http: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await http.post("/uploads", headers=headers,
                               json={"purpose": "submission", "files": [{"content_type": "image/jpeg"}] * PHOTOS})
    response.raise_for_status()
    rng = random.Random(15)
    async with httpx.AsyncClient(timeout=120) as s3:
        for slot in response.json()["slots"]:
            sent = await s3.post(slot["url"], data=slot["fields"],
                                 files={"file": ("photo.jpg", photo_jpeg(rng, PHOTO_SIZE), "image/jpeg")})
            sent.raise_for_status()
    return [slot["photo_id"] for slot in response.json()["slots"]]


def answer_sheet(form: FormDocument, photo_ids: list[str]) -> list[dict[str, Any]]:
    sheet = []
    for n, (_, item) in enumerate(form.iter_items()):
        answer: dict[str, Any] = {"item": item.key, "value": n % 5 != 0 or n >= FAILED * 5,
                                  "comment": f"第{n + 1}项：员工态度良好，但等候区略显拥挤。"
                                             f"Item {n + 1}: friendly staff, the waiting area was a little crowded."}
        if n < len(photo_ids):
            answer["photos"] = [photo_ids[n]]
        sheet.append(answer)
    return sheet


async def released_submission(server: ServerProcess, world: Any, version_id: str) -> str:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=120) as http:
        inspector = await login(http, world.emails["inspector"])
        photo_ids = await upload_big_photos(http, inspector)
        now = time.time()
        body = {"client_id": str(uuid4()), "branch_id": str(world.branch_id),
                "form_version_id": version_id, "answers": answer_sheet(forty_item_form(), photo_ids),
                "started_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 1800)),
                "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 300)),
                "gps": {"latitude": 31.2302, "longitude": 121.4701, "accuracy_m": 10.0}, "comment": "bench"}
        receipt = await http.post("/submissions", json=body, headers=inspector)
        if receipt.status_code != 201:
            raise RefusedRun(f"submission: {receipt.status_code} {receipt.text[:300]}")
        submission_id = receipt.json()["submission_id"]
        admin = await login(http, world.emails["admin"])
        for step in ("approve", "release"):
            done = await http.post(f"/submissions/{submission_id}/{step}", headers=admin)
            if done.status_code != 200:
                raise RefusedRun(f"{step}: {done.status_code} {done.text[:300]}")
        return submission_id


def check_pdf(response: httpx.Response) -> int:
    if response.status_code != 200 or not response.content.startswith(b"%PDF-"):
        raise RefusedRun(f"report: {response.status_code} {response.text[:300]}")
    return len(response.content)


async def measure(server: ServerProcess, email: str, submission_id: str, sequential: int, concurrent: int,
                  request_seconds: float) -> dict[str, Any]:
    worker = server.process.pid  # type: ignore[union-attr]
    path = f"/submissions/{submission_id}/report.pdf"
    limits = httpx.Limits(max_connections=concurrent + 4)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=request_seconds, limits=limits) as http:
        headers = await login(http, email)
        idle = rss_mb(worker)
        check_pdf(await http.get(path, headers=headers))  # warm: fonts searched, template read, imports done
        times = []
        size = 0
        for _ in range(sequential):
            started = time.perf_counter()
            size = check_pdf(await http.get(path, headers=headers))
            times.append(time.perf_counter() - started)
        before = rss_mb(worker)
        health: list[float] = []
        done = asyncio.Event()

        async def poll_health() -> None:
            while not done.is_set():
                started = time.perf_counter()
                answer = await http.get("/healthz")
                if answer.status_code != 200:
                    raise RefusedRun(f"healthz: {answer.status_code}")
                health.append(time.perf_counter() - started)
                await asyncio.sleep(HEALTH_EVERY)

        poller = asyncio.create_task(poll_health())
        started = time.perf_counter()
        with Sampler(server) as sampler:
            answers = await asyncio.gather(*(http.get(path, headers=headers) for _ in range(concurrent)))
        wall = time.perf_counter() - started
        done.set()
        await poller
        for answer in answers:
            check_pdf(answer)
    return {
        "pdf_bytes": size, "sequential": sequential,
        "seconds_per_report_median": round(statistics.median(times), 3),
        "seconds_per_report_max": round(max(times), 3),
        "concurrent": concurrent, "concurrent_wall_seconds": round(wall, 2),
        "concurrent_seconds_per_report": round(wall / concurrent, 3),
        "worker_idle_mb": round(idle, 1), "worker_before_mb": round(before, 1),
        "worker_peak_mb": round(max(sampler.worker_peak, rss_mb(worker, "VmHWM")), 1),
        "worker_after_mb": round(rss_mb(worker), 1),
        "healthz_polls": len(health), "healthz_median_ms": round(statistics.median(health) * 1000, 1),
        "healthz_max_ms": round(max(health) * 1000, 1),
    }


def main() -> int:
    stop_cleanly_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--role", default="branch_manager", choices=("branch_manager", "admin", "regional_lead"))
    parser.add_argument("--sequential", type=int, default=10)
    parser.add_argument("--concurrent", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=300.0, help="per request, seconds")
    args = parser.parse_args()
    with LiveStack() as stack:
        world = asyncio.run(arrange_world(stack.database_url))
        version_id = asyncio.run(publish_form(stack.database_url))
        server = ServerProcess(stack.server_env(), workers=1).start()
        try:
            submission_id = asyncio.run(released_submission(server, world, version_id))
            result = asyncio.run(measure(server, world.emails[args.role], submission_id, args.sequential,
                                         args.concurrent, args.timeout))
        except RefusedRun as refused:
            print(f"refused: {refused}", file=sys.stderr)
            return 1
        finally:
            server.stop()
    print(json.dumps({"role": args.role, "items": SECTIONS * ITEMS_PER_SECTION, "photos": PHOTOS, **result}))
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
