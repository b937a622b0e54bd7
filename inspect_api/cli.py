"""`inspect-api` command: dev (embedded engines), serve, worker, migrate, seed, cleanup-uploads, create-org,
retention."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspect_api.bundled import SEED_FORMS_DIR
from inspect_api.forms.loader import FormDocumentError
from inspect_api.settings import DEFAULT_BUCKET, Settings, SettingsError, settings_from_env
from inspect_api.storage.embedded import EmbeddedEngineError
from inspect_api.storage.migrations import MigrationError

if TYPE_CHECKING:
    from inspect_api.webhooks.worker import WorkerOptions


def _fail(message: str) -> int:
    print(f"inspect-api: {message}", file=sys.stderr)
    return 2


def _dev_jwt_secret(data_dir: Path) -> str:
    path = data_dir / "jwt-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _run_migrations(database_url: str) -> None:
    from inspect_api.storage.migrations import migrate

    run = asyncio.run(migrate(database_url))
    print(f"migrations applied: {', '.join(f.path.name for f in run.migrations) or 'none pending'}")
    print(f"sql files applied: {', '.join(f.name for f in run.sql_files) or 'none changed'}")


def _run_seed(settings: Settings, seed_dir: Path, *, demo: bool) -> None:
    from inspect_api.seeding import seed_all

    for line in asyncio.run(seed_all(settings, seed_dir, demo=demo)):
        print(line)


def uvicorn_proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn believes X-Forwarded-For only from settings.trusted_proxies. Its own default trusts
    loopback, so any client on the host (or a proxy that passes the header on) chose its address and
    walked past the per-address login limit by changing the header."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from inspect_api.app import create_app

    # server_header=False: no `Server: uvicorn` banner (issue #14)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", lifespan="on", server_header=False,
                **uvicorn_proxy_options(settings))


def cmd_dev(args: argparse.Namespace) -> int:
    """Embedded Postgres + SeaweedFS unless DATABASE_URL / S3_ENDPOINT_URL say otherwise."""
    from inspect_api.storage.embedded import EmbeddedStack

    data_dir = Path(args.data_dir).resolve()
    env = dict(os.environ)
    stack = EmbeddedStack(data_dir, bucket=env.get("S3_BUCKET", DEFAULT_BUCKET))
    started = time.monotonic()
    dsn, s3 = stack.start(with_postgres="DATABASE_URL" not in env, with_s3="S3_ENDPOINT_URL" not in env)
    try:
        if dsn:
            env["DATABASE_URL"] = dsn
            print(f"postgres (embedded): {dsn}  data: {stack.postgres.pgdata}")
        if s3:
            env |= {
                "S3_ENDPOINT_URL": s3.endpoint_url or "",
                "S3_ACCESS_KEY_ID": s3.access_key_id,
                "S3_SECRET_ACCESS_KEY": s3.secret_access_key,
                "S3_BUCKET": s3.bucket,
            }
            print(f"s3 (embedded SeaweedFS): {s3.endpoint_url} bucket={s3.bucket} key={s3.access_key_id}")
        env.setdefault("JWT_SECRET", _dev_jwt_secret(data_dir))
        env.setdefault("INSPECT_DATA_DIR", str(data_dir))
        settings = settings_from_env(env)
        _run_migrations(settings.database_url)
        _run_seed(settings, Path(args.seed_dir), demo=True)
        print(f"engines ready in {time.monotonic() - started:.1f}s")
        _start_dev_worker(settings, allow_loopback=True)
        from inspect_api.org.demo import demo_login_lines

        for line in demo_login_lines():
            print(line)
        print(f"Dashboard: http://{args.host}:{args.port}/  (sign in with a demo login above)")
        print(f"API:      http://{args.host}:{args.port}/")
        print(f"OpenAPI:  http://{args.host}:{args.port}/schema  (docs UI at /schema/swagger)")
        print(f"Ready:    http://{args.host}:{args.port}/readyz")
        _serve(settings, args.host, args.port)
    finally:
        print("stopping embedded engines ...", flush=True)
        stack.stop()
    return 0


def _start_dev_worker(settings: Settings, allow_loopback: bool) -> None:
    """The webhook worker beside the dev server, on its own thread and event loop (a daemon: it ends
    with the process)."""
    import threading

    from inspect_api.webhooks.secret_box import settings_key
    from inspect_api.webhooks.worker import WorkerOptions

    options = WorkerOptions(allow_loopback=allow_loopback, secret_key=settings_key(settings))
    threading.Thread(target=asyncio.run, args=(_worker_and_jobs(settings.database_url, options),),
                     name="webhook-worker",
                     daemon=True).start()
    print("webhook worker: started (and periodic jobs)")


async def _worker_and_jobs(database_url: str, options: WorkerOptions) -> None:
    """Webhook delivery and the periodic jobs (inspect_api/jobs) side by side on one event loop."""
    from inspect_api.app import register_periodic_jobs
    from inspect_api.jobs import run_jobs_from_dsn
    from inspect_api.webhooks.worker import run_from_dsn

    register_periodic_jobs()
    await asyncio.gather(run_from_dsn(database_url, options), run_jobs_from_dsn(database_url))


def cmd_worker(args: argparse.Namespace) -> int:
    """Deliver webhooks and run the periodic jobs until interrupted. Needs DATABASE_URL and the key of the
    stored endpoint secrets (WEBHOOK_SECRET_KEY, else derived from JWT_SECRET: webhooks/secret_box.py);
    WEBHOOK_ALLOW_LOOPBACK for tests. Run as many as you like: they share the work (webhooks/worker.py)."""
    from inspect_api.webhooks.secret_box import key_from_env
    from inspect_api.webhooks.worker import WorkerOptions

    env = os.environ
    if not env.get("DATABASE_URL"):
        raise SettingsError("DATABASE_URL: required but not set")
    allow = env.get("WEBHOOK_ALLOW_LOOPBACK", "false").strip() == "true"
    try:
        key = key_from_env(env)
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc
    options = WorkerOptions(allow_loopback=allow, batch=args.batch, lease_seconds=args.lease_seconds,
                            secret_key=key)
    print(f"webhook worker: delivering (batch {args.batch}, lease {args.lease_seconds}s) and running periodic jobs",
          flush=True)
    asyncio.run(_worker_and_jobs(env["DATABASE_URL"], options))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    if args.workers > 1:
        import uvicorn

        uvicorn.run(
            "inspect_api.asgi:app_from_env", factory=True, host=args.host, port=args.port, workers=args.workers,
            server_header=False, **uvicorn_proxy_options(settings),
        )
        return 0
    _serve(settings, args.host, args.port)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    env = os.environ
    if not env.get("DATABASE_URL"):
        raise SettingsError("DATABASE_URL: required but not set")
    _run_migrations(env["DATABASE_URL"])
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    _run_seed(settings_from_env(), Path(args.seed_dir), demo=args.demo)
    return 0


def cmd_cleanup_uploads(args: argparse.Namespace) -> int:
    """Needs only DATABASE_URL and the S3_* variables (a cron job has no use for JWT_SECRET)."""
    from datetime import timedelta

    from inspect_api.photos.service import cleanup_stale_uploads
    from inspect_api.settings import s3_from_env
    from inspect_api.storage.blobs import BlobStore
    from inspect_api.storage.db import create_pool

    if not os.environ.get("DATABASE_URL"):
        raise SettingsError("DATABASE_URL: required but not set")
    if args.older_than_hours < 0:
        return _fail("--older-than-hours must not be negative")
    blobs = BlobStore(s3_from_env(os.environ))

    async def run() -> int:
        pool = await create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=2)
        try:
            return await cleanup_stale_uploads(pool, blobs, older_than=timedelta(hours=args.older_than_hours))
        finally:
            await pool.close()

    print(f"stale uploads removed: {asyncio.run(run())}")
    return 0


def cmd_create_org(args: argparse.Namespace) -> int:
    """A new org and its admin (#17, org/onboarding.py); needs only DATABASE_URL (PASSWORD_* for the hash
    cost). Prints the admin's one-time password once; a taken slug or e-mail exits 2, nothing written."""
    from inspect_api.auth.passwords import hasher_for
    from inspect_api.org.onboarding import OnboardingError, create_org
    from inspect_api.storage.db import create_pool

    env = os.environ
    if not env.get("DATABASE_URL"):
        raise SettingsError("DATABASE_URL: required but not set")
    try:  # the same variables and defaults as settings.py (argon2id 3, 65536 KiB, 4)
        hasher = hasher_for(int(env.get("PASSWORD_TIME_COST", 3)), int(env.get("PASSWORD_MEMORY_KIB", 65536)),
                            int(env.get("PASSWORD_PARALLELISM", 4)))
    except ValueError as exc:
        raise SettingsError(f"PASSWORD_*: {exc}") from exc

    async def run() -> Any:
        pool = await create_pool(env["DATABASE_URL"], min_size=1, max_size=1)
        try:
            async with pool.acquire() as conn:
                return await create_org(conn, hasher, name=args.name, slug=args.slug, admin_email=args.admin_email,
                                        admin_name=args.admin_name)
        finally:
            await pool.close()

    try:
        made = asyncio.run(run())
    except OnboardingError as exc:
        return _fail(str(exc))
    print(f"org {made.slug!r} created: {made.name} ({made.org_id})")
    print(f"admin {made.admin_email} ({made.admin_id})")
    print(f"one-time password (shown once; change it after the first login): {made.password}")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    """Detach (or drop) the months of submissions older than the kept ones; needs only DATABASE_URL."""
    from datetime import UTC, datetime

    from inspect_api.storage.db import create_pool
    from inspect_api.submissions.partitions import detach_months_before, retention_cutoff

    if not os.environ.get("DATABASE_URL"):
        raise SettingsError("DATABASE_URL: required but not set")
    if args.keep_months < 1:
        return _fail("--keep-months must be at least 1 (the current month is always kept)")
    cutoff = retention_cutoff(datetime.now(UTC).date(), args.keep_months)

    async def run() -> list[str]:
        pool = await create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=1)
        try:
            async with pool.acquire() as conn, conn.transaction():
                months = await detach_months_before(conn, cutoff, drop=args.drop)
            return [f"{m.month:%Y-%m}: {m.outcome}" for m in months]
        finally:
            await pool.close()

    lines = asyncio.run(run())
    print(f"submissions visited before {cutoff.isoformat()} removed from the live tables")
    for line in lines:
        print(line)
    if lines and not args.drop:
        print("detached months stay as tables named <table>_mYYYY_MM: dump them, then drop them")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inspect-api", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="run with embedded Postgres + SeaweedFS S3, migrate, seed, serve")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--data-dir", default=".data", help="where the embedded engines keep their data")
    dev.add_argument("--seed-dir", default=str(SEED_FORMS_DIR))
    dev.set_defaults(handler=cmd_dev)

    serve = sub.add_parser("serve", help="serve against DATABASE_URL and S3_* settings")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply pending migrations to DATABASE_URL")
    migrate.set_defaults(handler=cmd_migrate)

    seed = sub.add_parser("seed", help="load seed_forms/ (idempotent); --demo adds the demo org")
    seed.add_argument("--seed-dir", default=str(SEED_FORMS_DIR), help="default: the seed_forms/ shipped with the code")
    seed.add_argument("--demo", action="store_true")
    seed.set_defaults(handler=cmd_seed)

    cleanup = sub.add_parser("cleanup-uploads", help="delete photo upload slots never attached (S3 + rows)")
    cleanup.add_argument("--older-than-hours", type=float, default=24.0)
    cleanup.set_defaults(handler=cmd_cleanup_uploads)

    create_org = sub.add_parser("create-org", help="create an org and its admin; prints a one-time password")
    create_org.add_argument("--name", required=True)
    create_org.add_argument("--admin-email", required=True)
    create_org.add_argument("--slug", help="default: from the name (required when the name has no latin letters)")
    create_org.add_argument("--admin-name", help="the admin's display name (default: the e-mail's name)")
    create_org.set_defaults(handler=cmd_create_org)

    retention = sub.add_parser("retention", help="detach (or --drop) the months of submissions before the kept ones")
    retention.add_argument("--keep-months", type=int, required=True,
                           help="months kept, the current one included (12: this month and the 11 before it)")
    retention.add_argument("--drop", action="store_true", help="drop the detached months instead of keeping them")
    retention.set_defaults(handler=cmd_retention)

    worker = sub.add_parser("worker", help="deliver webhooks, run periodic jobs (DATABASE_URL); any number at once")
    worker.add_argument("--batch", type=int, default=20, help="deliveries claimed (and sent concurrently) at a time")
    worker.add_argument("--lease-seconds", type=float, default=60.0,
                        help="after this, a delivery a worker claimed but never finished is sent again")
    worker.set_defaults(handler=cmd_worker)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except SettingsError as exc:
        return _fail(f"configuration error: {exc}")
    except (FormDocumentError, MigrationError, EmbeddedEngineError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
