"""Test helpers for scenario authors: credit files and records by hand, grading without a server.

Grading is a pure function of the file and the day, so most of a scenario is tested offline:

    file = make_file(make_record("inspection", result="pass", days_ago=30, today=TODAY),
                     industry="housekeeping")
    grade = grade_offline(SCENARIO, file, TODAY)
    assert grade.grade == "B"

``scenario_problems(SCENARIO)`` lists what the server would refuse about the scenario (what
``xinyi-api scenarios check`` reports), e.g. a basis still reading 待填写.

For endpoints and loaders, the pytest plugin ``xinyi_api.pytest_plugin`` (installed
with xinyi-api, loaded by pytest on its own) gives ``scenario_client``, ``scenario_token``,
``scenario_subject`` …: the app on an embedded PostgreSQL with only the scenario under test
enabled (docs/scenario-kit.md, "Testing"). Nothing here imports pytest.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from xinyi_api.grading.engine import CreditFile, GradeResult, RatingSummary, RecordFact
from xinyi_api.grading.kinds import public_until
from xinyi_api.scenarios.model import Scenario

__all__ = ["grade_offline", "make_file", "make_record", "scenario_problems"]

_ids = itertools.count(1)


def make_record(kind: str, *, severity: str | None = None, result: str | None = None,
                title: str = "记录", days_ago: int = 30, today: date | None = None,
                occurred_on: date | None = None, department: str = "scjg",
                status: str = "active") -> RecordFact:
    """A credit record as grading sees it (行政处罚, 监督检查 …), shown for as long as the core
    would show it (公示期). Give ``occurred_on``, or ``days_ago`` before ``today``."""
    if occurred_on is None:
        if today is None:
            raise ValueError("make_record needs occurred_on, or today with days_ago")
        occurred_on = today - timedelta(days=days_ago)
    return RecordFact(id=f"R{next(_ids):010d}", kind=kind, severity=severity, result=result,
                      title=title, occurred_on=occurred_on,
                      public_until=public_until(occurred_on, kind, severity, result),
                      status=status, source_department=department)


def make_file(*records: RecordFact, subject_type: str = "store", industry: str = "catering",
              region_code: str = "340403", closed: bool = False,
              ratings: RatingSummary | None = None, extra: Mapping[str, Any] | None = None,
              subject_id: str = "S00000001") -> CreditFile:
    """A credit file (信用档案) with ``records`` newest first, as the grader loads it; ``extra``
    is what the scenario's own loader would add."""
    ordered = tuple(sorted(records, key=lambda r: (r.occurred_on, r.id), reverse=True))
    return CreditFile(subject_id=subject_id, subject_type=subject_type, industry=industry,
                      region_code=region_code, closed=closed, records=ordered, ratings=ratings,
                      extra=dict(extra or {}))


def grade_offline(scenario: Scenario, file: CreditFile, today: date) -> GradeResult:
    """The scenario's grade of ``file`` on ``today``, exactly as the server would compute it
    (raises ``ValueError`` if the scenario does not cover the file's subject)."""
    if not scenario.covers(file):
        raise ValueError(f"{scenario.key} does not cover a {file.subject_type} in "
                         f"{file.industry!r}")
    return scenario.rule().grade(file, today)


def scenario_problems(scenario: Scenario) -> list[str]:
    """Everything the loader would refuse about ``scenario`` on its own — rule, indicators,
    measures and their bases (a ``待填写`` placeholder included), own routes, migrations,
    settings, covered industries — as ``xinyi-api scenarios check`` reports it; ``[]`` when
    the server would load it."""
    from xinyi_api.industries import IndustryRegistry
    from xinyi_api.scenarios.loader import scenario_problems as problems_of

    problems = problems_of(scenario)
    known = IndustryRegistry(scenario.new_industries)
    unknown = [i for i in scenario.industries if i not in known]
    if unknown:
        problems.append(f"industries {unknown} are not in the industry registry: use a key of "
                        "GET /api/v1/industries or declare it in new_industries")
    return problems
