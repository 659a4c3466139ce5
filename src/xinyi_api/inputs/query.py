"""The guard every query string passes before routing reaches a handler.

Query parameters end up in ``ILIKE`` searches, audit filters and the audit log itself; a NUL
byte there used to reach PostgreSQL (500, with a traceback). ``QueryGuardMiddleware`` refuses,
for every parameter of every route — named or not, typed or not — a name or value that is not
UTF-8 or holds a character of ``SINGLE_LINE_FORBIDDEN`` (controls incl. tab and line breaks,
invisible characters, text-direction controls): 400 ``invalid-character`` naming the parameter.

Path parameters need no guard here: every one that reaches the database has an anchored
``pattern`` (``tests/input`` checks that for every route), and code tokens, which have none,
must answer 404 to anything that is not a genuine token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from xinyi_api.errors import BadRequest
from xinyi_api.inputs.types import describe_char, forbidden_char

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send


def _refused(name: str, message: str) -> BadRequest:
    return BadRequest(f"query parameter {name!r}: {message}", slug="invalid-character",
                      errors=[{"message": message, "key": name, "source": "query"}])


def _decode(raw: bytes) -> str | None:
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return None


def check_query_string(query_string: bytes) -> None:
    """Raise ``BadRequest`` (``invalid-character``) for the first parameter that is not clean
    single-line UTF-8 text."""
    for part in query_string.split(b"&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition(b"=")
        name = _decode(raw_name)
        if name is None:
            raise _refused(raw_name.decode("latin-1"), "the name is not UTF-8")
        char = forbidden_char(name, single_line=True)
        if char is not None:
            raise _refused(name, f"{describe_char(char)} is not allowed in a parameter name")
        value = _decode(raw_value)
        if value is None:
            raise _refused(name, "the value is not UTF-8")
        char = forbidden_char(value, single_line=True)
        if char is not None:
            raise _refused(name, f"{describe_char(char)} is not allowed")


class QueryGuardMiddleware(ASGIMiddleware):
    """Runs ``check_query_string`` on every HTTP request."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        query_string = scope.get("query_string", b"")
        if query_string:
            check_query_string(query_string)
        await next_app(scope, receive, send)
