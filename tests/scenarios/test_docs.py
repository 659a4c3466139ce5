"""docs/plugins.md documents every name of the scenario kit (datasette's discipline)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from xinyi_api.scenarios import kit
from xinyi_api.scenarios.catalog import MAX_INSPECTIONS_PER_YEAR, NATIONAL_LIST, SUPERVISION_ACTIONS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text(encoding="utf-8")


def _section(name: str) -> str | None:
    """The text under the heading ``### `name` `` up to the next heading of level ≤ 3."""
    match = re.search(rf"^### `{re.escape(name)}`\s*$", DOC, re.MULTILINE)
    if match is None:
        return None
    rest = DOC[match.end():]
    end = re.search(r"^#{1,3} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def _members(obj: object) -> list[str]:
    """Fields and public methods an interface member defines itself."""
    names: list[str] = list(getattr(obj, "__struct_fields__", ()) or ())
    names += list(getattr(obj, "__dataclass_fields__", {}) or {})
    if inspect.isclass(obj) and obj.__module__.startswith("xinyi_api."):
        names += [n for n, v in vars(obj).items()
                  if not n.startswith("_") and (inspect.isfunction(v) or isinstance(v, property))]
    return names


@pytest.mark.parametrize("name", kit.__all__)
def test_every_interface_member_has_a_heading_with_signature_and_example(name: str) -> None:
    section = _section(name)
    assert section is not None, f"docs/plugins.md has no '### `{name}`' heading"
    assert "```python" in section, f"the {name} section needs a signature in a python block"
    assert section.count("`") >= 4, f"the {name} section needs an example"


@pytest.mark.parametrize("name", kit.__all__)
def test_every_field_and_method_of_an_interface_member_is_documented(name: str) -> None:
    section = _section(name) or ""
    missing = [m for m in _members(getattr(kit, name)) if m not in section]
    assert not missing, f"docs/plugins.md, section {name}: undocumented {missing}"


def test_every_heading_in_the_reference_names_a_real_member() -> None:
    reference = DOC[DOC.index("## Reference"):DOC.index("## Endpoints")]
    headings = re.findall(r"^### `(\w+)`", reference, re.MULTILINE)
    assert sorted(headings) == sorted(kit.__all__)


def test_the_national_list_table_matches_the_catalog() -> None:
    table = DOC[DOC.index("## The national list"):DOC.index("## Stability")]
    for effect_type in NATIONAL_LIST:
        assert f"`{effect_type}`" in table
    for action in SUPERVISION_ACTIONS:
        assert action in table
    limits = ", ".join(f"{g} {n}" for g, n in MAX_INSPECTIONS_PER_YEAR.items())
    assert limits in table


def test_the_entry_point_group_is_documented() -> None:
    assert '[project.entry-points."xinyi_api.scenarios"]' in DOC


def test_the_interface_module_of_earlier_releases_still_works_and_warns() -> None:
    import importlib
    import sys

    sys.modules.pop("xinyi_api.scenario_api", None)
    with pytest.warns(DeprecationWarning, match="xinyi_api.scenarios.kit"):
        old = importlib.import_module("xinyi_api.scenario_api")
    assert old.Scenario is kit.Scenario and set(old.__all__) == set(kit.__all__)
