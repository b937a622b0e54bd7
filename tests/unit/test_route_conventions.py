"""One way to spell a role requirement and to get the caller and the stores (#19).

Handlers take `principal: Caller` and `pool: Pool` / `blobs: Blobs` / `settings: AppSettings` /
`stores: AllStores` (app-level dependencies, inspect_api/resources.py), and declare roles with
`opt=roles(...)` (inspect_api/auth/guards.py). A routes module that provides its own principal or pool, or
spells roles as a dict, would be a second way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import inspect_api

PACKAGE = Path(inspect_api.__file__).parent
ROUTES = sorted(PACKAGE.glob("*/routes.py"))
SECOND_WAYS = {
    "a routes-local principal provider": re.compile(r"Provide\(provide_principal\b"),
    "a routes-local store alias": re.compile(r"NamedDependency\[(asyncpg\.Pool|BlobStore|Settings|Stores)\]"),
    "roles spelt as a dict": re.compile(r"""\{\s*["']roles["']\s*:"""),
    "request.user instead of principal: Caller": re.compile(r"\brequest\.user\b"),
    "role constants besides roles()": re.compile(r"\b(ADMIN_ONLY|ANY_ROLE)\b"),
}

# The form download reads the caller off the request, on purpose (phones repeat it; see forms/routes.py).
ON_PURPOSE = {("forms", "request.user instead of principal: Caller")}


def test_there_are_routes_to_check() -> None:
    assert len(ROUTES) >= 10


@pytest.mark.parametrize("path", ROUTES, ids=lambda p: p.parent.name)
def test_routes_use_the_one_way(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [name for name, pattern in SECOND_WAYS.items()
             if pattern.search(text) and (path.parent.name, name) not in ON_PURPOSE]
    assert not found, f"{path.relative_to(PACKAGE.parent)}: {found}"
