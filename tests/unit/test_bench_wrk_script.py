"""bench/wrk/requests.lua against a tiny local server that records every body: no body is sent twice,
a run that runs out of bodies stops and says so, and the status histogram is what the server answered."""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.validity import RefusedRun, check_run
from bench.wrk_runner import run_wrk

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (README: Benchmarks)")


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.bodies: Counter[bytes] = Counter()
        self.lock = threading.Lock()
        self.status_for: dict[bytes, int] = {}

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # wrk drops its connections when the time is up: a reset here is expected


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real servers
    server: Recorder

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            self.server.bodies[body] += 1
        self._answer(self.server.status_for.get(body, 201))

    def do_GET(self) -> None:
        self._answer(200)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def url(server: Recorder, path: str = "/write") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_too_few_bodies_are_each_sent_once_and_the_run_is_refused(recorder: Recorder) -> None:
    # 40 bodies for a 2 s run: a loopback server answers far more than 40 requests in 2 s.
    bodies = [b'{"n": %d}' % n for n in range(40)]
    result = run_wrk("ref_write", url(recorder), duration_s=2, connections=4, method="POST", bodies=bodies)
    assert max(recorder.bodies.values()) == 1, "a body was sent twice"
    assert set(recorder.bodies) <= set(bodies)
    # `sent` also counts the body wrk's start-up check takes from thread 0 (it is never sent).
    assert sum(recorder.bodies.values()) <= result.sent == 40
    assert result.bodies_available == result.bodies_loaded == 40
    assert result.exhausted > 0
    assert set(result.statuses) == {"201"}
    with pytest.raises(RefusedRun, match="ref_write: ran out of bodies: all 40 were sent"):
        check_run(result.counts(rows_written=sum(recorder.bodies.values())), {201})


def test_unexpected_statuses_are_counted_per_status(recorder: Recorder) -> None:
    bodies = [b'{"n": %d}' % n for n in range(30_000)]
    recorder.status_for = {bodies[n]: 500 for n in range(0, 30_000, 2)}
    result = run_wrk("intake", url(recorder), duration_s=1, connections=2, method="POST", bodies=bodies)
    assert result.exhausted == 0
    answered: Counter[str] = Counter()
    for body, n in recorder.bodies.items():
        answered[str(recorder.status_for.get(body, 201))] += n
    # wrk may leave the last requests of each connection unread when the time is up.
    assert all(result.statuses.get(code, 0) <= n for code, n in answered.items())
    assert result.statuses.get("500", 0) > 0
    with pytest.raises(RefusedRun, match=r"intake: [\d,]+ responses with status 500"):
        check_run(result.counts(), {201})


def test_a_fixed_get_counts_what_it_sent(recorder: Recorder) -> None:
    result = run_wrk("ref_get", url(recorder, "/get"), duration_s=1, connections=2)
    assert result.bodies_available is None and result.exhausted == 0
    assert set(result.statuses) == {"200"}
    assert result.sent >= result.statuses["200"] > 0
    check_run(result.counts(), {200})
