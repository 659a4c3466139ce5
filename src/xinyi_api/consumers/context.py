"""The client address of the request being served, for per-address rate limits.

``ClientAddressMiddleware`` puts the client address into a context variable, so code that is not
handed the request (the on-scan hook) can still rate-limit by address.

The address is the TCP peer unless the peer is one of ``XINYI_TRUSTED_PROXIES`` (a CIDR list,
empty by default). Only then is ``X-Forwarded-For`` read, from the right: each proxy appends the
address it received the request from, so the rightmost entry not itself a trusted proxy is the
client; whatever lies to the left of it was written by the client and proves nothing. With the
default — no trusted proxy — the header is ignored: anyone could otherwise pick a fresh address
per request and step around every per-address limit. Behind a reverse proxy that is not trusted,
all clients share the proxy's address (limits bite early and visibly) until the operator names
the proxy. The resolved address also replaces ``scope["client"]``, so logs and ``request.client``
agree with the rate limits.

uvicorn's own forwarded-header handling must be off (``xinyi-api serve`` turns it off; with plain
``uvicorn`` pass ``--no-proxy-headers``): it trusts loopback peers by default and would rewrite
the peer before this middleware sees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import TYPE_CHECKING, TypeAlias

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

Network: TypeAlias = IPv4Network | IPv6Network
Address: TypeAlias = IPv4Address | IPv6Address

_address: ContextVar[str] = ContextVar("xinyi_client_address", default="unknown")


def current_address() -> str:
    """The client address of the current request (``unknown`` outside a request)."""
    return _address.get()


def _parse(text: str) -> Address | None:
    """An address from a peer or an ``X-Forwarded-For`` entry (``1.2.3.4``, ``1.2.3.4:5678``,
    ``2001:db8::1``, ``[2001:db8::1]:5678``), or ``None`` for anything else (``unknown``, …)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    """``XINYI_TRUSTED_PROXIES`` (validated CIDR text in the settings) as networks."""
    return tuple(ip_network(c) for c in cidrs)


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(peer: str, forwarded_for: Sequence[str], proxies: Sequence[Network]) -> str:
    """The client address of a request from ``peer`` carrying the ``X-Forwarded-For`` header
    values ``forwarded_for``, when the ``proxies`` networks are trusted."""
    current = _parse(peer)
    if current is None or not _trusted(current, proxies):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # the proxy passed on something that is no address: stop at the proxy
        current = address
        if not _trusted(address, proxies):
            break
    return str(current)


class ClientAddressMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        client = scope.get("client")
        address = client[0] if client else "unknown"
        cidrs: tuple[str, ...] = scope["app"].state.settings.trusted_proxies
        if cidrs and client:
            proxies = networks(cidrs)
            forwarded = [v.decode("latin-1") for k, v in scope["headers"]
                         if k == b"x-forwarded-for"]
            if forwarded:
                address = client_address(address, forwarded, proxies)
                if address != client[0]:
                    scope["client"] = (address, 0)
        reset = _address.set(address)
        try:
            await next_app(scope, receive, send)
        finally:
            _address.reset(reset)
