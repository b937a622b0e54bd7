"""Device sessions' pure parts (#17): refresh tokens are random, fit the schema, and are stored as hashes."""

from __future__ import annotations

import hashlib

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspect_api.auth.schemas import LoginIn
from inspect_api.auth.session_schemas import RefreshIn
from inspect_api.auth.sessions import new_refresh_token, session_name, token_hash


def test_a_new_refresh_token_fits_the_body_schema_and_is_new_each_time() -> None:
    tokens = {new_refresh_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert msgspec.json.decode(msgspec.json.encode({"refresh_token": token}), type=RefreshIn).refresh_token == token


@given(st.text(min_size=1, max_size=80))
def test_the_stored_hash_is_sha256_of_the_token(token: str) -> None:
    assert token_hash(token) == hashlib.sha256(token.encode()).digest()
    assert len(token_hash(token)) == 32


@pytest.mark.parametrize(("name", "device_id", "expected"), [
    (None, None, None), ("Pixel 8", None, "Pixel 8"), (None, "install-1", "install-1"),
    ("Pixel 8", "install-1", "Pixel 8"),
])
def test_a_session_is_named_by_the_device(name: str | None, device_id: str | None, expected: str | None) -> None:
    assert session_name(name, device_id) == expected


@pytest.mark.parametrize("body", [
    {"refresh_token": "rt_" + "A" * 42},
    {"refresh_token": "xx_" + "A" * 43},
    {"refresh_token": "rt_" + "A" * 43 + "\n"},
])
def test_a_malformed_refresh_token_is_refused_by_the_schema(body: dict[str, str]) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(msgspec.json.encode(body), type=RefreshIn)


def test_a_login_without_a_device_still_decodes() -> None:
    login = msgspec.json.decode(b'{"email": "a@b.test", "password": "x"}', type=LoginIn)
    assert login.device_name is None and login.device_id is None
