"""uvicorn believes X-Forwarded-For only from TRUSTED_PROXIES (unset: from nobody)."""

from __future__ import annotations

import pytest
import uvicorn

from inspect_api.cli import uvicorn_proxy_options
from inspect_api.settings import SettingsError, settings_from_env
from tests.unit.test_settings import GOOD_ENV


def test_by_default_proxy_headers_are_not_believed() -> None:
    settings = settings_from_env(GOOD_ENV)
    assert settings.trusted_proxies == ()
    options = uvicorn_proxy_options(settings)
    assert options == {"proxy_headers": False}
    assert uvicorn.Config(app=lambda: None, **options).proxy_headers is False  # uvicorn's own default: True


def test_listed_proxies_are_the_only_ones_believed() -> None:
    settings = settings_from_env(GOOD_ENV | {"TRUSTED_PROXIES": " 10.0.0.7, 192.168.0.0/16 ,::1"})
    assert settings.trusted_proxies == ("10.0.0.7", "192.168.0.0/16", "::1")
    options = uvicorn_proxy_options(settings)
    assert options == {"proxy_headers": True, "forwarded_allow_ips": ["10.0.0.7", "192.168.0.0/16", "::1"]}
    config = uvicorn.Config(app=lambda: None, **options)
    assert config.forwarded_allow_ips == ["10.0.0.7", "192.168.0.0/16", "::1"]


@pytest.mark.parametrize("value", ["proxy.internal", "10.0.0.300", "10.0.0.0/40"])
def test_a_malformed_proxy_stops_start_up_naming_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        settings_from_env(GOOD_ENV | {"TRUSTED_PROXIES": value})


def test_login_limits_are_settings() -> None:
    settings = settings_from_env(GOOD_ENV | {"LOGIN_ACCOUNT_ATTEMPTS": "5", "LOGIN_ACCOUNT_WINDOW_SECONDS": "60"})
    assert (settings.login_account_attempts, settings.login_account_window_seconds) == (5, 60)
    defaults = settings_from_env(GOOD_ENV)
    assert (defaults.login_account_attempts, defaults.login_account_window_seconds) == (10, 900)
