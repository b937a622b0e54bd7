"""The `seed` command loads seed_forms/ idempotently into the shared catalogue."""

from __future__ import annotations

import shutil
from pathlib import Path

import asyncpg
import pytest

from inspect_api.cli import main
from inspect_api.seeding import seed_all
from inspect_api.settings import Settings

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_forms"


async def catalogue(pool: asyncpg.Pool) -> dict[str, list[int]]:
    rows = await pool.fetch(
        "SELECT f.key, array_agg(v.version ORDER BY v.version) AS versions FROM forms f "
        "JOIN form_versions v ON v.form_id = f.id WHERE f.org_id IS NULL AND v.status = 'published' GROUP BY f.key"
    )
    return {r["key"]: list(r["versions"]) for r in rows}


async def test_seed_is_idempotent_and_versions_changed_content(
    settings: Settings, db: asyncpg.Pool, tmp_path: Path
) -> None:
    seed_dir = tmp_path / "seed_forms"
    shutil.copytree(SEED_DIR, seed_dir)
    first = await seed_all(settings, seed_dir, demo=False)
    keys = sorted(p.stem for p in seed_dir.glob("*.yaml"))
    assert len(keys) >= 5
    assert all(line.endswith("v1 published") for line in first)
    assert await catalogue(db) == {key: [1] for key in keys}

    second = await seed_all(settings, seed_dir, demo=False)
    assert all(line.endswith("v1 unchanged") for line in second)
    assert await catalogue(db) == {key: [1] for key in keys}

    fuel = seed_dir / "fuel-attendant.yaml"
    text = fuel.read_text(encoding="utf-8")
    assert "\nnotes: >-\n" in text
    fuel.write_text(text.replace("\nnotes: >-\n", "\nnotes: >-\n  Revised after review.\n", 1), encoding="utf-8")
    third = await seed_all(settings, seed_dir, demo=False)
    assert "form fuel-attendant: v2 published" in third
    assert (await catalogue(db))["fuel-attendant"] == [1, 2]


def test_seed_cli_reports_a_bad_form_file_precisely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings: Settings
) -> None:
    seed_dir = tmp_path / "seed_forms"
    seed_dir.mkdir()
    text = (SEED_DIR / "fuel-attendant.yaml").read_text(encoding="utf-8")
    (seed_dir / "fuel-attendant.yaml").write_text(text.replace("weight: 2", "weight: -2", 1), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("JWT_SECRET", settings.jwt_secret)
    monkeypatch.setenv("S3_ACCESS_KEY_ID", settings.s3.access_key_id)
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", settings.s3.secret_access_key)
    assert main(["seed", "--seed-dir", str(seed_dir)]) == 2
    err = capsys.readouterr().err
    assert "fuel-attendant.yaml" in err
    assert "weight" in err and "Traceback" not in err
