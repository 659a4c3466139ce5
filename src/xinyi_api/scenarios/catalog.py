"""The national list (措施清单) as data: which measures a scenario may declare, and how strong.

Scenario measures must stay inside what the national documents allow — 《全国失信惩戒措施基础清单
(2024年版)》 (发改财金规〔2024〕203号) for constraints, and the principle that no department may
"随意增设惩戒措施或在法定惩戒标准上加重惩戒" (seed 002 §15) or punish more than the fault
(过惩相当, seed 004). This module writes that down as limits the loader checks; ``docs/plugins.md``
("The national list") shows the same table. A measure outside it refuses start-up.

What the table encodes:

- every effect kind names whether it may be an incentive, a constraint, or both, and for whom;
- constraints (失信约束) apply only to grades C and D — never to A, B or 暂无评级 (unrated);
- ``suspension`` only to grade D; shame badges, fines, bans and market exclusion do not exist as
  effect kinds at all (they need a law, not a scenario);
- numeric limits: inspections per year by grade, discount ≤ 100 %, credit lines ≥ 0 yuan and at
  most ``MAX_CREDIT_LINE_YUAN``, personal-credit bonus points at most ``MAX_CREDIT_POINTS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CATALOG_VERSION = "2024"
"""The year of the national list this table follows."""

CONSTRAINT_GRADES = frozenset({"C", "D"})
"""Only these grades may carry 失信约束 measures."""

MAX_INSPECTIONS_PER_YEAR: dict[str, int] = {"A": 1, "B": 2, "C": 4, "D": 12, "unrated": 2}
"""Most routine inspections a year a scenario may set for a grade (分级分类监管: fewer for good
credit, more for risk — "对信用状况好、风险小的市场主体,可降低抽查比例和频次")."""

MAX_CREDIT_LINE_YUAN = 50_000
MAX_CREDIT_POINTS = 50

SUPERVISION_ACTIONS: dict[str, str] = {
    "interview": "约谈",
    "rectification": "限期整改",
    "key_supervision": "列为重点监管对象",
    "commitment": "签署信用承诺",
    "training": "参加信用修复培训",
}
"""Supervisory actions a scenario may use as constraints (national list, 事中事后监管)."""


@dataclass(frozen=True, slots=True)
class EffectRule:
    """What the national list allows for one effect kind."""

    kinds: frozenset[str]
    targets: frozenset[str]
    grades: frozenset[str] | None = None
    """If set, the only grades the effect may be tied to."""


NATIONAL_LIST: dict[str, EffectRule] = {
    "inspection_frequency": EffectRule(frozenset({"incentive", "constraint"}),
                                       frozenset({"business"})),
    "discount": EffectRule(frozenset({"incentive"}), frozenset({"business", "person"})),
    "credit_line": EffectRule(frozenset({"incentive"}), frozenset({"business", "person"})),
    "badge": EffectRule(frozenset({"incentive"}), frozenset({"business"}),
                        grades=frozenset({"A", "B"})),
    "priority": EffectRule(frozenset({"incentive"}), frozenset({"business", "person"})),
    "waiver": EffectRule(frozenset({"incentive"}), frozenset({"business", "person"})),
    "eligibility": EffectRule(frozenset({"incentive", "constraint"}),
                              frozenset({"business", "person"})),
    "credit_points": EffectRule(frozenset({"incentive"}), frozenset({"person"})),
    "supervision": EffectRule(frozenset({"constraint"}), frozenset({"business", "person"})),
    "suspension": EffectRule(frozenset({"constraint"}), frozenset({"business", "person"}),
                             grades=frozenset({"D"})),
}


def effect_problems(kind: str, target: str, grades: tuple[str, ...], effect_type: str,
                    fields: dict[str, Any]) -> list[str]:
    """Why a measure's effect is malformed or stricter than the national list allows."""
    rule = NATIONAL_LIST.get(effect_type)
    if rule is None:
        return [f"effect type {effect_type!r} is not on the national list "
                f"({', '.join(sorted(NATIONAL_LIST))})"]
    problems: list[str] = []
    if kind not in rule.kinds:
        problems.append(f"a {effect_type} effect cannot be a {kind}")
    if target not in rule.targets:
        problems.append(f"a {effect_type} effect cannot target a {target}")
    if rule.grades is not None and not set(grades) <= rule.grades:
        problems.append(f"a {effect_type} effect is allowed only for grades "
                        f"{', '.join(sorted(rule.grades))}, not {', '.join(grades)}")
    if kind == "constraint" and not set(grades) <= CONSTRAINT_GRADES:
        problems.append(f"失信约束 only for grades C and D, not {', '.join(grades)} (过惩相当)")
    problems.extend(_value_problems(effect_type, kind, grades, fields))
    return problems


def _value_problems(effect_type: str, kind: str, grades: tuple[str, ...],
                    fields: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if effect_type == "inspection_frequency":
        per_year = fields.get("per_year")
        if not isinstance(per_year, int) or per_year < 0:
            return ["inspection frequency must be a whole number ≥ 0 per year"]
        for grade in grades:
            limit = MAX_INSPECTIONS_PER_YEAR.get(grade, 0)
            if per_year > limit:
                problems.append(f"{per_year} inspections a year for grade {grade} exceeds the "
                                f"national limit of {limit}")
    elif effect_type == "discount":
        percent = fields.get("percent")
        if not isinstance(percent, int | float) or not 0 < percent <= 100:
            problems.append(f"discount must be more than 0 and at most 100 %, got {percent}")
    elif effect_type == "credit_line":
        yuan = fields.get("yuan")
        if not isinstance(yuan, int) or not 0 <= yuan <= MAX_CREDIT_LINE_YUAN:
            problems.append(f"credit line must be 0..{MAX_CREDIT_LINE_YUAN} yuan, got {yuan}")
    elif effect_type == "credit_points":
        points = fields.get("points")
        if not isinstance(points, int) or not 0 < points <= MAX_CREDIT_POINTS:
            problems.append(f"credit points must be 1..{MAX_CREDIT_POINTS}, got {points}")
    elif effect_type == "supervision":
        action = fields.get("action")
        if action not in SUPERVISION_ACTIONS:
            problems.append(f"supervision action {action!r} is not on the national list "
                            f"({', '.join(SUPERVISION_ACTIONS)})")
    elif effect_type == "eligibility":
        eligible = fields.get("eligible")
        if eligible is True and kind != "incentive":
            problems.append("being eligible is an incentive, not a constraint")
        if eligible is False and kind != "constraint":
            problems.append("losing eligibility is a constraint, not an incentive")
    for name, value in fields.items():
        if isinstance(value, str) and not value.strip():
            problems.append(f"{effect_type}.{name} must not be empty")
    return problems
