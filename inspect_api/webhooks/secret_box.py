"""Webhook endpoint secrets at rest: AES-256-GCM (#16).

The worker needs each secret in the clear to sign (Standard Webhooks is HMAC with the shared secret),
so a hash will not do; what encryption buys is that a database dump or a read-only SQL leak does not
hand out every subscriber's signing secret. The key lives outside the database:

- `WEBHOOK_SECRET_KEY` (at least 32 bytes of text, e.g. `openssl rand -base64 32`): production sets it,
  the same value on every API process and worker; the AES key is HKDF-SHA256 of it.
- unset: derived (HKDF, another label) from `JWT_SECRET`, which `inspect-api dev` generates per data
  directory. Fine for dev and tests; in production it ties the webhook secrets to the JWT secret
  (rotating JWT_SECRET then makes the stored secrets unreadable, and the worker records a
  `cannot decrypt` error per delivery until the endpoints' secrets are rotated).

Stored form: `enc1:` + base64(12-byte nonce || ciphertext+tag), the endpoint's column as AAD label.
Rows written before encryption (`whsec_...`) are still read as they are; rotating the secret stores the
new one encrypted (and the previous one, during the overlap, as it was).
"""

from __future__ import annotations

import base64
import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from inspect_api.settings import Settings

PREFIX: Final = "enc1:"
MIN_KEY_BYTES: Final = 32
AAD: Final = b"inspect_api webhook_endpoints.secret"


class SecretBoxError(ValueError):
    """A stored secret that this key cannot open (another key, or tampered with)."""


def derive_key(webhook_secret_key: str, jwt_secret: str) -> bytes:
    """The AES-256 key: from WEBHOOK_SECRET_KEY when set, else from JWT_SECRET (see the module doc)."""
    if webhook_secret_key:
        if len(webhook_secret_key.encode()) < MIN_KEY_BYTES:
            raise ValueError(f"WEBHOOK_SECRET_KEY: at least {MIN_KEY_BYTES} bytes")
        material, info = webhook_secret_key.encode(), b"inspect_api webhook secrets v1"
    else:
        if not jwt_secret:
            raise ValueError("WEBHOOK_SECRET_KEY or JWT_SECRET: one is needed to read webhook secrets")
        material, info = jwt_secret.encode(), b"inspect_api webhook secrets v1, derived from JWT_SECRET"
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


def settings_key(settings: Settings) -> bytes:
    return derive_key(settings.webhook_secret_key, settings.jwt_secret)


def key_from_env(env: dict[str, str] | os._Environ[str] | None = None) -> bytes:
    """For `inspect-api worker`, which reads no other settings."""
    env = os.environ if env is None else env
    return derive_key(env.get("WEBHOOK_SECRET_KEY", "").strip(), env.get("JWT_SECRET", ""))


def seal(key: bytes, secret: str) -> str:
    nonce = os.urandom(12)
    return PREFIX + base64.b64encode(nonce + AESGCM(key).encrypt(nonce, secret.encode(), AAD)).decode()


def open_secret(key: bytes, stored: str) -> str:
    """The secret in the clear; a row from before encryption (no prefix) as it is."""
    if not stored.startswith(PREFIX):
        return stored
    raw = base64.b64decode(stored[len(PREFIX):])
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], AAD).decode()
    except InvalidTag as exc:
        raise SecretBoxError("cannot decrypt the endpoint's secret: WEBHOOK_SECRET_KEY (or JWT_SECRET) "
                             "differs from the one it was stored with; rotate the endpoint's secret") from exc
