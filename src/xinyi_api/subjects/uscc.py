"""统一社会信用代码 (USCC, unified social credit code) validation per GB 32100-2015.

An USCC has 18 characters from a 31-character alphabet (digits and capitals without I, O, S, V, Z):
1 registration authority (登记管理部门代码), 2 category (机构类别代码),
3–8 the 行政区划 region code, 9–17 the 主体标识码 (organisation code), 18 the check character
computed over the first 17 with
weights 3^(i-1) mod 31.

What a clerk types is normalised in exactly three ways, each of which cannot turn a wrong code
into a valid one: surrounding spaces (ASCII, no-break, ideographic 全角空格) are dropped;
full-width digits and Latin letters (U+FF10–U+FF19, U+FF21–U+FF3A, U+FF41–U+FF5A, what a
Chinese IME types in 全角 mode) become their ASCII forms; ASCII letters are upper-cased (the
standard's alphabet is upper case only). Nothing else: no Unicode case folding or NFKC, which
would turn a ligature such as ``ﬀ`` (one character) into ``FF`` (two) or ``ı``/``ſ`` into
``I``/``S``; such a code is refused, naming the character.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
REGISTRATION_AUTHORITIES = frozenset("123456789ANY")
SURROUNDING_SPACES = " \u00a0\u3000"
_FULL_WIDTH = {
    **{0xFF10 + i: ord("0") + i for i in range(10)},
    **{0xFF21 + i: ord("A") + i for i in range(26)},
    **{0xFF41 + i: ord("a") + i for i in range(26)},
}
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class InvalidUSCC(ValueError):
    """The code is not a valid USCC; the message says why, in terms a clerk can act on."""


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(raw: str) -> str:
    """Return the canonical (trimmed, ASCII, upper-case) USCC or raise ``InvalidUSCC``."""
    code = raw.strip(SURROUNDING_SPACES).translate(_FULL_WIDTH).translate(_ASCII_UPPER)
    for position, char in enumerate(code, start=1):
        if char not in _VALUE:
            hint = " (I, O, S, V and Z are never used)" if char in "IOSVZ" else ""
            raise InvalidUSCC(f"character {position} {char!r} is not allowed{hint}")
    if len(code) != 18:
        raise InvalidUSCC(f"a USCC has 18 characters, this one has {len(code)}")
    if code[0] not in REGISTRATION_AUTHORITIES:
        raise InvalidUSCC(f"character 1 {code[0]!r} is not a registration authority code")
    if not code[2:8].isdigit():
        raise InvalidUSCC("characters 3–8 must be the 6-digit 行政区划 region code")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidUSCC(
            f"check character is {code[17]!r} but the first 17 characters give {expected!r}"
            " — a character was probably mistyped"
        )
    return code
