"""CPU time per component during a load run, read from /proc: where a request's cost is paid.

Components: the server under test (its process tree), PostgreSQL (every process named postgres: the
embedded server's backends; an idle system Postgres adds nothing), the S3 gateway (weed) and the load
generator (wrk, a child of the bench process: counted through RUSAGE_CHILDREN once it has exited).
On a 2-core machine they all share the CPUs, so a server that waits on Postgres shows
its cost here and not in a Python profile.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Collection
from pathlib import Path
from typing import Final

COMPONENTS: Final = ("server", "postgres", "s3", "wrk")
_BY_NAME: Final = {"postgres": "postgres", "weed": "s3"}
_TICKS: Final = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> tuple[str, float] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    return name, (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def snapshot(server_pids: Collection[int]) -> dict[str, float]:
    totals = dict.fromkeys(COMPONENTS, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        found = _cpu_seconds(pid)
        if found is None:
            continue
        name, seconds = found
        if pid in server_pids:
            totals["server"] += seconds
        elif name in _BY_NAME:
            totals[_BY_NAME[name]] += seconds
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # finished wrk runs (and other children)
    totals["wrk"] = children.ru_utime + children.ru_stime
    return totals


def per_request_ms(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """CPU milliseconds per answered request, by component."""
    return {k: round((after[k] - before[k]) * 1000 / max(1, requests), 3) for k in COMPONENTS}
