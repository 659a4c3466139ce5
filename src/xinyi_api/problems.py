"""Which problems (RFC 9457 ``type`` slugs) the code can answer, read from the code itself.

Every error the service reports on purpose is an ``AppError`` built at a *raise site* —
``NotFound("no store S1", slug="unknown-store")`` — so the code already says which slugs exist and
with which status. This module reads those sites with the ``ast`` module instead of keeping a
second, hand-written list that would drift:

- ``declared_problems()`` — every slug in ``xinyi_api`` and the installed scenario plugins, for
  ``docs/errors.md`` (a test fails when one is undocumented);
- ``problems_of(fn)`` — the slugs one route handler can answer: the raise sites in the handler and,
  transitively, in every function of ours it calls by a name that resolves (a module function,
  a class, ``self.method``, a closure) and in its guards.

It is a reading of the code, not a proof: a call through an object we cannot resolve
statically (``state.codes.resolve(…)``) is followed only when exactly one class of ours defines
a method of that name. The test suite closes the gap from the other side: every problem a test
provokes must be in the OpenAPI document (``tests/conftest.py``), and the schemathesis run does
the same for generated requests.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import textwrap
import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xinyi_api.errors import AppError

__all__ = ["Problem", "declared_problems", "http_problems", "problems_of"]

_PROJECT_PREFIXES = ("xinyi_api", "xinyi_scenarios", "scenarios")


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One way an operation can fail: the status, the slug and an example ``detail``."""

    status: int
    slug: str
    title: str
    detail: str = ""


def http_problems() -> list[Problem]:
    """Problems the framework layer answers (``errors._HTTP_SLUGS``) and those ``errors`` maps
    from exceptions that are not ``AppError``s (a bug, a database that does not answer)."""
    from xinyi_api.errors import _HTTP_SLUGS

    return [*(Problem(status, slug, title) for status, (slug, title) in _HTTP_SLUGS.items()),
            Problem(500, "internal-error", "Internal server error"),
            Problem(503, "database-unavailable", "Service unavailable")]


# --- reading one function ------------------------------------------------------------------


def _is_ours(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in _PROJECT_PREFIXES or _from_plugin(obj)


def _from_plugin(obj: Any) -> bool:
    """Functions of installed third-party scenario plugins count as ours too."""
    module = inspect.getmodule(obj)
    file = getattr(module, "__file__", None) or ""
    return "xinyi_scenario" in file


def _unwrap(obj: Any) -> Any:
    obj = getattr(obj, "func", obj)  # litestar AsyncCallable, functools.partial
    obj = getattr(obj, "fn", obj)  # litestar route handlers
    while hasattr(obj, "__wrapped__"):
        obj = obj.__wrapped__
    if isinstance(obj, (classmethod, staticmethod, types.MethodType)):
        obj = obj.__func__
    return obj


@functools.cache
def _tree(fn: types.FunctionType) -> ast.AST | None:
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return None
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def _scope(fn: types.FunctionType) -> dict[str, Any]:
    names: dict[str, Any] = dict(vars(builtins))
    names.update(fn.__globals__)
    if fn.__closure__:
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__, strict=False):
            try:
                names[name] = cell.cell_contents
            except ValueError:  # an empty cell
                continue
    return names


def _owner_class(fn: types.FunctionType) -> type | None:
    parts = fn.__qualname__.split(".")
    if len(parts) < 2 or "<locals>" in parts:
        return None
    obj: Any = inspect.getmodule(fn)
    for part in parts[:-1]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj if isinstance(obj, type) else None


def _resolve(node: ast.expr, names: dict[str, Any], owner: type | None) -> Any:
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls") and owner:
            return getattr(owner, node.attr, None)
        base = _resolve(node.value, names, owner)
        if isinstance(base, (types.ModuleType, type)):
            return getattr(base, node.attr, None)
    return None


@functools.cache
def _common_method_names() -> frozenset[str]:
    """Names too common to guess from: methods of builtins, tasks, locks, pools, connections."""
    import asyncio

    import asyncpg

    kinds: list[type] = [object, dict, list, set, str, bytes, asyncio.Task, asyncio.Future,
                         asyncio.Event, asyncio.Lock, asyncio.Queue, asyncpg.Pool,
                         asyncpg.Connection]
    return frozenset(name for kind in kinds for name in dir(kind))


@functools.cache
def _methods_by_name() -> dict[str, list[Any]]:
    """Methods of our classes, by name: to follow ``obj.method()`` when the name is unique.

    Route handler methods of controllers are left out (nothing calls them), and so are names
    that builtins, tasks or database connections also have (``cancel``, ``get``, ``fetch``).
    """
    import sys

    from litestar import Controller

    found: dict[str, list[Any]] = {}
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "") or ""
        if name.split(".")[0] not in _PROJECT_PREFIXES and not _from_plugin(module):
            continue
        for cls in list(vars(module).values()):
            if not isinstance(cls, type) or cls.__module__ != module.__name__ or issubclass(
                    cls, Controller) or getattr(cls, "_is_protocol", False):
                continue  # a protocol's methods are the implementations' (resolved by name)
            for name, member in vars(cls).items():
                if name in _common_method_names():
                    continue
                member = _unwrap(member)
                if isinstance(member, types.FunctionType) and not name.startswith("__"):
                    found.setdefault(name, []).append(member)
    return found


def _literal_text(node: ast.expr | None) -> str:
    """A readable example of a detail message: f-string placeholders become ``…``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "…" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal_text(node.left) + _literal_text(node.right)
    return ""


def _problem_at(call: ast.Call, cls: type[AppError]) -> Problem | None:
    slug: str | None = cls.slug
    for keyword in call.keywords:
        if keyword.arg == "slug":
            value = keyword.value
            slug = value.value if isinstance(value, ast.Constant) and isinstance(
                value.value, str) else None
    if slug is None:
        return None
    detail = _literal_text(call.args[0]) if call.args else ""
    for keyword in call.keywords:
        if keyword.arg == "detail":
            detail = _literal_text(keyword.value)
    return Problem(cls.status_code, slug, cls.title, detail)


def _scan(fn: types.FunctionType) -> tuple[set[Problem], list[Any]]:
    """The raise sites in ``fn`` and the callables of ours it calls."""
    tree = _tree(fn)
    if tree is None:
        return set(), []
    names, owner = _scope(fn), _owner_class(fn)
    problems: set[Problem] = set()
    callees: list[Any] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = _resolve(node.func, names, owner)
        if isinstance(target, type) and issubclass(target, AppError):
            problem = _problem_at(node, target)
            if problem is not None:
                problems.add(problem)
            continue
        if target is None and isinstance(node.func, ast.Attribute):
            candidates = _methods_by_name().get(node.func.attr, [])
            if len(candidates) == 1:
                target = candidates[0]
        if target is not None:
            callees.append(target)
    return problems, callees


def problems_of(*roots: Any) -> set[Problem]:
    """Every problem the callables ``roots`` (a handler, its guards) can raise, transitively."""
    seen: set[int] = set()
    found: set[Problem] = set()
    todo = [_unwrap(r) for r in roots]
    while todo:
        obj = todo.pop()
        if isinstance(obj, type):
            if not _is_ours(obj):
                continue
            todo.extend(_unwrap(getattr(obj, n)) for n in ("__init__", "__post_init__")
                        if n in vars(obj))
            continue
        if not isinstance(obj, types.FunctionType) or id(obj) in seen or not _is_ours(obj):
            continue
        seen.add(id(obj))
        problems, callees = _scan(obj)
        found |= problems
        todo.extend(_unwrap(c) for c in callees)
    return found


# --- every slug in the code ------------------------------------------------------------------


def _source_files(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _error_classes() -> dict[str, type[AppError]]:
    from xinyi_api import errors

    return {name: obj for name, obj in vars(errors).items()
            if isinstance(obj, type) and issubclass(obj, AppError)}


def declared_problems(roots: Iterable[Path] | None = None) -> set[Problem]:
    """Every (status, slug) raised anywhere under ``roots`` (default: our package and the
    installed scenario plugins), plus the framework-level problems.

    Read without importing: a raise site is a call of an ``AppError`` subclass by name
    (``NotFound(…, slug="x")`` or ``errors.NotFound(…)``) or a class-level ``slug = "x"``.
    """
    if roots is None:
        roots = _default_roots()
    classes = _error_classes()
    found: set[Problem] = set(http_problems())
    found |= {Problem(c.status_code, c.slug, c.title) for c in classes.values()}
    for path in _source_files(roots):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        local_classes = dict(classes)
        for node in ast.walk(tree):  # AppError subclasses declared in the file itself
            if isinstance(node, ast.ClassDef):
                base_names = [b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "")
                              for b in node.bases]
                base = next((local_classes[b] for b in base_names if b in local_classes), None)
                if base is not None:
                    local: type[AppError] = type(node.name, (base,), {
                        "slug": _class_slug(node) or base.slug,
                        "status_code": _class_status(node) or base.status_code})
                    local_classes[node.name] = local
                    found.add(Problem(local.status_code, local.slug, local.title))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
                    node.func, "id", None)
                cls = local_classes.get(name or "")
                if cls is not None:
                    problem = _problem_at(node, cls)
                    if problem is not None:
                        found.add(problem)
    return found


def _class_slug(node: ast.ClassDef) -> str | None:
    for stmt in node.body:
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == "slug" for t in targets) and isinstance(
                value, ast.Constant) and isinstance(value.value, str):
            return value.value
    return None


def _class_status(node: ast.ClassDef) -> int | None:
    for stmt in node.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = stmt.value
            if any(isinstance(t, ast.Name) and t.id == "status_code" for t in targets) and \
                    isinstance(value, ast.Constant) and isinstance(value.value, int):
                return value.value
    return None


def _default_roots() -> list[Path]:
    import importlib.metadata

    roots = [Path(__file__).parent]
    for ep in importlib.metadata.entry_points(group="xinyi_api.scenarios"):
        module = ep.value.split(":")[0].split(".")[0]
        spec = _find_spec(module)
        if spec is not None:
            roots.append(spec)
    return sorted(set(roots))


def _find_spec(module: str) -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    origin = Path(spec.origin)
    return origin.parent if origin.name == "__init__.py" else origin
