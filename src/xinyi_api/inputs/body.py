"""The guard every JSON request body passes before a handler sees it.

``GuardedRequest`` is the app's request class (``Litestar(request_class=…)``): Litestar asks it
for ``json()`` when it extracts a ``data: JSONBody[…]`` parameter — after authentication and the
route's guards, before msgspec converts the value into the handler's struct. The body is then:

1. ``application/json`` (UTF-8) or the request is refused with 415 ``unsupported-media-type``;
   the size is limited earlier (413, ``XINYI_MAX_BODY_BYTES``);
2. parsed by ``parse_json_body``: well-formed UTF-8 JSON (a raw tab or line feed inside a
   string is taken as if escaped), no key twice in an object (``duplicate-key``), at most
   ``MAX_DEPTH`` levels of nesting (``json-too-deep``), numbers finite and integers within 64
   bits, and no string — key or value — holding a character of ``NEVER_ALLOWED``
   (``invalid-character``);
3. normalised: CR LF becomes LF and every string value is trimmed of surrounding whitespace
   (so a name of spaces only arrives empty and ``min_length=1`` refuses it).

Every refusal is a 4xx problem naming the field (``errors[].key``, as msgspec's own validation
errors do) and nothing of the request reaches a handler, let alone the database.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from litestar import Request
from litestar.types import Empty

from xinyi_api.errors import BadRequest, UnsupportedMediaType
from xinyi_api.inputs.types import (
    INT64_MAX,
    INT64_MIN,
    NEVER_ALLOWED,
    describe_char,
    forbidden_char,
)

MAX_DEPTH = 32
"""Deepest nesting of arrays and objects a body may have (ours need 3)."""
JSON_MEDIA_TYPE = "application/json"
ROOT = "data"
"""How an error names the body itself (Litestar's name for it, too)."""


class InvalidBody(BadRequest):
    """A malformed value in a JSON body (400 ``invalid-request``)."""

    slug = "invalid-request"
    title = "Invalid request"


class InvalidCharacter(InvalidBody):
    slug = "invalid-character"


class DuplicateKey(InvalidBody):
    slug = "duplicate-key"


class JsonTooDeep(InvalidBody):
    slug = "json-too-deep"


def _error(kind: type[InvalidBody], key: str, message: str, *,
           detail: str | None = None) -> InvalidBody:
    return kind(detail or f"{message} (at {key})",
                errors=[{"message": message, "key": key, "source": "body"}])


class _Duplicated(dict[str, Any]):
    """An object in which ``key`` appeared more than once (the walk reports it with its
    path)."""

    key: str


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    duplicated = _Duplicated(obj)
    for key, _ in pairs:
        if key in seen:
            duplicated.key = key
            break
        seen.add(key)
    return duplicated


def _non_finite(_constant: str) -> float:
    return math.nan  # NaN, Infinity, -Infinity: refused with their path by the walk


# strict=False lets a raw control character inside a string through to the walk, which refuses
# it naming the field (tab and line feed stay, as if escaped).
_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_non_finite, strict=False)

# A JSON string, or an unterminated one up to the end: linear on any input (possessive
# quantifiers, and never a failed match to retry from the next quote).
_STRING = re.compile(rb'"(?:[^"\\]++|\\.?)*+"?')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _too_deep(body: bytes) -> bool:
    """Whether arrays and objects nest deeper than ``MAX_DEPTH`` — decided before parsing, so
    that no parser recursion depends on the body."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:  # every body we expect
        return False
    structure = _STRING.sub(b"", body)
    depth = 0
    for byte in structure.translate(None, _NOT_BRACKETS):
        depth += 1 if byte in b"[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


_PLAIN_KEY = re.compile(r"[^\s.\[\]\"]+")


def _child(path: str, key: str) -> str:
    """``name``, ``correction.title``; a key that is empty or holds dots, brackets, quotes or
    spaces (or worse) as a JSON string in brackets: ``data[""]``, ``dimensions["a.b"]``."""
    if _PLAIN_KEY.fullmatch(key) and forbidden_char(key, single_line=True) is None:
        return key if path == ROOT else f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


def _clean_text(text: str, path: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    char = forbidden_char(text, single_line=False)
    if char is not None:
        raise _error(InvalidCharacter, path,
                     f"{describe_char(char, NEVER_ALLOWED)} is not allowed in text")
    return text.strip()


def _clean(value: Any, path: str) -> Any:
    """Check and normalise ``value`` in place; ``path`` names it in errors."""
    if isinstance(value, str):
        return _clean_text(value, path)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise _error(InvalidBody, path, "Expected an integer within 64 bits")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _error(InvalidBody, path, "Expected a finite number")
        return value
    if isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = _clean(item, f"{path}[{index}]")
        return value
    assert isinstance(value, dict)
    if isinstance(value, _Duplicated):
        raise _error(DuplicateKey, _child(path, value.key),
                     f"Duplicate key {value.key!r}: each key may appear once in an object")
    for key in value:
        char = forbidden_char(key, single_line=False)
        if char is not None:
            raise _error(InvalidCharacter, _child(path, key),
                         f"{describe_char(char, NEVER_ALLOWED)} is not allowed in a key")
        value[key] = _clean(value[key], _child(path, key))
    return value


def parse_json_body(body: bytes) -> Any:
    """The JSON value of ``body``, checked and normalised, or a ``BadRequest`` naming where it
    went wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _error(InvalidCharacter, ROOT,
                     f"The body is not UTF-8 (byte {exc.start})") from None
    if _too_deep(body):
        raise _error(JsonTooDeep, ROOT,
                     f"JSON nests deeper than {MAX_DEPTH} levels of arrays and objects")
    try:
        value = _DECODER.decode(text)
    except ValueError as exc:  # JSONDecodeError, and integers of more than 4300 digits
        message = f"JSON is malformed: {exc}"
        raise _error(InvalidBody, ROOT, message, detail=message) from None
    return _clean(value, ROOT)


class GuardedRequest(Request[Any, Any, Any]):
    """Litestar's request whose ``json()`` accepts only what ``parse_json_body`` accepts, and
    only as ``application/json``."""

    __slots__ = ()

    async def json(self) -> Any:
        if self._json is Empty:
            media_type, options = self.content_type
            charset = options.get("charset", "utf-8").lower()
            if media_type != JSON_MEDIA_TYPE or charset not in ("utf-8", "utf8"):
                sent = self.headers.get("Content-Type")
                got = f"got {sent}" if sent else "got no Content-Type"
                raise UnsupportedMediaType(
                    f"this endpoint takes a JSON body sent as {JSON_MEDIA_TYPE} (UTF-8); {got}",
                    errors=[{"message": f"Expected {JSON_MEDIA_TYPE} (UTF-8), {got}",
                             "key": "Content-Type", "source": "header"}])
            self._json = self._connection_state.json = parse_json_body(await self.body())
        return self._json
