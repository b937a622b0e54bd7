"""Photo decode memory (issue 14, item 1): worker RSS while N verifications of the largest accepted photo
run at once, and after.

    .venv/bin/python -m bench.photo_memory_bench                          # 20 x 50 MP PNG and JPEG, both modes
    .venv/bin/python -m bench.photo_memory_bench --photos png --modes process --concurrent 5

For each decode mode (PHOTO_DECODE_IN: `process`, `thread`) and each photo kind, on the embedded engines
(bench/harness.py) with one real uvicorn worker on 127.0.0.1:
1. uploads N copies of the photo to N upload slots (straight to S3, as a phone does);
2. fires N POST /uploads/{id}/verify at once over N connections, sampling the worker's VmRSS (and the
   decode processes', summed) every 20 ms; the worker's VmHWM at the end is its peak;
3. waits --settle seconds idle and reads VmRSS again ("after").
The photos: `png` is an 8160 x 6120 (49.9 MP, just under the 50 MP default budget) RGB PNG, which no
format-level trick decodes at reduced size; `jpeg` is the same size as a phone's 50 MP JPEG (~5 MB).
Refused (exit 1, nothing printed as a result) when any verification answers another status than 200.
Bounded: a request times out after --timeout seconds; the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import platform
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx

from bench.harness import LiveStack, ServerProcess, arrange_world, login, stop_cleanly_on_sigterm
from tests.unit.photos.samples import huge_png

WIDTH, HEIGHT = 8160, 6120  # a 50 MP phone sensor (49.9 MP)
SAMPLE_SECONDS: Final = 0.02


class RefusedRun(RuntimeError):
    """A verification answered something other than 200: the figures would not be about verifying."""


def largest_photo(kind: str) -> tuple[str, bytes]:
    if kind == "png":
        return "image/png", huge_png(WIDTH, HEIGHT, (90, 140, 200))
    from PIL import Image

    rng = __import__("random").Random(14)
    small = Image.frombytes("RGB", (64, 48), rng.randbytes(64 * 48 * 3))
    out = io.BytesIO()
    small.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC).save(out, "JPEG", quality=90)
    return "image/jpeg", out.getvalue()


def rss_mb(pid: int, field_name: str = "VmRSS") -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((ln for ln in status.splitlines() if ln.startswith(field_name + ":")), None)
    return int(line.split()[1]) / 1024 if line else 0.0


@dataclass
class Sampler:
    server: ServerProcess
    worker_peak: float = 0.0
    helpers_peak: float = 0.0  # forkserver + decode processes, summed at each sample
    _stop: threading.Event = field(default_factory=threading.Event)

    def helpers(self) -> list[int]:
        worker = self.server.process.pid  # type: ignore[union-attr]
        return [p for p in self.server.pids() if p != worker]

    def run(self) -> None:
        worker = self.server.process.pid  # type: ignore[union-attr]
        while not self._stop.is_set():
            self.worker_peak = max(self.worker_peak, rss_mb(worker))
            self.helpers_peak = max(self.helpers_peak, sum(rss_mb(p) for p in self.helpers()))
            time.sleep(SAMPLE_SECONDS)

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self.run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def upload_copies(http: httpx.AsyncClient, headers: dict[str, str], content_type: str, data: bytes,
                        count: int) -> list[str]:
    response = await http.post("/uploads", headers=headers,
                               json={"purpose": "submission", "files": [{"content_type": content_type}] * count})
    response.raise_for_status()
    async with httpx.AsyncClient(timeout=120) as s3:
        for slot in response.json()["slots"]:
            sent = await s3.post(slot["url"], data=slot["fields"], files={"file": ("photo", data, content_type)})
            sent.raise_for_status()
    return [slot["photo_id"] for slot in response.json()["slots"]]


async def one_run(server: ServerProcess, email: str, kind: str, concurrent: int, settle: float,
                  request_seconds: float) -> dict[str, Any]:
    content_type, data = largest_photo(kind)
    worker = server.process.pid  # type: ignore[union-attr]
    limits = httpx.Limits(max_connections=concurrent + 2)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=request_seconds, limits=limits) as http:
        headers = await login(http, email)
        ids = await upload_copies(http, headers, content_type, data, concurrent)
        before = rss_mb(worker)
        started = time.monotonic()
        with Sampler(server) as sampler:
            answers = await asyncio.gather(*(http.post(f"/uploads/{i}/verify", headers=headers) for i in ids))
        seconds = time.monotonic() - started
    statuses = sorted({a.status_code for a in answers})
    if statuses != [200]:
        bad = next(a for a in answers if a.status_code != 200)
        raise RefusedRun(f"{kind}: statuses {statuses}; e.g. {bad.status_code} {bad.text[:300]}")
    await asyncio.sleep(settle)
    return {
        "photo": kind, "bytes": len(data), "pixels": WIDTH * HEIGHT, "concurrent": concurrent,
        "seconds": round(seconds, 1), "worker_before_mb": round(before, 1),
        "worker_peak_mb": round(max(sampler.worker_peak, rss_mb(worker, "VmHWM")), 1),
        "worker_after_mb": round(rss_mb(worker), 1),
        "decoders_peak_mb": round(sampler.helpers_peak, 1),
        "decoders_after_mb": round(sum(rss_mb(p) for p in sampler.helpers()), 1),
    }


def main() -> int:
    stop_cleanly_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="process,thread", help="PHOTO_DECODE_IN values, comma-separated")
    parser.add_argument("--photos", default="png,jpeg", help="png and/or jpeg, comma-separated")
    parser.add_argument("--concurrent", type=int, default=20)
    parser.add_argument("--decode-workers", type=int, default=2)
    parser.add_argument("--settle", type=float, default=5.0, help="idle seconds before the 'after' reading")
    parser.add_argument("--timeout", type=float, default=300.0, help="per request, seconds")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    results = []
    with LiveStack() as stack:
        world = asyncio.run(arrange_world(stack.database_url))
        for mode in args.modes.split(","):
            for kind in args.photos.split(","):
                env = stack.server_env(PHOTO_DECODE_IN=mode, PHOTO_DECODE_WORKERS=str(args.decode_workers),
                                       UPLOAD_MAX_BYTES=str(15 * 1024 * 1024))
                server = ServerProcess(env, workers=1).start()  # a fresh worker per run: nothing carried over
                try:
                    result = asyncio.run(one_run(server, world.emails["inspector"], kind, args.concurrent,
                                                 args.settle, args.timeout))
                except RefusedRun as refused:
                    print(f"refused: {refused}", file=sys.stderr)
                    return 1
                finally:
                    server.stop()
                result = {"mode": mode, "decode_workers": args.decode_workers, **result}
                results.append(result)
                print(json.dumps(result), flush=True)
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
