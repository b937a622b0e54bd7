"""Run wrk (the load generator) with bench/wrk/requests.lua and read its JSON summary (judged by bench.validity)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench.validity import RunCounts, duplicates

LUA: Final = Path(__file__).resolve().parent / "wrk" / "requests.lua"
INSTALL_HINT: Final = "wrk is missing: install it with `apt-get update && apt-get install -y wrk` (Debian/Ubuntu)"


def require_wrk() -> str:
    found = shutil.which("wrk")
    if not found:
        sys.exit(f"bench: {INSTALL_HINT}")
    return found


@dataclass(frozen=True)
class WrkResult:
    name: str
    requests: int  # answers wrk read (summary.requests)
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    socket_errors: int
    sent: int  # requests the script handed to wrk (each with a body never sent before, for writes)
    bodies_available: int | None  # None: a fixed request (GET)
    bodies_loaded: int | None  # bodies the script's threads read from the file
    duplicate_bodies: int  # prepared bodies equal to an earlier one
    exhausted: int  # requests a thread wanted to send after its bodies ran out (it stopped instead)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def ok(self) -> int:
        return sum(n for code, n in self.statuses.items() if code.startswith(("2", "3")))

    @property
    def ok_rps(self) -> float:
        """Only answers that did the work count; a refused run (bench.validity) is never reported."""
        return self.ok / self.seconds

    def counts(self, rows_written: int | None = None) -> RunCounts:
        """The figures bench.validity judges; `rows_written`: what the database says the run wrote."""
        return RunCounts(name=self.name, sent=self.sent, statuses={int(k): n for k, n in self.statuses.items()},
                         socket_errors=self.socket_errors, bodies_available=self.bodies_available,
                         bodies_loaded=self.bodies_loaded, duplicate_bodies=self.duplicate_bodies,
                         exhausted=self.exhausted, rows_written=rows_written)


def run_wrk(
    name: str,
    url: str,
    *,
    duration_s: int,
    connections: int,
    threads: int = 2,
    method: str = "GET",
    auth: str | None = None,
    if_none_match: str | None = None,
    bodies: Sequence[bytes] | None = None,
    timeout_s: int = 10,
) -> WrkResult:
    """One bounded wrk run (fixed duration, fixed connections) against `url`; with `bodies`, each request
    sends one of them, none twice, and the run stops short (counted as `exhausted`) when they run out."""
    if bodies is not None and not bodies:
        raise ValueError(f"{name}: no bodies to send")
    env = {k: v for k, v in os.environ.items() if k not in ("AUTH", "BODIES", "IF_NONE_MATCH")}
    base, _, path = url.partition("://")[2].partition("/")
    env |= {"METHOD": method, "REQ_PATH": "/" + path, "THREADS": str(threads)}
    if auth:
        env["AUTH"] = auth
    if if_none_match:
        env["IF_NONE_MATCH"] = if_none_match
    with tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False) as file:
        for body in bodies or ():
            file.write(body.replace(b"\n", b" ") + b"\n")
    if bodies:
        env["BODIES"] = file.name
    try:
        completed = subprocess.run(
            [require_wrk(), f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", f"--timeout={timeout_s}s",
             "-s", str(LUA), url.split("/", 3)[0] + "//" + base + "/"],
            env=env, capture_output=True, text=True, timeout=duration_s + 60, check=False,
        )
    finally:
        Path(file.name).unlink(missing_ok=True)
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary:\n{completed.stdout}\n{completed.stderr}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    return WrkResult(
        name=name,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_ms"],
        p99_ms=raw["p99_ms"],
        statuses=raw["statuses"],
        socket_errors=raw["errors_connect"] + raw["errors_read"] + raw["errors_write"] + raw["errors_timeout"],
        sent=raw["sent"],
        bodies_available=len(bodies) if bodies else None,
        bodies_loaded=raw["bodies_loaded"] if bodies else None,
        duplicate_bodies=duplicates(bodies) if bodies else 0,
        exhausted=raw["exhausted"],
    )
