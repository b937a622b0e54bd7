"""Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-signature` carries
`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per valid secret, space-separated."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_BYTES = 24


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signed_headers(message_id: str, at: datetime, body: bytes, secrets_: list[str]) -> dict[str, str]:
    """The three Standard Webhooks headers; several secrets (rotation overlap) give several signatures."""
    if not secrets_:
        raise ValueError("at least one secret")
    text = body.decode()
    signatures = " ".join(Webhook(s).sign(message_id, at, text) for s in secrets_)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
    }
