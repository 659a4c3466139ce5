"""The OpenAPI document as a client generator needs it: every error as ``application/problem+json``.

Litestar documents the errors listed in ``raises=[…]`` with its default body
(``{status_code, detail, extra}``), which is not what the service answers. ``finish_openapi``
rewrites the generated document once, when it is first served:

- every error response is ``application/problem+json`` with the ``Problem`` schema (RFC 9457:
  ``type``, ``title``, ``status``, ``detail``, ``errors``), the ``type`` values that operation can
  answer as an ``enum``, and one example per ``type``;
- which ``type`` values an operation answers is read from the code (``xinyi_api.problems``): the
  handler's raise sites, transitively, plus what every operation of its kind can meet — a bad
  bearer token (401), malformed parameters (400), a body too large or not JSON (413, 415);
- every ``GET`` operation gets its ``HEAD`` twin (``XinyiApp`` answers HEAD on every GET route).

Explicit non-JSON error responses (the H5 page's HTML error pages) are kept as they are.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import JsonRenderPlugin

from xinyi_api.errors import PROBLEM_TYPE_PREFIX
from xinyi_api.problems import Problem, problems_of

if TYPE_CHECKING:
    from litestar import Litestar, Request

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "ProblemJsonRenderPlugin",
    "documented_problems",
    "finish_openapi",
    "openapi_document",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

_STATUS_TEXT = {
    400: "Bad request: a parameter or the body is malformed",
    401: "No valid bearer token",
    403: "The caller may not do this",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with the current state",
    410: "Gone",
    413: "Request body too large",
    415: "The body is not application/json",
    422: "Well-formed but not acceptable",
    429: "Too many requests: wait for Retry-After seconds",
    502: "An upstream service (WeChat) failed",
    503: "Temporarily unavailable: retry after Retry-After seconds",
}

# What every operation of a kind can meet, whatever its handler does.
BAD_TOKEN = (Problem(401, "invalid-token", "Authentication required",
                     "the bearer token is not a well-formed JWT"),
             Problem(401, "token-expired", "Authentication required", "the token has expired"))
BAD_INPUT = Problem(400, "invalid-request", "Invalid request",
                    "Validation failed for GET /api/v1/stores")
DATABASE_DOWN = Problem(503, "database-unavailable", "Service unavailable",
                        "The database is not available right now; try again shortly.")
NO_DATABASE = ("/health",)
"""Operations that never touch the database (everything else may answer 503)."""
BAD_CHARACTER = Problem(400, "invalid-character", "Invalid request",
                        "U+202E RIGHT-TO-LEFT OVERRIDE is not allowed in text")
BODY_PROBLEMS = (Problem(413, "body-too-large", "Request body too large",
                         "the body is larger than XINYI_MAX_BODY_BYTES"),
                 Problem(415, "unsupported-media-type", "Unsupported media type",
                         "send the body as application/json"),
                 Problem(400, "duplicate-key", "Invalid request", "key stars appears twice"),
                 Problem(400, "json-too-deep", "Invalid request",
                         "arrays and objects nest deeper than 32 levels"),
                 BAD_CHARACTER)


def problem_schema() -> dict[str, Any]:
    """The ``Problem`` component: RFC 9457 problem details as the service writes them."""
    return {
        "type": "object",
        "title": "Problem",
        "description": "RFC 9457 problem details. `type` is stable: `urn:xinyi:problem:<slug>`, "
        "one of the slugs in docs/errors.md; `detail` is for people and may change. Some "
        "problems carry more members (e.g. `errors`, a list naming each bad field).",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string", "description": "`urn:xinyi:problem:<slug>`",
                     "examples": [PROBLEM_TYPE_PREFIX + "not-found"]},
            "title": {"type": "string", "description": "Short summary of the problem kind"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "description": "What went wrong this time"},
            "errors": {
                "type": "array",
                "description": "One entry per bad field or parameter (validation problems)",
                "items": {
                    "type": "object",
                    "properties": {
                        "message": {"type": "string"},
                        "key": {"type": "string", "description": "the field or parameter"},
                        "source": {"type": "string",
                                   "description": "body, query, path, header or cookie"},
                    },
                    "additionalProperties": True,
                },
            },
        },
        "additionalProperties": True,
    }


# --- which problems each operation answers ---------------------------------------------------


def _path_key(path: str) -> str:
    """Litestar's ``/x/{id:str}`` as the OpenAPI path ``/x/{id}``."""
    return re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)


def _handlers(app: Litestar) -> dict[tuple[str, str], HTTPRouteHandler]:
    found: dict[tuple[str, str], HTTPRouteHandler] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if isinstance(handler, HTTPRouteHandler) and handler.resolve_include_in_schema():
                for method in handler.http_methods:
                    found[(_path_key(route.path), method.lower())] = handler
    return found


def _is_public_path(path: str, public_paths: Iterable[str]) -> bool:
    return any(re.search(pattern, path) for pattern in public_paths)


def operation_problems(handler: HTTPRouteHandler | None, path: str, operation: dict[str, Any],
                       public_paths: Iterable[str]) -> set[Problem]:
    """The problems one operation can answer: its own raise sites and those of its kind."""
    found: set[Problem] = set()
    if handler is not None:
        providers = [p.dependency for p in handler.resolve_dependencies().values()]
        found |= problems_of(handler.fn, *handler.resolve_guards(), *providers)
        for extra in (handler.opt or {}).get("problems", ()):
            found.add(extra)
    if not _is_public_path(path, public_paths):
        found.update(BAD_TOKEN)
    if path not in NO_DATABASE and not path.startswith("/schema"):
        found.add(DATABASE_DOWN)
    if operation.get("parameters") or operation.get("requestBody"):
        found.add(BAD_INPUT)
    if any(p.get("in") == "query" for p in operation.get("parameters", ())):
        found.add(BAD_CHARACTER)
    if operation.get("requestBody"):
        found.update(BODY_PROBLEMS)
    return found


# --- writing the document ------------------------------------------------------------------


def _example(problem: Problem) -> dict[str, Any]:
    body: dict[str, Any] = {"type": PROBLEM_TYPE_PREFIX + problem.slug, "title": problem.title,
                            "status": problem.status}
    if problem.detail:
        body["detail"] = problem.detail
    if problem.slug == "invalid-request":
        body["errors"] = [{"message": "Expected `str` of length <= 200", "key": "name",
                           "source": "body"}]
    return body


def _problem_response(status: int, problems: list[Problem]) -> dict[str, Any]:
    slugs = sorted({p.slug for p in problems})
    examples = {}
    for slug in slugs:
        problem = next(p for p in sorted(problems, key=lambda p: (p.slug, -len(p.detail)))
                       if p.slug == slug)
        examples[slug] = {"summary": problem.detail or problem.title, "value": _example(problem)}
    schema = {"allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {"type": "object", "properties": {
            "type": {"enum": [PROBLEM_TYPE_PREFIX + s for s in slugs]},
            "status": {"const": status}}},
    ]}
    description = _STATUS_TEXT.get(status, "Error") + ". `type`: " + ", ".join(
        f"`{s}`" for s in slugs) + " (docs/errors.md)."
    return {"description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema, "examples": examples}}}


def _is_json_or_missing(response: dict[str, Any]) -> bool:
    content = response.get("content") or {}
    return not content or "application/json" in content


def _head_twin(get: dict[str, Any]) -> dict[str, Any]:
    head = {k: copy.deepcopy(v) for k, v in get.items() if k not in ("requestBody",)}
    head["operationId"] = "Head" + str(get.get("operationId", ""))
    head["summary"] = "HEAD: " + str(get.get("summary", "")).strip()
    head["description"] = "The headers the GET would answer, without a body (RFC 9110 §9.3.2)."
    for response in head.get("responses", {}).values():
        response.pop("content", None)
    return head


ALSO_MEDIA_TYPES = "also_media_types"
"""A handler's ``opt`` key: ``{status: ("application/pdf", …)}``, more media types its answer of
that status may have besides the one its ``ResponseSpec`` names (one spec holds one type; a
poster is PNG or PDF, a template CSV or XLSX). Documented with the same schema."""


def _add_media_types(handler: HTTPRouteHandler | None, responses: dict[str, Any]) -> None:
    extra: dict[int, tuple[str, ...]] = (handler.opt.get(ALSO_MEDIA_TYPES, {})
                                         if handler is not None else {})
    for status, media_types in extra.items():
        content = responses.get(str(status), {}).get("content")
        if not content:
            continue
        schema = next(iter(content.values())).get("schema", {})
        for media_type in media_types:
            content.setdefault(media_type, {"schema": schema})


def finish_openapi(doc: dict[str, Any], app: Litestar,
                   public_paths: Iterable[str] = ()) -> dict[str, Any]:
    """Rewrite the error responses of ``doc`` (Litestar's document of ``app``) in place."""
    handlers = _handlers(app)
    public_paths = tuple(public_paths)
    for path, item in doc.get("paths", {}).items():
        for method in [m for m in METHODS if m in item]:
            operation = item[method]
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for code in [c for c in responses if c[:1] in "45" and _is_json_or_missing(
                    responses[c])]:
                del responses[code]
            problems = operation_problems(handlers.get((path, method)), path, operation,
                                          public_paths)
            by_status: dict[int, list[Problem]] = {}
            for problem in problems:
                by_status.setdefault(problem.status, []).append(problem)
            for status in sorted(by_status):
                if str(status) not in responses:  # else: an explicit page (the H5 HTML) stays
                    responses[str(status)] = _problem_response(status, by_status[status])
            _add_media_types(handlers.get((path, method)), responses)
            operation["responses"] = dict(sorted(responses.items()))
        if "get" in item and "head" not in item:
            item["head"] = _head_twin(item["get"])
    doc.setdefault("components", {}).setdefault("schemas", {})["Problem"] = problem_schema()
    return doc


def openapi_document(app: Litestar, public_paths: Iterable[str] = ()) -> dict[str, Any]:
    """The finished OpenAPI document of ``app`` (what ``/schema/openapi.json`` serves)."""
    return finish_openapi(copy.deepcopy(app.openapi_schema.to_schema()), app, public_paths)


def documented_problems(doc: dict[str, Any]) -> dict[tuple[str, str], set[tuple[int, str]]]:
    """``(path, method) → {(status, slug)}`` of a finished document, for checking answers."""
    out: dict[tuple[str, str], set[tuple[int, str]]] = {}
    for path, item in doc.get("paths", {}).items():
        for method in [m for m in METHODS if m in item]:
            pairs: set[tuple[int, str]] = set()
            for code, response in item[method].get("responses", {}).items():
                media = (response.get("content") or {}).get(PROBLEM_MEDIA_TYPE)
                if media is None:
                    continue
                for value in media.get("schema", {}).get("allOf", [{}, {}])[1].get(
                        "properties", {}).get("type", {}).get("enum", []):
                    pairs.add((int(code), value.removeprefix(PROBLEM_TYPE_PREFIX)))
            out[(path, method)] = pairs
    return out


class ProblemJsonRenderPlugin(JsonRenderPlugin):
    """Serves ``/schema/openapi.json`` finished by ``finish_openapi`` (built once per app)."""

    def __init__(self, public_paths: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._public_paths = tuple(public_paths)
        self._finished: dict[str, Any] | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._finished is None:
            self._finished = finish_openapi(copy.deepcopy(openapi_schema), request.app,
                                            self._public_paths)
        return self.render_json(request, self._finished)
