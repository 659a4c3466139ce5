"""The public rule on hand-built files; every expected score is worked out in the comment."""

from datetime import date

import pytest

from xinyi_api.grading.engine import CreditFile, GradingRule, RatingSummary, RecordFact
from xinyi_api.grading.public_rule import PUBLIC_RULE

TODAY = date(2026, 11, 22)
_n = iter(range(1, 10_000))


def rec(kind: str, *, severity: str | None = None, result: str | None = None,
        occurred: date = date(2026, 6, 1), until: date = date(2027, 6, 1),
        status: str = "active") -> RecordFact:
    return RecordFact(id=f"R{next(_n):010d}", kind=kind, severity=severity, result=result,
                      title="t", occurred_on=occurred, public_until=until, status=status,
                      source_department="scjg")


def file_of(*records: RecordFact, ratings: RatingSummary | None = None) -> CreditFile:
    return CreditFile(subject_id="S00000001", subject_type="store", industry="beef_soup",
                      region_code="340403", closed=False, records=records, ratings=ratings)


def points(result, key: str) -> int:
    return next(i.points for i in result.explanation.indicators if i.key == key)


def test_empty_file_is_unrated() -> None:
    result = PUBLIC_RULE.grade(file_of(), TODAY)
    assert result.grade == "unrated" and result.score is None
    assert "暂无评级" in result.explanation.unrated_reason


def test_one_licence_alone_is_too_little_data() -> None:
    assert PUBLIC_RULE.grade(file_of(rec("licence")), TODAY).grade == "unrated"


def test_licence_and_clean_inspection_give_b() -> None:
    # 700 + 30 (licence) + 15 (one pass) = 745 → B (650..799)
    result = PUBLIC_RULE.grade(file_of(rec("licence"), rec("inspection", result="pass")), TODAY)
    assert (result.score, result.grade) == (745, "B")
    assert points(result, "licences") == 30 and points(result, "inspections") == 15


def test_three_clean_inspections_and_a_reward_give_a() -> None:
    # 700 + 30 + 3×15 + 40 = 815 → A
    recs = [rec("licence"), rec("reward")] + [rec("inspection", result="pass") for _ in range(3)]
    result = PUBLIC_RULE.grade(file_of(*recs), TODAY)
    assert (result.score, result.grade) == (815, "A")


def test_inspection_bonus_stops_after_three() -> None:
    # a fourth pass adds nothing: 700 + 30 + 45 = 775
    recs = [rec("licence")] + [rec("inspection", result="pass") for _ in range(4)]
    assert PUBLIC_RULE.grade(file_of(*recs), TODAY).score == 775


def test_general_penalty_and_rectification_give_c() -> None:
    # 700 + 30 − 40 (责令整改) − 80 (一般 penalty) = 610 → C
    recs = [rec("licence"), rec("inspection", result="rectify"),
            rec("penalty", severity="general")]
    result = PUBLIC_RULE.grade(file_of(*recs), TODAY)
    assert (result.score, result.grade) == (610, "C")
    penalty_reason = next(i for i in result.explanation.indicators if i.key == "penalties")
    assert penalty_reason.reasons[0].record_id == recs[2].id
    assert penalty_reason.reasons[0].points == -80
    assert "行政处罚" in penalty_reason.reasons[0].text and "一般" in penalty_reason.reasons[0].text


def test_a_single_severe_penalty_decides_the_grade_alone() -> None:
    # 700 − 300 = 400 → D, rated although only one fact is on file
    result = PUBLIC_RULE.grade(file_of(rec("penalty", severity="severe")), TODAY)
    assert (result.score, result.grade) == (400, "D")


def test_penalties_are_capped_at_minus_600() -> None:
    recs = [rec("penalty", severity="severe") for _ in range(4)]  # −1200 raw
    result = PUBLIC_RULE.grade(file_of(*recs), TODAY)
    assert points(result, "penalties") == -600 and result.score == 100
    reasons = next(i for i in result.explanation.indicators if i.key == "penalties").reasons
    assert reasons[-1].text.startswith("封顶")


def test_records_outside_their_display_period_do_not_count() -> None:
    expired = rec("penalty", severity="severe", occurred=date(2022, 1, 1), until=date(2025, 1, 1))
    recs = [rec("licence"), rec("inspection", result="pass"), expired]
    assert PUBLIC_RULE.grade(file_of(*recs), TODAY).score == 745


@pytest.mark.parametrize("status", ["repaired", "withdrawn"])
def test_repaired_and_withdrawn_records_do_not_count(status: str) -> None:
    recs = [rec("licence"), rec("inspection", result="pass"),
            rec("penalty", severity="general", status=status)]
    assert PUBLIC_RULE.grade(file_of(*recs), TODAY).score == 745


def test_a_record_under_objection_still_counts() -> None:
    recs = [rec("licence"), rec("penalty", severity="general", status="objected")]
    assert PUBLIC_RULE.grade(file_of(*recs), TODAY).score == 650


def test_ratings_count_from_five_with_the_bayesian_mean() -> None:
    # (4.5 − 3) × 40 = 60 points; 700 + 30 + 15 + 60 = 805 → A
    recs = [rec("licence"), rec("inspection", result="pass")]
    good = RatingSummary(count=20, mean=4.6, bayesian_mean=4.5)
    assert PUBLIC_RULE.grade(file_of(*recs, ratings=good), TODAY).score == 805
    few = RatingSummary(count=4, mean=5.0, bayesian_mean=4.9)
    assert PUBLIC_RULE.grade(file_of(*recs, ratings=few), TODAY).score == 745


def test_review_date_is_the_day_after_the_first_record_expires() -> None:
    recs = [rec("licence", until=date(2029, 1, 1)), rec("inspection", result="pass",
                                                        until=date(2027, 3, 4))]
    assert PUBLIC_RULE.grade(file_of(*recs), TODAY).review_on == date(2027, 3, 5)


def test_every_indicator_appears_in_the_explanation() -> None:
    result = PUBLIC_RULE.grade(file_of(rec("licence"), rec("reward")), TODAY)
    assert [i.key for i in result.explanation.indicators] == [
        i.key for i in PUBLIC_RULE.indicators]
    assert result.explanation.base == 700
    assert result.explanation.thresholds == {"A": 800, "B": 650, "C": 500}


@pytest.mark.parametrize(
    ("thresholds", "problem"),
    [
        ((("A", 600), ("B", 700)), "fall strictly"),
        ((("B", 800), ("A", 700)), "in order"),
        ((("A", 0),), "1..1000"),
    ],
)
def test_malformed_rules_are_refused(thresholds, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        GradingRule(scheme="x", version="1", name_zh="x", base_score=500, indicators=(),
                    thresholds=thresholds)
