"""E-mails as identities: one canonical form; invisible characters and mixed-script lookalikes refused."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_api.auth.emails import email_problem, normalise_email


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("  Admin@Alpha.TEST ", "admin@alpha.test"),
        ("ａｄｍｉｎ@ａｌｐｈａ.test", "admin@alpha.test"),  # full-width letters
        ("ＡＤＭＩＮ＠ＡＬＰＨＡ.ＴＥＳＴ", "admin@alpha.test"),  # full-width capitals and at sign
        ("Straße@example.test", "strasse@example.test"),  # case folding, not only lower()
        ("ﬁnance@example.test", "finance@example.test"),  # a ligature
        ("ΣΟΦΙΑ@example.test", "σοφια@example.test"),
    ],
)
def test_lookalike_spellings_have_one_canonical_form(typed: str, canonical: str) -> None:
    assert normalise_email(typed) == canonical
    assert email_problem(normalise_email(typed)) is None


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("adm\u200bin@alpha.test", "U+200B"),  # zero-width space
        ("adm\u200din@alpha.test", "U+200D"),  # zero-width joiner
        ("\ufeffadmin@alpha.test", "U+FEFF"),  # byte order mark
        ("admin\u00ad@alpha.test", "U+00AD"),  # soft hyphen
        ("admin\u2060@alpha.test", "U+2060"),  # word joiner
        ("admin\ufe0f@alpha.test", "U+FE0F"),  # variation selector (not in Cf)
        ("ad\u3164min@alpha.test", "invisible"),  # Hangul filler (NFKC: U+1160), a "letter" showing nothing
        ("ad\x07min@alpha.test", "U+0007"),  # control
        ("admin@alpha.te\u202est", "U+202E"),  # right-to-left override
        ("\u0430dmin@alpha.test", "Cyrillic, Latin"),  # Cyrillic а
        ("admin@\u03b1lpha.test", "Greek, Latin"),  # Greek α in the domain
        ("admin@alpha.t\u0435st", "Cyrillic, Latin"),  # Cyrillic е in the top-level label
        ("admin1\u0661@alpha.test", "numbering systems"),  # Arabic-Indic digit one
        ("a@b@alpha.test", "exactly one @"),
        ("admin\ufe6b@alpha.test", "exactly one @"),  # small commercial at: NFKC makes a second @
    ],
)
def test_invisible_and_mixed_script_addresses_are_refused(email: str, reason: str) -> None:
    problem = email_problem(normalise_email(email))
    assert problem is not None and reason in problem, problem


@pytest.mark.parametrize(
    "email",
    ["wang.wei@example.cn", "иван@пример.рф", "小明@例子.中国", "たなか.太郎@例え.jp", "kim민수@example.kr",
     "o'brien+work@example.test", "1234@example.test"],
)
def test_single_script_and_cjk_mixes_are_accepted(email: str) -> None:
    assert email_problem(normalise_email(email)) is None


@settings(max_examples=2000)
@given(st.text())
def test_normalising_is_idempotent(text: str) -> None:
    once = normalise_email(text)
    assert normalise_email(once) == once
    assert once == once.lower()


@given(st.emails())
def test_case_and_width_variants_of_an_address_normalise_alike(email: str) -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in email.upper())
    assert normalise_email(wide) == normalise_email(email)


@given(st.emails(), st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"]),
       st.data())
def test_an_invisible_character_anywhere_is_refused(email: str, invisible: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(email)))
    problem = email_problem(normalise_email(email[:at] + invisible + email[at:]))
    assert problem is not None
    assert unicodedata.category(invisible) == "Cf"
