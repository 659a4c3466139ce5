"""Constrained msgspec types for every kind of user input, and the characters text may hold.

The per-package ``schemas.py`` files build their request fields from these, adding lengths,
descriptions and examples with their own ``Meta``:

- ``SingleLineText`` — names, titles, addresses, file names, codes: one line, already trimmed,
  none of ``SINGLE_LINE_FORBIDDEN`` (controls incl. tab and line feed, invisible format
  characters, text-direction controls).
- ``FreeText`` — ratings, complaints, replies, reasons, content: may hold tab and line feed, none
  of ``NEVER_ALLOWED``.
- ``PlausibleDate`` / ``PlausibleDateTime`` — a day in ``EARLIEST_DATE`` … ``LATEST_DATE``.
  msgspec cannot bound dates with ``Meta``, so these are ``date`` / ``datetime`` subclasses
  decoded by ``TYPE_DECODERS`` (registered on the app) and documented by
  ``InputSchemaPlugin``; business rules such as "not in the future" stay in the services,
  which know today.
- ``Int64`` — what a PostgreSQL ``bigint`` holds; ``INT64_MAX`` bounds integer query
  parameters.

The JSON body guard (``xinyi_api.inputs.body``) refuses ``NEVER_ALLOWED`` in every string of
every body and trims every string, and the query guard (``xinyi_api.inputs.query``) refuses
``SINGLE_LINE_FORBIDDEN`` in every query parameter — so the patterns below are what the OpenAPI
document shows and what holds when a struct is decoded outside HTTP.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

import msgspec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition
from msgspec import Meta

from xinyi_api.errors import VALIDATION_MESSAGES

# --------------------------------------------------------------------------- characters

NEVER_ALLOWED: tuple[tuple[int, int, str], ...] = (
    (0x0000, 0x0008, "control character"),
    (0x000B, 0x001F, "control character"),  # everything in C0 but tab (09) and line feed (0A)
    (0x007F, 0x009F, "control character"),  # DEL and C1
    (0x061C, 0x061C, "text-direction control"),
    (0x200E, 0x200F, "text-direction control"),
    (0x2028, 0x2029, "line or paragraph separator (use a line feed)"),
    (0x202A, 0x202E, "text-direction control"),
    (0x2066, 0x2069, "text-direction control"),
    (0xD800, 0xDFFF, "unpaired surrogate"),
    (0xFDD0, 0xFDEF, "noncharacter"),
    (0xFFF9, 0xFFFB, "invisible format character"),
    (0xFFFE, 0xFFFF, "noncharacter"),
)
"""Characters no text of this API may hold, free text included: NUL and the other control
characters except tab and line feed (a carriage return is accepted only as part of CR LF in a
JSON body, which becomes LF), text-direction overrides, isolates and marks (a store name with
U+202E displays reversed on the H5 page and the poster), line/paragraph separators, unpaired
surrogates and noncharacters."""

SINGLE_LINE_ALSO: tuple[tuple[int, int, str], ...] = (
    (0x0009, 0x000A, "tab or line break"),
    (0x00AD, 0x00AD, "invisible format character"),  # soft hyphen
    (0x034F, 0x034F, "invisible format character"),  # combining grapheme joiner
    (0x115F, 0x1160, "invisible filler"),  # Hangul choseong/jungseong fillers
    (0x17B4, 0x17B5, "invisible format character"),
    (0x180E, 0x180E, "invisible format character"),  # Mongolian vowel separator
    (0x200B, 0x200D, "zero-width character"),
    (0x2060, 0x2064, "invisible format character"),  # word joiner, invisible operators
    (0x206A, 0x206F, "invisible format character"),
    (0x3164, 0x3164, "invisible filler"),  # Hangul filler (makes names look empty)
    (0xFEFF, 0xFEFF, "zero-width character"),  # byte order mark / zero-width no-break space
    (0xFFA0, 0xFFA0, "invisible filler"),
)
"""What names and other single-line fields refuse on top of ``NEVER_ALLOWED``: tab and line
breaks, zero-width and other invisible characters (free text keeps them: emoji sequences need
the zero-width joiner)."""

SINGLE_LINE_FORBIDDEN = NEVER_ALLOWED + SINGLE_LINE_ALSO


_SURROGATES = (0xD800, 0xDFFF)


def _char_class(ranges: tuple[tuple[int, int, str], ...], *, surrogates: bool = True) -> str:
    """A regex character class body with ``\\uXXXX`` escapes, adjacent ranges merged (valid in
    Python and ECMA-262, so the OpenAPI ``pattern`` works in browsers too)."""
    merged: list[list[int]] = []
    for start, end, _ in sorted(ranges):
        if not surrogates and (start, end) == _SURROGATES:
            continue
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return "".join(f"\\u{start:04x}" if start == end else f"\\u{start:04x}-\\u{end:04x}"
                   for start, end in merged)


# The patterns leave unpaired surrogates out: an ECMA-262 regex without the ``u`` flag sees every
# emoji as a surrogate pair and would refuse it. Strings of a parsed JSON body are checked with
# surrogates included (``forbidden_char``), and msgspec's own decoder refuses them too.
_NEVER = _char_class(NEVER_ALLOWED, surrogates=False)
_SINGLE = _char_class(SINGLE_LINE_FORBIDDEN, surrogates=False)

FREE_TEXT_PATTERN = f"^[^{_NEVER}]*$"
# Empty, or starting and ending with a visible character; ``(?!\n)`` because Python's ``$``
# also matches before a final line feed.
SINGLE_LINE_PATTERN = f"^(?:[^\\s{_SINGLE}](?:[^{_SINGLE}]*[^\\s{_SINGLE}])?)?$(?!\\n)"

_NEVER_RE = re.compile(f"[{_char_class(NEVER_ALLOWED)}]")
_SINGLE_RE = re.compile(f"[{_char_class(SINGLE_LINE_FORBIDDEN)}]")


def _kind(char: str, ranges: tuple[tuple[int, int, str], ...]) -> str:
    code = ord(char)
    return next(kind for start, end, kind in ranges if start <= code <= end)


def describe_char(char: str, ranges: tuple[tuple[int, int, str], ...] = SINGLE_LINE_FORBIDDEN
                  ) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE (text-direction control)`` — for error messages."""
    name = unicodedata.name(char, "")
    label = f"U+{ord(char):04X}" + (f" {name}" if name else "")
    return f"{label} ({_kind(char, ranges)})"


def forbidden_char(text: str, *, single_line: bool) -> str | None:
    """The first character ``text`` may not hold, or ``None``."""
    match = (_SINGLE_RE if single_line else _NEVER_RE).search(text)
    return match.group() if match else None


SINGLE_LINE_MESSAGE = (
    "Expected a single line of text without surrounding whitespace, control characters, line "
    "breaks, invisible characters or text-direction controls (such as U+202E)"
)
FREE_TEXT_MESSAGE = (
    "Expected text without control characters (tab and line feed are fine), text-direction "
    "controls (such as U+202E) or unpaired surrogates"
)

SingleLineText = Annotated[str, Meta(pattern=SINGLE_LINE_PATTERN)]
"""One line of text, trimmed: names, titles, addresses, file names, codes. A JSON body's strings
arrive trimmed, so a name of spaces only is empty (and refused where ``min_length=1``)."""

FreeText = Annotated[str, Meta(pattern=FREE_TEXT_PATTERN)]
"""Text that may run over several lines (tab and line feed allowed): ratings, complaints,
replies, reasons, record content."""

_READABLE = {
    f"Expected `str` matching regex {SINGLE_LINE_PATTERN!r}": SINGLE_LINE_MESSAGE,
    f"Expected `str` matching regex {FREE_TEXT_PATTERN!r}": FREE_TEXT_MESSAGE,
}


def readable_validation_message(message: str) -> str:
    """msgspec's message for a failed text pattern, in words instead of a 300-character regex."""
    return _READABLE.get(message, message)


# The problem+json rendering (xinyi_api.errors) shows these words in each error's ``message``.
VALIDATION_MESSAGES.update(_READABLE)


# --------------------------------------------------------------------------- integers

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
Int64 = Annotated[int, Meta(ge=INT64_MIN, le=INT64_MAX)]
"""An integer PostgreSQL's ``bigint`` can hold."""

# --------------------------------------------------------------------------- dates

EARLIEST_DATE = date(1990, 1, 1)
LATEST_DATE = date(2099, 12, 31)
DATE_RANGE = f"{EARLIEST_DATE.isoformat()} … {LATEST_DATE.isoformat()}"
_EARLIEST_INSTANT = datetime.combine(EARLIEST_DATE, time(), UTC)
_END_INSTANT = datetime(LATEST_DATE.year + 1, 1, 1, tzinfo=UTC)


class PlausibleDate(date):
    """A day in ``EARLIEST_DATE`` … ``LATEST_DATE`` (1990-01-01 … 2099-12-31), as
    ``YYYY-MM-DD``.

    Far enough back for any record a department still keeps, far enough ahead for any
    commitment, and far from the ends of ``date`` (0001-01-01 is accepted by Python and
    PostgreSQL alike, and then overflows every display-period computation).
    """

    @classmethod
    def of(cls, day: date) -> PlausibleDate:
        """``day`` as a ``PlausibleDate``, for request structs built in code (no range check:
        the code, not a client, vouches for it)."""
        return cls(day.year, day.month, day.day)


class PlausibleDateTime(datetime):
    """An instant from 1990-01-01T00:00Z up to (not including) 2100-01-01T00:00Z, RFC 3339;
    without an offset it is taken as UTC."""


def _is_plausible_date(target: Any) -> bool:
    return target is PlausibleDate


def _is_plausible_datetime(target: Any) -> bool:
    return target is PlausibleDateTime


def _decode_date(target: type, value: Any) -> PlausibleDate:
    if isinstance(value, datetime) or not isinstance(value, str | date):
        raise TypeError(f"Expected a date `YYYY-MM-DD`, got `{type(value).__name__}`")
    try:
        day = msgspec.convert(value, date)
    except msgspec.ValidationError:
        raise ValueError(f"Expected a date `YYYY-MM-DD`, got {value!r}") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"Expected a date in {DATE_RANGE}, got {day.isoformat()}")
    return PlausibleDate(day.year, day.month, day.day)


def _decode_datetime(target: type, value: Any) -> PlausibleDateTime:
    if not isinstance(value, str | datetime):
        raise TypeError(f"Expected an RFC 3339 date-time, got `{type(value).__name__}`")
    try:
        instant = msgspec.convert(value, datetime)
    except msgspec.ValidationError:
        raise ValueError(f"Expected an RFC 3339 date-time, got {value!r}") from None
    aware = instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
    if not _EARLIEST_INSTANT <= aware < _END_INSTANT:
        raise ValueError(f"Expected a date-time in {DATE_RANGE}, got {value!r}")
    return PlausibleDateTime.combine(instant.date(), instant.timetz())


TYPE_DECODERS = [(_is_plausible_date, _decode_date),
                 (_is_plausible_datetime, _decode_datetime)]
"""For ``Litestar(type_decoders=…)``: bodies and query parameters alike."""


class InputSchemaPlugin(OpenAPISchemaPlugin):
    """The OpenAPI schema of ``PlausibleDate`` / ``PlausibleDateTime``: a string of format
    ``date`` / ``date-time`` whose description gives the range."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return field_definition.annotation in (PlausibleDate, PlausibleDateTime)

    def to_openapi_schema(self, field_definition: FieldDefinition,
                          schema_creator: Any) -> Schema:
        own = getattr(field_definition.kwarg_definition, "description", None)
        if field_definition.annotation is PlausibleDateTime:
            format_, limits = OpenAPIFormat.DATE_TIME, f"RFC 3339, in {DATE_RANGE}"
        else:
            format_, limits = OpenAPIFormat.DATE, f"a day in {DATE_RANGE}"
        return Schema(type=OpenAPIType.STRING, format=format_,
                      description=f"{own} ({limits})" if own else limits)
