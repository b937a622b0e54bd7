"""Test fixtures in one flavour (#19): conftest's `app`, no per-module app factories, and factories.py
never imports conftest (conftest imports factories' `world`; shared.py holds what both need)."""

from __future__ import annotations

import ast
from pathlib import Path

INTEGRATION = Path(__file__).resolve().parents[1] / "integration"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_factories_does_not_import_conftest() -> None:
    assert "tests.integration.conftest" not in imported_modules(INTEGRATION / "factories.py")


def test_shared_imports_neither() -> None:
    assert not {"tests.integration.conftest", "tests.integration.factories"} & imported_modules(
        INTEGRATION / "shared.py"
    )


def test_no_superseded_app_fixture_remains() -> None:
    offenders = [p.name for p in INTEGRATION.glob("*.py") if "fast_app_fixture" in p.read_text(encoding="utf-8")]
    assert not offenders
