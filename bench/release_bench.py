"""What a release costs beside an intake, through the API, one request at a time, in one run.

    .venv/bin/python -m bench.release_bench --count 200

A live uvicorn (1 worker) on embedded engines. N ad-hoc submissions (the bench sheet: 2 failed items,
one with a follow-up rule, 2 verified photos) are sent and timed one after another, each approved, then
each released and timed one after another: the release is the transaction that now derives what the
branch sees (per-item facts, roll-ups, follow-up actions, rechecks of the earlier visits' actions of the
same branch and form). Sequential, so the figures are latencies, not throughput; the ratio is the
comparable number. A non-201 intake or non-200 release refuses the run (exit 1, no figures).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from typing import Any

import httpx

from bench.harness import LiveStack, ServerProcess, answers, arrange_world, login, submission, upload_photos


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median_ms": round(statistics.median(ordered) * 1000, 2),
            "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1] * 1000, 2)}


async def run(base_url: str, stack: LiveStack, count: int) -> dict[str, Any]:
    world = await arrange_world(stack.database_url)
    rng = random.Random(7)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        inspector = await login(http, world.emails["inspector"])
        admin = await login(http, world.emails["admin"])
        bodies = []
        for _ in range(count):
            photo_ids = await upload_photos(http, inspector, 2, rng)
            for photo_id in photo_ids:
                (await http.post(f"/uploads/{photo_id}/verify", headers=inspector)).raise_for_status()
            bodies.append(submission(world, answers(world.form, photo_ids)))
        intake, release, ids = [], [], []
        for body in bodies:
            started = time.perf_counter()
            response = await http.post("/submissions", json=body, headers=inspector)
            intake.append(time.perf_counter() - started)
            if response.status_code != 201:
                raise SystemExit(f"refused: intake answered {response.status_code}: {response.text[:300]}")
            ids.append(response.json()["submission_id"])
        for submission_id in ids:
            (await http.post(f"/submissions/{submission_id}/approve", headers=admin)).raise_for_status()
        for submission_id in ids:
            started = time.perf_counter()
            response = await http.post(f"/submissions/{submission_id}/release", headers=admin)
            release.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"refused: release answered {response.status_code}: {response.text[:300]}")
    return {"count": count, "intake": _ms(intake), "release": _ms(release),
            "release_over_intake": round(statistics.median(release) / statistics.median(intake), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    with LiveStack() as stack:
        server = ServerProcess(stack.server_env()).start()
        try:
            print(asyncio.run(run(server.base_url, stack, args.count)))
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
