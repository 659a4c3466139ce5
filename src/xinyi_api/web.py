"""``XinyiApp``: the Litestar application, answering ``HEAD`` on every ``GET`` route.

RFC 9110 §9.3.2: a server should answer HEAD like GET, without the body. Litestar routes HEAD
only to handlers declared for it (and refuses a HEAD handler that returns a body), so a
link checker, a CDN or ``curl -I`` got 405 from ``/c/{token}``, the images, the posters and
``/health``. ``XinyiApp`` runs a HEAD request as the GET it mirrors and sends the GET's status
and headers (``Content-Length`` included) with an empty body.

A HEAD is marked in the request state (``is_head``): handlers with side effects on read — the scan
counts and visit proofs of ``/c/{token}`` — skip them, since HEAD is not a scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from litestar import Litestar
from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.types import HTTPScope, Message, Receive, Scope, Send
    from litestar.types.asgi_types import LifeSpanReceive, LifeSpanScope, LifeSpanSend

__all__ = ["HEAD_STATE_KEY", "XinyiApp", "is_head"]

HEAD_STATE_KEY = "xinyi_head_request"


def is_head(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether this GET is really a HEAD (no scan counting, no visit proofs)."""
    return bool(connection.scope.get("state", {}).get(HEAD_STATE_KEY))


def _without_body(send: Send) -> Send:
    async def send_headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return send_headers_only


class XinyiApp(Litestar):
    """Litestar with HEAD answered on every GET route."""

    async def __call__(
        self,
        scope: Scope | LifeSpanScope,
        receive: Receive | LifeSpanReceive,
        send: Send | LifeSpanSend,
    ) -> None:
        if scope["type"] == ScopeType.HTTP and cast("HTTPScope", scope)["method"] == "HEAD":
            as_get = cast("HTTPScope", {**scope, "method": "GET"})
            as_get.setdefault("state", {})[HEAD_STATE_KEY] = True
            scope, send = as_get, _without_body(cast("Send", send))
        await super().__call__(scope, receive, send)
