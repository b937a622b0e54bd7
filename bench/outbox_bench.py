"""What the outbox costs and how fast webhooks go out (#16), in one run on one live stack.

    .venv/bin/python -m bench.outbox_bench --per-round 25 --rounds 12 --deliveries 1000 --latency 40

A live uvicorn (1 worker) on embedded engines. Three parts:

1. Intake and release with events on vs off: a warm-up round, then on/off pairs in ABBA order so drift from other load
   on the machine falls on both. "Off" replaces the bench database's emit_event() with one that writes
   nothing (CREATE OR REPLACE FUNCTION; only this scratch database, the next call of every connection
   sees it) and "on" restores the real one from inspect_api/events/sql/emit_event.sql. Intake: the
   round's submissions sent `--concurrency` at a time (throughput = submissions / wall time). Release:
   the round's approved submissions released one after another (one series: each release takes the
   branch x form lock, so concurrency would only queue), throughput = releases / wall time. No webhook
   endpoint exists in this part: the figure is the outbox itself (the event rows, their subject lock).
2. Delivery throughput: `--deliveries` events (branch.updated of distinct subjects) fanned out to one
   endpoint on a loopback receiver; one `inspect-api worker` process delivers them; deliveries / time
   from the worker's start until the receiver holds all of them.
3. End to end: with that worker running, `--latency` releases one at a time; for each, the time from
   sending POST /release to the receiver getting its signed `submission.released`; p50 / p99. The
   worker polls when idle (WorkerOptions.idle_seconds, 0.5 s), which bounds this from below.

Refused runs (exit 1, no figures; bench/validity.py): any intake not 201 or release not 200, fewer
submission rows than 201s, an "on" round that wrote fewer events than its changes need or an "off"
round that wrote any, a delivery the receiver got twice under another webhook-id or never, a signature
the standardwebhooks verifier rejects, a latency sample whose webhook never came.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
from standardwebhooks.webhooks import Webhook

from bench.harness import (
    REPO,
    LiveStack,
    ServerProcess,
    answers,
    arrange_world,
    login,
    stop_cleanly_on_sigterm,
    submission,
    upload_photos,
)
from bench.validity import RefusedRun, RunCounts, check_run

API_PORT = 18201
RECEIVER_PORT = 18202
EMIT_SQL = (Path(__file__).resolve().parents[1] / "inspect_api" / "events" / "sql" / "emit_event.sql").read_text()
EMIT_OFF = """
CREATE OR REPLACE FUNCTION emit_event(
    p_org uuid, p_type text, p_subject uuid, p_branch uuid, p_region uuid, p_payload jsonb, p_branch_payload jsonb
) RETURNS bigint LANGUAGE sql AS $$ SELECT 0::bigint $$;
"""


@dataclass
class Receiver:
    """Loopback HTTP receiver: the arrival time of every message, by webhook-id."""

    arrivals: dict[str, float] = field(default_factory=dict)
    bodies: dict[str, tuple[dict[str, str], bytes]] = field(default_factory=dict)
    duplicates: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self, port: int) -> Receiver:
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                now = time.perf_counter()
                headers = {k.lower(): v for k, v in self.headers.items()}
                with state.lock:
                    message_id = headers.get("webhook-id", "")
                    if message_id in state.arrivals:
                        state.duplicates += 1  # allowed (at least once), counted
                    else:
                        state.arrivals[message_id] = now
                        state.bodies[message_id] = (headers, body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # the default backlog of 5 resets a worker's 20 concurrent connects

        self.server = Server(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


def _rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1)


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000, 1)


async def _set_outbox(db: asyncpg.Connection, on: bool) -> None:
    await db.execute(EMIT_SQL if on else EMIT_OFF)


async def _prepare_bodies(http: httpx.AsyncClient, inspector: dict[str, str], world: Any, count: int,
                          rng: random.Random) -> list[dict[str, Any]]:
    bodies = []
    for _ in range(count):
        photo_ids = await upload_photos(http, inspector, 1, rng)
        for photo_id in photo_ids:
            (await http.post(f"/uploads/{photo_id}/verify", headers=inspector)).raise_for_status()
        bodies.append(submission(world, answers(world.form, photo_ids)))
    return bodies


async def outbox_rounds(http: httpx.AsyncClient, db: asyncpg.Connection, world: Any, *, rounds: int, per_round: int,
                        concurrency: int) -> dict[str, Any]:
    rng = random.Random(16)
    inspector = await login(http, world.emails["inspector"])
    admin = await login(http, world.emails["admin"])
    figures: dict[str, dict[str, list[float]]] = {"on": {"intake": [], "release": []},
                                                  "off": {"intake": [], "release": []}}
    statuses: dict[str, dict[int, int]] = {"intake": {}, "release": {}}
    sent = {"intake": 0, "release": 0}
    rows_before = await db.fetchval("SELECT count(*) FROM submissions")
    problems: list[str] = []
    # round 0 warms up (not counted); then pairs in ABBA order (on off, off on, on off, ...) so a trend
    # in the machine's load falls on both sides
    modes = ["warm-up"] + [m for pair in range(rounds // 2)
                           for m in (("on", "off") if pair % 2 == 0 else ("off", "on"))]
    for n, mode in enumerate(modes):
        bodies = await _prepare_bodies(http, inspector, world, per_round, rng)
        await _set_outbox(db, mode != "off")
        events_before = await db.fetchval("SELECT count(*) FROM events")
        queue = list(bodies)
        ids: list[str] = []

        async def send(queue: list[dict[str, Any]], ids: list[str]) -> None:
            while queue:
                body = queue.pop()
                response = await http.post("/submissions", json=body, headers=inspector)
                statuses["intake"][response.status_code] = statuses["intake"].get(response.status_code, 0) + 1
                if response.status_code == 201:
                    ids.append(response.json()["submission_id"])

        started = time.perf_counter()
        await asyncio.gather(*(send(queue, ids) for _ in range(concurrency)))
        intake_rate = _rate(per_round, time.perf_counter() - started)
        sent["intake"] += per_round
        for submission_id in ids:
            (await http.post(f"/submissions/{submission_id}/approve", headers=admin)).raise_for_status()
        started = time.perf_counter()
        for submission_id in ids:
            response = await http.post(f"/submissions/{submission_id}/release", headers=admin)
            statuses["release"][response.status_code] = statuses["release"].get(response.status_code, 0) + 1
        release_rate = _rate(len(ids), time.perf_counter() - started)
        sent["release"] += len(ids)
        if mode != "warm-up":
            figures[mode]["intake"].append(intake_rate)
            figures[mode]["release"].append(release_rate)
        written = await db.fetchval("SELECT count(*) FROM events") - events_before
        # on: received + approved + released per submission, and its opened actions (2 failed items)
        needed = 3 * len(ids)
        if mode != "off" and written < needed:
            problems.append(f"round {n} (on): {written} events written, at least {needed} expected")
        if mode == "off" and written:
            problems.append(f"round {n} (off): {written} events written with the outbox off")
        print(f"round {n} outbox {mode}: intake {intake_rate}/s, release {release_rate}/s, events written {written}",
              flush=True)
    await _set_outbox(db, True)
    rows = await db.fetchval("SELECT count(*) FROM submissions") - rows_before
    try:
        check_run(RunCounts(name="intake", sent=sent["intake"], statuses=statuses["intake"], rows_written=rows),
                  [201])
        check_run(RunCounts(name="release", sent=sent["release"], statuses=statuses["release"]), [200])
    except RefusedRun as refused:
        problems += list(refused.problems)
    if problems:
        raise RefusedRun(tuple(problems))

    def summary(kind: str) -> dict[str, Any]:
        on, off = figures["on"][kind], figures["off"][kind]
        pairs = [round(a / b, 3) for a, b in zip(on, off, strict=True)]  # each pair ran back to back
        return {"on_per_s": round(statistics.median(on), 1), "off_per_s": round(statistics.median(off), 1),
                "on_over_off_median_of_pairs": round(statistics.median(pairs), 3),
                "on_over_off_of_sums": round(sum(on) / sum(off), 3), "pairs": pairs,
                "rounds_on": on, "rounds_off": off}

    return {"per_round": per_round, "rounds": rounds, "concurrency": concurrency,
            "intake": summary("intake"), "release": summary("release")}


async def emit_cost(db: asyncpg.Connection, org_id: Any, *, calls: int, repeats: int = 3) -> dict[str, Any]:
    """The outbox's own cost, with little of the machine's noise: emit_event() called `calls` times in one
    transaction (rolled back) with the payloads the rounds wrote, on vs off, alternating; the difference
    per call is what one event adds to its transaction in Postgres (the subject lock, the row, the
    webhook fan-out query). Client round trips are in both and cancel."""
    samples = [(r["type"], r["branch_id"], r["payload"], r["branch_payload"])
               for r in await db.fetch("SELECT type, branch_id, payload::text, branch_payload::text FROM events "
                                       "WHERE type LIKE 'submission.%' OR type LIKE 'action.%' ORDER BY id LIMIT 400")]
    per_call: dict[str, list[float]] = {"on": [], "off": []}
    for _ in range(repeats):
        for mode in ("on", "off"):
            await _set_outbox(db, mode == "on")
            transaction = db.transaction()
            await transaction.start()
            started = time.perf_counter()
            for i in range(calls):
                type_, branch_id, payload, branch_payload = samples[i % len(samples)]
                await db.execute("SELECT emit_event($1, $2, $3, $4, NULL, $5::jsonb, $6::jsonb)",
                                 org_id, type_, uuid4(), branch_id, payload, branch_payload)
            per_call[mode].append((time.perf_counter() - started) / calls)
            await transaction.rollback()
    await _set_outbox(db, True)
    on, off = statistics.median(per_call["on"]), statistics.median(per_call["off"])
    return {"calls": calls, "per_event_us": round((on - off) * 1e6, 1), "on_us": round(on * 1e6, 1),
            "off_us": round(off * 1e6, 1)}


def _worker(stack: LiveStack) -> subprocess.Popen[bytes]:
    env = stack.server_env(WEBHOOK_ALLOW_LOOPBACK="true")
    return subprocess.Popen([sys.executable, "-m", "inspect_api.cli", "worker"], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


async def _endpoint(http: httpx.AsyncClient, admin: dict[str, str], types: list[str]) -> tuple[str, str]:
    response = await http.post("/webhooks/endpoints", headers=admin, json={
        "url": f"http://127.0.0.1:{RECEIVER_PORT}/hook", "event_types": types})
    response.raise_for_status()
    return response.json()["endpoint"]["id"], response.json()["secret"]


async def delivery_and_latency(http: httpx.AsyncClient, db: asyncpg.Connection, stack: LiveStack, world: Any, *,
                               deliveries: int, latency: int) -> dict[str, Any]:
    admin = await login(http, world.emails["admin"])
    inspector = await login(http, world.emails["inspector"])
    rng = random.Random(17)
    receiver = Receiver().start(RECEIVER_PORT)
    worker: subprocess.Popen[bytes] | None = None
    try:
        bulk_id, bulk_secret = await _endpoint(http, admin, ["branch.updated"])
        # the events as a change would write them, one subject each (delivery order is per subject)
        async with db.transaction():
            for _ in range(deliveries):
                await db.execute("SELECT emit_event($1, 'branch.updated', $2, $3, NULL, $4::jsonb, NULL)",
                                 world.org_id, uuid4(), world.branch_id, json.dumps({"bench": True}))
        pending = await db.fetchval("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1::uuid", bulk_id)
        started = time.perf_counter()
        worker = _worker(stack)
        deadline = time.monotonic() + 300
        while len(receiver.arrivals) < deliveries and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        delivered = len(receiver.arrivals)
        first, last = min(receiver.arrivals.values(), default=started), max(receiver.arrivals.values(), default=started)
        # steady state: from the first message received to the last (the worker process's start-up,
        # ~imports and a pool, is reported beside it)
        bulk = {"deliveries": deliveries, "pending_rows": pending, "received": delivered,
                "per_s": _rate(delivered - 1, max(last - first, 1e-9)), "seconds": round(last - first, 2),
                "worker_start_to_first_s": round(first - started, 2), "duplicates": receiver.duplicates}
        print(f"delivery: {bulk}", flush=True)
        verifier = Webhook(bulk_secret)
        bad = 0
        for headers, body in receiver.bodies.values():
            try:
                verifier.verify(body, headers)
            except Exception:  # counted: refuses the run
                bad += 1
        problems = []
        if pending != deliveries or delivered != deliveries:
            problems.append(f"delivery: {deliveries} events, {pending} deliveries queued, {delivered} received")
        if bad:
            problems.append(f"delivery: {bad} signatures the standardwebhooks verifier rejected")
        await http.patch(f"/webhooks/endpoints/{bulk_id}", headers=admin, json={"enabled": False})

        # end to end: release -> signed webhook received
        await _endpoint(http, admin, ["submission.released"])
        bodies = await _prepare_bodies(http, inspector, world, latency, rng)
        ids = []
        for body in bodies:
            response = await http.post("/submissions", json=body, headers=inspector)
            response.raise_for_status()
            ids.append(response.json()["submission_id"])
            (await http.post(f"/submissions/{ids[-1]}/approve", headers=admin)).raise_for_status()
        samples = []
        for submission_id in ids:
            before = set(receiver.arrivals)
            sent_at = time.perf_counter()
            response = await http.post(f"/submissions/{submission_id}/release", headers=admin)
            if response.status_code != 200:
                problems.append(f"latency: release answered {response.status_code}")
                break
            arrived = None
            wait_until = time.monotonic() + 30
            while arrived is None and time.monotonic() < wait_until:
                with receiver.lock:
                    for message_id in set(receiver.arrivals) - before:
                        headers, body = receiver.bodies[message_id]
                        data = json.loads(body)
                        if data["type"] == "submission.released" and data["data"]["subject_id"] == submission_id:
                            arrived = receiver.arrivals[message_id]
                if arrived is None:
                    await asyncio.sleep(0.002)
            if arrived is None:
                problems.append(f"latency: the webhook of release {submission_id} never came")
                break
            samples.append(arrived - sent_at)
            await asyncio.sleep(rng.uniform(0.0, 0.3))  # releases at random moments of the worker's poll
        if problems:
            raise RefusedRun(tuple(problems))
        e2e = {"releases": len(samples), "p50_ms": _pct(samples, 0.5), "p99_ms": _pct(samples, 0.99),
               "max_ms": round(max(samples) * 1000, 1)}
        return {"delivery": bulk, "release_to_webhook": e2e}
    finally:
        if worker:
            worker.terminate()
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()
        receiver.stop()


async def run(base_url: str, stack: LiveStack, args: argparse.Namespace) -> dict[str, Any]:
    world = await arrange_world(stack.database_url)
    db = await asyncpg.connect(stack.database_url)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            outbox = await outbox_rounds(http, db, world, rounds=args.rounds, per_round=args.per_round,
                                         concurrency=args.concurrency)
            print(f"outbox: {outbox}", flush=True)
            cost = await emit_cost(db, world.org_id, calls=args.emit_calls)
            # what that adds per request at the measured rates (an upper bound: as if nothing overlapped):
            # an intake writes 1 event, a release 2 here (released + the one follow-up action it opens)
            seconds = cost["per_event_us"] / 1e6
            cost["intake_share"] = round(seconds * 1 * outbox["intake"]["off_per_s"] / args.concurrency, 4)
            cost["release_share"] = round(seconds * 2 * outbox["release"]["off_per_s"], 4)
            outbox["emit_cost"] = cost
            print(f"emit cost: {cost}", flush=True)
            webhooks = await delivery_and_latency(http, db, stack, world, deliveries=args.deliveries,
                                                  latency=args.latency)
    finally:
        await db.close()
    return {"outbox": outbox, **webhooks, "load": os.getloadavg()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-round", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=12, help="counted rounds, on/off pairs in ABBA order (even)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--emit-calls", type=int, default=2000)
    parser.add_argument("--latency", type=int, default=40)
    args = parser.parse_args()
    stop_cleanly_on_sigterm()  # a SIGTERM unwinds: the server, the worker and the engines stop
    print(f"load before: {os.getloadavg()}", flush=True)
    with LiveStack() as stack:
        server = ServerProcess(stack.server_env(WEBHOOK_ALLOW_LOOPBACK="true"), port=API_PORT).start()
        try:
            result = asyncio.run(run(server.base_url, stack, args))
        except RefusedRun as refused:
            print(refused, file=sys.stderr)
            return 1
        finally:
            server.stop()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
