"""The client address of the request being served, for per-address rate limits.

``ClientAddressMiddleware`` puts the peer address into a context variable, so code that is not
handed the request (the on-scan hook) can still rate-limit by address. Behind a reverse proxy the
peer is the proxy: run the server with the proxy's forwarded-address support (uvicorn
``--proxy-headers`` / ``--forwarded-allow-ips``) so the peer is the real client.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

_address: ContextVar[str] = ContextVar("xinyi_client_address", default="unknown")


def current_address() -> str:
    """The client address of the current request (``unknown`` outside a request)."""
    return _address.get()


class ClientAddressMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        client = scope.get("client")
        reset = _address.set(client[0] if client else "unknown")
        try:
            await next_app(scope, receive, send)
        finally:
            _address.reset(reset)
