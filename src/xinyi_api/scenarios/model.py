"""The scenario plugin interface (场景插件接口): everything a "信用+" scenario declares.

This is the one module a scenario imports. A scenario is a ``Scenario`` value published under the
entry-point group ``xinyi_api.scenarios`` — the built-ins in the top-level ``scenarios/`` package
are registered in ``pyproject.toml`` exactly like a third-party package would register its own.
Every public member below has a heading in ``docs/plugins.md`` (a test enforces it).

A scenario declares:

- who it is: ``key``, Chinese and English names, the owning department (主管部门);
- what it covers: subject types (enterprise / individual / store) and industries;
- how it grades: rating dimensions (评价维度), indicators (评价指标: ``Indicator`` from the grading
  engine, built with ``indicator``), a base score, grade thresholds and a rule version;
- what the grade means: ``Measure``s per grade — incentives (守信激励) and constraints (失信约束),
  each with a target (business or person), a machine-readable ``Effect`` and a ``Basis``;
- optionally its own data: a file loader, a migrations directory and HTTP route handlers
  (``Queries`` loads the named SQL of its own tables, as the core does).

Grading reuses ``xinyi_api.grading.engine`` unchanged: ``Scenario.rule()`` is a ``GradingRule``
with ``scheme`` = the scenario key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import asyncpg
import msgspec

from xinyi_api.auth.tokens import Principal
from xinyi_api.db.queries import Queries
from xinyi_api.grading.engine import (
    CreditFile,
    Grade,
    GradeResult,
    GradingRule,
    Indicator,
    IndicatorResult,
    Reason,
    RecordFact,
)
from xinyi_api.grading.service import FileLoader
from xinyi_api.industries import Industry

__all__ = [
    "Audience",
    "Badge",
    "Basis",
    "CreditFile",
    "CreditLine",
    "CreditPoints",
    "Discount",
    "Effect",
    "Eligibility",
    "Indicator",
    "IndicatorResult",
    "InspectionFrequency",
    "Measure",
    "MeasureKind",
    "PersonData",
    "PersonDataSource",
    "PersonSync",
    "Priority",
    "Queries",
    "RatingDimension",
    "Reason",
    "RecordFact",
    "Scenario",
    "ScenarioError",
    "SubjectType",
    "Supervision",
    "Suspension",
    "Target",
    "Waiver",
    "indicator",
]

SubjectType = Literal["enterprise", "individual", "store"]
"""信用主体类型: 企业 enterprise, 个体工商户 individual business, 门店 store."""

Target = Literal["business", "person"]
"""Who a measure applies to: the graded business (经营主体), or a natural person (自然人) —
a consumer, patient or resident whose personal grade (个人信用) decides it."""

MeasureKind = Literal["incentive", "constraint"]
"""守信激励 incentive, or 失信约束 constraint."""

Audience = Literal["public", "business", "departments"]
"""Who may see that a measure applies to a subject, widest first: ``public`` (anyone; the 诚信码
scan page), ``business`` (the business itself and departments), ``departments`` (departments
only). A grade's measures as a *policy* (``GET /api/v1/scenarios/{key}``) are always public; this
is about a named business being under one."""


class ScenarioError(Exception):
    """A scenario plugin cannot be loaded; the message names the plugin and the problem.

    Raised by the loader (and so by ``create_app``) before the app starts.
    """

    def __init__(self, plugin: str, problems: Sequence[str]) -> None:
        self.plugin = plugin
        self.problems = tuple(problems)
        self.by_plugin: dict[str, tuple[str, ...]] = {plugin: self.problems}
        super().__init__(f"scenario plugin {plugin!r}: " + "; ".join(self.problems))

    @classmethod
    def from_problems(cls, problems: dict[str, list[str]]) -> ScenarioError:
        """One error for several plugins: the first names itself, the message names all."""
        first = next(iter(problems))
        error = cls(first, problems[first])
        error.by_plugin = {plugin: tuple(p) for plugin, p in problems.items()}
        error.args = ("\n".join(f"scenario plugin {plugin!r}: " + "; ".join(p)
                                for plugin, p in problems.items()),)
        return error


# --- effects (措施效果): machine-readable, one struct per kind -------------------------------


class InspectionFrequency(msgspec.Struct, frozen=True, tag="inspection_frequency"):
    """监管频次: routine (双随机) inspections per year for a subject with this grade."""

    per_year: int


class Discount(msgspec.Struct, frozen=True, tag="discount"):
    """优惠折扣: a percentage off ``item`` (e.g. 信易游 scenic-spot tickets), 0 < percent ≤ 100."""

    percent: float
    item: str


class CreditLine(msgspec.Struct, frozen=True, tag="credit_line"):
    """信用额度: how much may be used before paying (e.g. 先医后付), in whole yuan, ≥ 0."""

    yuan: int
    service: str


class Badge(msgspec.Struct, frozen=True, tag="badge"):
    """标识: a badge shown on the 诚信码 scan page (e.g. 诚信示范店); incentives only."""

    code: str
    label_zh: str


class Priority(msgspec.Struct, frozen=True, tag="priority"):
    """优先: priority in a service — 医保基金优先拨付, 招投标优先, 优先办理."""

    service: str


class Waiver(msgspec.Struct, frozen=True, tag="waiver"):
    """免除: something waived for a trustworthy subject — 免押金, 容缺受理."""

    item: str


class Eligibility(msgspec.Struct, frozen=True, tag="eligibility"):
    """资格: eligible (incentive) or not (constraint) for a programme — 评优推荐, 政策扶持."""

    programme: str
    eligible: bool


class CreditPoints(msgspec.Struct, frozen=True, tag="credit_points"):
    """个人信用加分: points added to a person's credit score (e.g. paying 物业费 on time)."""

    points: int


class Supervision(msgspec.Struct, frozen=True, tag="supervision"):
    """监管措施: a supervisory action from the national list — ``interview`` 约谈,
    ``rectification`` 限期整改, ``key_supervision`` 列为重点监管对象, ``commitment`` 签署信用承诺,
    ``training`` 信用修复培训."""

    action: str


class Suspension(msgspec.Struct, frozen=True, tag="suspension"):
    """暂停: a service suspended until the subject recovers (e.g. 先医后付 额度暂停)."""

    service: str


Effect = (
    InspectionFrequency
    | Discount
    | CreditLine
    | Badge
    | Priority
    | Waiver
    | Eligibility
    | CreditPoints
    | Supervision
    | Suspension
)
"""What a measure does, as data. JSON carries the kind in ``type`` (``{"type": "discount", …}``)."""


class Basis(msgspec.Struct, frozen=True):
    """依据: the policy document and article a measure rests on (于法于规有据)."""

    document: str
    article: str
    quote: str = ""


class Measure(msgspec.Struct, frozen=True):
    """A 守信激励 or 失信约束 tied to grades of a scenario.

    For ``target="business"`` the grades are the business's grade in this scenario; for
    ``target="person"`` they are the person's personal credit grade (个人信用等级).
    """

    key: str
    kind: MeasureKind
    target: Target
    grades: tuple[Grade, ...]
    title_zh: str
    effect: Effect
    basis: Basis | None
    condition: str = ""
    """Anything besides the grade that must hold (e.g. "按时交纳物业费满 12 个月")."""
    audience: Audience | None = None
    """Who may see it applied to a named business (``Audience``). ``None``, the default: an
    incentive is public, a constraint only the business's and departments' — a scenario makes a
    constraint public only by saying so (e.g. 重点监管对象 where its policy orders 公示)."""

    def applies_to(self, grade: str) -> bool:
        return grade in self.grades

    @property
    def shown_to(self) -> Audience:
        """The audience in force (``audience``, or the default for the kind)."""
        if self.audience is not None:
            return self.audience
        return "public" if self.kind == "incentive" else "business"

    def visible_to(self, viewer: Audience) -> bool:
        """Whether a viewer of this kind may see it: departments see every measure, the
        business its own public and business ones, the public only public ones."""
        if viewer == "departments":
            return True
        if viewer == "business":
            return self.shown_to != "departments"
        return self.shown_to == "public"


class RatingDimension(msgspec.Struct, frozen=True):
    """评价维度: one aspect consumers rate in this scenario (口味, 卫生, 服务 …)."""

    key: str
    name_zh: str
    name_en: str


IndicatorFunction = Callable[[CreditFile, date], IndicatorResult]

# --- personal credit as a scenario sees it ----------------------------------------------------
# Personal credit (xinyi_api.persons) sits above scenarios: a person's measures come from the
# scenarios' declarations. The seam works against these protocols; the platform hands it the real
# PersonalCredit, which satisfies them (the kit exports them as PersonalCredit and Standing).


class PersonStanding(Protocol):
    """A person's grade now and the person measures it earns (``PersonCredit.standing``)."""

    @property
    def person_id(self) -> str: ...

    @property
    def grade(self) -> GradeResult: ...

    def measures_of(self, scenario_key: str) -> list[Measure]:
        """The person measures of ``scenario_key`` the person's grade earns."""
        ...


class PersonCredit(Protocol):
    """Personal credit as a scenario uses it: spend a person's 动态个人信用码, read their
    standing, write a fact on their file."""

    async def redeem_code(self, conn: asyncpg.Connection, code: str, *, partner: Principal,
                          purpose: str, now: datetime) -> str:
        """Spend a code inside the caller's transaction; whose it is (never show it): 422
        ``invalid-personal-code``, 410 ``personal-code-expired``, 409 ``personal-code-used``."""
        ...

    async def standing(self, conn: asyncpg.Connection, person_id: str,
                       today: date) -> PersonStanding:
        """Sync, load and grade the person."""
        ...

    async def record_fact(
        self, conn: asyncpg.Connection, person_id: str, *,
        kind: Literal["payment", "scenario_points"],
        result: Literal["on_time", "late", "overdue"], title: str, occurred_on: date,
        counts_until: date, source: str, source_ref: str, department: str, recorded_by: str,
    ) -> tuple[str, bool]:
        """Add a person record, or update the one with the same ``source`` + ``source_ref``;
        ``(id, created)``. Records are never deleted."""
        ...


PersonSync = Callable[
    [asyncpg.Connection, Sequence[str] | None, date, PersonCredit], Awaitable[int]]
"""``async def sync(conn, person_ids, today, persons) -> int``: bring the scenario's person
records up to date before a person is graded (e.g. mark unpaid bills overdue), writing them
with ``persons.record_fact``; ``person_ids=None`` means everyone (``xinyi-api persons sync``).
Returns how many records it wrote. (The earlier form without ``persons`` still works.)"""

PersonData = Callable[[asyncpg.Connection, str], Awaitable[Mapping[str, Sequence[Any]]]]
"""``async def person_data(conn, person_id) -> {name: [item, …]}``: everything the scenario's
own tables hold about one person (先医后付 bills …), for the person's export (个人信息导出,
``GET /api/v1/me/export``). Items are msgspec structs, dataclasses or JSON-able values."""


@dataclass(frozen=True, slots=True)
class PersonDataSource:
    """A contribution to a person's export (hook ``person_data_sources``): ``key`` names the
    section (a scenario key, or the extension's name), ``title`` says what it is, ``export``
    reads what is held about one person."""

    key: str
    title: str
    export: PersonData


BusinessSync = Callable[[asyncpg.Connection, date], Awaitable[Sequence[str]]]
"""``async def sync(conn, today) -> subject_ids``: the daily business-side job of a scenario
(``xinyi-api jobs daily``): bring its own data up to date (lapse an expired star rating, close a
lapsed agreement) and return the subjects whose files changed; they are regraded at once."""


def indicator(key: str, name_zh: str, name_en: str) -> Callable[[IndicatorFunction], Indicator]:
    """Decorator: a documented function of the credit file → an ``Indicator``.

    The function's docstring becomes the indicator's description (shown with every grade), so an
    undocumented indicator is refused when the scenario loads.
    """

    def wrap(fn: IndicatorFunction) -> Indicator:
        return Indicator(key=key, name_zh=name_zh, name_en=name_en,
                         description=(fn.__doc__ or "").strip(), compute=fn)

    return wrap


@dataclass(frozen=True, slots=True)
class Scenario:
    """A "信用+" scenario: coverage, grading rule and measures, plus optional data and routes."""

    key: str
    """Stable identifier, ``[a-z][a-z0-9_]{1,40}``; the grading scheme and the entry-point name."""
    name_zh: str
    name_en: str
    department: str
    """Code of the owning department (主管部门); its tokens manage the scenario's own data."""
    subject_types: tuple[SubjectType, ...]
    industries: tuple[str, ...]
    rule_version: str
    """Bump it whenever indicators, weights or thresholds change: the subjects are regraded and
    the history keeps both versions."""
    base_score: int
    indicators: tuple[Indicator, ...]
    thresholds: tuple[tuple[Grade, int], ...]
    """Minimum score per grade, best first, e.g. ``(("A", 850), ("B", 700), ("C", 550))``."""
    measures: tuple[Measure, ...]
    dimensions: tuple[RatingDimension, ...] = ()
    description: str = ""
    min_evidence: int = 2
    loader: FileLoader | None = None
    """Adds the scenario's own data to ``CreditFile.extra`` for a batch of files."""
    migrations: Path | None = None
    """A directory of ``NNNN_name.sql`` files creating the scenario's own tables (prefixed with
    the key), applied as migration source ``key``."""
    route_handlers: tuple[Any, ...] = ()
    """Litestar controllers or handlers for the scenario's own endpoints, with paths relative to
    ``/api/v1/scenarios/<key>`` (the core mounts them there and gives each a ``ctx``)."""
    person_sync: PersonSync | None = None
    """Called before a person is graded, to write the scenario's overdue facts (先医后付)."""
    business_sync: BusinessSync | None = None
    """The scenario's daily job for businesses (``xinyi-api jobs daily``)."""
    settings: type[msgspec.Struct] | None = None
    """A msgspec struct of the scenario's configuration, read from the environment as
    ``XINYI_SCENARIO_<KEY>_<FIELD>`` at start and validated (defaults from the struct);
    endpoints read it as ``ctx.config``."""
    new_industries: tuple[Industry, ...] = ()
    """Industries the scenario adds to the registry (keys the core does not know)."""
    rating_priority: int = 0
    """Which scenario's ``dimensions`` a store is rated on when several covering scenarios
    declare some and cover equally few industries: the highest ``rating_priority`` wins
    (``ratings.service.dimension_scenario``; docs/plugins.md, "Rating dimensions")."""
    person_data: PersonData | None = None
    """What the scenario's own tables hold about a person, for the person's export."""

    def covers(self, file: CreditFile) -> bool:
        """Whether the subject falls under the scenario (subject type and industry)."""
        return file.subject_type in self.subject_types and file.industry in self.industries

    def rule(self) -> GradingRule:
        """The scenario's grading rule (raises ``ValueError`` for a malformed rule)."""
        return GradingRule(
            scheme=self.key,
            version=self.rule_version,
            name_zh=self.name_zh,
            base_score=self.base_score,
            indicators=self.indicators,
            thresholds=self.thresholds,
            min_evidence=self.min_evidence,
            covers=self.covers,
        )

    def measures_for(self, grade: str, target: Target | None = None) -> list[Measure]:
        """The measures tied to ``grade`` (optionally only those for ``target``)."""
        return [m for m in self.measures
                if m.applies_to(grade) and (target is None or m.target == target)]
