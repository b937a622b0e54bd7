"""E-mail addresses are identities: one canonical form, and no lookalikes.

`normalise_email` gives the form that is stored and looked up (NFKC, then case-folded), so `ＡＤＭＩＮ@…`
(full-width) and `Admin@…` both mean `admin@…`. `email_problem` refuses what could pass for another
address without being it: invisible or control characters (`adm\\u200bin@…`), letters of different
scripts in one label (Latin `admin` with a Cyrillic `а`), digits of different numbering systems.
Mixing follows UTS #39's "highly restrictive" level: one script per label, or Latin with the scripts
written together in Chinese, Japanese and Korean. Both functions are pure.
"""

from __future__ import annotations

import unicodedata
from typing import Final

MAX_EMAIL_LENGTH: Final = 254

# Invisible characters that are not in the format (Cf) category: Unicode's Default_Ignorable_Code_Point
# entries outside Cf (fillers, variation selectors, the combining grapheme joiner, Mongolian selectors).
_IGNORABLE_RANGES: Final = (
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
# Other (C*) categories, separators (Z*): nothing of these is visible text in an address.
_INVISIBLE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})

# Script combinations one label may use besides a single script (UTS #39 highly restrictive).
_ALLOWED_MIXES: Final = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
# Character-name prefixes that are not a script of their own.
_NAME_TO_SCRIPT: Final = {"CJK": "HAN", "IDEOGRAPHIC": "HAN", "KATAKANA-HIRAGANA": None, "MODIFIER": None}


def normalise_email(email: str) -> str:
    """The canonical form: NFKC, case-folded (and NFKC again, as case folding can undo it),
    lower-cased (the database's rule; case folding leaves a few scripts upper), surrounding space
    removed (NFKC can make some, e.g. from U+00AF)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email.strip()).casefold())
    return folded.lower().strip()


def _is_invisible(ch: str) -> bool:
    code = ord(ch)
    return unicodedata.category(ch) in _INVISIBLE_CATEGORIES or any(lo <= code <= hi for lo, hi in _IGNORABLE_RANGES)


def _script(ch: str) -> str | None:
    """The script of a letter, from its Unicode name; None for digits, marks, punctuation, symbols
    (they belong to every script)."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    first = unicodedata.name(ch, "UNKNOWN").split(" ")[0]
    return _NAME_TO_SCRIPT.get(first, first)


def _label_problem(label: str, where: str) -> str | None:
    scripts = {s for ch in label if (s := _script(ch)) is not None}
    if len(scripts) > 1 and not any(scripts <= mix for mix in _ALLOWED_MIXES):
        names = ", ".join(sorted(s.title() for s in scripts))
        return f"mixes letters of different scripts in the {where} ({names}): it could pass for another address"
    zeros = {ord(ch) - unicodedata.digit(ch) for ch in label if unicodedata.category(ch) == "Nd"}
    if len(zeros) > 1:
        return f"mixes digits of different numbering systems in the {where}"
    return None


def email_problem(email: str) -> str | None:
    """Why the (normalised) address cannot be an identity, or None when it can."""
    if len(email) > MAX_EMAIL_LENGTH:
        return f"is longer than {MAX_EMAIL_LENGTH} characters once normalised"
    if invisible := next((ch for ch in email if _is_invisible(ch)), None):
        return f"contains an invisible, space or control character (U+{ord(invisible):04X})"
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or "@" in local:
        return "needs exactly one @ with text on both sides once normalised"
    if problem := _label_problem(local, "part before the @"):
        return problem
    for label in domain.split("."):
        if problem := _label_problem(label, f"domain label {label!r}"):
            return problem
    return None


def local_part(email: str) -> str:
    """What comes before the last @ of a normalised address."""
    return email.rpartition("@")[0]
