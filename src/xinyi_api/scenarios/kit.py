"""The scenario kit 场景插件接口: the ONE module a 信用+ scenario plugin imports.

Everything a scenario may use is exported here — built-in scenarios and a department's own
package alike (an import-linter contract in CI refuses any other import of ``xinyi_api``). Each
name has a heading in ``docs/plugins.md`` with its signature and an example (a test enforces it).

Stability: every name in ``__all__`` is stable within a major version of xinyi-api. A name that
changes is announced in the changelog (docs/plugins.md, "Stability") and keeps working, with a
``DeprecationWarning``, for one more release. Anything imported from elsewhere in ``xinyi_api`` is
internal and may change without notice.

What is here, by purpose:

- declaring a scenario: ``Scenario``, ``indicator``, ``Measure`` and its effects, ``Basis``,
  ``RatingDimension``, ``Industry``, the grading types (``CreditFile``, ``RecordFact``,
  ``IndicatorResult``, ``Reason``, ``capped``) and record labels;
- its own data: ``Queries`` (named SQL beside the module), ``FileLoader``, ``PersonSync``,
  ``BusinessSync``, ``PersonData`` (what its tables hold about a person, for the export);
- its own endpoints: ``Context`` (``ctx``: transaction, covered subject, regrade, audit, clock,
  configuration), guards (``requires``, ``ensure_region``, ``ensure_merchant_of``), errors,
  input types (``SingleLineText``, ``FreeText``, ``PlausibleDate``, ``Int64``), personal credit
  (``PersonalCredit``: spend a 动态个人信用码, a person's ``Standing``, ``record_fact``);
- testing it: ``make_file``, ``make_record``, ``grade_offline``, ``scenario_problems``
  (``xinyi_api.scenarios.testing``) and the pytest fixtures ``scenario_client``,
  ``scenario_token``, ``scenario_subject`` … (``xinyi_api.pytest_plugin``, loaded by
  pytest on its own; docs/scenario-kit.md).
"""

from __future__ import annotations

from xinyi_api.accountability.service import ensure_merchant_of
from xinyi_api.auth.guards import ensure_acts_for, ensure_region, requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)
from xinyi_api.grading.engine import (
    GRADE_LABELS,
    GRADES,
    CreditFile,
    Grade,
    GradeResult,
    Indicator,
    IndicatorResult,
    RatingSummary,
    Reason,
    RecordFact,
    capped,
)
from xinyi_api.grading.kinds import KIND_LABELS, RESULT_LABELS, SEVERITY_LABELS
from xinyi_api.grading.service import FileLoader
from xinyi_api.industries import Industry
from xinyi_api.inputs import FreeText, Int64, PlausibleDate, PlausibleDateTime, SingleLineText
from xinyi_api.scenarios.context import Context, Subject
from xinyi_api.scenarios.deps import ContextDep
from xinyi_api.scenarios.model import (
    Audience,
    Badge,
    Basis,
    BusinessSync,
    CreditLine,
    CreditPoints,
    Discount,
    Effect,
    Eligibility,
    InspectionFrequency,
    Measure,
    MeasureKind,
    PersonData,
    PersonSync,
    Priority,
    Queries,
    RatingDimension,
    Scenario,
    ScenarioError,
    SubjectType,
    Supervision,
    Suspension,
    Target,
    Waiver,
    indicator,
)
from xinyi_api.scenarios.model import PersonCredit as PersonalCredit
from xinyi_api.scenarios.model import PersonStanding as Standing
from xinyi_api.scenarios.testing import grade_offline, make_file, make_record, scenario_problems

__all__ = [
    "GRADES",
    "GRADE_LABELS",
    "KIND_LABELS",
    "RESULT_LABELS",
    "SEVERITY_LABELS",
    "AppError",
    "Audience",
    "BadRequest",
    "Badge",
    "Basis",
    "BusinessSync",
    "Conflict",
    "Context",
    "ContextDep",
    "CreditFile",
    "CreditLine",
    "CreditPoints",
    "Discount",
    "Effect",
    "Eligibility",
    "FileLoader",
    "Forbidden",
    "FreeText",
    "Gone",
    "Grade",
    "GradeResult",
    "Indicator",
    "IndicatorResult",
    "Industry",
    "InspectionFrequency",
    "Int64",
    "Measure",
    "MeasureKind",
    "NotFound",
    "PersonData",
    "PersonSync",
    "PersonalCredit",
    "PlausibleDate",
    "PlausibleDateTime",
    "Principal",
    "Priority",
    "Queries",
    "RatingDimension",
    "RatingSummary",
    "Reason",
    "RecordFact",
    "Scenario",
    "ScenarioError",
    "SingleLineText",
    "Standing",
    "Subject",
    "SubjectType",
    "Supervision",
    "Suspension",
    "Target",
    "TooManyRequests",
    "Unauthorized",
    "Unprocessable",
    "Waiver",
    "capped",
    "ensure_acts_for",
    "ensure_merchant_of",
    "ensure_region",
    "grade_offline",
    "indicator",
    "make_file",
    "make_record",
    "requires",
    "scenario_problems",
]
