"""One exception hierarchy, mapped to RFC 9457 ``application/problem+json`` in one place.

Handlers and services raise ``AppError`` subclasses; they never build error responses by hand.
Every problem has a stable ``type`` (``urn:xinyi:problem:<slug>``) documented in ``docs/errors.md``.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from litestar.exceptions import HTTPException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

from xinyi_api.db.pool import DatabaseUnavailable, unavailability

log = logging.getLogger(__name__)

VALIDATION_MESSAGES: dict[str, str] = {}
"""msgspec's message for a failed constraint → the words a client sees instead (e.g. "Expected
`str` matching regex '^[^\\x00-…]*$'" → "Expected a single line of text without control
characters"). ``xinyi_api.inputs`` fills it in for its text types."""

PROBLEM_TYPE_PREFIX = "urn:xinyi:problem:"


class AppError(HTTPException):
    """Base of every error the API reports on purpose.

    A subclass of Litestar's ``HTTPException`` so handlers can list it in ``raises=[…]`` and the
    OpenAPI document shows the status codes an endpoint can answer with.
    """

    status_code: int = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        slug: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail=detail, status_code=self.status_code, headers=headers)
        self.problem_slug = slug or self.slug
        self.extra = extra


class BadRequest(AppError):
    pass


class Unauthorized(AppError):
    status_code = 401
    slug = "unauthorized"
    title = "Authentication required"


class Forbidden(AppError):
    status_code = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(AppError):
    status_code = 404
    slug = "not-found"
    title = "Not found"


class Conflict(AppError):
    status_code = 409
    slug = "conflict"
    title = "Conflict"


class Gone(AppError):
    status_code = 410
    slug = "gone"
    title = "Gone"


class Unprocessable(AppError):
    status_code = 422
    slug = "unprocessable"
    title = "Request cannot be processed"


class UnsupportedMediaType(AppError):
    status_code = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class TooManyRequests(AppError):
    status_code = 429
    slug = "rate-limited"
    title = "Too many requests"


def _app_error(exc: AppError) -> ProblemDetailsException:
    headers = dict(exc.headers or {})
    if isinstance(exc, Unauthorized):
        headers.setdefault("WWW-Authenticate", 'Bearer realm="xinyi-api"')
    return ProblemDetailsException(
        detail=exc.detail,
        status_code=exc.status_code,
        type_=PROBLEM_TYPE_PREFIX + exc.problem_slug,
        title=exc.title,
        headers=headers or None,
        extra=exc.extra or None,
    )


_HTTP_SLUGS = {
    400: ("invalid-request", "Invalid request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("body-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
}


def _http_exception(exc: HTTPException) -> ProblemDetailsException:
    slug, title = _HTTP_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
    if exc.status_code >= 500:
        log.error("HTTP %s: %s", exc.status_code, exc.detail)
    extra: dict[str, Any] | None = None
    if isinstance(exc.extra, list):
        extra = {"errors": [_readable(e) for e in exc.extra]}
    elif isinstance(exc.extra, dict):
        extra = exc.extra
    return ProblemDetailsException(
        detail=exc.detail,
        status_code=exc.status_code,
        type_=PROBLEM_TYPE_PREFIX + slug,
        title=title,
        headers=exc.headers,
        extra=extra,
    )


def _readable(error: Any) -> Any:
    """A validation error whose message is a failed text pattern, in words."""
    if isinstance(error, dict) and isinstance(message := error.get("message"), str):
        return {**error, "message": VALIDATION_MESSAGES.get(message, message)}
    return error


def _database_unavailable(down: DatabaseUnavailable) -> ProblemDetailsException:
    log.warning("answering 503: %s", down.detail)
    return ProblemDetailsException(
        detail=f"The database is not available right now ({down.detail}); try again shortly.",
        status_code=503,
        type_=PROBLEM_TYPE_PREFIX + "database-unavailable",
        title="Service unavailable",
        headers={"Retry-After": str(down.retry_after)},
        extra={"database": down.reason},
    )


def _unexpected(exc: Exception) -> ProblemDetailsException:
    # Losing the database is not a bug: whatever query noticed it, the caller gets a 503 with
    # Retry-After (``xinyi_api.db.pool``), and the next request tries again.
    down = unavailability(exc)
    if down is not None:
        return _database_unavailable(down)
    log.error("unhandled error", exc_info=exc)
    return ProblemDetailsException(
        detail="The server hit an unexpected error; it has been logged.",
        status_code=500,
        type_=PROBLEM_TYPE_PREFIX + "internal-error",
        title="Internal server error",
    )


def problem_details_plugin() -> ProblemDetailsPlugin:
    """The plugin that turns every exception raised by a JSON endpoint into problem+json."""
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            enable_for_all_http_exceptions=True,
            exception_to_problem_detail_map={
                AppError: _app_error,
                HTTPException: _http_exception,
                Exception: _unexpected,
            },
        )
    )


def problem_type(slug: str) -> str:
    return PROBLEM_TYPE_PREFIX + slug


__all__ = [
    "AppError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "Gone",
    "NotFound",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "Unprocessable",
    "UnsupportedMediaType",
    "problem_details_plugin",
    "problem_type",
]


class ServiceUnavailable(AppError):
    status_code = 503
    slug = "not-ready"
    title = "Service not ready"
