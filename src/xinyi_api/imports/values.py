"""Reading one cell: text, dates, amounts and codes, each refused with a reason in Chinese.

Cells come from CSV (always text) or XLSX (text, numbers, dates), or from an NDJSON batch
(JSON strings and numbers). Every function returns the clean value or raises ``CellError`` whose
``code`` is stable (the report's ``code`` column) and whose message a clerk can act on.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from xinyi_api.inputs import EARLIEST_DATE, LATEST_DATE
from xinyi_api.inputs.types import describe_char, forbidden_char
from xinyi_api.subjects.uscc import ALPHABET, REGISTRATION_AUTHORITIES, check_character

_NAMES = {"control character": "控制字符", "text-direction control": "文字方向控制符",
          "tab or line break": "制表符或换行", "zero-width character": "零宽字符",
          "invisible format character": "不可见格式字符", "invisible filler": "不可见填充字符",
          "unpaired surrogate": "无效字符", "noncharacter": "无效字符",
          "line or paragraph separator (use a line feed)": "行/段分隔符"}


class CellError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def as_text(value: object) -> str:
    """A cell as text: numbers without a spurious ``.0``, dates as ``YYYY-MM-DD``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else \
            value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value)


_SPACES = " \t\u00a0\u3000"


def text(value: object, *, max_length: int, single_line: bool = True) -> str:
    """Trimmed text, at most ``max_length`` characters, without forbidden characters (the same
    as the JSON API's ``SingleLineText`` / ``FreeText``). CR LF becomes LF."""
    raw = value if isinstance(value, str) else as_text(value)
    if raw.isprintable():  # the common case, in C: no control, format or separator character
        raw = raw.strip(_SPACES)
        if len(raw) > max_length:
            raise CellError("too-long", f"超过 {max_length} 个字符(共 {len(raw)} 个)")
        return raw
    if "\r" in raw:
        raw = raw.replace("\r\n", "\n")
    raw = raw.strip(_SPACES + "\n")
    char = forbidden_char(raw, single_line=single_line)
    if char is not None:
        kind = describe_char(char).rsplit("(", 1)[-1].rstrip(")")
        raise CellError("invalid-character",
                        f"含有不允许的字符 U+{ord(char):04X}({_NAMES.get(kind, kind)})")
    if len(raw) > max_length:
        raise CellError("too-long", f"超过 {max_length} 个字符(共 {len(raw)} 个)")
    return raw


_FULL_WIDTH_DIGITS = {0xFF10 + i: ord("0") + i for i in range(10)}
_DATE_PATTERNS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_TIME_TAIL = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


def parse_date(value: object) -> date | None:
    """A date (``None`` for a blank cell): ``2026-11-01``, ``2026/11/1``, ``2026年11月1日``,
    ``20261101``, an XLSX date; a time of day after it is ignored. In 1990-01-01 … 2099-12-31."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:  # the common case: ISO 8601
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if not EARLIEST_DATE <= day <= LATEST_DATE:
                raise CellError("date-out-of-range", f"日期 {day.isoformat()} 超出范围"
                                f"({EARLIEST_DATE.isoformat()} 至 {LATEST_DATE.isoformat()})")
            return day
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        raw = as_text(value).strip(_SPACES).translate(_FULL_WIDTH_DIGITS)
        if not raw:
            return None
        raw = _TIME_TAIL.sub("", raw)
        for pattern in _DATE_PATTERNS:
            match = pattern.fullmatch(raw)
            if match:
                try:
                    day = date(int(match[1]), int(match[2]), int(match[3]))
                except ValueError:
                    raise CellError("invalid-date", f"不存在的日期「{raw}」") from None
                break
        else:
            raise CellError("invalid-date", f"无法识别的日期「{raw}」(应为 YYYY-MM-DD)")
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise CellError("date-out-of-range", f"日期 {day.isoformat()} 超出范围"
                        f"({EARLIEST_DATE.isoformat()} 至 {LATEST_DATE.isoformat()})")
    return day


def parse_amount(value: object) -> str | None:
    """A non-negative amount in 万元 as exact decimal text (``None`` for a blank cell)."""
    if value is None or value == "":
        return None
    raw = as_text(value).strip(_SPACES).translate(_FULL_WIDTH_DIGITS).replace(",", "")
    if not raw:
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise CellError("invalid-amount", f"金额「{raw}」不是数字(单位:万元)") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e9"):
        raise CellError("invalid-amount", f"金额「{raw}」应为 0 至 999999999 之间的数字(万元)")
    if amount.as_tuple().exponent < -6:  # type: ignore[operator]
        raise CellError("invalid-amount", f"金额「{raw}」最多 6 位小数")
    return format(amount.normalize(), "f")


_FULL_WIDTH_CODE = {
    **_FULL_WIDTH_DIGITS,
    **{0xFF21 + i: ord("A") + i for i in range(26)},
    **{0xFF41 + i: ord("a") + i for i in range(26)},
}


def parse_uscc(value: object) -> str:
    """The canonical 统一社会信用代码, normalised only as GB 32100-2015 leaves room for
    (``subjects.uscc.normalize_uscc``: surrounding spaces, full-width forms, upper case);
    ``CellError`` in Chinese otherwise. ``bad-check-character`` when only the check character
    is wrong (a 重错码 suspect)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError("uscc-as-number", "统一社会信用代码以数字格式保存,可能已丢失精度;"
                                          "请将该列设为文本格式")
    raw = as_text(value)
    code = raw.strip(_SPACES).translate(_FULL_WIDTH_CODE).upper()
    for position, char in enumerate(code, start=1):
        if char not in ALPHABET:
            hint = "(代码中不使用 I、O、S、V、Z)" if char in "IOSVZ" else ""
            shown = "空格" if char.isspace() else f"「{char}」"
            raise CellError("invalid-uscc", f"统一社会信用代码第 {position} 位 {shown} "
                                            f"不是允许的字符{hint}")
    if len(code) != 18:
        raise CellError("invalid-uscc", f"统一社会信用代码应为 18 位,这里是 {len(code)} 位")
    if code[0] not in REGISTRATION_AUTHORITIES:
        raise CellError("invalid-uscc", f"统一社会信用代码第 1 位「{code[0]}」不是登记管理部门代码")
    if not code[2:8].isdigit():
        raise CellError("invalid-uscc", "统一社会信用代码第 3–8 位应为 6 位行政区划代码")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise CellError("bad-check-character",
                        f"统一社会信用代码校验位错误:第 18 位是「{code[17]}」,按前 17 位应为"
                        f"「{expected}」(可能有字符录入错误)")
    return code


def normalize_name(name: str) -> str:
    """How names are compared (not stored): NFKC (full-width brackets become ASCII), without
    whitespace, ASCII lower case — so 「淮南（田家庵）牛肉汤」 equals 「淮南(田家庵)牛肉汤」."""
    folded = unicodedata.normalize("NFKC", name)
    return "".join(folded.split()).lower()
