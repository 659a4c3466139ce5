"""统一社会信用代码 (USCC, unified social credit code) validation per GB 32100-2015.

An USCC has 18 characters from a 31-character alphabet (digits and capitals without I, O, S, V, Z):
1 registration authority (登记管理部门代码), 2 category (机构类别代码),
3–8 the 行政区划 region code, 9–17 the 主体标识码 (organisation code), 18 the check character
computed over the first 17 with
weights 3^(i-1) mod 31.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
REGISTRATION_AUTHORITIES = frozenset("123456789ANY")


class InvalidUSCC(ValueError):
    """The code is not a valid USCC; the message says why, in terms a clerk can act on."""


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(raw: str) -> str:
    """Return the canonical (upper-case, trimmed) USCC or raise ``InvalidUSCC``."""
    code = raw.strip().upper()
    if len(code) != 18:
        raise InvalidUSCC(f"a USCC has 18 characters, this one has {len(code)}")
    for position, char in enumerate(code, start=1):
        if char not in _VALUE:
            hint = " (I, O, S, V and Z are never used)" if char in "IOSVZ" else ""
            raise InvalidUSCC(f"character {position} {char!r} is not allowed{hint}")
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
