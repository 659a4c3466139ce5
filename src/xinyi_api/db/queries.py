"""Named SQL queries kept in ``.sql`` files beside the code that uses them.

A file holds blocks introduced by ``-- name: query_name``; everything up to the next such line is
the query. Queries are plain SQL with ``$1`` parameters, readable and runnable in ``psql``.
"""

from __future__ import annotations

import re
from pathlib import Path

_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


class Queries:
    """The queries of one ``.sql`` file, as attributes: ``q.get_subject``."""

    def __init__(self, queries: dict[str, str], source: str) -> None:
        self._queries = queries
        self._source = source

    @classmethod
    def load(cls, path: Path) -> Queries:
        text = path.read_text(encoding="utf-8")
        matches = list(_NAME.finditer(text))
        if not matches:
            raise ValueError(f"{path}: no '-- name:' blocks")
        queries: dict[str, str] = {}
        for i, match in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            body = text[match.end() : end].strip()
            name = match.group(1)
            if name in queries:
                raise ValueError(f"{path}: query {name!r} defined twice")
            if not body:
                raise ValueError(f"{path}: query {name!r} is empty")
            queries[name] = body
        return cls(queries, str(path))

    @classmethod
    def beside(cls, module_file: str, name: str = "queries.sql") -> Queries:
        """Load ``name`` from the directory of ``module_file`` (pass ``__file__``)."""
        return cls.load(Path(module_file).with_name(name))

    def __getattr__(self, name: str) -> str:
        try:
            return self._queries[name]
        except KeyError:
            raise AttributeError(f"{self._source} has no query {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self._queries)


def like_pattern(text: str) -> str:
    """A ``LIKE``/``ILIKE`` pattern matching ``text`` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
