"""The README's configuration and command-line tables name every setting and every command."""

from __future__ import annotations

import re
from pathlib import Path

import click

from xinyi_api.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _section(title: str) -> str:
    readme = (ROOT / "README.md").read_text("utf-8")
    start = readme.index(f"## {title}")
    return readme[start:readme.index("\n## ", start + 1)]


def test_every_setting_is_in_the_configuration_table() -> None:
    source = (ROOT / "src" / "xinyi_api" / "settings.py").read_text("utf-8")
    variables = set(re.findall(r'"((?:XINYI_|DATABASE_)[A-Z_]+)"', source))
    table = _section("Configuration")
    assert {"XINYI_DB_ACQUIRE_TIMEOUT", "XINYI_TRUSTED_PROXIES"} <= variables
    assert sorted(v for v in variables if f"`{v}`" not in table) == []
    # A scenario's own settings are a pattern, one row: config.py reads them, not settings.py.
    assert "| `XINYI_SCENARIO_<KEY>_<FIELD>` |" in table


def _commands(group: click.Group, prefix: str = "xinyi-api") -> list[str]:
    out: list[str] = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out += _commands(command, f"{prefix} {name}")
        else:
            out.append(f"{prefix} {name}")
    return out


def test_every_command_is_in_the_command_line_table() -> None:
    table = _section("Command line")
    rows = [line for line in table.splitlines() if line.startswith("| `xinyi-api")]
    missing = []
    for command in _commands(main):
        group, _, leaf = command.rpartition(" ")
        # A row names the full command, or a sibling's (`xinyi-api keys list` / `keys retire`).
        short = f"`{group.split()[-1]} {leaf}"
        if not any(command in row or (group in row and short in row) for row in rows):
            missing.append(command)
    assert missing == []
