"""API throughput vs bare Litestar reference endpoints, measured side by side in one run.

    .venv/bin/python -m bench.api_bench                       # defaults: uvicorn 1 and 2 workers
    .venv/bin/python -m bench.api_bench --configs uvicorn:1,uvicorn:2,granian:2 --duration 10 --rounds 2

Needs wrk (`apt-get update && apt-get install -y wrk`). Engines: an EmbeddedStack in a temp dir, or
DATABASE_URL / S3_* from the environment. For each server config the product and the reference app run
under the same server with the same workers; each round measures, in this order:

    ref GET /ref/struct | form GET (200) | form GET with If-None-Match (304) | ref POST /ref/write | intake
    | intake_inline

Intake bodies are prepared before the timed run, each with 2 fresh photos uploaded to S3 through
presigned POSTs, and every body is sent once, so each request does the full work: auth, validation,
idempotency lookup, photo checks, reuse search, scoring, one transaction. How many: before the rounds,
a short calibration run (--calibration-seconds) of each write endpoint measures its rate, and each
round prepares duration x rate x --safety-factor bodies, so a faster host never runs out. `intake`: the phone reported
each upload done (POST /uploads/{id}/verify, the app's flow), so the request checks the stored,
sealed facts of its photos. `intake_inline`: photos never reported, so the request itself reads both
from S3, decodes, hashes and seals them.
Ratios use the median round. Peak RSS (VmHWM) per server process is read after the config's runs.

A run is refused (bench/validity.py: the bench stops, prints why and no ratio, and exits 1) when a
body ran out or would be sent twice (the wrk script stops instead of wrapping around), when any
answer has another status than the endpoint's (201 for writes and intake, 200 for GETs, 304 for the
ETag request), on socket errors, or when the database gained fewer rows than the run counted 201s (a
replayed intake answers 201 with its stored receipt, so only the row count tells it apart).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import platform
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from uuid import uuid4

import asyncpg
import httpx
import msgspec

from bench import cpu_split
from bench.harness import (
    LiveStack,
    LiveWorld,
    ServerProcess,
    answers,
    arrange_world,
    login,
    stop_cleanly_on_sigterm,
    submission,
)
from bench.reference_app import SCHEMA_SQL
from bench.reporting import report_refusal
from bench.validity import EXPECTED_STATUSES, RefusedRun, bodies_needed, run_problems
from bench.wrk_runner import WrkResult, require_wrk, run_wrk

FORM_PATH = "/forms/fuel-attendant/versions/1?lang=en"
ENDPOINTS = ("ref_get", "form_get", "form_304", "ref_write", "intake", "intake_inline")
RATIOS = (("intake", "ref_write"), ("intake_inline", "ref_write"), ("form_get", "ref_get"), ("form_304", "ref_get"))
WRITES: Final = ("ref_write", "intake", "intake_inline")
# New rows per successful write: what a run wrote, whatever its answers said.
WRITTEN_ROWS_SQL: Final = {
    "ref_write": "SELECT count(*) FROM bench_ref_header",
    "intake": "SELECT count(*) FROM submission_revisions",
    "intake_inline": "SELECT count(*) FROM submission_revisions",
}
# First guess of each write's rate for the calibration's bodies; tripled while the calibration runs out.
CALIBRATION_GUESS_RPS: Final = {"ref_write": 5_000.0, "intake": 500.0, "intake_inline": 60.0}
CALIBRATION_ATTEMPTS: Final = 4
PHOTO_SEEDS: Final = itertools.count(1)


def machine() -> dict[str, Any]:
    mem_kb = int(next(ln for ln in Path("/proc/meminfo").read_text().splitlines()
                      if ln.startswith("MemTotal")).split()[1])
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.machine())
    nproc = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    return {"nproc": nproc, "ram_gib": round(mem_kb / 1024 / 1024, 1), "cpu": cpu,
            "python": platform.python_version(), "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


async def prepare_intake_bodies(base_url: str, world: LiveWorld, count: int, seed: int, *,
                                verify: bool = True) -> list[bytes]:
    """`count` distinct submissions, each with 2 photos already in S3 (20 slots per /uploads call) and,
    with `verify`, reported done through POST /uploads/{id}/verify like the phone app does (so intake
    reads stored facts); without it the photos are verified inside the submission request."""
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        headers = await login(http, world.emails["inspector"])
        limit = asyncio.Semaphore(8)

        async def post(url: str, **kwargs: Any) -> httpx.Response:
            """Preparation is not measured: a dropped connection on a busy machine is retried (a phone
            would too; uploads and verification are safe to repeat)."""
            for attempt in range(4):
                try:
                    response = await http.post(url, **kwargs)
                    response.raise_for_status()
                    return response
                except (httpx.TransportError, httpx.HTTPStatusError):
                    if attempt == 3:
                        raise
                    await asyncio.sleep(0.5 * (attempt + 1))
            raise AssertionError("unreachable")

        async def batch(n: int) -> list[str]:
            async with limit:
                from bench.harness import photo_jpeg

                slots = (await post("/uploads", headers=headers, json={
                    "purpose": "submission", "files": [{"content_type": "image/jpeg"}] * n})).json()["slots"]
                for slot in slots:
                    photo = photo_jpeg(rng)
                    await post(slot["url"], data=slot["fields"], files={"file": ("p.jpg", photo, "image/jpeg")})
                    if verify:
                        await post(f"/uploads/{slot['photo_id']}/verify", headers=headers)
                return [slot["photo_id"] for slot in slots]

        photo_ids = [p for chunk in await asyncio.gather(*(batch(20) for _ in range((count * 2 + 19) // 20)))
                     for p in chunk]
    return [msgspec.json.encode(submission(world, answers(world.form, photo_ids[2 * i:2 * i + 2])))
            for i in range(count)]


def ref_bodies(count: int) -> list[bytes]:
    return [msgspec.json.encode({"client_id": str(uuid4()), "note": "bench",
                                 "items": [{"item": f"item_{n:02d}", "value": n % 3} for n in range(20)]})
            for _ in range(count)]


async def create_reference_tables(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(SCHEMA_SQL)
    finally:
        await conn.close()


def make_bodies(name: str, base_url: str, world: LiveWorld, count: int) -> list[bytes]:
    """`count` distinct, never-sent bodies for the write endpoint `name` (photos from a seed no other
    batch of the process used, so no photo looks like an earlier one to the reuse search)."""
    if name == "ref_write":
        return ref_bodies(count)
    return asyncio.run(prepare_intake_bodies(base_url, world, count, next(PHOTO_SEEDS), verify=name == "intake"))


async def written_rows(database_url: str, name: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval(WRITTEN_ROWS_SQL[name]))
    finally:
        await conn.close()


def judged_run(name: str, database_url: str, options: dict[str, Any], *, duration_s: int,
               connections: int) -> tuple[WrkResult, list[str]]:
    """One wrk run and every reason to refuse it (bench.validity), the database's row count included."""
    before = asyncio.run(written_rows(database_url, name)) if name in WRITES else None
    result = run_wrk(name, **options, duration_s=duration_s, connections=connections)
    rows = asyncio.run(written_rows(database_url, name)) - before if before is not None else None
    return result, run_problems(result.counts(rows_written=rows), EXPECTED_STATUSES[name])


def checked_run(name: str, database_url: str, options: dict[str, Any], *, duration_s: int,
                connections: int) -> WrkResult:
    """One wrk run, refused (RefusedRun) unless every answer has the endpoint's status, no body ran out
    or went twice, and (writes) the database gained at least as many rows as the run counted."""
    result, problems = judged_run(name, database_url, options, duration_s=duration_s, connections=connections)
    if problems:
        raise RefusedRun(tuple(problems))
    return result


def calibrate(name: str, target: ServerProcess, world: LiveWorld, database_url: str, options: dict[str, Any],
              args: argparse.Namespace) -> float:
    """The write endpoint's ok req/s over a short run with bodies enough (three times more each time the
    bodies ran out); any other problem refuses the whole bench."""
    guess = CALIBRATION_GUESS_RPS[name]
    for _ in range(CALIBRATION_ATTEMPTS):
        count = bodies_needed(guess, args.calibration_seconds, 1.0, minimum=args.connections * 8)
        bodies = make_bodies(name, target.base_url, world, count)
        result, problems = judged_run(name, database_url, options | {"bodies": bodies},
                                      duration_s=args.calibration_seconds, connections=args.connections)
        if result.exhausted and all("ran out of bodies" in p for p in problems):
            print(f"  calibration {name}: {count:,} bodies ran out, again with more", flush=True)
            guess *= 3
            continue
        if problems:
            raise RefusedRun(tuple(f"calibration {p}" for p in problems))
        print(f"  calibration {name}: {result.ok_rps:.0f} ok req/s ({result.sent:,} of {count:,} bodies sent)",
              flush=True)
        return result.ok_rps
    raise RefusedRun((f"calibration {name}: the bodies ran out {CALIBRATION_ATTEMPTS} times",))


def bench_config(stack: LiveStack, world: LiveWorld, server: str, workers: int, args: argparse.Namespace,
                 extra: tuple[str, ...]) -> dict[str, Any]:
    env = stack.server_env()
    product = ServerProcess(env, workers=workers, server=server, extra_args=extra).start()
    reference = ServerProcess(env, workers=workers, server=server, extra_args=extra,
                              factory="bench.reference_app:create").start()
    try:
        with httpx.Client(base_url=product.base_url, timeout=30) as http:
            logged_in = http.post("/auth/login", json={"email": world.emails["inspector"],
                                                       "password": "bench password, not a secret"})
            if logged_in.status_code != 200:
                raise RuntimeError(f"bench login answered {logged_in.status_code}: {logged_in.text[:500]}")
            auth = f"Bearer {logged_in.json()['access_token']}"
            etag = http.get(FORM_PATH, headers={"Authorization": auth}).headers["ETag"]
        common = {"duration_s": args.duration, "connections": args.connections}
        wanted = set(args.only.split(",")) if args.only else set(ENDPOINTS)
        steps = {
            "ref_get": (reference, {"url": reference.base_url + "/ref/struct"}),
            "form_get": (product, {"url": product.base_url + FORM_PATH, "auth": auth}),
            "form_304": (product, {"url": product.base_url + FORM_PATH, "auth": auth, "if_none_match": etag}),
            "ref_write": (reference, {"url": reference.base_url + "/ref/write", "method": "POST"}),
            "intake": (product, {"url": product.base_url + "/submissions", "method": "POST", "auth": auth}),
            "intake_inline": (product, {"url": product.base_url + "/submissions", "method": "POST", "auth": auth}),
        }
        calibrated = {name: calibrate(name, steps[name][0], world, stack.database_url, steps[name][1], args)
                      for name in WRITES if name in wanted}
        planned = {name: bodies_needed(rate, args.duration, args.safety_factor, minimum=args.connections * 8)
                   for name, rate in calibrated.items()}
        if calibrated:
            print("  bodies per round (duration x calibrated rate x safety factor): "
                  + ", ".join(f"{name} {n:,}" for name, n in planned.items()), flush=True)
        if args.profile and workers == 1:  # one process: py-spy sees every request
            intake_bodies = planned.get("intake") or bodies_needed(
                calibrate("intake", product, world, stack.database_url, steps["intake"][1], args), args.duration,
                args.safety_factor, minimum=args.connections * 8)
            profile_runs(product, world, stack.database_url, auth, etag, args, intake_bodies)
        rounds: list[dict[str, WrkResult]] = []
        cpu: dict[str, list[dict[str, float]]] = defaultdict(list)
        roots = {"postgres_root": cpu_split.postmaster_pid(stack.postgres.pgdata if stack.postgres else None),
                 "s3_root": stack.seaweed.pid if stack.seaweed else None}
        for n in range(args.rounds):
            bodies = {name: make_bodies(name, steps[name][0].base_url, world, count) for name, count in planned.items()}
            runs = []
            for name in ENDPOINTS:
                if name not in wanted:
                    continue
                target, options = steps[name]
                if name in bodies:
                    options = options | {"bodies": bodies.pop(name)}
                before = cpu_split.snapshot(target.pids(), **roots)
                try:
                    result = checked_run(name, stack.database_url, options, **common)
                except RefusedRun as refused:
                    print(f"  {server}:{workers} round {n + 1} {name}: {refused}", flush=True)
                    raise
                after = cpu_split.snapshot(target.pids(), **roots)
                cpu[name].append(cpu_split.per_request_ms(before, after, result.ok))
                runs.append(result)
                bodies_note = (f"  bodies sent {result.sent:,} of {result.bodies_available:,}"
                               if result.bodies_available is not None else f"  sent {result.sent:,}")
                print(f"  {server}:{workers} round {n + 1} {name:9s} {result.ok_rps:8.1f} ok req/s"
                      f"  p50 {result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms  statuses {result.statuses}"
                      f"{bodies_note}  CPU ms/request {cpu[name][-1]}", flush=True)
            rounds.append({r.name: r for r in runs})
        rss = {"product": product.peak_rss_mb(), "reference": reference.peak_rss_mb()}
    finally:
        product.stop()
        reference.stop()

    def median(name: str) -> float:
        return statistics.median(r[name].ok_rps for r in rounds)

    medians = {name: median(name) for name in rounds[0]}
    ratios = {f"{name}/{ref}": medians[name] / medians[ref] for name, ref in RATIOS
              if name in medians and ref in medians}
    return {
        "server": server, "workers": workers, "extra": list(extra),
        "calibrated_ok_rps": calibrated,
        "bodies_per_round": planned,
        "median_ok_rps": medians,
        "ratios": ratios,
        "rounds": [{name: dataclasses.asdict(r) for name, r in rnd.items()} for rnd in rounds],
        "cpu_ms_per_request": dict(cpu),
        "peak_rss_mb": {k: {str(pid): round(mb, 1) for pid, mb in v.items()} for k, v in rss.items()},
    }


def profile_runs(product: ServerProcess, world: LiveWorld, database_url: str, auth: str, etag: str,
                 args: argparse.Namespace, intake_bodies: int) -> None:
    """py-spy (sampling, outside the process) on the single server process during a form and an intake run;
    each run judged like a measured one."""
    from bench.profile_summary import summarise

    out_dir = Path(args.profile)
    out_dir.mkdir(parents=True, exist_ok=True)
    bodies = make_bodies("intake", product.base_url, world, intake_bodies)
    jobs = {"form_get": {"auth": auth}, "form_304": {"auth": auth, "if_none_match": etag},
            "intake": {"auth": auth, "method": "POST", "bodies": bodies}}
    for name, options in jobs.items():
        raw = out_dir / f"{name}.txt"
        path = "/submissions" if name == "intake" else FORM_PATH
        py_spy = str(Path(sys.executable).parent / "py-spy")
        # The uvicorn process itself (one worker serves in-process); its other descendants are the photo
        # decode processes, which the last pid named before (a profile of an idle forkserver child).
        spy = subprocess.Popen([py_spy, "record", "--pid", str(product.pids()[0]), "--duration", str(args.duration),
                                "--rate", "250", "--format", "raw", "--output", str(raw), "--threads"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result = checked_run(name, database_url, {"url": product.base_url + path, **options},
                             duration_s=args.duration, connections=args.connections)
        spy.wait(timeout=60)
        summary = summarise(raw) if raw.exists() else "py-spy wrote nothing (is it installed? pip install py-spy)"
        (out_dir / f"{name}.summary.txt").write_text(summary)
        print(f"--- profile {name} ({result.ok_rps:.0f} ok req/s under py-spy) ---\n{summary}\n", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="uvicorn:1,uvicorn:2",
                        help="server:workers[:extra-args], comma separated (server: uvicorn | granian)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--calibration-seconds", type=int, default=3,
                        help="length of the run that measures each write endpoint's rate before the rounds")
    parser.add_argument("--safety-factor", type=float, default=2.0,
                        help="bodies per round = duration x calibrated rate x this (below 1 starves the run, "
                             "which is then refused: a way to see the check work)")
    parser.add_argument("--only", default=None, metavar="NAMES",
                        help=f"comma-separated subset of {','.join(ENDPOINTS)} (quick A/B runs; the summary "
                             "table needs all of them)")
    parser.add_argument("--profile", default=None, metavar="DIR",
                        help="first run py-spy on the (single-worker) product during form and intake runs")
    parser.add_argument("--out", default=None, help="write the full results as JSON here")
    args = parser.parse_args()
    if args.safety_factor <= 0 or args.calibration_seconds < 1 or args.duration < 1:
        parser.error("--safety-factor must be positive, --calibration-seconds and --duration at least 1")
    stop_cleanly_on_sigterm()
    require_wrk()

    started = time.monotonic()
    results: dict[str, Any] = {"machine": machine(), "command": " ".join(["python -m bench.api_bench", *sys.argv[1:]]),
                               "configs": []}
    print(json.dumps(results["machine"]))
    try:
        with LiveStack() as stack:
            world = asyncio.run(arrange_world(stack.database_url))
            asyncio.run(create_reference_tables(stack.database_url))
            for spec in args.configs.split(","):
                server, workers, *extra = spec.split(":")
                results["configs"].append(bench_config(stack, world, server, int(workers), args,
                                                       tuple(" ".join(extra).split())))
    except RefusedRun as refused:
        return report_refusal(refused, withheld="figures or ratios")
    print(f"\nmachine: {results['machine']}  wall time {time.monotonic() - started:.0f}s")
    columns = [name for name in ENDPOINTS if name in results["configs"][0]["median_ok_rps"]]
    ratio_names = list(results["configs"][0]["ratios"])
    print("| server | workers | " + " | ".join(columns + ratio_names) + " | peak RSS per process (MB) |")
    print("|---" * (len(columns) + len(ratio_names) + 3) + "|")
    for c in results["configs"]:
        m, r = c["median_ok_rps"], c["ratios"]
        rss = ", ".join(f"{mb:.0f}" for mb in c["peak_rss_mb"]["product"].values())
        label = c["server"] + (" " + " ".join(c["extra"]) if c["extra"] else "")
        cells = [f"{m[name]:.0f}" for name in columns] + [f"{r[name]:.2f}" for name in ratio_names]
        print(f"| {label} | {c['workers']} | " + " | ".join(cells) + f" | {rss} |")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
