"""The opaque list cursor (xinyi_api.inputs.cursor): round trip, and every cursor this service
did not issue for this very list is refused before any query runs."""

from __future__ import annotations

import base64
from datetime import date, datetime

import pytest

from tests.conftest import NOW, TEST_SECRET
from xinyi_api.inputs.cursor import Cursors, InvalidCursor

CURSORS = Cursors(TEST_SECRET)
SCOPE = "complaints|scjg|3404|open"


def test_a_cursor_round_trips_its_position_with_types() -> None:
    token = CURSORS.encode(SCOPE, (NOW, "Q0000000042"))
    assert token.isascii() and "=" not in token and "Q0000000042" not in token
    assert CURSORS.decode_cursor(SCOPE, token, tuple[datetime, str]) == (NOW, "Q0000000042")
    position = (date(2026, 11, 16), 0, 1, date(2026, 11, 20), "O0000000001")
    token = CURSORS.encode("objections|department|scjg||1", position)
    assert CURSORS.decode_cursor("objections|department|scjg||1", token,
                                 tuple[date, int, int, date, str]) == position


def test_no_cursor_is_the_first_page() -> None:
    assert CURSORS.decode_cursor(SCOPE, None, tuple[datetime, str]) is None


@pytest.mark.parametrize("bad", ["", "not a cursor", "%%%", "AAAA", "A" * 600, "游标"])
def test_a_malformed_cursor_is_refused(bad: str) -> None:
    with pytest.raises(InvalidCursor) as caught:
        CURSORS.decode_cursor(SCOPE, bad, tuple[datetime, str])
    assert caught.value.problem_slug == "invalid-cursor"
    assert caught.value.extra["errors"][0]["key"] == "cursor"


def test_an_altered_or_forged_cursor_is_refused() -> None:
    token = CURSORS.encode(SCOPE, (NOW, "Q0000000042"))
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-3] ^= 1  # one bit of the position
    altered = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    forged = Cursors("another-secret-of-another-service").encode(SCOPE, (NOW, "Q0000000042"))
    for token in (altered, forged):
        with pytest.raises(InvalidCursor, match="not issued for this list"):
            CURSORS.decode_cursor(SCOPE, token, tuple[datetime, str])


def test_a_cursor_of_another_list_or_filter_is_refused() -> None:
    token = CURSORS.encode(SCOPE, (NOW, "Q0000000042"))
    for scope in ("complaints|scjg|3404|", "complaints|ybj|3404|open", "moderation|scjg|3404"):
        with pytest.raises(InvalidCursor):
            CURSORS.decode_cursor(scope, token, tuple[datetime, str])


def test_a_signed_cursor_of_another_shape_is_refused_not_crashed() -> None:
    token = CURSORS.encode(SCOPE, ["not a date", 7])
    with pytest.raises(InvalidCursor, match="malformed"):
        CURSORS.decode_cursor(SCOPE, token, tuple[datetime, str])


def test_page_cuts_at_the_limit_and_names_the_last_item_shown() -> None:
    rows = [{"at": NOW, "id": f"Q{i}"} for i in range(4)]
    shown, cursor = CURSORS.page(SCOPE, rows, 3, lambda r: (r["at"], r["id"]))
    assert [r["id"] for r in shown] == ["Q0", "Q1", "Q2"]
    assert CURSORS.decode_cursor(SCOPE, cursor, tuple[datetime, str]) == (NOW, "Q2")
    assert CURSORS.page(SCOPE, rows[:3], 3, lambda r: (r["at"], r["id"])) == (rows[:3], None)
