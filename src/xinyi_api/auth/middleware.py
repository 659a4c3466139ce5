"""Reads the bearer token of every request into ``request.user`` (a ``Principal``).

A request without ``Authorization`` is anonymous; public endpoints serve it and guarded ones answer
401. A request *with* a bad token is refused with 401 everywhere, so a client never silently falls
back to anonymous access because its token broke.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from xinyi_api.auth.tokens import ANONYMOUS, verify_token
from xinyi_api.errors import Unauthorized

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection


class BearerAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:  # type: ignore[type-arg]
        header = connection.headers.get("authorization")
        if not header:
            return AuthenticationResult(user=ANONYMOUS, auth=None)
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use 'Authorization: Bearer <token>'", slug="invalid-token")
        state = connection.app.state
        principal = await verify_token(
            state.key_store,
            token.strip(),
            issuer=state.settings.jwt_issuer,
            audience=state.settings.jwt_audience,
            now=state.clock.now(),
            max_access_ttl=state.settings.access_token_ttl,
            max_service_ttl=state.settings.service_token_max_ttl,
        )
        return AuthenticationResult(user=principal, auth=token)
