"""CPU time per component during a load run, read from /proc: where a request's cost is paid.

Components: the server under test (its process tree), PostgreSQL (the bench's postmaster and its
children: backends, WAL writer, ...; also split into its client backends, the connections that run the
requests' statements, and its background processes: checkpointer, WAL writer, autovacuum, the
postmaster itself), the S3 gateway (the bench's weed process tree) and the load
generator (wrk, a child of the bench process: counted through RUSAGE_CHILDREN once it has exited).
Other processes on the machine (another engine stack, tests) are not counted. With an external
DATABASE_URL / S3 the Postgres / S3 figures stay 0.
On a 2-core machine they all share the CPUs, so a server that waits on Postgres shows
its cost here and not in a Python profile.
"""

from __future__ import annotations

import os
import re
import resource
from collections.abc import Collection
from pathlib import Path
from typing import Final

COMPONENTS: Final = ("server", "postgres", "postgres_clients", "postgres_background", "s3", "wrk")
_TICKS: Final = os.sysconf("SC_CLK_TCK")
# A client backend's title: "postgres: [<cluster_name>: ]<user> <database> <host>(<port>) <state>"
# (or "[local]" for a socket); background processes are "postgres: [<cluster_name>: ]checkpointer" etc.
_CLIENT_TITLE: Final = re.compile(r"^postgres: (\S+: )?\S+ \S+ (\[local\]|\S+\(\d+\))")


def is_client_title(title: str) -> bool:
    return _CLIENT_TITLE.match(title) is not None


def is_client_backend(pid: int) -> bool:
    """Whether a Postgres process serves a client connection (by its process title)."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return is_client_title(title)


def _cpu_seconds(pid: int) -> tuple[str, float] | None:
    """(name, user + system CPU seconds) of a live process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    return name, (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def tree(root: int | None) -> set[int]:
    """`root` and all its descendants."""
    if root is None:
        return set()
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found.update(int(c) for c in children)
        frontier += [int(c) for c in children]
    return found


def postmaster_pid(pgdata: Path | None) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split()[0]) if pgdata else None  # type: ignore[operator]
    except (OSError, ValueError, IndexError):
        return None


def snapshot(server_pids: Collection[int], *, postgres_root: int | None, s3_root: int | None) -> dict[str, float]:
    groups = {"server": set(server_pids), "postgres": tree(postgres_root), "s3": tree(s3_root)}
    totals = dict.fromkeys(COMPONENTS, 0.0)
    for component, pids in groups.items():
        for pid in pids:
            found = _cpu_seconds(pid)
            if found is not None:
                totals[component] += found[1]
                if component == "postgres":
                    totals["postgres_clients" if is_client_backend(pid) else "postgres_background"] += found[1]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # finished wrk runs (and other children)
    totals["wrk"] = children.ru_utime + children.ru_stime
    return totals


def per_request_ms(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """CPU milliseconds per answered request, by component."""
    return {k: round((after[k] - before[k]) * 1000 / max(1, requests), 3) for k in COMPONENTS}
