"""Growth curves (issue #20): what intake, seal, reads and exports cost as ONE org grows.

    .venv/bin/python -m bench.scale_bench                          # sizes 10k, 100k, 1m (~25 min, 2 cores)
    .venv/bin/python -m bench.scale_bench --sizes 2k,20k --no-write  # a quick look

One embedded PostgreSQL + SeaweedFS in a temp dir (ports 18600-18619 by default: --port-base) and the
app under uvicorn (1 worker, --port-base + 20). One org (harness.arrange_world: a region, branch B1, a
user of each role) gets 2,000 more branches (--branches) and then grows to each size in turn
(bench/generate.py: released submissions over two years with revisions, item facts, one sealed photo
each, actions, visits, events, generated in SQL; roll-ups rebuilt; VACUUM ANALYZE). At each size:

- intake: after a CHECKPOINT and once no autovacuum worker runs (the load's own after-work is not
  intake's), a warm-up round, then --intake-rounds rounds of --intakes real POST /submissions (distinct
  bodies, each with 2 photos uploaded to S3 and sealed through POST /uploads/{id}/verify beforehand,
  bench/api_bench.py), 4 at a time; CPU time per request of the uvicorn process tree and of Postgres's
  client backends (/proc utime+stime; background processes reported apart), the median round; and the
  same for the preparation (upload slots + S3 + the verify that seals each photo) per photo;
- seal: the photo reuse search under EXPLAIN ANALYZE (rows examined; bench/photo_search_bench.py) and
  the seal statement's time, twice: right after the load, and again (steady, the goal's figure);
- reads, as the admin (and GET /submissions as B1's branch manager): --runs requests each after a
  warm-up, p50/p95 from the client: GET /submissions first page, a keyset page 90 % deep (its `after`
  cursor built from the row before it, inspect_api/paging.py's format), /rankings, /rankings/weakness,
  /rankings/trend, /actions/overdue, /events first page and 90 % deep;
- export: GET /exports/submissions.csv of the whole form (every submission of the org), streamed:
  rows, seconds, rows/s, the server's peak RSS (VmHWM reset through /proc/<pid>/clear_refs before the
  request, and VmRSS sampled every 20 ms during it).

Refused (exit 1, no figures: bench/validity.py) on any unexpected status, a reused intake body, fewer
revisions written than intakes answered 201, a planted photo lookalike missed, or an org with fewer
rows than its size. Prints a table per size and the largest / smallest ratios; unless --no-write,
writes the raw JSON and text under bench/results/ and replaces the "## Growth curves (issue 20)"
section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from uuid import UUID

import asyncpg
import httpx

from bench import cpu_split, generate
from bench.api_bench import prepare_intake_bodies
from bench.harness import FORM_KEY, LiveStack, LiveWorld, ServerProcess, arrange_world, login, stop_cleanly_on_sigterm
from bench.photo_search_bench import search_figures
from bench.rankings_bench import StatusTally, machine
from bench.reporting import replace_section, report_refusal
from bench.validity import RefusedRun, RunCounts, check_run, duplicates
from inspect_api.storage.embedded import EmbeddedPostgres, EmbeddedSeaweed
from inspect_api.submissions.review import SUBMISSIONS_KEYSET

REPO: Final = Path(__file__).resolve().parents[1]
RESULTS: Final = REPO / "bench" / "RESULTS.md"
RAW_DIR: Final = REPO / "bench" / "results"
HEADING: Final = "## Growth curves (issue 20)"
DEFAULT_SIZES: Final = "10k,100k,1m"
INTAKE_CONCURRENCY: Final = 4
READ_GOAL_MS: Final = 50.0
COST_GOAL: Final = 1.2
RSS_GOAL_MB: Final = 150.0


# ---- pure helpers (tests/unit/test_bench_scale.py) --------------------------------------------------


def parse_size(text: str) -> int:
    """'10k' -> 10_000, '1m' -> 1_000_000, '2500' -> 2500; ValueError for anything else or < 1."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise ValueError(f"not a size: {text!r} (e.g. 10k, 1m, 2500)")
    value = float(match[1]) * {"": 1, "k": 1_000, "m": 1_000_000}[match[2].lower()]
    if value < 1 or value != int(value):
        raise ValueError(f"not a whole positive size: {text!r}")
    return int(value)


def parse_sizes(text: str) -> list[int]:
    """Comma-separated sizes, ascending, distinct (the org only grows)."""
    sizes = sorted({parse_size(part) for part in text.split(",") if part.strip()})
    if not sizes:
        raise ValueError("no sizes")
    return sizes


def size_label(n: int) -> str:
    for unit, name in ((1_000_000, "m"), (1_000, "k")):
        if n >= unit and n % unit == 0:
            return f"{n // unit}{name}"
    return str(n)


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50 / p95 / max in ms (nearest-rank p95)."""
    if not seconds:
        raise ValueError("no samples")
    ordered = sorted(seconds)
    rank = max(0, min(len(ordered) - 1, -(-95 * len(ordered) // 100) - 1))
    return {"p50_ms": statistics.median(ordered) * 1000, "p95_ms": ordered[rank] * 1000,
            "max_ms": ordered[-1] * 1000, "runs": len(ordered)}


def ratio(largest: float, smallest: float) -> float | None:
    return None if smallest <= 0 else largest / smallest


# ---- engines on our ports -------------------------------------------------------------------------


class PortedStack(LiveStack):
    """LiveStack with the engines on fixed ports (the bench's range), always embedded."""

    def __init__(self, base_dir: Path, port_base: int, pg_settings: dict[str, str] | None = None) -> None:
        super().__init__(base_dir)
        self.port_base = port_base
        self.pg_settings = pg_settings or {}

    def start(self) -> PortedStack:
        self.postgres = EmbeddedPostgres(self.base_dir / "postgres", port=self.port_base, settings=self.pg_settings)
        self.server_dsn = self.postgres.start()
        self.seaweed = EmbeddedSeaweed(self.base_dir / "seaweed", bucket="inspect-scale")
        self.seaweed.ports = {name: self.port_base + 1 + i for i, name in enumerate(EmbeddedSeaweed.PORT_NAMES)}
        self.s3 = self.seaweed.start()
        asyncio.run(self._create_database())
        return self


# ---- measuring ------------------------------------------------------------------------------------


def cpu_roots(stack: LiveStack) -> dict[str, int | None]:
    return {"postgres_root": cpu_split.postmaster_pid(stack.postgres.pgdata if stack.postgres else None),
            "s3_root": stack.seaweed.pid if stack.seaweed else None}


async def revisions(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM submission_revisions"))
    finally:
        await conn.close()


async def quiesce(dsn: str, limit_s: float = 300.0) -> float:
    """CHECKPOINT, then wait (at most `limit_s`) until no autovacuum worker runs: the load's dirty
    buffers and its vacuum work are then not counted as the next measurement's CPU. Seconds waited."""
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CHECKPOINT")
        while time.perf_counter() - started < limit_s:
            busy = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")
            if not busy:
                break
            await asyncio.sleep(1)
        return round(time.perf_counter() - started, 1)
    finally:
        await conn.close()


async def intake_round(stack: LiveStack, server: ServerProcess, world: LiveWorld, count: int, seed: int
                       ) -> dict[str, Any]:
    """`count` distinct first submissions, 4 at a time, after their photos were uploaded and sealed;
    CPU per request of the server and of Postgres (whole tree, its client backends, its background)."""
    roots = cpu_roots(stack)
    before = cpu_split.snapshot(server.pids(), **roots)
    started = time.perf_counter()
    bodies = await prepare_intake_bodies(server.base_url, world, count, seed, verify=True)
    prepare_s = time.perf_counter() - started
    after_prepare = cpu_split.snapshot(server.pids(), **roots)
    await quiesce(stack.database_url, limit_s=60)
    rows_before = await revisions(stack.database_url)
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        headers = await login(http, world.emails["inspector"]) | {"Content-Type": "application/json"}
        queue = iter(bodies)
        sent = 0

        async def sender() -> None:
            nonlocal sent
            for body in queue:
                sent += 1
                response = await http.post("/submissions", content=body, headers=headers)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        start_cpu = cpu_split.snapshot(server.pids(), **roots)
        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(INTAKE_CONCURRENCY)))
        seconds = time.perf_counter() - started
        end_cpu = cpu_split.snapshot(server.pids(), **roots)
    written = await revisions(stack.database_url) - rows_before
    check_run(RunCounts(name="intake", sent=sent, statuses=statuses, bodies_available=len(bodies),
                        duplicate_bodies=duplicates(bodies), rows_written=written), {201})
    intake_cpu = cpu_split.per_request_ms(start_cpu, end_cpu, count)
    prepare_cpu = cpu_split.per_request_ms(before, after_prepare, 2 * count)
    return {"requests": count, "seconds": round(seconds, 2), "req_per_s": round(count / seconds, 1),
            "cpu_ms": {k: intake_cpu[k] for k in ("server", "postgres", "postgres_clients", "postgres_background")},
            "cpu_ms_total": round(intake_cpu["server"] + intake_cpu["postgres_clients"], 3),
            "prepare_seconds": round(prepare_s, 1),
            "prepare_cpu_ms_per_photo": {k: prepare_cpu[k] for k in ("server", "postgres", "postgres_clients", "s3")},
            "statuses": statuses}


async def measure_intake(stack: LiveStack, server: ServerProcess, world: LiveWorld, count: int, rounds: int,
                         seed: int) -> dict[str, Any]:
    """A warm-up round (not counted: the app's caches and plans, the indexes' hot pages), then `rounds`
    rounds of `count` requests; the median round's figures, every round kept."""
    await intake_round(stack, server, world, max(20, count // 5), seed)
    runs = [await intake_round(stack, server, world, count, seed + 1 + i) for i in range(rounds)]
    chosen = sorted(runs, key=lambda r: r["cpu_ms_total"])[len(runs) // 2]
    return chosen | {"rounds": [{"cpu_ms_total": r["cpu_ms_total"], "cpu_ms": r["cpu_ms"],
                                 "prepare_cpu_ms_per_photo": r["prepare_cpu_ms_per_photo"]} for r in runs]}


class RssSampler:
    """VmRSS of a set of processes, sampled on a thread; the peak in MB."""

    def __init__(self, pids: list[int], every_s: float = 0.02) -> None:
        self.pids, self.every_s, self.peak_mb = pids, every_s, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss_mb(self) -> float:
        total = 0
        for pid in self.pids:
            try:
                line = next(ln for ln in Path(f"/proc/{pid}/status").read_text().splitlines()
                            if ln.startswith("VmRSS:"))
            except (OSError, StopIteration):
                continue
            total += int(line.split()[1])
        return total / 1024

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._rss_mb())
            self._stop.wait(self.every_s)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._rss_mb())


def reset_peak_rss(pids: list[int]) -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs); False where not allowed."""
    ok = True
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            ok = False
    return ok


async def measure_export(server: ServerProcess, headers: dict[str, str], tally: StatusTally) -> dict[str, Any]:
    pid = server.pids()[0]  # the uvicorn process serves the request (1 worker, in-process)
    reset = reset_peak_rss([pid])
    rss_before = RssSampler([pid])._rss_mb()
    rows, size = 0, 0
    async with httpx.AsyncClient(base_url=server.base_url, timeout=httpx.Timeout(60, read=600)) as http:
        with RssSampler([pid]) as sampler:
            started = time.perf_counter()
            async with http.stream("GET", "/exports/submissions.csv", params={"form_key": FORM_KEY},
                                   headers=headers) as response:
                tally.record("export submissions.csv", response)
                first_byte = time.perf_counter() - started
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    rows += chunk.count(b"\n")
            seconds = time.perf_counter() - started
    hwm = server.peak_rss_mb().get(pid)
    return {"rows": rows - 1, "bytes": size, "seconds": round(seconds, 2), "first_byte_ms": round(first_byte * 1000, 1),
            "rows_per_s": round((rows - 1) / seconds), "rss_before_mb": round(rss_before, 1),
            "rss_peak_sampled_mb": round(sampler.peak_mb, 1),
            "vmhwm_mb": round(hwm, 1) if hwm is not None else None, "vmhwm_reset": reset}


async def cursors(dsn: str, org_id: UUID, depth: int) -> dict[str, str]:
    """`after` cursors for a page `depth` rows deep: /submissions (visited_on, id) and /events (xid-id)."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow("SELECT visited_on, id FROM submissions WHERE org_id = $1 "
                                  "ORDER BY visited_on DESC, id DESC OFFSET $2 LIMIT 1", org_id, depth - 1)
        event = await conn.fetchrow("SELECT xid::text AS xid, id FROM events WHERE org_id = $1 "
                                    "ORDER BY xid, id OFFSET $2 LIMIT 1", org_id, depth - 1)
        return {"submissions": SUBMISSIONS_KEYSET.encode(row["visited_on"], row["id"]),
                "events": f"{event['xid']}-{event['id']}"}
    finally:
        await conn.close()


async def measure_reads(server: ServerProcess, world: LiveWorld, dsn: str, size: int, runs: int,
                        tally: StatusTally) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    deep = await cursors(dsn, world.org_id, int(size * 0.9))
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        admin = await login(http, world.emails["admin"])
        manager = await login(http, world.emails["branch_manager"])
        form = {"form_key": FORM_KEY}
        endpoints: list[tuple[str, str, dict[str, str], dict[str, str]]] = [
            ("GET /submissions, first page (50)", "/submissions", {"limit": "50"}, admin),
            ("GET /submissions, keyset page 90 % deep", "/submissions",
             {"limit": "50", "after": deep["submissions"]}, admin),
            ("GET /submissions, branch manager", "/submissions", {"limit": "50"}, manager),
            ("GET /rankings (month, org, 100 rows)", "/rankings", form | {"period": "month"}, admin),
            ("GET /rankings/weakness (month, org)", "/rankings/weakness", form | {"period": "month"}, admin),
            ("GET /rankings/trend (B1, 12 months)", "/rankings/trend",
             form | {"branch_id": str(world.branch_id), "period": "month"}, admin),
            ("GET /actions/overdue (200)", "/actions/overdue", {}, admin),
            ("GET /events, first page (100)", "/events", {"limit": "100"}, admin),
            ("GET /events, page 90 % deep", "/events", {"limit": "100", "after": deep["events"]}, admin),
        ]
        out: dict[str, dict[str, float]] = {}
        for name, path, params, headers in endpoints:
            async def call(path: str = path, params: dict[str, str] = params, headers: dict[str, str] = headers,
                           name: str = name) -> None:
                tally.record(name, await http.get(path, params=params, headers=headers))

            out[name] = percentiles(await repeat(call, runs))
            print(f"    {name}: p50 {out[name]['p50_ms']:.1f} ms, p95 {out[name]['p95_ms']:.1f} ms", flush=True)
    return out, admin


async def repeat(call: Callable[[], Awaitable[None]], runs: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        await call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return times


async def world_ids(dsn: str, world: LiveWorld) -> dict[str, UUID]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT role, id FROM users WHERE org_id = $1", world.org_id)
        return {r["role"]: r["id"] for r in rows}
    finally:
        await conn.close()


async def grow_to(dsn: str, world: LiveWorld, ids: dict[str, UUID], size: int, branches: int | None,
                  statement_seconds: float) -> tuple[dict[str, float], dict[str, int]]:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET synchronous_commit = off")
        timings: dict[str, float] = {}
        if branches:
            started = time.perf_counter()
            await generate.setup_branches(conn, world.org_id, branches)
            timings["branches"] = time.perf_counter() - started
        timings |= await generate.grow(conn, world.org_id, version_id=world.form_version_id,
                                       inspector_id=ids["inspector"], admin_id=ids["admin"], target=size,
                                       end_day=datetime.now(UTC).date(), statement_seconds=statement_seconds)
        return timings, await generate.counts(conn, world.org_id)
    finally:
        await conn.close()


async def seal_figures(dsn: str, world: LiveWorld, ids: dict[str, UUID], probes: int, seed: int) -> dict[str, Any]:
    """The search and seal twice: right after the load (the bulk load has pushed the photo indexes out
    of the caches) and again (steady: an org that seals all day keeps them cached). The goal is read on
    the second; both are reported."""
    conn = await asyncpg.connect(dsn)
    try:
        after_load = await search_figures(conn, world.org_id, ids["inspector"], probes, random.Random(seed))
        steady = await search_figures(conn, world.org_id, ids["inspector"], probes, random.Random(seed + 500))
        return steady | {"after_load": after_load}
    finally:
        await conn.close()


def measure_size(stack: LiveStack, world: LiveWorld, ids: dict[str, UUID], size: int, index: int,
                 args: argparse.Namespace) -> dict[str, Any]:
    print(f"== {size_label(size)}: growing the org ...", flush=True)
    started = time.perf_counter()
    timings, counts = asyncio.run(grow_to(stack.database_url, world, ids, size,
                                          args.branches if index == 0 else None, args.statement_seconds))
    load_s = time.perf_counter() - started
    print(f"   loaded in {load_s:.0f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()), flush=True)
    print(f"   counts: {counts}", flush=True)
    # Every generated (released) submission has its 8 item facts, photos, event and visit.
    generated = counts["released"]
    wants = {"submissions": size, "items": 8 * generated, "photos": generated * generate.PHOTOS_PER_SUBMISSION,
             "events": generated, "visits": generated, "branches": args.branches}
    short = [f"{what}: {counts[what]:,} < {want:,}" for what, want in wants.items() if counts[what] < want]
    per_size = max(20, args.intakes // 5) + args.intake_rounds * args.intakes  # measure_intake's submissions
    if generated < size - (index + 1) * per_size:
        short.append(f"released: {generated:,} < {size - (index + 1) * per_size:,}")
    if short:
        raise RefusedRun(tuple(f"{size_label(size)}: short data, {s}" for s in short))
    load_avg = [os.getloadavg()[0]]
    tally = StatusTally()
    phase: dict[str, float] = {"load": load_s}
    t = time.perf_counter()
    phase["quiesce"] = asyncio.run(quiesce(stack.database_url))
    seal = asyncio.run(seal_figures(stack.database_url, world, ids, args.probes, 1000 + index))
    phase["seal"] = time.perf_counter() - t - phase["quiesce"]
    if seal["missed"] or seal["after_load"]["missed"]:
        raise RefusedRun((f"{size_label(size)}: {seal['missed']} planted photo lookalikes not found",))
    server = ServerProcess(stack.server_env(DB_POOL_MIN="2", DB_POOL_MAX="4"), workers=1,
                           port=args.port_base + 20).start()
    try:
        t = time.perf_counter()
        intake = asyncio.run(measure_intake(stack, server, world, args.intakes, args.intake_rounds,
                                            100 + 10 * index))
        phase["intake"] = time.perf_counter() - t
        print(f"   intake: {intake['cpu_ms']} ms CPU/request ({intake['req_per_s']} req/s), "
              f"preparing {intake['prepare_seconds']} s", flush=True)
        t = time.perf_counter()
        reads, admin = asyncio.run(measure_reads(server, world, stack.database_url, size, args.runs, tally))
        phase["reads"] = time.perf_counter() - t
        t = time.perf_counter()
        export = asyncio.run(measure_export(server, admin, tally))
        phase["export"] = time.perf_counter() - t
        print(f"   export: {export}", flush=True)
        if export["rows"] < size:
            raise RefusedRun((f"{size_label(size)}: the export streamed {export['rows']:,} rows of {size:,}",))
    finally:
        server.stop()
    load_avg.append(os.getloadavg()[0])
    return {"size": size, "counts": counts, "load_timings_s": {k: round(v, 1) for k, v in timings.items()},
            "phase_s": {k: round(v, 1) for k, v in phase.items()}, "seal": seal, "intake": intake,
            "reads": reads, "export": export, "load_average": load_avg,
            "statuses": {what: dict(c) for what, c in tally.statuses.items()}}


# ---- report ---------------------------------------------------------------------------------------


def report(results: list[dict[str, Any]], command: str, started: datetime, wall_s: float) -> str:
    first, last = results[0], results[-1]
    labels = [size_label(r["size"]) for r in results]
    head = "| what | " + " | ".join(labels) + f" | {labels[-1]} / {labels[0]} |"
    rule = "| --- |" + " ---: |" * (len(results) + 1)

    def row(name: str, values: list[float], fmt: str = "{:.2f}", with_ratio: bool = True) -> str:
        r = ratio(values[-1], values[0]) if with_ratio else None
        return (f"| {name} | " + " | ".join(fmt.format(v) for v in values) + " | "
                + (f"{r:.2f}x" if r is not None else "") + " |")

    lines = [
        HEADING, "",
        f"Command: `{command}`", "",
        f"Run {started:%Y-%m-%d %H:%M} UTC, {machine()}; wall time {wall_s / 60:.1f} min. One org grown step by "
        "step (bench/generate.py: released submissions over two years, 8 item facts and 1 sealed photo each, "
        "actions for failed greetings, one visit and one event per submission, "
        f"{last['counts']['branches']:,} branches; roll-ups by "
        "`rollups.backfill`; VACUUM ANALYZE), embedded PostgreSQL (fsync off) + SeaweedFS, app under uvicorn "
        "(1 worker), client on the same machine. 1-minute load average before / after each size's "
        "measurements: " + "; ".join(f"{size_label(r['size'])} {r['load_average'][0]:.2f} / "
                                     f"{r['load_average'][1]:.2f}" for r in results) + ".", "",
        "Data per size: " + "; ".join(
            f"{size_label(r['size'])}: " + ", ".join(f"{v:,} {k}" for k, v in r["counts"].items())
            for r in results) + ".", "",
        head, rule,
        row("intake CPU ms / request, server + Postgres backends (median of rounds)",
            [r["intake"]["cpu_ms_total"] for r in results]),
        row("  of which server (uvicorn)", [r["intake"]["cpu_ms"]["server"] for r in results]),
        row("  of which Postgres client backends", [r["intake"]["cpu_ms"]["postgres_clients"] for r in results]),
        row("  Postgres background (checkpointer, WAL writer, autovacuum; not counted above)",
            [r["intake"]["cpu_ms"]["postgres_background"] for r in results]),
        row("  rounds: server + backends, lowest / highest", [min(x["cpu_ms_total"] for x in r["intake"]["rounds"])
                                                            for r in results], "{:.2f}", False),
        row("", [max(x["cpu_ms_total"] for x in r["intake"]["rounds"]) for r in results], "{:.2f}", False),
        row("upload + verify (seal) CPU ms / photo, server + Postgres backends",
            [r["intake"]["prepare_cpu_ms_per_photo"]["server"]
             + r["intake"]["prepare_cpu_ms_per_photo"]["postgres_clients"] for r in results]),
        row("seal statement ms (median of 10), steady", [r["seal"]["seal_ms_median"] for r in results]),
        row("seal statement ms, first pass after the load",
            [r["seal"]["after_load"]["seal_ms_median"] for r in results]),
        row("reuse search: rows examined (median)", [r["seal"]["rows_examined_median"] for r in results], "{:g}",
            False),
        row("reuse search: buffers (median)", [r["seal"]["buffers_median"] for r in results], "{:g}"),
        row("  of which read, not in shared_buffers, steady / after the load",
            [r["seal"].get("buffers_read_median", 0) for r in results], "{:g}", False),
        row("", [r["seal"]["after_load"].get("buffers_read_median", 0) for r in results], "{:g}", False),
        row("reuse search ms (median), first pass after the load",
            [r["seal"]["after_load"]["search_ms_median"] for r in results]),
        row("reuse search ms (median), steady", [r["seal"]["search_ms_median"] for r in results]),
    ]
    for name in first["reads"]:
        lines.append(row(f"{name}: p50 ms", [r["reads"][name]["p50_ms"] for r in results], "{:.1f}"))
        lines.append(row(f"{name}: **p95 ms**", [r["reads"][name]["p95_ms"] for r in results], "{:.1f}"))
    lines += [
        row("export submissions.csv: rows", [r["export"]["rows"] for r in results], "{:,}", False),
        row("export: seconds", [r["export"]["seconds"] for r in results], "{:.1f}"),
        row("export: rows / s", [r["export"]["rows_per_s"] for r in results], "{:,.0f}"),
        row("export: worker peak RSS MB (sampled)", [r["export"]["rss_peak_sampled_mb"] for r in results], "{:.0f}"),
        row("export: worker VmHWM MB (reset before)", [r["export"]["vmhwm_mb"] or 0 for r in results], "{:.0f}"),
        row("load (generate + backfill + vacuum) s", [r["phase_s"]["load"] for r in results], "{:.0f}", False),
        "",
    ]
    intake_ratio = ratio(last["intake"]["cpu_ms_total"], first["intake"]["cpu_ms_total"])
    seal_ratio = ratio(last["seal"]["seal_ms_median"], first["seal"]["seal_ms_median"])

    def within(value: float | None) -> str:
        return "met" if value is not None and value <= COST_GOAL else "not met"

    worst = max(last["reads"].items(), key=lambda kv: kv[1]["p95_ms"])
    rss = max(last["export"]["rss_peak_sampled_mb"], last["export"]["vmhwm_mb"] or 0)
    lines += [
        f"Goals at {labels[-1]}: intake CPU {intake_ratio:.2f}x of {labels[0]} "
        f"({within(intake_ratio)}, goal <= {COST_GOAL}x); seal statement {seal_ratio:.2f}x ({within(seal_ratio)}); "
        f"slowest read p95 {worst[1]['p95_ms']:.1f} ms ({worst[0]}; "
        f"{'met' if worst[1]['p95_ms'] < READ_GOAL_MS else 'not met'}, goal < {READ_GOAL_MS:.0f} ms); "
        f"export of {last['export']['rows']:,} rows peak RSS {rss:.0f} MB "
        f"({'met' if rss < RSS_GOAL_MB else 'not met'}, goal < {RSS_GOAL_MB:.0f} MB"
        + ("" if last["export"]["rows"] >= 1_000_000 else "; fewer than 1M rows, so not the goal's size") + ").",
        "",
        "Phases (s): " + "; ".join(f"{size_label(r['size'])}: " + ", ".join(f"{k} {v:.0f}" for k, v in
                                                                            r["phase_s"].items()) for r in results)
        + ". Load per statement (s): " + "; ".join(
            f"{size_label(r['size'])}: " + ", ".join(f"{k} {v:.0f}" for k, v in r["load_timings_s"].items())
            for r in results) + ".",
        "",
        f"Intake: per size a warm-up round, then {len(first['intake']['rounds'])} rounds of "
        f"{first['intake']['requests']} distinct bodies, {INTAKE_CONCURRENCY} at a time, all 201 with one new "
        "revision each (checked); a CHECKPOINT and no autovacuum worker before each round; CPU from /proc "
        "(uvicorn tree; the postmaster's children split by process title into client backends, which run the "
        "requests' statements, and background processes). The median round is reported. Seal: measured "
        "twice, right after the load and again (steady); the goal is read on the steady pass. Reads: "
        f"{first['reads'][next(iter(first['reads']))]['runs']} timed requests each after 5 warm-up ones, one "
        "at a time, every answer 200 (checked); the rankings pages are warm (cached per worker until the "
        "next release). The 24 seals of each size's seal measurement stay in the org.",
        "",
    ]
    return "\n".join(lines)




def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="submissions per step, e.g. 10k,100k,1m")
    parser.add_argument("--branches", type=int, default=2000, help="branches added before the first size")
    parser.add_argument("--intakes", type=int, default=150, help="intake requests per measured round")
    parser.add_argument("--intake-rounds", type=int, default=3, help="measured intake rounds per size (median)")
    parser.add_argument("--runs", type=int, default=40, help="timed requests per read endpoint")
    parser.add_argument("--probes", type=int, default=10, help="photo search probes per size (half planted)")
    parser.add_argument("--port-base", type=int, default=18600,
                        help="Postgres on it, SeaweedFS on the next 10, the app on +20")
    parser.add_argument("--statement-seconds", type=float, default=1800)
    parser.add_argument("--shared-buffers", default=None,
                        help="Postgres shared_buffers, e.g. 4GB (default: the server's 128MB; the run's command "
                             "line is in its report)")
    parser.add_argument("--no-write", action="store_true", help="print only: no bench/results file, no RESULTS.md")
    args = parser.parse_args()
    try:
        sizes = parse_sizes(args.sizes)
    except ValueError as error:
        parser.error(str(error))
    stop_cleanly_on_sigterm()
    command = " ".join([".venv/bin/python -m bench.scale_bench", *sys.argv[1:]])
    started_at, started = datetime.now(UTC), time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="inspect-scale-bench-"))
    results: list[dict[str, Any]] = []
    try:
        pg_settings = {"shared_buffers": args.shared_buffers} if args.shared_buffers else {}
        with PortedStack(base, args.port_base, pg_settings) as stack:
            world = asyncio.run(arrange_world(stack.database_url))
            ids = asyncio.run(world_ids(stack.database_url, world))
            for index, size in enumerate(sizes):
                results.append(measure_size(stack, world, ids, size, index, args))
    except RefusedRun as refused:
        return report_refusal(refused)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    wall = time.perf_counter() - started
    text = report(results, command, started_at, wall)
    print("\n" + text)
    if not args.no_write:
        RAW_DIR.mkdir(exist_ok=True)
        stem = RAW_DIR / f"scale_bench-{started_at:%Y-%m-%d-%H%M}"
        stem.with_suffix(".json").write_text(json.dumps({"command": command, "results": results}, indent=2,
                                                        default=str))
        stem.with_suffix(".md").write_text(text)
        replace_section(HEADING, text)
        print(f"wrote {stem.relative_to(REPO)}.json/.md and the section in {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
