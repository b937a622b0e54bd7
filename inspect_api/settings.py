"""One frozen settings object, read from the environment once at start-up."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final
from urllib.parse import urlparse

import msgspec

DEFAULT_BUCKET: Final = "inspect-photos"
MIN_JWT_SECRET_BYTES: Final = 32


class SettingsError(ValueError):
    """A missing or malformed setting; the message names the variable."""


class S3Settings(msgspec.Struct, frozen=True, kw_only=True):
    endpoint_url: str | None  # None means AWS's own endpoint for the region
    region: str
    bucket: str
    access_key_id: str
    secret_access_key: str
    # Where phones reach S3 when it differs from the server's view (e.g. behind a proxy).
    public_endpoint_url: str | None = None


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str
    s3: S3Settings
    jwt_secret: str
    jwt_issuer: str = "inspect-api"
    jwt_audience: str = "inspect-api-clients"
    jwt_ttl_seconds: int = 3600
    # Device sessions (auth/sessions.py): a refresh token lives this long after its last use (sliding).
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    upload_max_bytes: int = 15 * 1024 * 1024
    upload_url_ttl_seconds: int = 600
    download_url_ttl_seconds: int = 300
    max_request_body_bytes: int = 2 * 1024 * 1024
    # Per client address; high, since an office behind one NAT shares an address. The per-account
    # throttle below is the main defence against guessing.
    login_rate_per_minute: int = 60
    # Per account (e-mail, known or not): at most this many login attempts without a success within
    # the window; more answer 429 until the window ends. Kept in Postgres, so shared by every worker.
    login_account_attempts: int = 10
    login_account_window_seconds: int = 900
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto uvicorn may
    # believe. Empty: proxy headers are ignored and the client is the connecting address.
    trusted_proxies: tuple[str, ...] = ()
    # argon2id cost for new password hashes (RFC 9106 low-memory profile); lower only in tests.
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    password_parallelism: int = 4
    db_pool_min: int = 2
    db_pool_max: int = 10
    # A streaming replica for the heavy reads (storage/read_pool.py); None: everything on the primary.
    database_read_url: str | None = None
    # Rows an xlsx export may hold (inspect_api/exports.py); more is a 422 asking for narrower filters
    # or the CSV. Excel's sheet limit less the header, and the most allowed: a longer sheet will not open.
    export_xlsx_max_rows: int = 1_048_575
    # How long a worker may reuse an authenticated caller. Changes to users reach every worker at
    # commit through LISTEN/NOTIFY; this bounds the damage should a notification go missing unseen.
    # 0 loads the caller from Postgres on every request.
    principal_cache_seconds: int = 30
    # Photos whose header announces more pixels are refused (422) before any decode; 50 MP covers
    # phone cameras' largest mode. Decodes run PHOTO_DECODE_WORKERS at a time per worker, in decode
    # processes ("process") or threads ("thread"): see photos/decoding.py.
    photo_max_pixels: int = 50_000_000
    photo_decode_workers: int = 2
    photo_decode_in: str = "process"
    data_dir: Path = Path(".data")
    # Webhook endpoints resolving to loopback are refused unless this is set (dev and tests only);
    # private, link-local and metadata addresses are refused always (webhooks/ssrf.py).
    webhook_allow_loopback: bool = False
    # The key webhook endpoint secrets are encrypted with at rest (webhooks/secret_box.py); empty:
    # derived from jwt_secret (dev and tests; production sets WEBHOOK_SECRET_KEY, >= 32 bytes).
    webhook_secret_key: str = ""


def _read_xlsx_rows(env: Mapping[str, str]) -> int:
    value = _read_int(env, "EXPORT_XLSX_MAX_ROWS", 1_048_575)
    if value > 1_048_575:
        raise SettingsError(f"EXPORT_XLSX_MAX_ROWS: at most 1048575 (Excel's sheet limit), got {value}")
    return value


def _read_int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: expected a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name}: must be >= {minimum}, got {value}")
    return value


def _read_choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = env.get(name, "").strip() or default
    if value not in choices:
        raise SettingsError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def _read_proxies(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (`10.0.0.0/8`), or `*` (any: only when nothing but the
    proxy can reach the app)."""
    entries = tuple(e.strip() for e in env.get(name, "").split(",") if e.strip())
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(f"{name}: {entry!r} is not an IP address or network") from None
    return entries


def _require(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name}: required but not set")
    return value


def _check_url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.query):
        raise SettingsError(f"{name}: expected a {' or '.join(s + '://' for s in schemes)} URL, got {value!r}")
    return value


def s3_from_env(env: Mapping[str, str]) -> S3Settings:
    endpoint = env.get("S3_ENDPOINT_URL", "").strip() or None
    if endpoint is not None:
        _check_url("S3_ENDPOINT_URL", endpoint, ("http", "https"))
    public = env.get("S3_PUBLIC_ENDPOINT_URL", "").strip() or None
    if public is not None:
        _check_url("S3_PUBLIC_ENDPOINT_URL", public, ("http", "https"))
    bucket = env.get("S3_BUCKET", DEFAULT_BUCKET).strip()
    if not (3 <= len(bucket) <= 63) or not all(c.islower() or c.isdigit() or c in "-." for c in bucket):
        raise SettingsError(f"S3_BUCKET: not a valid bucket name: {bucket!r}")
    return S3Settings(
        endpoint_url=endpoint,
        region=env.get("S3_REGION", "us-east-1").strip() or "us-east-1",
        bucket=bucket,
        access_key_id=_require(env, "S3_ACCESS_KEY_ID"),
        secret_access_key=_require(env, "S3_SECRET_ACCESS_KEY"),
        public_endpoint_url=public,
    )


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment; raise SettingsError naming the first bad variable."""
    env = os.environ if env is None else env
    database_url = _check_url("DATABASE_URL", _require(env, "DATABASE_URL"), ("postgresql", "postgres"))
    jwt_secret = _require(env, "JWT_SECRET")
    if len(jwt_secret.encode()) < MIN_JWT_SECRET_BYTES:
        raise SettingsError(f"JWT_SECRET: must be at least {MIN_JWT_SECRET_BYTES} bytes long")
    return Settings(
        database_url=database_url,
        s3=s3_from_env(env),
        jwt_secret=jwt_secret,
        jwt_issuer=env.get("JWT_ISSUER", "inspect-api"),
        jwt_audience=env.get("JWT_AUDIENCE", "inspect-api-clients"),
        jwt_ttl_seconds=_read_int(env, "JWT_TTL_SECONDS", 3600, minimum=60),
        refresh_token_ttl_seconds=_read_int(env, "REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600, minimum=300),
        upload_max_bytes=_read_int(env, "UPLOAD_MAX_BYTES", 15 * 1024 * 1024),
        upload_url_ttl_seconds=_read_int(env, "UPLOAD_URL_TTL_SECONDS", 600, minimum=10),
        download_url_ttl_seconds=_read_int(env, "DOWNLOAD_URL_TTL_SECONDS", 300, minimum=10),
        max_request_body_bytes=_read_int(env, "MAX_REQUEST_BODY_BYTES", 2 * 1024 * 1024),
        login_rate_per_minute=_read_int(env, "LOGIN_RATE_PER_MINUTE", 60),
        login_account_attempts=_read_int(env, "LOGIN_ACCOUNT_ATTEMPTS", 10),
        login_account_window_seconds=_read_int(env, "LOGIN_ACCOUNT_WINDOW_SECONDS", 900),
        trusted_proxies=_read_proxies(env, "TRUSTED_PROXIES"),
        password_time_cost=_read_int(env, "PASSWORD_TIME_COST", 3),
        password_memory_kib=_read_int(env, "PASSWORD_MEMORY_KIB", 65536, minimum=8 * 1024),
        password_parallelism=_read_int(env, "PASSWORD_PARALLELISM", 4),
        db_pool_min=_read_int(env, "DB_POOL_MIN", 2),
        db_pool_max=_read_int(env, "DB_POOL_MAX", 10),
        database_read_url=(_check_url("DATABASE_READ_URL", env["DATABASE_READ_URL"].strip(), ("postgresql", "postgres"))
                           if env.get("DATABASE_READ_URL", "").strip() else None),
        principal_cache_seconds=_read_int(env, "PRINCIPAL_CACHE_SECONDS", 30, minimum=0),
        export_xlsx_max_rows=_read_xlsx_rows(env),
        photo_max_pixels=_read_int(env, "PHOTO_MAX_PIXELS", 50_000_000),
        photo_decode_workers=_read_int(env, "PHOTO_DECODE_WORKERS", 2),
        photo_decode_in=_read_choice(env, "PHOTO_DECODE_IN", ("process", "thread"), "process"),
        data_dir=Path(env.get("INSPECT_DATA_DIR", ".data")),
        webhook_allow_loopback=_read_choice(env, "WEBHOOK_ALLOW_LOOPBACK", ("false", "true"), "false") == "true",
        webhook_secret_key=_webhook_secret_key(env),
    )


def _webhook_secret_key(env: Mapping[str, str]) -> str:
    value = env.get("WEBHOOK_SECRET_KEY", "").strip()
    if value and len(value.encode()) < 32:
        raise SettingsError("WEBHOOK_SECRET_KEY: at least 32 bytes (e.g. `openssl rand -base64 32`)")
    return value
