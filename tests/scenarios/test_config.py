"""A scenario's own configuration, ``XINYI_SCENARIO_<KEY>_<FIELD>``: typed values from the
environment through ``build_platform`` and ``ctx.config``; a bad value, an unknown field or a
missing required one stops start-up with a ``SettingsError`` naming the variable, the scenario
and the field."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from tests.conftest import TEST_SECRET, app_at
from tests.scenarios.helpers import VALID, fake_plugin, variant
from xinyi_api.clock import ManualClock
from xinyi_api.platform import build_platform
from xinyi_api.scenarios.config import scenario_settings, settings_of, variable_name
from xinyi_api.scenarios.kit import ContextDep
from xinyi_api.scenarios.loader import scenario_problems
from xinyi_api.settings import Settings, SettingsError


class SampleSettings(msgspec.Struct, frozen=True, kw_only=True):
    due_days: Annotated[int, msgspec.Meta(ge=1, le=90)] = 15
    enabled: bool = True
    hospitals: tuple[str, ...] = ()
    starts_on: date | None = None
    share: float = 0.5


class Required(msgspec.Struct, frozen=True):
    api_key: str


@get("/config", sync_to_thread=False)
def show_config(ctx: ContextDep) -> dict[str, Any]:
    config: SampleSettings = ctx.config
    return {"type": type(config).__name__, **msgspec.to_builtins(config)}


CONFIGURED = variant(industries=("beef_soup",), settings=SampleSettings,
                     route_handlers=(show_config,))
SAMPLE_TWO = dataclasses.replace(CONFIGURED, key="sample_two", route_handlers=())
NEEDS_KEY = variant(key="needs_key", industries=("beef_soup",), settings=Required)


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """``sample`` (with settings and a route showing ``ctx.config``) installed; the test sets
    its variables on the returned monkeypatch."""
    site = tmp_path / "site"
    fake_plugin(site, "xinyi-scenario-sample", {
        "sample": "tests.scenarios.test_config:CONFIGURED",
        "sample_two": "tests.scenarios.test_config:SAMPLE_TWO",
        "needs_key": "tests.scenarios.test_config:NEEDS_KEY"})
    monkeypatch.syspath_prepend(str(site))
    return monkeypatch


def _settings(tmp_path: Path, *keys: str) -> Settings:
    return Settings(data_dir=tmp_path, secret_key=TEST_SECRET, scenarios=keys or ("sample",))


def test_variables_are_read_typed_into_the_scenarios_settings(
    configured: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    configured.setenv("XINYI_SCENARIO_SAMPLE_DUE_DAYS", "30")
    configured.setenv("XINYI_SCENARIO_SAMPLE_ENABLED", "false")
    configured.setenv("XINYI_SCENARIO_SAMPLE_HOSPITALS", "S00000001, S00000002,")
    configured.setenv("XINYI_SCENARIO_SAMPLE_STARTS_ON", "2026-01-01")
    platform = build_platform(_settings(tmp_path))
    assert platform.scenario_settings == {"sample": SampleSettings(
        due_days=30, enabled=False, hospitals=("S00000001", "S00000002"),
        starts_on=date(2026, 1, 1), share=0.5)}


def test_unset_variables_take_the_structs_defaults(
    configured: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    assert build_platform(_settings(tmp_path)).scenario_settings == {"sample": SampleSettings()}


async def test_an_endpoint_reads_them_as_ctx_config(
    configured: pytest.MonkeyPatch, settings: Settings, clock: ManualClock,
) -> None:
    configured.setenv("XINYI_SCENARIO_SAMPLE_SHARE", "0.25")
    app: Litestar = app_at(dataclasses.replace(settings, scenarios=("sample",)), clock)
    async with AsyncTestClient(app=app) as client:
        r = await client.get("/api/v1/scenarios/sample/config")
    assert r.status_code == 200, r.text
    assert r.json() == {"type": "SampleSettings", "due_days": 15, "enabled": True,
                        "hospitals": [], "starts_on": None, "share": 0.25}


@pytest.mark.parametrize(("variable", "value", "field", "says"), [
    ("XINYI_SCENARIO_SAMPLE_DUE_DAYS", "soon", "due_days", "Expected `int`"),
    ("XINYI_SCENARIO_SAMPLE_DUE_DAYS", "0", "due_days", ">= 1"),
    ("XINYI_SCENARIO_SAMPLE_ENABLED", "maybe", "enabled", "Expected `bool`"),
    ("XINYI_SCENARIO_SAMPLE_STARTS_ON", "2026-13-01", "starts_on", "date"),
])
def test_a_bad_value_stops_start_up_naming_variable_scenario_and_field(
    configured: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str, field: str,
    says: str,
) -> None:
    configured.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        app_at(_settings(tmp_path))
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: scenario 'sample', setting '{field}': ")
    assert says in str(caught.value)


def test_an_unknown_field_stops_start_up_listing_the_known_ones(
    configured: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    configured.setenv("XINYI_SCENARIO_SAMPLE_DUE_DAY", "3")
    with pytest.raises(SettingsError) as caught:
        build_platform(_settings(tmp_path))
    assert caught.value.variable == "XINYI_SCENARIO_SAMPLE_DUE_DAY"
    assert "scenario 'sample' has no setting 'due_day' (known: XINYI_SCENARIO_SAMPLE_DUE_DAYS, " \
           "XINYI_SCENARIO_SAMPLE_ENABLED" in str(caught.value)


def test_a_variable_belongs_to_the_key_it_names_most_precisely(
    configured: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    configured.setenv("XINYI_SCENARIO_SAMPLE_TWO_DUE_DAYS", "7")
    platform = build_platform(_settings(tmp_path, "sample", "sample_two"))
    assert platform.scenario_settings == {"sample": SampleSettings(),
                                          "sample_two": SampleSettings(due_days=7)}
    # ... even when sample_two is installed but not enabled.
    assert build_platform(_settings(tmp_path, "sample")).scenario_settings == {
        "sample": SampleSettings()}


def test_a_required_setting_left_unset_is_named(configured: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        build_platform(_settings(tmp_path, "needs_key"))
    assert caught.value.variable == "XINYI_SCENARIO_NEEDS_KEY_API_KEY"
    assert "scenario 'needs_key', setting 'api_key': is required" in str(caught.value)
    configured.setenv("XINYI_SCENARIO_NEEDS_KEY_API_KEY", "k-123")
    assert build_platform(_settings(tmp_path, "needs_key")).scenario_settings == {
        "needs_key": Required("k-123")}


def test_a_scenario_without_settings_refuses_variables_of_its_own() -> None:
    with pytest.raises(SettingsError, match="XINYI_SCENARIO_SAMPLE_X: scenario 'sample' "
                                            "declares no settings"):
        settings_of(VALID, {"XINYI_SCENARIO_SAMPLE_X": "1"})
    assert scenario_settings([VALID], {"XINYI_SCENARIOS": "sample"}) == {}
    assert variable_name("pay_later", "due_days") == "XINYI_SCENARIO_PAY_LATER_DUE_DAYS"


def test_settings_must_be_a_msgspec_struct() -> None:
    assert scenario_problems(variant(settings=dict)) == [  # type: ignore[arg-type]
        "settings must be a msgspec.Struct class, got <class 'dict'>"]


def test_a_variable_naming_no_installed_scenario_stops_start_up(
    configured: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    configured.setenv("XINYI_SCENARIO_SAMPEL_DUE_DAYS", "3")
    with pytest.raises(SettingsError) as caught:
        build_platform(_settings(tmp_path))
    assert caught.value.variable == "XINYI_SCENARIO_SAMPEL_DUE_DAYS"
    assert "names no installed scenario (installed: beef_soup, " in str(caught.value)
    assert "a typo in the key?" in str(caught.value)
