"""Features own their code (#19 item 4): submissions, rankings and actions do not import each other's
internals. Rankings and actions may use submissions' release hooks (hooks.py), which is how they react
to a release; submissions imports neither of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "inspect_api"
ALLOWED_FROM_SUBMISSIONS = {"inspect_api.submissions.hooks"}


def imported_modules(feature: str) -> set[str]:
    found: set[str] = set()
    for path in (PACKAGE / feature).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize(("feature", "others"), [
    ("submissions", ("rankings", "actions")),
    ("rankings", ("actions", "submissions")),
    ("actions", ("rankings", "submissions")),
])
def test_a_feature_imports_no_other_features_internals(feature: str, others: tuple[str, ...]) -> None:
    crossing = sorted(
        module for module in imported_modules(feature)
        for other in others
        if module.startswith(f"inspect_api.{other}") and not module.startswith(tuple(ALLOWED_FROM_SUBMISSIONS))
    )
    assert crossing == [], f"{feature} imports {crossing}"
