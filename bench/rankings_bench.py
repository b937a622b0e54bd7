"""Rankings benchmark (issue 6): roll-up-backed rankings endpoint vs the naive GROUP BY over submissions.

    .venv/bin/python -m bench.rankings_bench                      # 2,000 branches, 1,000,000 released visits
    .venv/bin/python -m bench.rankings_bench --submissions 100000 --no-write   # a quick look

In ONE run, on a scratch database (embedded PostgreSQL in a temp dir, or a new database on the server
named by DATABASE_URL):
1. loads an org with 20 regions x 100 branches and N released submissions of the fuel-attendant form
   spread over two years (revisions and per-item results too), server-side with generate_series;
2. fills the roll-up tables with `inspect_api.rankings.rollups.backfill` (the tested recomputation that
   equals the incremental release path) and ANALYZEs;
3. starts the real app under uvicorn on 127.0.0.1 and times GET /rankings (org scope and one region,
   month period, previous month for the deltas) against the naive query a roll-up-less service would
   run: one GROUP BY over the submissions of both months (timed in SQL alone, no HTTP: in its favour);
4. under a stream of releases (#20): releases a visit through the API (submit, approve, release: not timed),
   then times the next GET /rankings, --runs times (plain and adjust=shrinkage; each view must show its
   release), measures warm again, and reports cold/warm; then releases one more submission and times until
   GET /rankings shows it;
5. prints the figures and, unless --no-write, replaces the "## Rankings (issue 6)" section of
   bench/RESULTS.md (other sections are left alone).
Bounded: every phase has a deadline (--timeout, default 40 minutes in all); ratios come from one run.
Refused (exit 1, nothing written, bench/validity.py) when any request answers another status than
expected (200 for reads, 201 for the submission) or the cold requests would ask for a page twice.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import asyncpg
import httpx

from bench.harness import stop_cleanly_on_sigterm
from bench.reporting import replace_section, report_refusal
from bench.validity import RefusedRun, RunCounts, check_run
from inspect_api.auth.passwords import hasher_for
from inspect_api.forms.loader import load_seed_dir
from inspect_api.forms.service import seed_catalogue
from inspect_api.rankings import queries
from inspect_api.rankings.rollups import backfill
from inspect_api.rankings.stats import next_period_start, period_start, previous_period_start
from inspect_api.storage.db import create_pool
from inspect_api.storage.embedded import EmbeddedPostgres, free_port
from inspect_api.storage.migrations import migrate
from inspect_api.storage.scratch import create_database, drop_database
from tests.integration.phone import answers_for, submission_body

REPO: Final = Path(__file__).resolve().parents[1]
RESULTS: Final = REPO / "bench" / "RESULTS.md"
HEADING: Final = "## Rankings (issue 6)"
FORM_KEY: Final = "fuel-attendant"
PASSWORD: Final = "bench password, not a secret"
HASH_ENV: Final = {"PASSWORD_TIME_COST": "1", "PASSWORD_MEMORY_KIB": "8192", "PASSWORD_PARALLELISM": "1"}
REGIONS: Final = 20
APP_PORT: int | None = None  # --app-port
# Scored items of the fuel form with a made-up failure rate each (p5/p6 are conditional in the form;
# here they are always judged, which only makes the item roll-ups bigger).
ITEMS: Final = (
    ("p1_greeting", "welcome", 0.12), ("p2_needs", "welcome", 0.08), ("p3_courtesy", "attitude", 0.10),
    ("p4_equal_treatment", "attitude", 0.04), ("p7_no_argument", "attitude", 0.02),
    ("p5_safety_intervention", "safety", 0.03), ("p6_queue_handling", "queue", 0.15),
    ("p8_six_voices", "voice", 0.20),
)


# ---- data ----------------------------------------------------------------------------------------

LOAD_BRANCHES: Final = """
WITH r AS (
    INSERT INTO regions (org_id, code, name_zh, name_en)
    SELECT $1, 'R' || lpad(g::text, 2, '0'), '区域' || g, 'Region ' || g FROM generate_series(1, $3) g
    RETURNING id, code
)
INSERT INTO branches (org_id, region_id, code, name_zh, name_en, timezone, latitude, longitude)
SELECT $1, r.id, 'B' || lpad(g::text, 4, '0'), '加油站' || g, 'Station ' || g, 'Asia/Shanghai', 31.23, 121.47
FROM generate_series(0, $2 - 1) g
JOIN r ON r.code = 'R' || lpad((g % $3 + 1)::text, 2, '0')
"""

# Each branch gets a quality bias, each visit noise; dates spread over the two years before $6.
# The monthly partitions (migrations/0052) for the two years LOAD_SUBMISSIONS spreads visits over, so the
# loaded rows sit in their months as intake's would, not in the DEFAULT partition. $1 the last day.
ENSURE_MONTHS: Final = "SELECT count(*) FROM ensure_submission_partitions($1::date - 730, $1::date)"

LOAD_SUBMISSIONS: Final = """
WITH b AS (
    SELECT (row_number() OVER (ORDER BY code) - 1)::int AS n, id, 55 + random() * 30 AS bias
    FROM branches WHERE org_id = $1
), g AS (
    SELECT g, $6::date - (random() * 730)::int AS day, random() AS noise, random() AS luck
    FROM generate_series(0, $5 - 1) g
)
INSERT INTO submissions (org_id, branch_id, form_version_id, inspector_id, mode, status, current_revision,
                         total_percent, passed, visited_on, submitted_at, reviewed_by, reviewed_at, released_at)
SELECT $1, b.id, $2, $3, 'mystery', 'released', 1, s.score, s.score >= 80 AND g.luck > 0.05, g.day,
       g.day + time '12:00', $4, g.day + time '18:00', g.day + time '18:00' + g.g * interval '1 microsecond'
FROM g
JOIN b ON b.n = g.g % (SELECT count(*) FROM b)
CROSS JOIN LATERAL (SELECT round(least(100, greatest(0, b.bias + (g.noise - 0.5) * 40))::numeric, 2) AS score) s
"""

LOAD_REVISIONS: Final = """
INSERT INTO submission_revisions (org_id, submission_id, revision, client_id, request_hash, answers, score_card,
                                  started_at, finished_at, proof, visited_on)
SELECT org_id, id, 1, gen_random_uuid(), 'bench', '[]'::jsonb, '{}'::jsonb,
       submitted_at - interval '20 minutes', submitted_at, '{}'::jsonb, visited_on
FROM submissions WHERE org_id = $1
"""

LOAD_ITEMS: Final = """
INSERT INTO submission_items (revision_id, item_key, section_key, status, earned, possible, org_id, visited_on)
SELECT r.id, k.item_key, k.section_key, CASE WHEN random() < k.fail_rate THEN 'fail' ELSE 'pass' END, 0, 1,
       r.org_id, r.visited_on
FROM submission_revisions r
CROSS JOIN unnest($2::text[], $3::text[], $4::float8[]) AS k (item_key, section_key, fail_rate)
WHERE r.org_id = $1
"""

# What a service without roll-ups would run for the same page: both months, grouped per branch.
NAIVE: Final = """
SELECT s.branch_id,
       count(*) FILTER (WHERE s.visited_on >= $3) AS visits,
       avg(s.total_percent) FILTER (WHERE s.visited_on >= $3) AS mean,
       stddev_samp(s.total_percent) FILTER (WHERE s.visited_on >= $3) AS sd,
       count(*) FILTER (WHERE s.visited_on >= $3 AND s.passed) AS passes,
       count(*) FILTER (WHERE s.visited_on < $3) AS prev_visits,
       avg(s.total_percent) FILTER (WHERE s.visited_on < $3) AS prev_mean,
       stddev_samp(s.total_percent) FILTER (WHERE s.visited_on < $3) AS prev_sd,
       count(*) FILTER (WHERE s.visited_on < $3 AND s.passed) AS prev_passes
FROM submissions s
JOIN form_versions fv ON fv.id = s.form_version_id
JOIN forms f ON f.id = fv.form_id
WHERE s.org_id = $1 AND f.key = $2 AND s.status = 'released' AND s.visited_on >= $4 AND s.visited_on < $5
GROUP BY s.branch_id
"""
# The baseline, literally: one GROUP BY over all released submissions of the form, each
# period picked out by FILTER (what a service without roll-ups or a date predicate runs).
NAIVE_ALL: Final = """
SELECT s.branch_id,
       count(*) FILTER (WHERE s.visited_on >= $3 AND s.visited_on < $5) AS visits,
       avg(s.total_percent) FILTER (WHERE s.visited_on >= $3 AND s.visited_on < $5) AS mean,
       stddev_samp(s.total_percent) FILTER (WHERE s.visited_on >= $3 AND s.visited_on < $5) AS sd,
       count(*) FILTER (WHERE s.visited_on >= $3 AND s.visited_on < $5 AND s.passed) AS passes,
       count(*) FILTER (WHERE s.visited_on >= $4 AND s.visited_on < $3) AS prev_visits,
       avg(s.total_percent) FILTER (WHERE s.visited_on >= $4 AND s.visited_on < $3) AS prev_mean,
       stddev_samp(s.total_percent) FILTER (WHERE s.visited_on >= $4 AND s.visited_on < $3) AS prev_sd,
       count(*) FILTER (WHERE s.visited_on >= $4 AND s.visited_on < $3 AND s.passed) AS prev_passes
FROM submissions s
JOIN form_versions fv ON fv.id = s.form_version_id
JOIN forms f ON f.id = fv.form_id
WHERE s.org_id = $1 AND f.key = $2 AND s.status = 'released'
GROUP BY s.branch_id
"""
# The same for one region's branches (the planner may use the (org, branch, visited_on) index).
NAIVE_REGION: Final = NAIVE.replace(
    "WHERE s.org_id = $1",
    "WHERE s.branch_id IN (SELECT id FROM branches WHERE org_id = $1 AND region_id = $6) AND s.org_id = $1")

class StatusTally:
    """Every answer's status per kind of request; the first unexpected one refuses the run (what follows
    would read a problem document as if it were the page)."""

    def __init__(self) -> None:
        self.statuses: defaultdict[str, Counter[int]] = defaultdict(Counter)

    def record(self, what: str, response: httpx.Response, expected: int = 200) -> httpx.Response:
        self.statuses[what][response.status_code] += 1
        if response.status_code != expected:
            check_run(RunCounts(name=what, sent=sum(self.statuses[what].values()), statuses=self.statuses[what]),
                      {expected})
        return response


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the benchmark ran out of time (--timeout)")
        return remaining


async def timed(what: str, work: Awaitable[Any], deadline: Deadline) -> tuple[Any, float]:
    started = time.perf_counter()
    result = await asyncio.wait_for(work, timeout=deadline.left())
    seconds = time.perf_counter() - started
    print(f"  {what}: {seconds:.1f} s", flush=True)
    return result, seconds


async def load(dsn: str, branches: int, submissions: int, end_day: date, deadline: Deadline) -> dict[str, Any]:
    pool = await create_pool(dsn, min_size=1, max_size=1)  # with the app's jsonb codec
    conn = await pool.acquire()
    try:
        await conn.execute("SET synchronous_commit = off")
        forms = load_seed_dir(REPO / "seed_forms")
        await seed_catalogue(conn, forms)
        version_id = await conn.fetchval(
            "SELECT v.id FROM form_versions v JOIN forms f ON f.id = v.form_id "
            "WHERE f.key = $1 AND f.org_id IS NULL AND v.version = 1", FORM_KEY)
        org_id = await conn.fetchval(
            "INSERT INTO orgs (slug, name, settings) VALUES ('bench', 'Bench', $1) RETURNING id",
            {"allow_adhoc_submissions": True})  # the one measured release is an ad-hoc inspection
        hashed = hasher_for(1, 8192, 1).hash(PASSWORD)
        admin_id = await conn.fetchval(
            "INSERT INTO users (org_id, email, display_name, role, password_hash) "
            "VALUES ($1, 'admin@bench.test', 'Admin', 'admin', $2) RETURNING id", org_id, hashed)
        inspector_id = await conn.fetchval(
            "INSERT INTO users (org_id, email, display_name, role, password_hash) "
            "VALUES ($1, 'inspector@bench.test', 'Inspector', 'inspector', $2) RETURNING id", org_id, hashed)
        timings: dict[str, float] = {}
        await conn.execute(LOAD_BRANCHES, org_id, branches, REGIONS)
        await conn.execute(ENSURE_MONTHS, end_day)
        _, timings["submissions"] = await timed("submissions", conn.execute(
            LOAD_SUBMISSIONS, org_id, version_id, inspector_id, admin_id, submissions, end_day,
            timeout=deadline.left()), deadline)
        _, timings["revisions"] = await timed(
            "revisions", conn.execute(LOAD_REVISIONS, org_id, timeout=deadline.left()), deadline)
        _, timings["items"] = await timed("items", conn.execute(
            LOAD_ITEMS, org_id, [i[0] for i in ITEMS], [i[1] for i in ITEMS], [i[2] for i in ITEMS],
            timeout=deadline.left()), deadline)
        await conn.execute("ANALYZE", timeout=deadline.left())

        async def rebuild() -> None:
            async with conn.transaction():
                await backfill(conn, org_id, statement_seconds=deadline.left())

        _, timings["backfill"] = await timed("roll-up backfill", rebuild(), deadline)
        await conn.execute("VACUUM ANALYZE", timeout=deadline.left())
        counts = {
            "submissions": await conn.fetchval("SELECT count(*) FROM submissions WHERE status = 'released'"),
            "items": await conn.fetchval("SELECT count(*) FROM submission_items"),
            "branch_rollups": await conn.fetchval("SELECT count(*) FROM rollup_branch_periods"),
            "item_rollups": await conn.fetchval("SELECT count(*) FROM rollup_item_periods"),
        }
        region = await conn.fetchrow(
            "SELECT r.id, (SELECT b.id FROM branches b WHERE b.region_id = r.id ORDER BY b.code LIMIT 1) AS branch "
            "FROM regions r WHERE r.org_id = $1 ORDER BY r.code LIMIT 1", org_id)
        return {"org_id": org_id, "version_id": version_id, "form": next(f for f in forms if f.key == FORM_KEY),
                "branches": branches,
                "admin_id": admin_id, "inspector_id": inspector_id,
                "region_id": region["id"], "branch_id": region["branch"], "timings": timings, "counts": counts}
    finally:
        await pool.release(conn)
        await pool.close()


# ---- server --------------------------------------------------------------------------------------


def start_server(database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | HASH_ENV | {
        "DATABASE_URL": database_url,
        "JWT_SECRET": secrets.token_urlsafe(48),
        # Rankings never touch S3; the client is only configured.
        "S3_ENDPOINT_URL": "http://127.0.0.1:9", "S3_ACCESS_KEY_ID": "unused", "S3_SECRET_ACCESS_KEY": "unused",
        "LOGIN_RATE_PER_MINUTE": "1000", "DB_POOL_MIN": "2", "DB_POOL_MAX": "4",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "inspect_api.asgi:app_from_env", "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(command, env=env, cwd=REPO)


async def wait_ready(http: httpx.AsyncClient, deadline: Deadline) -> None:
    while True:
        deadline.left()
        try:
            if (await http.get("/healthz")).status_code == 200:  # /readyz would ask S3, unused here
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)


async def repeat(call: Callable[[], Awaitable[Any]], runs: int, deadline: Deadline, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        await call()
    times = []
    for _ in range(runs):
        deadline.left()
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return times


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"median_ms": statistics.median(ordered) * 1000,
            "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000,
            "min_ms": ordered[0] * 1000, "runs": len(ordered)}


async def measure(database_url: str, facts: dict[str, Any], month: date, runs: int, deadline: Deadline
                  ) -> dict[str, Any]:
    port = APP_PORT or free_port()
    server = start_server(database_url, port)
    tally = StatusTally()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            await wait_ready(http, deadline)
            login = tally.record("login", await http.post("/auth/login", json={"email": "admin@bench.test",
                                                                              "password": PASSWORD}))
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            org_params = {"form_key": FORM_KEY, "period": "month", "on": month.isoformat()}
            region_params = org_params | {"region_id": str(facts["region_id"])}

            async def rankings(params: dict[str, str], what: str = "rankings") -> dict[str, Any]:
                return tally.record(what, await http.get("/rankings", params=params, headers=headers)).json()

            first = await rankings(org_params | {"limit": "500"})
            assert first["total"] >= 2000 and first["distribution"]["visits"] > 0, first["distribution"]
            async def me() -> None:
                tally.record("me", await http.get("/me", headers=headers))

            floor = summary(await repeat(me, runs, deadline))
            endpoint = {
                ("org", "org scope (2,000 branches), first 100 rows"): summary(
                    await repeat(lambda: rankings(org_params), runs, deadline)),
                ("org", "org scope (2,000 branches), 500 rows"): summary(
                    await repeat(lambda: rankings(org_params | {"limit": "500"}), runs, deadline)),
                ("region", "one region (100 branches)"): summary(
                    await repeat(lambda: rankings(region_params), runs, deadline)),
                # Issue 18: adjusted (empirical-Bayes) figures beside the raw ones; a cached page too.
                ("org", "org scope, first 100 rows, adjust=shrinkage"): summary(
                    await repeat(lambda: rankings(org_params | {"adjust": "shrinkage"}), runs, deadline)),
            }
            # Cold: every request a page never asked for (another offset), so computed from the roll-ups
            # as right after a release; the rows above are what every later viewer of the page gets.
            # Each cold request asks for a page (offset) nobody asked for; never one twice.
            pages = facts["branches"] - 1
            offsets = iter(range(1, pages + 1))
            asked = 0

            async def cold_page() -> None:
                nonlocal asked
                asked += 1
                await rankings(org_params | {"offset": str(next(offsets, 1))}, "rankings cold")

            cold = summary(await repeat(cold_page, runs, deadline))
            check_run(RunCounts(name="rankings cold", sent=asked, bodies_available=pages,
                                statuses=tally.statuses["rankings cold"]), {200})
            # The same cold pages with adjust=shrinkage (another cache key): plus the scope's scored rows
            # and the shrinkage of all 2,000 branches.
            adjusted_offsets = iter(range(1, pages + 1))
            adjusted_asked = 0

            async def cold_adjusted_page() -> None:
                nonlocal adjusted_asked
                adjusted_asked += 1
                await rankings(org_params | {"adjust": "shrinkage", "offset": str(next(adjusted_offsets, 1))},
                               "rankings cold adjusted")

            cold_adjusted = summary(await repeat(cold_adjusted_page, runs, deadline))
            check_run(RunCounts(name="rankings cold adjusted", sent=adjusted_asked, bodies_available=pages,
                                statuses=tally.statuses["rankings cold adjusted"]), {200})

            conn = await asyncpg.connect(database_url)
            try:
                start, previous = period_start("month", month), previous_period_start("month", month)
                end = next_period_start("month", month)
                org, admin = facts["org_id"], facts["admin_id"]
                sql_args = (org, admin, "admin", FORM_KEY, "month", start, previous, 3, 100, 0)  # first 100 rows
                stream_branches = [r["id"] for r in await conn.fetch(
                    "SELECT id FROM branches WHERE org_id = $1 ORDER BY code DESC LIMIT 50", org)]
                naive_rows = await conn.fetch(NAIVE, org, FORM_KEY, start, previous, end)
                assert 0 < len(naive_rows) <= 2000, len(naive_rows)
                sql_runs = max(5, runs // 4)
                naive = {
                    "org": summary(await repeat(lambda: conn.fetch(NAIVE, org, FORM_KEY, start, previous, end),
                                                sql_runs, deadline, warmup=1)),
                    "all": summary(await repeat(lambda: conn.fetch(NAIVE_ALL, org, FORM_KEY, start, previous, end),
                                                sql_runs, deadline, warmup=1)),
                    "region": summary(await repeat(
                        lambda: conn.fetch(NAIVE_REGION, org, FORM_KEY, start, previous, end, facts["region_id"]),
                        sql_runs, deadline, warmup=1)),
                }
                rollup_sql = {
                    "org": summary(await repeat(lambda: conn.fetch(queries.SELECT_ORG_RANKING_PAGE, *sql_args),
                                                runs, deadline)),
                    "region": summary(await repeat(
                        lambda: conn.fetch(queries.SELECT_REGION_RANKING_PAGE, *sql_args, facts["region_id"]),
                        runs, deadline)),
                }
            finally:
                await conn.close()

            # One more inspection through the API (no photos, so no S3), approved; then time its release
            # and how long until GET /rankings shows it.
            before = next(r for r in (await rankings(region_params | {"limit": "500"}))["rows"]
                          if r["branch"]["id"] == str(facts["branch_id"]))["current"]["visits"]
            inspector = {"Authorization": "Bearer " + tally.record("login", await http.post(
                "/auth/login", json={"email": "inspector@bench.test", "password": PASSWORD})).json()["access_token"]}

            async def approved(branch_id: Any, day_offset: int) -> str:
                """A new inspection at the branch in the measured month, approved (released by the caller)."""
                finished = datetime.combine(month + timedelta(days=day_offset), datetime.min.time().replace(hour=4),
                                            UTC)
                body = submission_body(answers_for(facts["form"], failing={"p1_greeting"}),
                                       branch_id=str(branch_id), form_version_id=str(facts["version_id"]),
                                       started_at=(finished - timedelta(minutes=20)).isoformat(),
                                       finished_at=finished.isoformat())
                receipt = tally.record("submission", await http.post("/submissions", json=body, headers=inspector),
                                       expected=201)
                submission_id = receipt.json()["submission_id"]
                tally.record("approve", await http.post(f"/submissions/{submission_id}/approve", headers=headers))
                return str(submission_id)

            # Under a stream of releases (#20): release one visit (each at another branch), then view the org's
            # first page, N times; every view is the first after a release (the worker patches its held scope
            # from the change log). Each view must show its release (the month's visits grow by one), else
            # the run is refused: a stale page would be fast and wrong.
            async def release_then_view(params: dict[str, str], what: str, times: list[float]) -> None:
                seen = (await rankings(params))["distribution"]["visits"]
                for n in range(runs):
                    deadline.left()
                    submission_id = await approved(stream_branches[n % len(stream_branches)], 3 + n % 20)
                    tally.record("release", await http.post(f"/submissions/{submission_id}/release",
                                                            headers=headers))
                    started = time.perf_counter()
                    page = await rankings(params, what)
                    times.append(time.perf_counter() - started)
                    if page["distribution"]["visits"] != seen + 1:
                        raise RefusedRun((f"{what}: view {n + 1} did not show its release "
                                          f"({page['distribution']['visits']} visits, expected {seen + 1})",))
                    seen += 1

            stream_times: list[float] = []
            await release_then_view(org_params, "rankings after a release", stream_times)
            stream = summary(stream_times)
            stream_adjusted_times: list[float] = []
            await release_then_view(org_params | {"adjust": "shrinkage"}, "rankings after a release, adjusted",
                                    stream_adjusted_times)
            stream_adjusted = summary(stream_adjusted_times)
            # Warm again, right after the stream (same load, same process): the ratio's other side.
            warm_after = summary(await repeat(lambda: rankings(org_params), runs, deadline))
            warm_adjusted_after = summary(await repeat(lambda: rankings(org_params | {"adjust": "shrinkage"}), runs,
                                                       deadline))

            before = next(r for r in (await rankings(region_params | {"limit": "500"}))["rows"]
                          if r["branch"]["id"] == str(facts["branch_id"]))["current"]["visits"]
            submission_id = await approved(facts["branch_id"], 10)
            started = time.perf_counter()
            released = await http.post(f"/submissions/{submission_id}/release", headers=headers)
            release_ms = (time.perf_counter() - started) * 1000
            tally.record("release", released)
            polls = 0
            while True:
                polls += 1
                rows = (await rankings(region_params | {"limit": "500"}))["rows"]
                now = next(r for r in rows if r["branch"]["id"] == str(facts["branch_id"]))["current"]["visits"]
                if now == before + 1:
                    break
                deadline.left()
            visible_ms = (time.perf_counter() - started) * 1000
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return {"endpoint": endpoint, "cold": cold, "cold_adjusted": cold_adjusted, "stream": stream,
            "stream_adjusted": stream_adjusted, "warm_after": warm_after, "warm_adjusted_after": warm_adjusted_after,
            "floor": floor, "naive": naive, "rollup_sql": rollup_sql,
            "release_ms": release_ms, "visible_ms": visible_ms, "polls": polls,
            "statuses": {what: dict(counts) for what, counts in tally.statuses.items()}}


# ---- report --------------------------------------------------------------------------------------


def machine() -> str:
    try:
        mem_kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])  # type: ignore[index]
        ram = f"{mem_kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, TypeError):
        ram = "RAM unknown"
    return f"{platform.machine()}, nproc {os.cpu_count()}, {ram}, {platform.system()} {platform.release()}"


def ratio(baseline_ms: float, ms: float) -> str:
    value = baseline_ms / ms
    return f"{value:.1f}x" if value < 10 else f"{value:.0f}x"


def report(args: argparse.Namespace, facts: dict[str, Any], results: dict[str, Any], pg_version: str) -> str:
    naive, rollup_sql = results["naive"], results["rollup_sql"]
    lines = [
        HEADING,
        "",
        "Command: `" + " ".join([".venv/bin/python -m bench.rankings_bench", *sys.argv[1:]]) + "`",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: {machine()}. {pg_version}, embedded "
        "(fsync off, default shared_buffers); app under uvicorn (1 worker) on 127.0.0.1; httpx client on the "
        "same machine.",
        "",
        f"Data: {args.branches:,} branches in {REGIONS} regions, {facts['counts']['submissions']:,} released "
        f"submissions over two years, {facts['counts']['items']:,} item results; roll-ups "
        f"{facts['counts']['branch_rollups']:,} branch-period rows, {facts['counts']['item_rollups']:,} "
        "item-period rows. Load: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in facts["timings"].items()) + " (backfill = "
        "`inspect_api.rankings.rollups.backfill`).",
        "",
        "Month ranking with the previous month's deltas, timed from the client (HTTP included). Baselines, "
        "timed in SQL alone (no HTTP, auth or JSON: in their favour): **naive over all submissions** = the "
        "issue's baseline, one GROUP BY over every released submission of the form with each month picked "
        "out by FILTER; **naive, two months** = the same restricted to the two months by a date predicate "
        "(the best a roll-up-less service could do).",
        "",
        "| what | median ms | p95 ms | runs | naive over all submissions / this | naive two months / this |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    every, two = naive["all"]["median_ms"], naive["org"]["median_ms"]

    def row(name: str, s: dict[str, float], digits: int = 1, bold: bool = False) -> str:
        a, b = ratio(every, s["median_ms"]), ratio(two, s["median_ms"])
        if bold:
            a, b = f"**{a}**", f"**{b}**"
        return (f"| {name} | {s['median_ms']:.{digits}f} | {s['p95_ms']:.{digits}f} | {s['runs']} | {a} | {b} |")

    lines.append(row("naive GROUP BY over all released submissions, org scope (SQL only)", naive["all"]))
    lines.append(row("naive GROUP BY over the two months, org scope (SQL only)", naive["org"]))
    lines.append(f"| naive GROUP BY over the two months, one region (SQL only) | {naive['region']['median_ms']:.1f} | "
                 f"{naive['region']['p95_ms']:.1f} | {naive['region']['runs']} | | |")
    for (scope, name), s in results["endpoint"].items():
        if scope == "org":
            lines.append(row(f"**GET /rankings**, {name}", s, bold=True))
        else:
            lines.append(f"| **GET /rankings**, {name} | {s['median_ms']:.1f} | {s['p95_ms']:.1f} | {s['runs']} | | "
                         f"{ratio(naive['region']['median_ms'], s['median_ms'])} (vs the region's naive) |")
    lines.append(row("GET /rankings, org scope, 100 rows at an offset nobody asked for yet (cut from the held "
                     "scope: no roll-up read)", results["cold"]))
    lines.append(row("GET /rankings, org scope, 100 rows at a new offset, adjust=shrinkage (+ the shrinkage of "
                     "every branch)", results["cold_adjusted"]))
    lines.append(row("**GET /rankings**, org scope, first 100 rows, **first view after a release** (release, view; "
                     "N times: the held scope patched from the change log)", results["stream"], bold=True))
    lines.append(row("GET /rankings, org scope, first 100 rows, adjust=shrinkage, first view after a release",
                     results["stream_adjusted"]))
    lines.append(row("GET /rankings, org scope, first 100 rows, warm, measured again right after the stream",
                     results["warm_after"]))
    lines.append(row("GET /rankings, org scope, first 100 rows, adjust=shrinkage, warm, right after the stream",
                     results["warm_adjusted_after"]))
    for scope in ("org", "region"):
        s = rollup_sql[scope]
        lines.append(f"| the endpoint's ranking query alone, {scope} scope, first 100 rows (SQL only) | "
                     f"{s['median_ms']:.2f} | {s['p95_ms']:.2f} | {s['runs']} | | |")
    f = results["floor"]
    lines.append(row("GET /me (floor of any authenticated request: HTTP, JWT, cached Principal)", f))
    org_endpoint = [s for (scope, _), s in results["endpoint"].items() if scope == "org"]
    warm_first = results["endpoint"][("org", "org scope (2,000 branches), first 100 rows")]["median_ms"]
    best_all = max(every / s["median_ms"] for s in org_endpoint)
    best_two = max(two / s["median_ms"] for s in org_endpoint)
    lines += [
        "",
        f"Goal >= 100x against the naive GROUP BY over all submissions: {'met' if best_all >= 100 else 'not met'} "
        f"(best {best_all:.0f}x; against the two-month naive query {best_two:.0f}x). Any authenticated "
        f"request costs {f['median_ms']:.1f} ms here (GET /me), which bounds every ratio "
        f"({every / f['median_ms']:.0f}x and {two / f['median_ms']:.0f}x).",
        "",
        f"Under a stream of releases (#20 goal: cold within 2x of warm): first view after a release "
        f"{results['stream']['median_ms']:.1f} ms vs warm {warm_first:.1f} ms (before the stream) / "
        f"{results['warm_after']['median_ms']:.1f} ms (after it): "
        f"**{results['stream']['median_ms'] / warm_first:.2f}x**"
        f" / {results['stream']['median_ms'] / results['warm_after']['median_ms']:.2f}x; adjusted "
        f"{results['stream_adjusted']['median_ms']:.1f} ms vs warm adjusted "
        f"{results['warm_adjusted_after']['median_ms']:.1f} ms: "
        f"{results['stream_adjusted']['median_ms'] / results['warm_adjusted_after']['median_ms']:.2f}x. Each timed "
        "view followed its own release through the API (submit, approve, release: not timed) and had to show it "
        "(the month's visits one more), else the run is refused.",
        "",
        f"One release (POST /submissions/{{id}}/release: roll-ups + action recheck in its transaction): "
        f"{results['release_ms']:.1f} ms; visible in GET /rankings {results['visible_ms']:.1f} ms after the "
        f"release was sent ({results['polls']} ranking request(s): at once).",
        "",
        f"1-minute load average before / after measuring: {results['load'][0]:.2f} / {results['load'][1]:.2f} "
        "(this run's own server, client and Postgres included; anything above ~1.5 means other jobs shared "
        "the CPUs).",
        "",
        "The endpoint figures include HTTP, bearer auth, the org's roll-up generation and change log (one "
        "small query per request), ranks, percentiles, Student's t intervals and JSON, and the client's "
        "parse of the JSON body; the naive ones none of that. A worker holds every branch's figures per form "
        "and period (rankings/scope_state.py) and the computed pages with their JSON (rankings/cache.py); a "
        "release logs the branch it changed (rankings_changes), so the next view re-reads that branch and "
        "re-ranks in Python; branch, region or settings changes read the scope whole again. Ratios are from "
        "this one run.",
        "",
        "Statuses (every request of the run; any other status would have refused it): "
        + ", ".join(f"{what} {counts}" for what, counts in results["statuses"].items()) + ".",
        "",
    ]
    return "\n".join(lines)




# ---- main ----------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, server_dsn: str, deadline: Deadline) -> None:
    name = f"inspect_rankings_bench_{secrets.token_hex(4)}"
    database_url = await create_database(server_dsn, name)
    try:
        await migrate(database_url)
        end_day = datetime.now(UTC).date()
        month = period_start("month", end_day - timedelta(days=45))  # a whole month with a whole month before
        print(f"loading {args.branches} branches, {args.submissions:,} submissions ...", flush=True)
        facts = await load(database_url, args.branches, args.submissions, end_day, deadline)
        print("measuring ...", flush=True)
        load_before = os.getloadavg()[0]
        results = await measure(database_url, facts, month, args.runs, deadline)
        results["load"] = (load_before, os.getloadavg()[0])
        conn = await asyncpg.connect(database_url)
        try:
            pg_version = "PostgreSQL " + (await conn.fetchval("SHOW server_version")).split()[0]
        finally:
            await conn.close()
        text = report(args, facts, results, pg_version)
        print("\n" + text)
        if not args.no_write:
            replace_section(HEADING, text)
            print(f"wrote the section to {RESULTS.relative_to(REPO)}")
    finally:
        await drop_database(server_dsn, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--branches", type=int, default=2000)
    parser.add_argument("--submissions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40, help="timed requests per endpoint variant")
    parser.add_argument("--timeout", type=float, default=2400,
                        help="seconds for the whole run (loading 1M: ~8 min on a quiet host, ~15 on a loaded one)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    parser.add_argument("--pg-port", type=int, default=None, help="embedded PostgreSQL's port (default: a free one)")
    parser.add_argument("--app-port", type=int, default=None, help="the app's port (default: a free one)")
    args = parser.parse_args()
    global APP_PORT
    APP_PORT = args.app_port
    stop_cleanly_on_sigterm()
    deadline = Deadline(args.timeout)
    postgres = None
    base = None
    if os.environ.get("DATABASE_URL"):
        server_dsn = os.environ["DATABASE_URL"]
    else:
        base = Path(tempfile.mkdtemp(prefix="inspect-rankings-bench-"))
        postgres = EmbeddedPostgres(base / "postgres", port=args.pg_port)
        server_dsn = postgres.start()
    try:
        asyncio.run(run(args, server_dsn, deadline))
    except RefusedRun as refused:
        return report_refusal(refused)
    finally:
        if postgres is not None:
            postgres.stop()
        if base is not None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
