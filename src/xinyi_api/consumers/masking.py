"""Masking personal data 个人信息脱敏 in free text before it is stored.

Seed 003 §4: "严禁纳入非信用信息和个人私密信息". Rating, complaint and reply texts pass through
``mask`` first, which hides: 身份证号 (18 characters, last may be X), 手机号 (11 digits starting
1[3-9], spaces or dashes allowed), 固定电话, 银行卡号 (16–19 digits) and e-mail addresses. The
masked text is never longer than the original, so length limits checked before still hold.
"""

from __future__ import annotations

import re

_ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{3}[\dXx](?![0-9A-Za-z])"
)
_BANK_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[ -]?\d{7,8}(?!\d)")
_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])([A-Za-z0-9._%+-]*)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")


def _keep(match: re.Match[str], head: int, tail: int) -> str:
    """Replace every digit/letter except the first ``head`` and last ``tail`` with ``*``."""
    text = match.group(0)
    positions = [i for i, ch in enumerate(text) if ch.isalnum()]
    hidden = set(positions[head: len(positions) - tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def mask(text: str) -> str:
    """``text`` with personal identifiers masked (e.g. ``13812345678`` → ``138****5678``)."""
    text = _ID_CARD.sub(lambda m: _keep(m, 1, 1), text)
    text = _BANK_CARD.sub(lambda m: _keep(m, 0, 4), text)
    text = _MOBILE.sub(lambda m: _keep(m, 3, 4) if not m.group(0).startswith(("+", "86"))
                       else _keep(m, 5, 4), text)
    text = _LANDLINE.sub(lambda m: _keep(m, 4, 2), text)
    return _EMAIL.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + "@" + m.group(3), text)
