"""`inspect-api serve` / `dev` start uvicorn without its `Server` banner (issue #14 item 13)."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from inspect_api import cli
from inspect_api.settings import S3Settings, Settings


@pytest.mark.parametrize("workers", [1, 2])
def test_uvicorn_runs_without_the_server_header(monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    import uvicorn

    import inspect_api.app

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setattr(inspect_api.app, "create_app", lambda settings: object())
    monkeypatch.setattr(cli, "settings_from_env", lambda *args: Settings(
        database_url="postgresql://x/y", jwt_secret="s" * 40,
        s3=S3Settings(endpoint_url=None, region="r", bucket="b", access_key_id="k", secret_access_key="s")))
    cli.cmd_serve(argparse.Namespace(host="127.0.0.1", port=1, workers=workers))
    assert len(calls) == 1 and calls[0]["server_header"] is False
