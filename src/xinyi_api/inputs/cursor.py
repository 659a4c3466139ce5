"""Opaque, signed cursors 分页游标 for every keyset-paged list.

A list answers at most ``limit`` items (``1 ≤ limit ≤ MAX_LIMIT``) in a fixed order and, when
there are more, a ``next_cursor`` (and a ``next`` link) that names the position after its last
item. The next page is read *after that position* (``WHERE (sort key) > (cursor)``), never with
an ``OFFSET``: an item inserted while a client pages sorts where it belongs and never pushes
another item onto the next page twice or past it unseen.

The cursor is opaque to clients — ``base64url(version ‖ mac ‖ position)`` — and signed:
``mac`` is HMAC-SHA256 over the *scope* and the position, keyed from ``XINYI_SECRET_KEY``. The
scope names the list and everything that selects its rows (the queue, the department, the
region, the filters), so a cursor is only good for the list that issued it. A malformed, altered
or forged cursor, or one from another list or filter, is a 400 ``invalid-cursor`` naming the
``cursor`` parameter; nothing reaches the database.

Use (a service function)::

    after = cursors.decode_cursor(scope, cursor, tuple[datetime, str])   # None on the first page
    rows = await conn.fetch(q.queue, ..., *(after or (None, None)), limit + 1)
    items, next_cursor = cursors.page(scope, rows, limit, lambda r: (r["created_at"], r["id"]))

and in the route: ``cursor: Annotated[str | None, CURSOR] = None``,
``limit: Annotated[int, LIMIT] = 50``, ``next_link(request, next_cursor)``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

import msgspec
from litestar import Request
from litestar.params import QueryParameter

from xinyi_api.errors import BadRequest

__all__ = [
    "CURSOR",
    "DEFAULT_LIMIT",
    "LIMIT",
    "MAX_CURSOR_LENGTH",
    "MAX_LIMIT",
    "Cursors",
    "InvalidCursor",
    "cursors_for",
    "next_link",
]

P = TypeVar("P")
R = TypeVar("R")

MAX_LIMIT = 200
"""The most items one page may hold."""
DEFAULT_LIMIT = 50
MAX_CURSOR_LENGTH = 512
_VERSION = b"\x01"
_MAC_BYTES = 16
_KEY_LABEL = b"xinyi-api/list-cursor/v1"

CURSOR = QueryParameter(
    max_length=MAX_CURSOR_LENGTH,
    description="`next_cursor` of the previous page (opaque; only good for the same list and "
    "filters). Omit it for the first page. A cursor that was altered or belongs to another "
    "list is 400 `invalid-cursor`.")
LIMIT = QueryParameter(ge=1, le=MAX_LIMIT, description=f"items per page, at most {MAX_LIMIT}")


class InvalidCursor(BadRequest):
    """A ``cursor`` that this service did not issue for this list (malformed, altered, forged,
    or from another list or filter)."""

    slug = "invalid-cursor"

    def __init__(self, why: str) -> None:
        message = (f"{why}: pass the `next_cursor` of the previous page of this same list, or "
                   "no cursor to start again")
        super().__init__(f"invalid cursor: {message}", slug="invalid-cursor",
                         errors=[{"message": message, "key": "cursor", "source": "query"}])


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)


class Cursors:
    """Encodes and checks the cursors of every paged list, with one key per process."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()

    def _mac(self, scope: str, payload: bytes) -> bytes:
        return hmac.new(self._key, scope.encode() + b"\x00" + payload,
                        hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, scope: str, position: Sequence[Any]) -> str:
        """The cursor of ``position`` (the sort key of the last item shown) in list ``scope``."""
        payload = msgspec.json.encode(list(position))
        raw = _VERSION + self._mac(scope, payload) + payload
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    def decode_cursor(self, scope: str, cursor: str | None, position: type[P]) -> P | None:
        """The position a cursor of list ``scope`` names, as ``position`` (e.g.
        ``tuple[datetime, str]``); ``None`` without a cursor. Raises ``InvalidCursor``."""
        if cursor is None:
            return None
        if not cursor or len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
            raise InvalidCursor("the cursor is malformed")
        try:
            raw = _b64decode(cursor)
        except (binascii.Error, ValueError):
            raise InvalidCursor("the cursor is malformed") from None
        if len(raw) <= 1 + _MAC_BYTES or raw[:1] != _VERSION:
            raise InvalidCursor("the cursor is malformed")
        mac, payload = raw[1:1 + _MAC_BYTES], raw[1 + _MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(scope, payload)):
            raise InvalidCursor("the cursor was not issued for this list")
        try:
            return msgspec.json.decode(payload, type=position)
        except msgspec.ValidationError:  # signed by us, but for an older shape of the list
            raise InvalidCursor("the cursor is malformed") from None

    def page(self, scope: str, rows: Sequence[R], limit: int,
             key: Callable[[R], Sequence[Any]]) -> tuple[list[R], str | None]:
        """The first ``limit`` of ``rows`` (read with ``LIMIT limit + 1``) and the cursor of the
        next page, ``None`` when there is none."""
        shown = list(rows[:limit])
        if len(rows) <= limit or not shown:
            return shown, None
        return shown, self.encode(scope, key(shown[-1]))


@functools.lru_cache(maxsize=8)
def cursors_for(secret: str) -> Cursors:
    """The process's ``Cursors`` for ``XINYI_SECRET_KEY`` (the ``cursors`` dependency)."""
    return Cursors(secret)


def next_link(request: Request[Any, Any, Any], next_cursor: str | None) -> str | None:
    """The path and query of the next page: the request's own query with ``cursor`` replaced."""
    if next_cursor is None:
        return None
    params = [(k, v) for k, values in request.query_params.dict().items() for v in values
              if k != "cursor"]
    return f"{request.url.path}?{urlencode([*params, ('cursor', next_cursor)])}"
