"""Where the repository's data directories are read from: `migrations/` and `seed_forms/`.

They stay top-level in the repository (table changes and seed forms are reviewed there), and the wheel
carries copies inside the package (`inspect_api/_bundled/`, pyproject.toml's hatch force-include), so an
installed, non-editable `inspect-api migrate` / `seed` finds them too:

- a source checkout (an editable install, the tests, the benches): the package's parent holds
  pyproject.toml and the directory, which is used;
- an installed wheel: the copy inside the package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

PACKAGE: Final = Path(__file__).resolve().parent
BUNDLED: Final = PACKAGE / "_bundled"

DataDir = Literal["migrations", "seed_forms"]


def data_dir(name: DataDir, *, package: Path = PACKAGE) -> Path:
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / name).is_dir():
        return checkout / name
    return package / "_bundled" / name


MIGRATIONS_DIR: Final = data_dir("migrations")
SEED_FORMS_DIR: Final = data_dir("seed_forms")
