"""Which new passwords are accepted (NIST SP 800-63B, 3.1.1.2): a length floor and ceiling, and a
blocklist; no composition rules (they make passwords harder to remember, not to guess).

Refused: fewer than 10 or more than 1024 characters (code points); only whitespace; one character or
a short unit repeated (`aaaaaaaaaa`, `abababab…`, `passwordpassword`); a run such as `1234567890` or
`abcdefghij`; a commonly used password, also with digits or symbols added around it (`password12`,
`monkey2024!`); anything containing the part of the user's e-mail before the @ (3 characters or
more). Comparisons are made on the NFKC, case-folded form, so `ＰＡＳＳＷＯＲＤ12` is `password12`.

The common passwords are the 30,000 most frequent ones of zxcvbn's list (the `zxcvbn` package, MIT;
drawn from leaked password sets). Only its data file is read, not the estimator: importing `zxcvbn`
would also build its other dictionaries (~17 MB per process).
"""

from __future__ import annotations

import ast
import importlib.util
import string
import unicodedata
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Final

from inspect_api.auth.emails import local_part, normalise_email

MIN_PASSWORD_LENGTH: Final = 10
MAX_PASSWORD_LENGTH: Final = 1024
MIN_LOCAL_PART_CHECKED: Final = 3
MIN_COMMON_STEM: Final = 4  # "love2024…" is not refused for "love"; "monkey2024" is, for "monkey"
_DECORATION: Final = string.digits + string.punctuation + " "
_DIGIT_RUNS: Final = "0123456789" * 3
_EASY = "is too easy to guess"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """zxcvbn's common passwords, read from its data module without importing the package."""
    spec = importlib.util.find_spec("zxcvbn")  # a top-level name: found, not imported
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the zxcvbn package (its list of common passwords) is not installed")
    source = (Path(next(iter(spec.submodule_search_locations))) / "frequency_lists.py").read_text("utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "passwords":
                    # "a,b,c".split(",")
                    assert isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                    assert isinstance(value.func.value, ast.Constant)
                    words = value.func.value.value.split(",")
                    return frozenset(_fold(w) for w in words if w)
    raise RuntimeError("zxcvbn's frequency_lists.py has no 'passwords' list")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _is_repeated_unit(folded: str) -> bool:
    """`aaaa…`, `abab…`, `abcabc…`, `passwordpassword`: at most two distinct characters, or a unit
    repeated at least twice over the whole password."""
    if len(set(folded)) <= 2:
        return True
    # A period of `size` characters: the password equals itself shifted by `size`.
    return any(folded[size:] == folded[:-size] for size in range(1, len(folded) // 2 + 1))


def _is_run(folded: str) -> bool:
    """Consecutive code points going up or down by one (`abcdefghij`, `9876543210`), or digits
    counting round (`1234567890`)."""
    steps = {ord(b) - ord(a) for a, b in pairwise(folded)}
    return steps in ({1}, {-1}) or folded in _DIGIT_RUNS or folded in _DIGIT_RUNS[::-1]


def check_new_password(password: str, email: str) -> str | None:
    """Why `password` may not be set for the user with `email`, or None when it may."""
    length = len(password)
    if length < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters long"
    if length > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters long"
    if not password.strip():
        return "must not be only spaces"
    folded = _fold(password)
    if _is_repeated_unit(folded):
        return f"{_EASY}: it repeats the same characters"
    if _is_run(folded):
        return f"{_EASY}: it is a run of consecutive characters such as 1234567890"
    common = common_passwords()
    if folded in common:
        return f"{_EASY}: it is one of the most commonly used passwords"
    stem = folded.strip(_DECORATION)
    if len(stem) >= MIN_COMMON_STEM and stem != folded and stem in common:
        return f"{_EASY}: it is a commonly used password with digits or symbols added"
    name = local_part(normalise_email(email))
    if len(name) >= MIN_LOCAL_PART_CHECKED and name in folded:
        return "must not contain the e-mail address's name (the part before the @)"
    return None
