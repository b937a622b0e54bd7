"""check_new_password: NIST SP 800-63B rules (length, blocklist, context words), no composition rules."""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspect_api.auth.password_rules import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_new_password,
    common_passwords,
)
from inspect_api.org.demo import USERS as DEMO_USERS
from tests.integration.factories import PASSWORD

EMAIL = "admin@alpha.test"
LONG_COMMON = sorted(p for p in common_passwords() if len(p) >= MIN_PASSWORD_LENGTH)


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaaaa", "repeats"),
        ("1234567890", "run of consecutive"),
        ("0987654321", "run of consecutive"),
        ("abcdefghijk", "run of consecutive"),
        ("password12", "most commonly used"),
        ("PassWord12", "most commonly used"),
        (fullwidth("PASSWORD12"), "most commonly used"),
        ("monkey2024!", "digits or symbols added"),
        ("!!password!!", "digits or symbols added"),
        ("admin@alpha.test", "e-mail address's name"),
        ("my ADMIN password", "e-mail address's name"),
        (" " * 10, "only spaces"),
        ("\t\n " * 4, "only spaces"),
        ("abababababab", "repeats"),
        ("passwordpassword", "repeats"),
        ("short", "at least 10"),
        ("x" * 10 + "yz" * MAX_PASSWORD_LENGTH, "at most 1024"),
    ],
)
def test_the_issues_examples_and_friends_are_refused_naming_the_reason(password: str, reason: str) -> None:
    problem = check_new_password(password, EMAIL)
    assert problem is not None and reason in problem, problem


@pytest.mark.parametrize(
    "password",
    [PASSWORD, "Tr0ub4dor&3x!", "quality-first-2024", "九寨沟的秋天特别美丽!", "Sunday roast at 7, gravy first"],
)
def test_ordinary_passwords_pass(password: str) -> None:
    assert check_new_password(password, EMAIL) is None


def test_the_factories_and_demo_passwords_pass() -> None:
    for email in ("admin@alpha.test", "lead@beta.test", "manager@x.test", "inspector2@y.test"):
        assert check_new_password(PASSWORD, email) is None
    for user in DEMO_USERS:
        assert check_new_password(user.password, user.email) is None, user.email


def test_the_list_is_the_packages_30000_common_passwords() -> None:
    passwords = common_passwords()
    assert len(passwords) > 25_000
    assert {"password", "123456", "qwertyuiop", "iloveyou"} <= passwords
    assert len(LONG_COMMON) > 1_000  # those long enough to pass the length rule alone


def test_a_short_local_part_is_not_a_rule() -> None:
    assert check_new_password(PASSWORD, "co@example.test") is None  # "co" is in "correct"
    assert check_new_password(PASSWORD, "cor@example.test") is not None


@given(st.text(max_size=MIN_PASSWORD_LENGTH - 1))
def test_shorter_than_the_floor_is_always_refused(password: str) -> None:
    assert check_new_password(password, EMAIL) is not None


@given(st.characters(), st.integers(MIN_PASSWORD_LENGTH, 200))
def test_one_character_repeated_is_always_refused(ch: str, times: int) -> None:
    assert check_new_password(ch * times, EMAIL) is not None


@given(
    st.text(string.ascii_letters + string.digits + "._-", min_size=3, max_size=20),
    st.text(min_size=0, max_size=20),
    st.text(min_size=0, max_size=20),
)
def test_a_password_holding_the_local_part_is_always_refused(local: str, before: str, after: str) -> None:
    password = before + local.upper() + after + "x" * MIN_PASSWORD_LENGTH
    assert check_new_password(password, f"{local}@example.test") is not None


@given(st.sampled_from(LONG_COMMON), st.sampled_from([str.upper, str.title, str.lower, fullwidth]))
def test_a_common_password_is_refused_whatever_its_case_or_width(common: str, variant) -> None:  # type: ignore[no-untyped-def]
    assert check_new_password(variant(common), "someone@example.test") is not None


@given(st.text(max_size=MAX_PASSWORD_LENGTH + 10), st.emails())
def test_what_is_accepted_keeps_every_rule(password: str, email: str) -> None:
    if check_new_password(password, email) is not None:
        return
    folded = unicodedata.normalize("NFKC", password).casefold()
    local = email.rpartition("@")[0].casefold()
    assert MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH
    assert password.strip() and len(set(folded)) > 2
    assert len(local) < 3 or local not in unicodedata.normalize("NFKC", folded)
    assert unicodedata.normalize("NFKC", folded) not in common_passwords()
