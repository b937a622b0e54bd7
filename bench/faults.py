"""Fault injection with "nothing lost" accounting (Jepsen set style) against a real server process.

    .venv/bin/python -m bench.faults                  # long form: 8 phones, 180 s of load, every fault
    .venv/bin/python -m bench.faults --load-seconds 30 --submissions 160   # about the CI short form

One uvicorn process on loopback, with its own embedded Postgres + SeaweedFS (so restarts disturb no
other test). Phones (asyncio tasks) send prepared submissions, each with a photo already in S3, and
retry a failed send with the same client_id like the app does; every client timeout is bounded. While
they run, the fault schedule restarts Postgres once, stops and restarts the S3 gateway once and
(scenario "crash") SIGKILLs the server and starts it again. After the load, every unacknowledged
submission is re-sent until acknowledged, then the database is read back:

    lost        acknowledged (201 receipt) but no revision row with that client_id     must be 0
    unexpected  a revision row whose client_id no phone ever sent                      must be 0
    duplicates  a client_id stored more than once, or a retry answered with another id must be 0
    unclear     a non-2xx answer that is not a problem+json 5xx/429, or a client timeout must be 0
    partial     a submission without its current revision, any of its item rows or a score card

Short form in CI: tests/reliability/test_faults.py. Long form: this script, or `pytest -m slow`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import asyncpg
import httpx
import msgspec

from bench.harness import (
    LiveStack,
    LiveWorld,
    ServerProcess,
    answers,
    arrange_world,
    login,
    photo_jpeg,
    stop_cleanly_on_sigterm,
    submission,
)

CLIENT_TIMEOUT_S: Final = 15.0  # a phone gives up on one attempt after this; a longer wait is a "hang"
MAX_ATTEMPTS_DURING_LOAD: Final = 6
RESEND_ROUNDS: Final = 40


@dataclass
class Attempt:
    client_id: str
    at: float  # seconds since load start
    seconds: float
    status: int | None  # None: no HTTP answer
    outcome: str  # acked | problem | unclear | rejected | no-answer | timeout
    detail: str = ""
    submission_id: str | None = None


@dataclass
class Outage:
    what: str
    started: float  # seconds since load start
    ended: float = 0.0

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Report:
    scenario: str
    sent: int = 0
    attempts: int = 0
    acked_during_load: int = 0
    acked_after_resend: int = 0
    never_acked: int = 0
    lost: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unclear: list[dict[str, Any]] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    outages: list[dict[str, float | str]] = field(default_factory=list)
    failed_windows: list[dict[str, float | str]] = field(default_factory=list)
    max_attempt_seconds: float = 0.0
    load_seconds: float = 0.0
    # Tracebacks the server logged for unexpected exceptions (500s) during the run: why an answer
    # was unclear, without having to reproduce it.
    server_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.unexpected or self.duplicates or self.unclear or self.partial
                    or self.never_acked)

    def summary(self) -> str:
        """JSON with every list cut to its first 10 entries (the counts are whole)."""
        short = {k: ([*v[:10], f"... {len(v)} in all"] if isinstance(v, list) and len(v) > 10 else v)
                 for k, v in asdict(self).items()}
        return json.dumps(short | {"ok": self.ok}, default=str)


def classify(response: httpx.Response) -> tuple[str, str]:
    problem = response.headers.get("content-type", "").startswith("application/problem+json")
    if response.status_code == 201:
        return "acked", ""
    if (response.status_code >= 500 or response.status_code == 429) and problem:
        return "problem", response.text[:200]
    if response.status_code >= 500:
        return "unclear", response.text[:200]
    return "rejected", response.text[:300]  # a 4xx: the phone would not retry; must not happen here


class Phones:
    """Concurrent phones sending prepared bodies; every attempt is recorded."""

    def __init__(self, base_url: str, headers: dict[str, str], t0: float) -> None:
        self.base_url = base_url
        self.headers = headers
        self.t0 = t0
        self.attempts: list[Attempt] = []
        self.acked: dict[str, str] = {}  # client_id -> submission_id of the first receipt
        self.mismatched: list[str] = []

    async def send(self, http: httpx.AsyncClient, body: bytes, client_id: str) -> Attempt:
        started = time.monotonic()
        try:
            response = await http.post("/submissions", content=body, headers=self.headers,
                                       timeout=CLIENT_TIMEOUT_S)
        except httpx.TimeoutException as exc:
            attempt = Attempt(client_id, started - self.t0, time.monotonic() - started, None, "timeout", repr(exc))
        except httpx.TransportError as exc:  # refused / reset: the server process is down
            attempt = Attempt(client_id, started - self.t0, time.monotonic() - started, None, "no-answer",
                              type(exc).__name__)
        else:
            outcome, detail = classify(response)
            receipt = response.json()["submission_id"] if outcome == "acked" else None
            attempt = Attempt(client_id, started - self.t0, time.monotonic() - started, response.status_code,
                              outcome, detail, receipt)
            if receipt is not None:
                first = self.acked.setdefault(client_id, receipt)
                if first != receipt:
                    self.mismatched.append(client_id)
        self.attempts.append(attempt)
        return attempt

    async def phone(self, queue: list[tuple[str, bytes]], deadline: float, max_attempts: int) -> None:
        """Send the queue spread evenly until `deadline` (so the faults land in the middle of the load)."""
        interval = (deadline - time.monotonic()) / max(1, len(queue))
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            for n, (client_id, body) in enumerate(queue):
                await asyncio.sleep(max(0.0, self.t0 + n * interval * random.uniform(0.9, 1.0) - time.monotonic()))
                if time.monotonic() > deadline:
                    return
                for n in range(max_attempts):
                    attempt = await self.send(http, body, client_id)
                    if attempt.outcome in ("acked", "rejected"):
                        break
                    await asyncio.sleep(min(0.25 * 2 ** n, 3.0) * random.uniform(0.5, 1.0))


async def prepare(base_url: str, world: LiveWorld, count: int, seed: int) -> list[tuple[str, bytes]]:
    """`count` distinct submissions, each with one photo already uploaded to S3."""
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        headers = await login(http, world.emails["inspector"])
        photo_ids: list[str] = []
        for start in range(0, count, 20):
            n = min(20, count - start)
            slots = (await http.post("/uploads", headers=headers, json={
                "purpose": "submission", "files": [{"content_type": "image/jpeg"}] * n})).json()["slots"]
            sends = [http.post(s["url"], data=s["fields"], files={"file": ("p.jpg", photo_jpeg(rng, (640, 480)),
                                                                           "image/jpeg")}) for s in slots]
            for sent in await asyncio.gather(*sends):
                sent.raise_for_status()
            photo_ids += [s["photo_id"] for s in slots]
    bodies = []
    for photo_id in photo_ids:
        body = submission(world, answers(world.form, [photo_id]))
        bodies.append((body["client_id"], msgspec.json.encode(body)))
    return bodies


async def account(database_url: str, phones: Phones, sent: set[str], earlier: set[str], report: Report) -> None:
    """Read the database back; `earlier` holds client_ids sent by earlier scenarios on the same database."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT client_id::text AS client_id, submission_id::text AS submission_id "
                                "FROM submission_revisions")
        partial = await conn.fetch(PARTIAL_SUBMISSIONS)
    finally:
        await conn.close()
    stored = Counter(r["client_id"] for r in rows)
    stored_submission = {r["client_id"]: r["submission_id"] for r in rows}
    report.lost = sorted(c for c in phones.acked if c not in stored)
    report.unexpected = sorted(c for c in stored if c not in sent and c not in earlier)
    report.duplicates = sorted({c for c, n in stored.items() if n > 1} | set(phones.mismatched)
                               | {c for c, s in phones.acked.items() if stored_submission.get(c, s) != s})
    report.partial = [str(r["id"]) for r in partial]


# A submission is whole when its current revision exists with a score card and, once released, that
# revision has one item row per item of its score card (the release writes them, #19 item 3).
PARTIAL_SUBMISSIONS: Final = """
SELECT s.id FROM submissions s
LEFT JOIN submission_revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
WHERE r.id IS NULL OR r.score_card IS NULL
   OR (s.status = 'released' AND jsonb_array_length(r.score_card->'items')
       <> (SELECT count(*) FROM submission_items i WHERE i.revision_id = r.id))
   OR jsonb_array_length(r.score_card->'items') = 0
"""


def _failed_windows(attempts: list[Attempt]) -> list[dict[str, float | str]]:
    """Contiguous spans (by start time) in which attempts failed, merged when < 1 s apart."""
    spans: list[dict[str, float | str]] = []
    for a in sorted((a for a in attempts if a.outcome != "acked"), key=lambda a: a.at):
        if spans and a.at - float(spans[-1]["to"]) < 1.0:
            spans[-1]["to"] = round(max(float(spans[-1]["to"]), a.at + a.seconds), 2)
            spans[-1]["failed"] = int(spans[-1]["failed"]) + 1
        else:
            spans.append({"from": round(a.at, 2), "to": round(a.at + a.seconds, 2), "failed": 1})
    return spans


FaultStep = Callable[[], None]


async def run_scenario(stack: LiveStack, world: LiveWorld, server: ServerProcess, *, scenario: str,
                       submissions: int, phones: int, load_seconds: float,
                       schedule: list[tuple[float, str, FaultStep]], earlier: set[str]) -> Report:
    """Run the load with the fault `schedule` ([(at_second, name, blocking_step)]), re-send, account."""
    report = Report(scenario=scenario)
    bodies = await prepare(server.base_url, world, submissions, seed=len(scenario))
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        headers = await login(http, world.emails["inspector"])
    t0 = time.monotonic()
    recorder = Phones(server.base_url, headers, t0)
    queues = [bodies[i::phones] for i in range(phones)]
    deadline = t0 + load_seconds
    outages: list[Outage] = []

    async def faults() -> None:
        for at, name, step in schedule:
            await asyncio.sleep(max(0.0, t0 + at - time.monotonic()))
            outage = Outage(name, time.monotonic() - t0)
            await asyncio.to_thread(step)
            outage.ended = time.monotonic() - t0
            outages.append(outage)

    await asyncio.gather(faults(), *(recorder.phone(q, deadline, MAX_ATTEMPTS_DURING_LOAD) for q in queues))
    report.load_seconds = round(time.monotonic() - t0, 1)
    sent = {client_id for client_id, _ in bodies if any(a.client_id == client_id for a in recorder.attempts)}
    report.acked_during_load = len(recorder.acked)

    # Recovery: every sent but unacknowledged submission goes again, same client_id, until acknowledged.
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        for _ in range(RESEND_ROUNDS):
            missing = [(c, b) for c, b in bodies if c in sent and c not in recorder.acked]
            if not missing:
                break
            for client_id, body in missing:
                await recorder.send(http, body, client_id)
            await asyncio.sleep(1)
    report.acked_after_resend = len(recorder.acked) - report.acked_during_load
    report.never_acked = len(sent) - len(recorder.acked)
    report.sent = len(sent)
    report.attempts = len(recorder.attempts)
    report.outcomes = dict(Counter(a.outcome for a in recorder.attempts))
    report.statuses = dict(Counter(str(a.status) for a in recorder.attempts))
    report.unclear = [asdict(a) for a in recorder.attempts if a.outcome in ("unclear", "timeout", "rejected")]
    report.max_attempt_seconds = round(max(a.seconds for a in recorder.attempts), 2)
    report.outages = [{"what": o.what, "from_s": round(o.started, 2), "to_s": round(o.ended, 2),
                       "seconds": round(o.seconds, 2)} for o in outages]
    report.failed_windows = _failed_windows(recorder.attempts)
    await account(stack.database_url, recorder, sent, earlier, report)
    earlier |= sent
    return report


# ---- the two scenarios ---------------------------------------------------------------------------


def engine_faults(stack: LiveStack, load_seconds: float,
                  s3_down_seconds: float = 4.0) -> list[tuple[float, str, FaultStep]]:
    """Postgres restart at 25% of the load, S3 gateway stopped at 55% and started `s3_down_seconds` later."""
    assert stack.postgres is not None and stack.seaweed is not None, "engine faults need embedded engines"
    postgres, seaweed = stack.postgres, stack.seaweed

    def restart_postgres() -> None:
        postgres.stop()  # pg_ctl stop -m fast: open connections are cut
        postgres.start()

    def s3_stop_start() -> None:
        seaweed.stop(grace=2)
        time.sleep(s3_down_seconds)
        seaweed.start()

    return [(load_seconds * 0.25, "postgres restart", restart_postgres),
            (load_seconds * 0.55, "S3 gateway stop/start", s3_stop_start)]


def crash_faults(server: ServerProcess, load_seconds: float) -> list[tuple[float, str, FaultStep]]:
    """SIGKILL the server at 40% of the load, start it again at once (its port stays the same)."""

    def kill_and_restart() -> None:
        server.kill()
        server.start()

    return [(load_seconds * 0.4, "server SIGKILL + restart", kill_and_restart)]


def logged_errors(log: Path, since: int) -> list[str]:
    """Litestar's 'Uncaught exception' entries (message and traceback) written after byte `since`."""
    try:
        text = log.read_bytes()[since:].decode(errors="replace")
    except OSError:
        return []
    entries, current = [], None
    for line in text.splitlines():
        if "Uncaught exception" in line:
            current = [line]
            entries.append(current)
        elif current is not None and (line.startswith((" ", "Traceback", "During", "The above")) or
                                      (line and not line.startswith(("INFO", "WARNING", "ERROR", "DEBUG")))):
            current.append(line)
        else:
            current = None
    return ["\n".join(entry[-12:]) for entry in entries]  # the innermost frames and the exception


def run(scenarios: list[str], submissions: int, phones: int, load_seconds: float,
        log_dir: Path | None = None) -> list[Report]:
    reports = []
    earlier: set[str] = set()
    with LiveStack() as stack:
        world = asyncio.run(arrange_world(stack.database_url))
        log = (log_dir or stack.base_dir) / "server.log"  # kept: a 500's traceback lands in the report
        server = ServerProcess(stack.server_env(), workers=1, log_path=log).start()
        try:
            for scenario in scenarios:
                schedule = (engine_faults(stack, load_seconds) if scenario == "engines"
                            else crash_faults(server, load_seconds))
                since = log.stat().st_size if log.exists() else 0
                report = asyncio.run(run_scenario(
                    stack, world, server, scenario=scenario, submissions=submissions, phones=phones,
                    load_seconds=load_seconds, schedule=schedule, earlier=earlier))
                report.server_errors = logged_errors(log, since)
                reports.append(report)
        finally:
            server.stop()
    return reports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default="engines,crash")
    parser.add_argument("--submissions", type=int, default=1500, help="prepared per scenario (bounds the load)")
    parser.add_argument("--phones", type=int, default=8)
    parser.add_argument("--load-seconds", type=float, default=180)
    parser.add_argument("--out", default=None, help="write the reports as JSON here")
    args = parser.parse_args()
    stop_cleanly_on_sigterm()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a stopped run still stops its engines
    reports = run(args.scenarios.split(","), args.submissions, args.phones, args.load_seconds)
    for report in reports:
        print(report.summary())
    if args.out:
        Path(args.out).write_text(json.dumps([asdict(r) | {"ok": r.ok} for r in reports], indent=1, default=str))
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    raise SystemExit(main())
