"""Summarise py-spy's collapsed stacks (`py-spy record --format raw`): where the CPU time goes."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path
from typing import Final

# Frames look like `handler (inspect_api/forms/routes.py:63)`; keep the function and a short file name.
FRAME = re.compile(r"^(?P<fn>[^ ]+) \((?P<file>[^:)]+)(?::\d+)?\)$")
BUCKETS = (  # first match wins, checked from the innermost frame outwards
    ("argon2 / password", ("argon2",)),
    ("image decode + analysis (Pillow)", ("PIL/", "pillow_heif", "photos/images.py")),
    ("boto3 / botocore (S3 calls, signing)", ("botocore/", "boto3/", "s3transfer/", "urllib3/")),
    ("asyncpg (protocol, codecs)", ("asyncpg/",)),
    ("JWT decode (pyjwt, cryptography)", ("jwt/", "cryptography/", "security/jwt")),
    ("msgspec encode/decode + convert", ("msgspec/",)),
    ("inspect_api own code", ("inspect_api/",)),
    ("litestar (routing, DI, middleware, responses)", ("litestar/",)),
    ("uvicorn / h11 / httptools (HTTP parsing)", ("uvicorn/", "h11/", "httptools/")),
    ("asyncio event loop", ("asyncio/", "uvloop/", "selectors.py", "concurrent/futures", "threading.py")),
)


# Innermost frames that mean "waiting", not working (py-spy cannot always tell a blocked C call from work).
IDLE: Final = ("_worker (", "Condition.wait (", "EpollSelector.select (", "Queue.get (", "select (")
# Frames worth listing by inclusive time: the code we could change or configure.
INTERESTING: Final = ("inspect_api/", "litestar/", "asyncpg/", "botocore/", "PIL/", "jwt/", "msgspec/")


def frames(stack: str) -> list[tuple[str, str]]:
    out = []
    for raw in stack.split(";"):
        match = FRAME.match(raw.strip())
        out.append((match["fn"], match["file"]) if match else (raw.strip(), ""))
    return out


def summarise(path: Path, top: int = 25) -> str:
    inclusive: Counter[str] = Counter()
    buckets: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        innermost = stack.rsplit(";", 1)[-1].strip()
        if innermost.startswith(IDLE):
            continue
        total += count
        seen = set()
        stack_frames = frames(stack)
        for fn, file in stack_frames:
            if not any(needle in file for needle in INTERESTING):
                continue
            short = "/".join(file.split("/")[-2:])
            key = f"{fn} ({short})"
            if key not in seen:
                inclusive[key] += count
                seen.add(key)
        bucket = "other"
        for _fn, file in reversed(stack_frames):
            name = next((b for b, needles in BUCKETS if any(n in file for n in needles)), None)
            if name:
                bucket = name
                break
        buckets[bucket] += count
    lines = [f"{total} samples (all threads, idle waits dropped)", "", "by innermost library (self time):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in buckets.most_common()]
    lines += ["", f"top {top} frames by inclusive time:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summarise(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 25))
