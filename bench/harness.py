"""Live-server harness shared by the benchmarks and the fault-injection suites.

    with LiveStack(tmp_dir) as stack:                 # embedded Postgres + SeaweedFS (or DATABASE_URL / S3_*)
        world = asyncio.run(arrange_world(stack.database_url))
        server = ServerProcess(stack.server_env(), workers=1).start()
        ...
        server.stop()

Everything listens on 127.0.0.1 only. The server is a real `uvicorn` (or granian) child process, so a
test can SIGKILL it, and engine restarts never disturb the in-process test session's engines.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any, Final
from uuid import UUID, uuid4

import httpx

from inspect_api.auth.passwords import hasher_for
from inspect_api.forms.loader import load_seed_dir
from inspect_api.forms.model import FormDocument
from inspect_api.forms.service import seed_catalogue
from inspect_api.settings import S3Settings, s3_from_env
from inspect_api.storage.blobs import ensure_bucket
from inspect_api.storage.db import create_pool
from inspect_api.storage.embedded import EmbeddedPostgres, EmbeddedSeaweed, free_port
from inspect_api.storage.migrations import migrate
from inspect_api.storage.scratch import create_database, drop_database

REPO: Final = Path(__file__).resolve().parents[1]
SEED_DIR: Final = REPO / "seed_forms"
PASSWORD: Final = "bench password, not a secret"
# Cheap argon2 so that logging in a few users costs nothing; the server gets the same parameters
# (no rehash on login). Production keeps the RFC 9106 defaults.
HASH_ENV: Final = {"PASSWORD_TIME_COST": "1", "PASSWORD_MEMORY_KIB": "8192", "PASSWORD_PARALLELISM": "1"}
BRANCH_LAT, BRANCH_LON = 31.2302, 121.4701
FORM_KEY: Final = "fuel-attendant"


# ---- engines -----------------------------------------------------------------------------------


def stop_cleanly_on_sigterm() -> None:
    """For a bench script's main(): SIGTERM (`kill`, a CI time-out) unwinds like Ctrl+C, so `with LiveStack()`
    and `ServerProcess.stop()` in `finally` still stop the engines and servers. Python's default for
    SIGTERM exits at once and leaves Postgres, SeaweedFS and uvicorn running."""

    def unwind(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, unwind)


class LiveStack:
    """Postgres + S3 for one live server: embedded in `base_dir` unless DATABASE_URL / S3_ENDPOINT_URL
    are set (then a scratch database / bucket is used; restarts are only possible when embedded)."""

    def __init__(self, base_dir: Path | None = None) -> None:
        self._own_dir = base_dir is None
        self.base_dir = Path(base_dir or tempfile.mkdtemp(prefix="inspect-live-"))
        self.postgres: EmbeddedPostgres | None = None
        self.seaweed: EmbeddedSeaweed | None = None
        self.server_dsn = ""
        self.database_url = ""
        self.db_name = f"inspect_live_{secrets.token_hex(4)}"
        self.s3: S3Settings | None = None
        self.jwt_secret = secrets.token_urlsafe(48)

    def start(self) -> LiveStack:
        if os.environ.get("DATABASE_URL"):
            self.server_dsn = os.environ["DATABASE_URL"]
        else:
            self.postgres = EmbeddedPostgres(self.base_dir / "postgres")
            self.server_dsn = self.postgres.start()
        if os.environ.get("S3_ENDPOINT_URL"):
            self.s3 = s3_from_env(os.environ | {"S3_BUCKET": f"inspect-live-{secrets.token_hex(4)}"})
            ensure_bucket(self.s3)
        else:
            self.seaweed = EmbeddedSeaweed(self.base_dir / "seaweed", bucket="inspect-live")
            self.s3 = self.seaweed.start()
        asyncio.run(self._create_database())
        return self

    async def _create_database(self) -> None:
        self.database_url = await create_database(self.server_dsn, self.db_name)
        await migrate(self.database_url)

    def stop(self) -> None:
        try:
            if self.seaweed:
                self.seaweed.stop(grace=3)
        finally:
            if self.postgres:
                self.postgres.stop()
            elif self.server_dsn:
                asyncio.run(drop_database(self.server_dsn, self.db_name))
            if self._own_dir:
                shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> LiveStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def server_env(self, **overrides: str) -> dict[str, str]:
        assert self.s3 is not None
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "S3_ENDPOINT_URL": self.s3.endpoint_url or "",
            "S3_BUCKET": self.s3.bucket,
            "S3_ACCESS_KEY_ID": self.s3.access_key_id,
            "S3_SECRET_ACCESS_KEY": self.s3.secret_access_key,
            "JWT_SECRET": self.jwt_secret,
            "LOGIN_RATE_PER_MINUTE": "100000",
            "INSPECT_DATA_DIR": str(self.base_dir / "api"),
            **HASH_ENV,
        }
        return env | overrides



# ---- data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveWorld:
    org_id: UUID
    branch_id: UUID
    form_version_id: UUID
    form: FormDocument
    emails: dict[str, str]  # role -> e-mail


async def arrange_world(database_url: str) -> LiveWorld:
    """Seed the form catalogue and one org (ad-hoc submissions on, so load needs no visit per request)
    with a region, a branch and one user of each role."""
    forms = {f.key: f for f in load_seed_dir(SEED_DIR)}
    password_hash = hasher_for(int(HASH_ENV["PASSWORD_TIME_COST"]), int(HASH_ENV["PASSWORD_MEMORY_KIB"]),
                               int(HASH_ENV["PASSWORD_PARALLELISM"])).hash(PASSWORD)
    pool = await create_pool(database_url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await seed_catalogue(conn, list(forms.values()))
            version_id = await conn.fetchval(
                "SELECT v.id FROM form_versions v JOIN forms f ON f.id = v.form_id "
                "WHERE f.key = $1 AND f.org_id IS NULL AND v.version = 1", FORM_KEY)
            org_id = await conn.fetchval(
                "INSERT INTO orgs (slug, name, settings) VALUES ('live', 'Live org', $1) RETURNING id",
                {"allow_adhoc_submissions": True})
            region_id = await conn.fetchval(
                "INSERT INTO regions (org_id, code, name_zh, name_en) VALUES ($1, 'R1', '一区', 'Region 1') "
                "RETURNING id", org_id)
            branch_id = await conn.fetchval(
                """INSERT INTO branches (org_id, region_id, code, name_zh, name_en, timezone, latitude, longitude)
                   VALUES ($1, $2, 'B1', '一店', 'Branch 1', 'Asia/Shanghai', $3, $4) RETURNING id""",
                org_id, region_id, BRANCH_LAT, BRANCH_LON)
            emails = {}
            for role in ("admin", "regional_lead", "branch_manager", "inspector"):
                email = f"{role.replace('_', '-')}@live.test"
                user_id = await conn.fetchval(
                    """INSERT INTO users (org_id, email, display_name, role, password_hash)
                       VALUES ($1, $2, $3, $4, $5) RETURNING id""",
                    org_id, email, f"Live {role}", role, password_hash)
                if role == "regional_lead":
                    await conn.execute("INSERT INTO user_regions (org_id, user_id, region_id) VALUES ($1, $2, $3)",
                                       org_id, user_id, region_id)
                if role == "branch_manager":
                    await conn.execute("INSERT INTO user_branches (org_id, user_id, branch_id) VALUES ($1, $2, $3)",
                                       org_id, user_id, branch_id)
                emails[role] = email
    finally:
        await pool.close()
    return LiveWorld(org_id, branch_id, version_id, forms[FORM_KEY], emails)


async def login(http: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await http.post("/auth/login", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def photo_jpeg(rng: random.Random, size: tuple[int, int] = (1024, 768)) -> bytes:
    """A unique phone-like JPEG (~100 KB, EXIF GPS at the branch): smooth random colours, so every photo
    has its own perceptual hash and none looks 'reused'."""
    from PIL import ExifTags, Image

    small = Image.frombytes("RGB", (16, 12), rng.randbytes(16 * 12 * 3))
    image = small.resize(size, Image.Resampling.BICUBIC)
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)

    def dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
        minutes, seconds = divmod(value * 3600, 60)
        degrees, minutes = divmod(minutes, 60)
        return Fraction(int(degrees)), Fraction(int(minutes)), Fraction(round(seconds * 100), 100)

    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", dms(BRANCH_LAT)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "E", dms(BRANCH_LON)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


async def upload_photos(http: httpx.AsyncClient, headers: dict[str, str], count: int,
                        rng: random.Random) -> list[str]:
    """What a phone does: ask for slots, POST each photo straight to S3. Returns photo ids."""
    response = await http.post("/uploads", json={"purpose": "submission",
                                                  "files": [{"content_type": "image/jpeg"}] * count},
                               headers=headers)
    response.raise_for_status()
    ids = []
    async with httpx.AsyncClient(timeout=30) as s3:
        for slot in response.json()["slots"]:
            sent = await s3.post(slot["url"], data=slot["fields"],
                                 files={"file": ("photo.jpg", photo_jpeg(rng), "image/jpeg")})
            sent.raise_for_status()
            ids.append(slot["photo_id"])
    return ids


def answers(form: FormDocument, photo_ids: Sequence[str]) -> list[dict[str, Any]]:
    """A full answer sheet with two failed items (so follow-up actions open) and the photos on p1."""
    from tests.integration.phone import answers_for

    return answers_for(form, failing={"p1_greeting", "p4_equal_treatment"},
                       photos={"p1_greeting": [UUID(p) for p in photo_ids]})


def submission(world: LiveWorld, sheet: list[dict[str, Any]], *, client_id: str | None = None) -> dict[str, Any]:
    finished = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    return {
        "client_id": client_id or str(uuid4()),
        "branch_id": str(world.branch_id),
        "form_version_id": str(world.form_version_id),
        "answers": sheet,
        "started_at": (finished - timedelta(minutes=20)).isoformat(),
        "finished_at": finished.isoformat(),
        "gps": {"latitude": BRANCH_LAT, "longitude": BRANCH_LON, "accuracy_m": 10.0},
        "comment": "bench",
    }


# ---- server process ----------------------------------------------------------------------------


@dataclass
class ServerProcess:
    """`uvicorn` (default) or `granian` serving inspect_api (or any ASGI factory) on 127.0.0.1."""

    env: dict[str, str]
    workers: int = 1
    server: str = "uvicorn"  # "uvicorn" | "granian"
    factory: str = "inspect_api.asgi:app_from_env"
    port: int = field(default_factory=free_port)
    extra_args: tuple[str, ...] = ()
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if self.server == "granian":
            return [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
                    "--port", str(self.port), "--workers", str(self.workers), "--no-ws", *self.extra_args,
                    self.factory]
        return [sys.executable, "-m", "uvicorn", "--factory", self.factory, "--host", "127.0.0.1",
                "--port", str(self.port), "--workers", str(self.workers), "--no-access-log",
                "--log-level", "warning", "--no-server-header", *self.extra_args]

    def start(self, ready_path: str = "/readyz", timeout: float = 60) -> ServerProcess:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(self.command(), env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.command()}")
            try:
                if httpx.get(self.base_url + ready_path, timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not ready within {timeout}s: {self.command()}")

    def pids(self) -> list[int]:
        """The server process and all its descendants (workers)."""
        assert self.process is not None
        found, frontier = [self.process.pid], [self.process.pid]
        while frontier:
            parent = frontier.pop()
            try:
                children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
            except OSError:
                continue
            found += [int(c) for c in children]
            frontier += [int(c) for c in children]
        return found

    def peak_rss_mb(self) -> dict[int, float]:
        """VmHWM (peak resident set) of every process of the server, in MB."""
        peaks = {}
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            line = next((ln for ln in status.splitlines() if ln.startswith("VmHWM:")), None)
            if line:
                peaks[pid] = int(line.split()[1]) / 1024
        return peaks

    def kill(self) -> None:
        """SIGKILL the whole server (master and workers): a crash, not a shutdown."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, grace: float = 10) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()
