"""The wheel carries migrations/ and seed_forms/ (#19): an installed, non-editable `inspect-api migrate`
and `seed` find them inside the package (inspect_api/bundled.py), while a checkout reads its own."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from inspect_api import bundled
from inspect_api.forms.loader import load_seed_dir
from inspect_api.storage.migrations import DEFAULT_DIR, read_migration_files

REPO = Path(__file__).resolve().parents[2]


def repo_files(name: str) -> set[str]:
    return {p.relative_to(REPO / name).as_posix() for p in (REPO / name).rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(REPO)],
        check=True, capture_output=True, timeout=600,
    )
    (built,) = out.glob("inspect_api-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked as site-packages would hold it (no pyproject.toml beside the package)."""
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


@pytest.mark.parametrize("name", ["migrations", "seed_forms"])
def test_the_wheel_carries_the_directory(wheel: Path, name: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        inside = {n.removeprefix(f"inspect_api/_bundled/{name}/") for n in archive.namelist()
                  if n.startswith(f"inspect_api/_bundled/{name}/")}
    assert inside == repo_files(name)


def test_the_wheel_keeps_the_feature_sql(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    feature_sql = {p.relative_to(REPO).as_posix() for p in (REPO / "inspect_api").glob("*/sql/*.sql")}
    assert feature_sql and feature_sql <= names


def test_an_installed_wheel_resolves_the_bundled_copies(installed: Path) -> None:
    """Run in a fresh interpreter with only the unpacked wheel on the path, away from the checkout."""
    script = (
        "from inspect_api.bundled import MIGRATIONS_DIR, SEED_FORMS_DIR\n"
        "from inspect_api.storage.migrations import DEFAULT_DIR, read_migration_files\n"
        "from inspect_api.forms.loader import load_seed_dir\n"
        "assert DEFAULT_DIR == MIGRATIONS_DIR\n"
        "print(MIGRATIONS_DIR); print(SEED_FORMS_DIR)\n"
        "print(len(read_migration_files())); print(len(load_seed_dir(SEED_FORMS_DIR)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(installed)!r})\n{script}"],
        capture_output=True, text=True, timeout=120, cwd=installed,
    )
    assert result.returncode == 0, result.stderr
    migrations_dir, seed_dir, migrations, forms = result.stdout.split()
    assert Path(migrations_dir) == installed / "inspect_api" / "_bundled" / "migrations"
    assert Path(seed_dir) == installed / "inspect_api" / "_bundled" / "seed_forms"
    assert int(migrations) == len(read_migration_files())
    assert int(forms) == len(load_seed_dir(REPO / "seed_forms"))


def test_a_checkout_reads_its_own_directories() -> None:
    assert bundled.MIGRATIONS_DIR == DEFAULT_DIR == REPO / "migrations"
    assert bundled.SEED_FORMS_DIR == REPO / "seed_forms"


def test_without_a_checkout_beside_it_the_package_copy_is_used(tmp_path: Path) -> None:
    package = tmp_path / "inspect_api"
    (package / "_bundled" / "migrations").mkdir(parents=True)
    (tmp_path / "migrations").mkdir()  # a stray directory beside site-packages is not a checkout
    assert bundled.data_dir("migrations", package=package) == package / "_bundled" / "migrations"
    (tmp_path / "pyproject.toml").write_text("")
    assert bundled.data_dir("migrations", package=package) == tmp_path / "migrations"
