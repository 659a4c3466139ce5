"""Grading is a pure function of the credit file and the day: tested without a database."""

from __future__ import annotations

from datetime import date
from typing import Any

from xinyi_api.scenarios.kit import grade_offline, make_file, make_record, scenario_problems

from xinyi_scenario_housekeeping import KEY, SCENARIO

TODAY = date(2026, 11, 16)


def staff_report(workers: int, certified: int) -> dict[str, Any]:
    """What the scenario's loader adds to a credit file."""
    return {KEY: {"reported_on": TODAY, "workers": workers, "certified_workers": certified}}


def test_the_scenario_passes_every_check_of_the_loader() -> None:
    assert scenario_problems(SCENARIO) == []


def test_mostly_certified_staff_and_a_licence_earn_grade_a() -> None:
    licence = make_record("licence", title="营业执照", days_ago=100, today=TODAY)
    file = make_file(licence, industry=KEY, subject_type="enterprise",
                     extra=staff_report(20, 19))
    result = grade_offline(SCENARIO, file, TODAY)
    assert (result.grade, result.score) == ("A", 800)
    assert "19/20" in result.explanation.indicators[0].reasons[0].text


def test_few_certified_staff_and_an_upheld_complaint_lead_to_c_and_an_interview() -> None:
    complaint = make_record("complaint", severity="serious", title="保洁未按约定完成",
                            days_ago=20, today=TODAY)
    file = make_file(complaint, industry=KEY, subject_type="enterprise",
                     extra=staff_report(20, 5))
    result = grade_offline(SCENARIO, file, TODAY)
    assert (result.grade, result.score) == ("C", 520)
    assert [m.key for m in SCENARIO.measures_for("C", "business")] == ["interview_cd"]


def test_a_staff_report_alone_is_not_enough_evidence_for_a_grade() -> None:
    file = make_file(industry=KEY, subject_type="enterprise", extra=staff_report(20, 19))
    assert grade_offline(SCENARIO, file, TODAY).grade == "unrated"
