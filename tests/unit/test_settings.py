from __future__ import annotations

import pytest

from inspect_api.cli import main
from inspect_api.settings import SettingsError, settings_from_env

GOOD_ENV = {
    "DATABASE_URL": "postgresql://app@db.internal:5432/inspect",
    "JWT_SECRET": "s" * 40,
    "S3_ENDPOINT_URL": "http://127.0.0.1:8333",
    "S3_ACCESS_KEY_ID": "AKIA",
    "S3_SECRET_ACCESS_KEY": "secret",
}


def test_good_environment_builds_frozen_settings() -> None:
    settings = settings_from_env(GOOD_ENV)
    assert settings.database_url == GOOD_ENV["DATABASE_URL"]
    assert settings.s3.bucket == "inspect-photos"
    with pytest.raises(AttributeError):
        settings.jwt_secret = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"JWT_SECRET": "short"}, "JWT_SECRET"),
        ({"S3_ENDPOINT_URL": "not a url"}, "S3_ENDPOINT_URL"),
        ({"S3_ACCESS_KEY_ID": ""}, "S3_ACCESS_KEY_ID"),
        ({"S3_BUCKET": "Bad_Bucket"}, "S3_BUCKET"),
        ({"JWT_TTL_SECONDS": "soon"}, "JWT_TTL_SECONDS"),
        ({"UPLOAD_MAX_BYTES": "0"}, "UPLOAD_MAX_BYTES"),
    ],
)
def test_bad_setting_names_the_variable(change: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_env(GOOD_ENV | change)
    assert str(caught.value).startswith(f"{variable}:")


def test_cli_reports_bad_settings_in_one_line(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    for name, value in (GOOD_ENV | {"JWT_SECRET": ""}).items():
        monkeypatch.setenv(name, value)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("inspect-api: configuration error: JWT_SECRET: required")
    assert "Traceback" not in err
