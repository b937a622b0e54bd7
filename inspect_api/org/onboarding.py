"""Org onboarding (#17): a new org and its first admin, for operators (`inspect-api create-org`).

One transaction: the org (slug unique across the deployment), its admin user with a generated one-time
password (it passes auth/password_rules.py; the admin changes it with PATCH /users/{id}), and an
`org.created` audit row in the new org. A taken slug or e-mail, or an invalid name, slug or e-mail, is
an OnboardingError naming what is wrong, and nothing is written. The new org starts with default
settings (OrgSettings) and sees nothing of any other org: every query is scoped by org.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Final
from uuid import UUID

import asyncpg
import msgspec
from argon2 import PasswordHasher

from inspect_api.audit.service import record
from inspect_api.auth.emails import email_problem, normalise_email
from inspect_api.auth.password_rules import check_new_password
from inspect_api.org.schemas import OrgSettings

SLUG: Final = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
MAX_NAME: Final = 200

SELECT_SLUG_TAKEN: Final = "SELECT EXISTS (SELECT 1 FROM orgs WHERE slug = $1)"
SELECT_EMAIL_TAKEN: Final = "SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)"
INSERT_ORG: Final = """
INSERT INTO orgs (slug, name, settings) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING RETURNING id
"""
INSERT_ADMIN: Final = """
INSERT INTO users (org_id, email, display_name, role, password_hash) VALUES ($1, $2, $3, 'admin', $4)
ON CONFLICT (email) DO NOTHING RETURNING id
"""


class OnboardingError(ValueError):
    """What is wrong with the request, naming the option (`--slug`, `--admin-email`, `--name`)."""


class NewOrg(msgspec.Struct, frozen=True, kw_only=True):
    org_id: UUID
    slug: str
    name: str
    admin_id: UUID
    admin_email: str
    password: str  # one-time: shown once, stored only as its hash


def slug_for(name: str) -> str:
    """A slug from a name: ASCII letters and digits, runs of anything else as one hyphen."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:63].strip("-")


def one_time_password(email: str) -> str:
    while True:  # ~120 random bits; the rules refuse almost nothing of that shape, but check anyway
        candidate = secrets.token_urlsafe(15)
        if check_new_password(candidate, email) is None:
            return candidate


def check_request(name: str, slug: str | None, admin_email: str) -> tuple[str, str, str]:
    """(name, slug, normalised e-mail), or OnboardingError."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise OnboardingError(f"--name: 1 to {MAX_NAME} characters")
    slug = slug if slug is not None else slug_for(name)
    if not SLUG.match(slug):
        raise OnboardingError(f"--slug: {slug!r} is not a slug (lower-case letters, digits and '-', 2 to 63; "
                              "give --slug when the name has no latin letters)")
    email = normalise_email(admin_email)
    if problem := email_problem(email):
        raise OnboardingError(f"--admin-email: the e-mail {problem}")
    return name, slug, email


async def create_org(
    conn: asyncpg.Connection, hasher: PasswordHasher, *, name: str, slug: str | None, admin_email: str,
    admin_name: str | None = None,
) -> NewOrg:
    name, slug, email = check_request(name, slug, admin_email)
    password = one_time_password(email)
    password_hash = hasher.hash(password)
    async with conn.transaction():
        if await conn.fetchval(SELECT_SLUG_TAKEN, slug):
            raise OnboardingError(f"--slug: an org with slug {slug!r} already exists")
        if await conn.fetchval(SELECT_EMAIL_TAKEN, email):
            raise OnboardingError(f"--admin-email: {email} is already a user (e-mails are unique across orgs)")
        org_id = await conn.fetchval(INSERT_ORG, slug, name, msgspec.to_builtins(OrgSettings()))
        if org_id is None:
            raise OnboardingError(f"--slug: an org with slug {slug!r} already exists")
        admin_id = await conn.fetchval(INSERT_ADMIN, org_id, email, admin_name or email.split("@")[0], password_hash)
        if admin_id is None:  # taken concurrently: the org row rolls back with it
            raise OnboardingError(f"--admin-email: {email} is already a user (e-mails are unique across orgs)")
        await record(conn, None, "org.created", target_type="org", target_id=org_id, org_id=org_id,
                     after={"slug": slug, "name": name, "admin_id": str(admin_id), "admin_email": email})
    return NewOrg(org_id=org_id, slug=slug, name=name, admin_id=admin_id, admin_email=email, password=password)
