"""``xinyi-api scenarios new KEY``: a working scenario package, from the templates shipped in
``xinyi_api/scenarios/template/`` (part of the wheel).

Every file of the template ends in ``.tmpl`` (so neither Python tooling nor the problem scanner
takes it for ours) and holds ``{{token}}``s: ``key``, ``KEY``, ``package``, ``distribution``,
``name_zh``, ``name_en``, ``department``, ``industry_zh``, ``industry_en``; a path segment
``__package__`` becomes the import name. A line ending in ``# <<new_industry>>`` is kept (without
the marker) only when the key is not an industry the core knows, so the scenario declares it in
``new_industries``. The result installs, and passes its own tests once its bases are filled in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from xinyi_api.industries import IndustryRegistry
from xinyi_api.scenarios.loader import KEY, RESERVED_KEYS

__all__ = ["NEW_INDUSTRY_MARK", "Skeleton", "SkeletonError", "render", "skeleton_for", "write"]

NEW_INDUSTRY_MARK = "  # <<new_industry>>"
_TOKEN = re.compile(r"\{\{(\w+)\}\}")
_UNSAFE = re.compile(r'["\\\x00-\x1f\x7f]')


class SkeletonError(ValueError):
    """A key, name or directory ``scenarios new`` cannot use; the message says why."""


@dataclass(frozen=True, slots=True)
class Skeleton:
    """What the template is filled with."""

    key: str
    name_zh: str
    name_en: str
    department: str
    industry_zh: str
    industry_en: str
    new_industry: bool
    """The key is not an industry the core knows: the scenario declares it."""

    @property
    def package(self) -> str:
        return f"xinyi_scenario_{self.key}"

    @property
    def distribution(self) -> str:
        return f"xinyi-scenario-{self.key.replace('_', '-')}"

    def tokens(self) -> dict[str, str]:
        return {"key": self.key, "KEY": self.key.upper(), "package": self.package,
                "distribution": self.distribution, "name_zh": self.name_zh,
                "name_en": self.name_en, "department": self.department,
                "industry_zh": self.industry_zh, "industry_en": self.industry_en}


def skeleton_for(key: str, *, name_zh: str | None = None, name_en: str | None = None,
                 department: str = "scjg") -> Skeleton:
    """The skeleton of scenario ``key``; names default from the key (and the industry registry
    when the key is a known industry)."""
    if not KEY.match(key) or key in RESERVED_KEYS:
        raise SkeletonError(f"key {key!r} must match [a-z][a-z0-9_]{{1,40}} and not be "
                            "'public' (it is the entry-point name and the grading scheme)")
    if not KEY.match(department):
        raise SkeletonError(f"department {department!r} is not a department code like 'scjg'")
    known = IndustryRegistry().get(key)
    industry_zh = known.name_zh if known is not None else (
        (name_zh or "").removeprefix("信用+").strip() or key)
    industry_en = known.name_en if known is not None else key.replace("_", " ")
    skeleton = Skeleton(key=key, name_zh=name_zh or f"信用+{industry_zh}",
                        name_en=name_en or f"Credit + {industry_en}", department=department,
                        industry_zh=industry_zh, industry_en=industry_en,
                        new_industry=known is None)
    for name, value in skeleton.tokens().items():
        if not value.strip() or len(value) > 80 or _UNSAFE.search(value):
            raise SkeletonError(f"{name} {value!r} must be one line of at most 80 characters, "
                                "without quotes or backslashes")
    return skeleton


def _template_files(root: Traversable, prefix: PurePosixPath) -> list[tuple[PurePosixPath,
                                                                          Traversable]]:
    out: list[tuple[PurePosixPath, Traversable]] = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            out += _template_files(entry, prefix / entry.name)
        elif entry.name.endswith(".tmpl"):
            out.append((prefix / entry.name.removesuffix(".tmpl"), entry))
    return out


def _fill(text: str, skeleton: Skeleton) -> str:
    lines: list[str] = []
    for line in text.splitlines(keepends=True):
        if NEW_INDUSTRY_MARK in line:
            if not skeleton.new_industry:
                continue
            line = line.replace(NEW_INDUSTRY_MARK, "")
        lines.append(line)
    tokens = skeleton.tokens()

    def token(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in tokens:
            raise SkeletonError(f"the template names an unknown token {{{{{name}}}}}")
        return tokens[name]

    return _TOKEN.sub(token, "".join(lines))


def render(skeleton: Skeleton) -> dict[PurePosixPath, str]:
    """Every file of the package, by relative path."""
    root = resources.files("xinyi_api.scenarios").joinpath("template")
    out: dict[PurePosixPath, str] = {}
    for relative, entry in _template_files(root, PurePosixPath()):
        path = PurePosixPath(*(skeleton.package if part == "__package__" else part
                               for part in relative.parts))
        out[path] = _fill(entry.read_text(encoding="utf-8"), skeleton)
    return out


def write(skeleton: Skeleton, directory: Path) -> list[Path]:
    """Write the package into ``directory`` (which must not exist, or be empty)."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise SkeletonError(f"{directory} exists and is not an empty directory")
    written: list[Path] = []
    for relative, text in render(skeleton).items():
        target = directory.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
