"""The documents users read are checked against the code: errors, settings, the OpenAPI."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from xinyi_api import settings as settings_module
from xinyi_api.problems import declared_problems

ROOT = Path(__file__).resolve().parents[1]
ERRORS = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _documented_slugs() -> dict[str, set[int]]:
    """``slug → statuses`` from the tables of docs/errors.md."""
    rows = re.findall(r"^\|\s*`([a-z0-9-]+)`\s*\|\s*([0-9, ]+)\s*\|", ERRORS, re.MULTILINE)
    return {slug: {int(s) for s in statuses.split(",")} for slug, statuses in rows}


def test_every_problem_the_code_can_answer_is_in_docs_errors_md() -> None:
    documented = _documented_slugs()
    missing = sorted(f"{p.slug} ({p.status})" for p in declared_problems()
                     if p.status not in documented.get(p.slug, set()))
    assert not missing, f"docs/errors.md lacks: {', '.join(missing)}"


def test_docs_errors_md_lists_no_problem_the_code_no_longer_answers() -> None:
    declared = {(p.slug, p.status) for p in declared_problems()}
    stale = sorted(f"{slug} ({status})" for slug, statuses in _documented_slugs().items()
                   for status in statuses if (slug, status) not in declared)
    assert not stale, f"docs/errors.md documents what no code raises: {', '.join(stale)}"


def test_the_slug_reader_finds_raise_sites_with_and_without_an_explicit_slug(
        tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "from xinyi_api.errors import AppError, NotFound, errors\n"
        "class Teapot(AppError):\n    status_code = 418\n    slug = 'teapot'\n"
        "def f():\n    raise NotFound(f'no store {x}', slug='unknown-store')\n"
        "def g():\n    raise errors.Conflict('taken')\n"
        "def h():\n    return Teapot('short and stout')\n", encoding="utf-8")
    found = {(p.status, p.slug, p.detail) for p in declared_problems([source])}
    assert {(404, "unknown-store", "no store …"), (409, "conflict", "taken"),
            (418, "teapot", "short and stout")} <= found


# --- the README's configuration table ---------------------------------------------------------


def _readme_rows() -> list[list[str]]:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in section.splitlines()]
    return [cells for cells in rows if len(cells) >= 3 and cells[0].startswith("`")]


def _readme_settings() -> dict[str, str]:
    """``VARIABLE → default cell`` of the README's configuration table (named variables; a
    pattern row such as ``XINYI_SCENARIO_<KEY>_<FIELD>`` is in ``_readme_patterns``)."""
    table: dict[str, str] = {}
    for cells in _readme_rows():
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0]):
            table[name] = cells[1]
    return table


def _readme_patterns() -> list[str]:
    """Pattern rows of the configuration table: ``XINYI_SCENARIO_<KEY>_<FIELD>``."""
    return [name for cells in _readme_rows()
            for name in re.findall(r"`([A-Z][A-Z0-9_]*(?:<[A-Z]+>[A-Z0-9_]*)+)`", cells[0])]


def _settings_read_from_env() -> dict[str, object]:
    """``VARIABLE → default`` of every variable ``Settings.from_env`` reads (``None``: no
    default value, i.e. unset means off or derived)."""
    tree = ast.parse(Path(settings_module.__file__).read_text(encoding="utf-8"))
    found: dict[str, object] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        names = [a.value for a in node.args
                 if isinstance(a, ast.Constant) and isinstance(a.value, str)
                 and re.fullmatch(r"XINYI_[A-Z0-9_]+|DATABASE_URL", a.value)]
        if not names:
            continue
        default: object = None
        callee = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if callee == "_get" and len(node.args) == 4:
            default = eval(compile(ast.Expression(node.args[3]), "<default>", "eval"),
                           {"__builtins__": {}})
        found.setdefault(names[0], default)
    return found


def test_every_setting_is_in_the_readme_table_and_nothing_else_is() -> None:
    code, readme = set(_settings_read_from_env()), set(_readme_settings())
    assert not code - readme, f"README configuration table lacks {sorted(code - readme)}"
    assert not readme - code, f"README documents settings the code does not read: " \
                              f"{sorted(readme - code)}"


@pytest.mark.parametrize("name", sorted(_settings_read_from_env()))
def test_the_readme_states_each_settings_default(name: str) -> None:
    default = _settings_read_from_env()[name]
    cell = _readme_settings().get(name, "")
    if default is None or default == () or name == "XINYI_SECRET_KEY":
        return
    shown = {True: "true", False: "false"}.get(default, str(default))  # type: ignore[call-overload]
    assert shown in cell, f"README says {cell!r} for {name}; the code's default is {shown!r}"


def test_the_scenario_settings_are_one_pattern_row_of_the_readme_table() -> None:
    """Scenario settings are read by ``xinyi_api.scenarios.config``, one variable per field of
    a scenario's settings struct: the README documents the rule as a single pattern row."""
    from xinyi_api.scenarios.config import variable_name

    pattern = variable_name("key", "field").replace("KEY", "<KEY>").replace("FIELD", "<FIELD>")
    assert _readme_patterns() == [pattern] == ["XINYI_SCENARIO_<KEY>_<FIELD>"]
    assert "XINYI_SCENARIO_" not in " ".join(_readme_settings())
