import os
from pathlib import Path

import pytest

from inspect_api.forms.loader import load_seed_dir
from inspect_api.forms.model import FormDocument

REPO_ROOT = Path(__file__).resolve().parents[3]
SEED_FORMS_DIR = REPO_ROOT / "seed_forms"
# The Chinese source documents the seed forms quote; outside the repo, so optional.
SEED_SOURCES_DIR = Path(os.environ.get("SEED_SOURCES_DIR", "/work/shared/seeds"))


@pytest.fixture(scope="session")
def seed_forms() -> dict[str, FormDocument]:
    return {form.key: form for form in load_seed_dir(SEED_FORMS_DIR)}
