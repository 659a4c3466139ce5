"""Discovery, enabling and validation of scenario plugins."""

from __future__ import annotations

import importlib.metadata
import pkgutil
import re
from pathlib import Path

import pytest

import xinyi_scenarios as builtin_package
from tests.conftest import app_at
from tests.scenarios.helpers import VALID, fake_plugin, variant
from xinyi_api.scenarios.catalog import MAX_INSPECTIONS_PER_YEAR
from xinyi_api.scenarios.loader import (
    GROUP,
    discover,
    load_scenarios,
    measure_problems,
    scenario_problems,
)
from xinyi_api.scenarios.model import Basis, Measure, Scenario, ScenarioError
from xinyi_api.settings import Settings

BUILT_INS = {"beef_soup", "medical_insurance", "pay_later", "property", "tourism"}


def _settings(tmp_path: Path, **changes: object) -> Settings:
    return Settings(data_dir=tmp_path, secret_key="test-secret-key-not-for-production",
                    **changes)  # type: ignore[arg-type]


def _ep(name: str, target: str) -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name=name, value=target, group=GROUP)


def test_every_module_in_scenarios_is_registered_as_an_entry_point() -> None:
    modules = {m.name for m in pkgutil.iter_modules(builtin_package.__path__)
               if not m.name.startswith("_")}
    registered = {ep.name: ep.value for ep in discover() if ep.value.startswith("xinyi_scenarios.")}
    assert modules == set(registered) == BUILT_INS
    for name, value in registered.items():
        assert value == f"xinyi_scenarios.{name}:SCENARIO"


@pytest.mark.parametrize("key", sorted(BUILT_INS))
def test_each_builtin_scenario_loads_and_validates(key: str) -> None:
    [item] = load_scenarios([key])
    assert item.scenario.key == key
    assert item.distribution == "xinyi-api"
    assert scenario_problems(item.scenario) == []
    assert all(m.basis is not None and m.basis.article for m in item.scenario.measures)
    grades = {g for m in item.scenario.measures if m.target == "business" for g in m.grades}
    assert {"A", "B", "C", "D"} <= grades, "every grade has at least one business measure"


def test_unset_scenarios_setting_enables_every_installed_scenario(tmp_path: Path) -> None:
    app = app_at(_settings(tmp_path))
    assert {s.key for s in app.state.scenarios.scenarios} >= BUILT_INS
    assert {r.scheme for r in app.state.grader.rules} >= {"public", *BUILT_INS}


def test_scenarios_setting_enables_only_the_listed_ones(tmp_path: Path) -> None:
    app = app_at(_settings(tmp_path, scenarios=("beef_soup",)))
    assert [s.key for s in app.state.scenarios.scenarios] == ["beef_soup"]
    assert [r.scheme for r in app.state.grader.rules] == ["public", "beef_soup"]
    assert [m.name for m in app.state.migration_sources] == ["core"]


def test_unknown_scenario_key_in_settings_refuses_start(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"XINYI_SCENARIOS.*unknown scenario key 'nursing'"):
        app_at(_settings(tmp_path, scenarios=("beef_soup", "nursing")))


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("NO_BASIS", r"measure 'fewer': has no basis"),
        ("NON_MONOTONE", r"thresholds must fall strictly from grade to grade"),
        ("TOO_STRICT", r"52 inspections a year for grade D exceeds the national limit of 12"),
        ("CONSTRAINT_ON_A", r"失信约束 only for grades C and D, not A"),
        ("UNKNOWN_ACTION", r"supervision action 'fine_10000_yuan' is not on the national list"),
        ("UNDOCUMENTED", r"indicator 'files' has no description"),
        ("PLACEHOLDER_BASIS", r"measure 'fewer': basis is still the template's placeholder"),
    ],
)
def test_invalid_plugin_is_refused_with_its_name_and_problem(target: str, problem: str) -> None:
    ep = _ep("sample", f"tests.scenarios.helpers:{target}")
    with pytest.raises(ScenarioError) as caught:
        load_scenarios(entry_points=[ep])
    message = str(caught.value)
    assert message.startswith(f"scenario plugin 'sample = tests.scenarios.helpers:{target}'")
    assert re.search(problem, message), message


@pytest.mark.parametrize("basis", [
    Basis("<待填写 fill in: 政策文件名称及文号>", "三(七)"),
    Basis("国办发〔2019〕35号", "<待填写 fill in: 条款>"),
    Basis("国办发〔2019〕35号", "三(七)", quote="<待填写>"),
])
def test_a_basis_still_holding_the_skeletons_placeholder_is_refused(basis: Basis) -> None:
    measure = VALID.measures[0]
    problems = measure_problems(Measure(**{**{f: getattr(measure, f)
                                              for f in measure.__struct_fields__},
                                           "basis": basis}))
    assert problems == ["basis is still the template's placeholder (待填写): name the policy "
                        "document (with its number) and the article that grant the measure"]


def test_installed_scenario_with_a_placeholder_basis_makes_create_app_refuse_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    fake_plugin(site, "xinyi-scenario-draft",
                {"sample": "tests.scenarios.helpers:PLACEHOLDER_BASIS"})
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(ScenarioError, match="basis is still the template's placeholder"):
        app_at(_settings(tmp_path))


def test_badly_named_migrations_are_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_Own Table.sql").write_text("SELECT 1", encoding="utf-8")
    problems = scenario_problems(variant(migrations=tmp_path))
    assert len(problems) == 1 and problems[0].startswith("migrations: ")
    assert "name must look like 0001_what_it_does.sql" in problems[0]


def test_a_scenario_factory_that_fails_is_a_problem_not_a_traceback() -> None:
    with pytest.raises(ScenarioError, match=r"tests\.scenarios\.helpers:broken_factory\(\) "
                                            r"failed: RuntimeError: no configuration"):
        load_scenarios(entry_points=[_ep("sample", "tests.scenarios.helpers:broken_factory")])


def test_entry_point_name_must_be_the_scenario_key() -> None:
    with pytest.raises(ScenarioError, match="entry-point name 'other' differs from scenario key"):
        load_scenarios(entry_points=[_ep("other", "tests.scenarios.helpers:VALID")])


def test_entry_point_that_is_not_a_scenario_is_refused() -> None:
    with pytest.raises(ScenarioError, match="must name a Scenario, got Basis"):
        load_scenarios(entry_points=[_ep("sample", "tests.scenarios.helpers:BASIS")])


def test_plugin_that_fails_to_import_is_refused() -> None:
    with pytest.raises(ScenarioError, match="cannot be imported: ModuleNotFoundError"):
        load_scenarios(entry_points=[_ep("sample", "no_such_module:SCENARIO")])


def test_installed_invalid_plugin_makes_create_app_refuse_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    fake_plugin(site, "xinyi-scenario-broken", {"sample": "tests.scenarios.helpers:NO_BASIS"})
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(ScenarioError, match=r"'sample = tests\.scenarios\.helpers:NO_BASIS'.*"
                                            r"has no basis"):
        app_at(_settings(tmp_path))


def test_duplicate_scenario_key_refuses_start_naming_both_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    fake_plugin(site, "xinyi-scenario-soup", {"beef_soup": "tests.scenarios.helpers:VALID"})
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(ScenarioError) as caught:
        app_at(_settings(tmp_path))
    message = str(caught.value)
    assert "duplicate scenario key 'beef_soup'" in message
    assert "xinyi-api (xinyi_scenarios.beef_soup:SCENARIO)" in message
    assert "xinyi-scenario-soup (tests.scenarios.helpers:VALID)" in message


def test_a_disabled_broken_plugin_does_not_block_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    fake_plugin(site, "xinyi-scenario-broken", {"sample": "tests.scenarios.helpers:NO_BASIS"})
    monkeypatch.syspath_prepend(str(site))
    app = app_at(_settings(tmp_path, scenarios=("tourism",)))
    assert [s.key for s in app.state.scenarios.scenarios] == ["tourism"]


def test_national_limits_cover_every_grade() -> None:
    assert set(MAX_INSPECTIONS_PER_YEAR) == {"A", "B", "C", "D", "unrated"}
    assert isinstance(load_scenarios(["beef_soup"])[0].scenario, Scenario)
