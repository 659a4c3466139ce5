"""Per-scenario configuration: ``XINYI_SCENARIO_<KEY>_<FIELD>``, typed and validated at start.

A scenario declares ``settings = MySettings`` (a ``msgspec.Struct``; a field without a default
is a required variable); at start the core reads ``XINYI_SCENARIO_<KEY>_<FIELD>`` for each field
(key and field upper-cased), converts the text to the field's type with msgspec's rules
(``true``/``false``, numbers, ISO dates, comma-separated lists) and checks the struct's
constraints. A bad or missing value stops start-up with a ``SettingsError`` naming the variable,
the scenario and the field; a variable ``XINYI_SCENARIO_<KEY>_…`` naming no field, or no
installed scenario, is refused too (a typo must not pass silently). A variable belongs to the
installed scenario whose key it names most precisely (``XINYI_SCENARIO_PAY_LATER_DUE_DAYS`` is
``pay_later``'s, not ``pay``'s).
Endpoints read the result as ``ctx.config``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from xinyi_api.scenarios.model import Scenario
from xinyi_api.settings import SettingsError

__all__ = ["PREFIX", "scenario_settings", "settings_of", "unclaimed", "variable_name"]

PREFIX = "XINYI_SCENARIO_"


def variable_name(key: str, field: str) -> str:
    return f"{PREFIX}{key.upper()}_{field.upper()}"


def _variables(key: str, env: Mapping[str, str], others: Sequence[str]) -> list[str]:
    """The variables of scenario ``key``: ``XINYI_SCENARIO_<KEY>_…``, except those of another
    scenario whose key extends it (``pay`` and ``pay_later``: ``XINYI_SCENARIO_PAY_LATER_X`` is
    ``pay_later``'s)."""
    prefix = f"{PREFIX}{key.upper()}_"
    longer = [f"{PREFIX}{o.upper()}_" for o in others
              if o != key and f"{PREFIX}{o.upper()}_".startswith(prefix)]
    return sorted(name for name in env
                  if name.startswith(prefix) and not any(name.startswith(p) for p in longer))


def settings_of(scenario: Scenario, environ: Mapping[str, str] | None = None,
                others: Sequence[str] = ()) -> Any:
    """The scenario's settings from the environment, or ``None`` if it declares none.
    ``others``: the keys of the other scenarios (whose variables are not this one's)."""
    env = os.environ if environ is None else environ
    spec = scenario.settings
    prefix = f"{PREFIX}{scenario.key.upper()}_"
    names = _variables(scenario.key, env, others)
    if spec is None:
        stray = names
        if stray:
            raise SettingsError(stray[0], f"scenario {scenario.key!r} declares no settings")
        return None
    fields = {f.upper(): f for f in spec.__struct_fields__}
    raw: dict[str, Any] = {}
    for name in names:
        value = env[name]
        field = fields.get(name[len(prefix):])
        if field is None:
            known = ", ".join(variable_name(scenario.key, f) for f in spec.__struct_fields__)
            raise SettingsError(name, f"scenario {scenario.key!r} has no setting "
                                      f"{name[len(prefix):].lower()!r} (known: {known})")
        raw[field] = _text_value(spec, field, value)
    try:
        return msgspec.convert(raw, spec, strict=False)
    except msgspec.ValidationError as exc:
        field = _field_of(str(exc)) or next(iter(raw), "")
        name = variable_name(scenario.key, field) if field else f"{prefix}*"
        problem = "is required (the setting has no default)" if field not in raw else str(exc)
        raise SettingsError(name, f"scenario {scenario.key!r}, setting {field!r}: {problem}") \
            from None


def scenario_settings(scenarios: Sequence[Scenario],
                      environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``key → settings`` of every scenario that declares settings (a variable is the
    scenario's whose key it names most precisely, among every installed scenario)."""
    from xinyi_api.scenarios.loader import discover

    env = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    keys = sorted({s.key for s in scenarios} | {ep.name for ep in discover()})
    stray = unclaimed(env, keys)
    if stray:
        raise SettingsError(stray[0], "names no installed scenario (installed: "
                                      f"{', '.join(keys) or 'none'}); a typo in the key?")
    for scenario in scenarios:
        value = settings_of(scenario, env, keys)
        if value is not None:
            out[scenario.key] = value
    return out


def unclaimed(env: Mapping[str, str], keys: Sequence[str]) -> list[str]:
    """``XINYI_SCENARIO_…`` variables that belong to none of the scenario ``keys``."""
    prefixes = [f"{PREFIX}{key.upper()}_" for key in keys]
    return sorted(name for name in env if name.startswith(PREFIX)
                  and not any(name.startswith(p) for p in prefixes))


def _text_value(spec: type[msgspec.Struct], field: str, value: str) -> Any:
    """Comma-separated text for list/tuple/set fields; the text itself otherwise."""
    info = msgspec.inspect.type_info(spec)
    assert isinstance(info, msgspec.inspect.StructType)
    ftype = next(f.type for f in info.fields if f.name == field)
    if isinstance(ftype, (msgspec.inspect.ListType, msgspec.inspect.TupleType,
                          msgspec.inspect.VarTupleType, msgspec.inspect.SetType,
                          msgspec.inspect.FrozenSetType)):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _field_of(message: str) -> str | None:
    """``… - at `$.due_days``` or ``Object missing required field `due_days``` →
    ``due_days``."""
    for marker in ("at `$.", "missing required field `"):
        if marker in message:
            return message.split(marker, 1)[1].split("`", 1)[0].split("[", 1)[0].split(".")[0]
    return None
