"""Killing a bench script (SIGTERM) still runs its clean-up, so no Postgres, SeaweedFS or uvicorn is left
behind (bench/harness.py: stop_cleanly_on_sigterm)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys, time
from pathlib import Path
from bench.harness import stop_cleanly_on_sigterm

stop_cleanly_on_sigterm()
try:
    print("running", flush=True)
    time.sleep(60)
finally:
    Path(sys.argv[1]).write_text("stopped the engines")
"""


def test_sigterm_unwinds_through_finally(tmp_path: Path) -> None:
    marker = tmp_path / "cleaned"
    script = subprocess.Popen([sys.executable, "-c", SCRIPT, str(marker)], cwd=REPO, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert script.stdout is not None and script.stdout.readline().strip() == "running"
        script.send_signal(signal.SIGTERM)
        assert script.wait(timeout=30) == 128 + signal.SIGTERM
    finally:
        script.kill()
    assert marker.read_text() == "stopped the engines"
