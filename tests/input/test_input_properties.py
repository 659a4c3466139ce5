"""Property tests of the parsers of user input: the text types, the date range, the JSON body
guard, the query-string guard and the ``XINYI_RATE_LIMITS`` parser. Bounded runs, no deadline:
the suite stays fast on a busy machine."""

from __future__ import annotations

import json
import math
import string
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from xinyi_api.errors import BadRequest
from xinyi_api.inputs import (
    EARLIEST_DATE,
    INT64_MAX,
    INT64_MIN,
    LATEST_DATE,
    FreeText,
    PlausibleDate,
    PlausibleDateTime,
    SingleLineText,
)
from xinyi_api.inputs.body import MAX_DEPTH, parse_json_body
from xinyi_api.inputs.query import check_query_string
from xinyi_api.inputs.types import TYPE_DECODERS, forbidden_char
from xinyi_api.settings import RATE_LIMIT_NAMES, Settings, SettingsError

PROPERTY = settings(max_examples=150, deadline=None)

# Text that often hits the interesting characters: controls, direction controls, invisibles,
# whitespace of every kind, CJK and emoji with a zero-width joiner.
SPECIAL = "\x00\t\n\r\x0b\x1b\x7f\x85\xa0\xad\u061c\u200b\u200d\u200e\u2028\u202e\u2066\u3000" \
          "\u3164\ufeff\ufffe牛肉汤 aZ9👨\u200d🍳"
texts = st.text(st.one_of(st.sampled_from(SPECIAL), st.characters(codec="utf-8")), max_size=12)
# JSON can also carry unpaired surrogates (as \ud800 escapes); the type patterns leave them to
# the body guard (an ECMA-262 pattern without the u flag would refuse every emoji).
json_texts = st.text(st.one_of(st.sampled_from(SPECIAL), st.characters()), max_size=12)


def _dec_hook(target: type, value: Any) -> Any:
    for predicate, decoder in TYPE_DECODERS:
        if predicate(target):
            return decoder(target, value)
    raise NotImplementedError


def _accepts(value: Any, t: Any) -> bool:
    try:
        msgspec.convert(value, t, dec_hook=_dec_hook)
    except msgspec.ValidationError:
        return False
    return True


@PROPERTY
@given(texts)
def test_single_line_text_is_exactly_trimmed_text_without_forbidden_characters(text: str) -> None:
    expected = forbidden_char(text, single_line=True) is None and text == text.strip()
    assert _accepts(text, SingleLineText) is expected


@PROPERTY
@given(texts)
def test_free_text_is_exactly_text_without_never_allowed_characters(text: str) -> None:
    assert _accepts(text, FreeText) is (forbidden_char(text, single_line=False) is None)


@PROPERTY
@given(json_texts)
def test_the_body_guard_passes_only_clean_trimmed_text(text: str) -> None:
    try:
        value = parse_json_body(json.dumps({"name": text}).encode())
    except BadRequest as exc:
        assert exc.problem_slug == "invalid-character"
        assert exc.extra["errors"][0]["key"] == "name"
        assert forbidden_char(text.replace("\r\n", "\n"), single_line=False) is not None
        return
    cleaned = value["name"]
    assert cleaned == text.replace("\r\n", "\n").strip()
    assert _accepts(cleaned, FreeText)
    assert _accepts(cleaned, SingleLineText) is (forbidden_char(cleaned, single_line=True)
                                                 is None)


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "x\\udc00y"])
def test_the_body_guard_refuses_unpaired_surrogates(escape: str) -> None:
    with pytest.raises(BadRequest) as refused:
        parse_json_body(f'{{"text": "{escape}"}}'.encode())
    assert refused.value.problem_slug == "invalid-character"


@PROPERTY
@given(st.binary(max_size=200) | st.text(string.printable + "[]{}\"\\:,", max_size=200).map(
    str.encode))
def test_the_body_guard_answers_any_bytes_with_a_value_or_a_400(body: bytes) -> None:
    try:
        parse_json_body(body)
    except BadRequest as exc:
        assert exc.status_code == 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | json_texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_texts, inner, max_size=4),
    max_leaves=30)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


def _clean(value: Any) -> bool:
    if isinstance(value, str):
        return value == value.strip() and forbidden_char(value, single_line=False) is None
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return INT64_MIN <= value <= INT64_MAX
    if isinstance(value, list):
        return all(_clean(v) for v in value)
    if isinstance(value, dict):
        return all(forbidden_char(k, single_line=False) is None and _clean(v)
                   for k, v in value.items())
    return True


@PROPERTY
@given(json_values | st.integers(1, 60).map(lambda n: json.loads("[" * n + "]" * n)))
@example({"": "\x1f"})  # the empty key is named too: data[""]
def test_the_body_guard_returns_only_clean_values_or_a_4xx(value: Any) -> None:
    try:
        parsed = parse_json_body(json.dumps(value).encode())
    except BadRequest as exc:
        assert exc.problem_slug in {"invalid-character", "invalid-request", "json-too-deep"}
        assert exc.extra["errors"][0]["key"]
        return
    assert _clean(parsed)
    assert _depth(parsed) <= MAX_DEPTH


@PROPERTY
@given(st.dictionaries(st.text("abcxyz", min_size=1, max_size=3), st.integers(), min_size=1,
                       max_size=3), st.data())
def test_the_body_guard_names_a_duplicated_key(obj: dict[str, int], data: Any) -> None:
    key = data.draw(st.sampled_from(sorted(obj)))
    body = json.dumps(obj)[:-1] + f", {json.dumps(key)}: 0}}"
    with pytest.raises(BadRequest) as refused:
        parse_json_body(body.encode())
    assert refused.value.problem_slug == "duplicate-key"
    assert refused.value.extra["errors"][0]["key"] == key


@PROPERTY
@given(st.dates())
def test_a_date_is_plausible_exactly_inside_the_range(day: date) -> None:
    assert _accepts(day.isoformat(), PlausibleDate) is (EARLIEST_DATE <= day <= LATEST_DATE)


@PROPERTY
@given(st.datetimes(timezones=st.none() | st.timezones()))
def test_an_instant_is_plausible_exactly_inside_the_range(instant: datetime) -> None:
    try:
        text = instant.isoformat()
        aware = instant if instant.utcoffset() is not None else instant.replace(tzinfo=UTC)
        utc = aware.astimezone(UTC)
    except (OverflowError, ValueError):  # 0001-01-01 or 9999-12-31 with an offset
        assert not _accepts(instant.isoformat(), PlausibleDateTime)
        return
    inside = datetime(1990, 1, 1, tzinfo=UTC) <= utc < datetime(2100, 1, 1, tzinfo=UTC)
    assert _accepts(text, PlausibleDateTime) is inside


@PROPERTY
@given(st.lists(st.tuples(texts, texts), max_size=3))
def test_the_query_guard_refuses_exactly_forbidden_characters(pairs: list[tuple[str, str]],
                                                              ) -> None:
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    bad = [k for k, v in pairs
           if forbidden_char(k, single_line=True) or forbidden_char(v, single_line=True)]
    try:
        check_query_string(query.encode())
    except BadRequest as exc:
        assert exc.extra["errors"][0]["key"] == bad[0]
        return
    assert not bad


@PROPERTY
@given(st.binary(max_size=60))
def test_the_query_guard_answers_any_bytes_with_nothing_or_a_400(raw: bytes) -> None:
    try:
        check_query_string(raw)
    except BadRequest as exc:
        assert exc.status_code == 400 and exc.problem_slug == "invalid-character"


ENV = {"DATABASE_URL": "postgresql://db/xinyi", "XINYI_SECRET_KEY": "s" * 32}
limits = st.lists(st.tuples(st.sampled_from(sorted(RATE_LIMIT_NAMES)), st.integers(1, 9_999_999),
                            st.integers(1, 7 * 86400)), max_size=4)


@PROPERTY
@given(limits)
def test_rate_limits_read_back_what_was_written(expected: list[tuple[str, int, int]]) -> None:
    raw = ",".join(f"{n}={c}/{s}" for n, c, s in expected)
    assert Settings.from_env({**ENV, "XINYI_RATE_LIMITS": raw}).rate_limits == tuple(expected)


@PROPERTY
@given(st.text(st.sampled_from("rating_login=/,0123456789 x٣") | st.characters(), max_size=30))
def test_rate_limits_are_parsed_or_refused_naming_the_variable(raw: str) -> None:
    try:
        parsed = Settings.from_env({**ENV, "XINYI_RATE_LIMITS": raw}).rate_limits
    except SettingsError as exc:
        assert exc.variable == "XINYI_RATE_LIMITS"
        return
    for name, count, seconds in parsed:
        assert name in RATE_LIMIT_NAMES and count >= 1 and 1 <= seconds <= 7 * 86400


def test_the_decoders_are_what_the_app_registers(app) -> None:
    assert all(pair in app.type_decoders for pair in TYPE_DECODERS)
