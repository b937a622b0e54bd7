"""DATABASE_READ_URL (issue #20): optional, a postgresql URL, named when malformed."""

from __future__ import annotations

import pytest

from inspect_api.settings import SettingsError, settings_from_env
from tests.unit.test_settings import GOOD_ENV


def test_unset_or_blank_means_reads_on_the_primary() -> None:
    assert settings_from_env(GOOD_ENV).database_read_url is None
    assert settings_from_env(GOOD_ENV | {"DATABASE_READ_URL": "  "}).database_read_url is None


def test_a_replica_url_is_kept() -> None:
    url = "postgresql://reader@replica.internal:5432/inspect"
    assert settings_from_env(GOOD_ENV | {"DATABASE_READ_URL": url}).database_read_url == url


@pytest.mark.parametrize("bad", ["mysql://x@y/z", "replica.internal"])
def test_a_malformed_url_names_the_variable(bad: str) -> None:
    with pytest.raises(SettingsError, match="DATABASE_READ_URL"):
        settings_from_env(GOOD_ENV | {"DATABASE_READ_URL": bad})
