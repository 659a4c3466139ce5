"""Each built-in scenario grades hand-built credit files with explained indicators."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.scenarios.helpers import TODAY, file, rec
from xinyi_api.grading.engine import GradeResult
from xinyi_api.grading.public_rule import PUBLIC_RULE
from xinyi_api.scenarios.model import Badge, CreditFile, CreditLine, Scenario, Suspension
from xinyi_scenarios.beef_soup import SCENARIO as BEEF_SOUP
from xinyi_scenarios.medical_insurance import SCENARIO as MEDICAL
from xinyi_scenarios.pay_later import SCENARIO as PAY_LATER
from xinyi_scenarios.property import SCENARIO as PROPERTY
from xinyi_scenarios.tourism import SCENARIO as TOURISM


def grade(scenario: Scenario, f: CreditFile) -> GradeResult:
    return scenario.rule().grade(f, TODAY)


def points(result: GradeResult) -> dict[str, int]:
    return {o.key: o.points for o in result.explanation.indicators}


def agreement(status: str = "in_force") -> dict[str, Any]:
    return {"agreement_no": "YB-340400-0001", "status": status, "signed_on": date(2024, 1, 1),
            "status_since": date(2024, 1, 1)}


def test_a_clean_beef_soup_shop_with_good_ratings_is_a_and_earns_the_model_store_badge() -> None:
    shop = file("beef_soup", rec("licence"), rec("commitment", result="kept"),
                *[rec("inspection", result="pass", days_ago=d) for d in (10, 100, 200)],
                ratings=(20, 4.6))
    result = grade(BEEF_SOUP, shop)
    assert result.grade == "A" and result.scheme == "beef_soup" and result.rule_version == "1"
    assert points(result)["food_inspections"] == 60
    assert points(result)["consumer_ratings"] == 64
    badges = [m.effect for m in BEEF_SOUP.measures_for("A", "business")
              if isinstance(m.effect, Badge)]
    assert [b.label_zh for b in badges] == ["诚信示范店"]


def test_a_serious_food_safety_failure_grades_a_beef_soup_shop_alone() -> None:
    shop = file("beef_soup", rec("inspection", result="fail", severity="serious", title="后厨"))
    result = grade(BEEF_SOUP, shop)
    assert result.grade in ("C", "D")
    [line] = result.explanation.indicators[0].reasons
    assert "后厨" in line.text and line.points == -180


def test_a_beef_soup_shop_with_nothing_on_file_is_unrated() -> None:
    result = grade(BEEF_SOUP, file("beef_soup"))
    assert result.grade == "unrated" and result.score is None
    assert result.explanation.unrated_reason


def test_beef_soup_ratings_score_nothing_until_the_ratings_module_fills_them() -> None:
    result = grade(BEEF_SOUP, file("beef_soup", rec("licence"), rec("inspection", result="pass")))
    ratings = next(o for o in result.explanation.indicators if o.key == "consumer_ratings")
    assert ratings.points == 0 and "不足 5 条" in ratings.reasons[0].text


def test_medical_institution_with_agreement_in_force_and_clean_record_is_a() -> None:
    hospital = file("hospital", rec("licence"), rec("contract", result="fulfilled"),
                    rec("contract", result="fulfilled", days_ago=60),
                    rec("inspection", result="pass"), subject_type="enterprise",
                    medical_insurance={"agreement": agreement(), "exposures": []})
    result = grade(MEDICAL, hospital)
    assert result.grade == "A"
    assert [o.name for o in result.explanation.indicators] == [
        "履约情况", "处罚情况", "服务资格", "媒体曝光", "智能监控与检查"]


def test_a_suspended_medical_insurance_agreement_drops_the_grade() -> None:
    hospital = file("hospital", rec("licence"), rec("contract", result="fulfilled"),
                    subject_type="enterprise",
                    medical_insurance={"agreement": agreement("suspended"), "exposures": []})
    result = grade(MEDICAL, hospital)
    assert result.grade in ("C", "D")
    assert points(result)["qualification"] == -180


def test_only_verified_media_exposure_counts() -> None:
    exposures = [
        {"title": "违规收费", "outlet": "淮南日报", "reported_on": date(2025, 5, 1),
         "severity": "serious", "verified": True},
        {"title": "传闻", "outlet": "网络", "reported_on": date(2025, 5, 2), "severity": "severe",
         "verified": False},
    ]
    hospital = file("hospital", rec("licence"), rec("contract", result="fulfilled"),
                    subject_type="enterprise",
                    medical_insurance={"agreement": agreement(), "exposures": exposures})
    media = next(o for o in grade(MEDICAL, hospital).explanation.indicators if o.key == "media")
    assert media.points == -100
    assert any("待核实" in r.text and r.points == 0 for r in media.reasons)


def test_medical_fund_penalties_weigh_more_than_other_departments() -> None:
    fund = grade(MEDICAL, file("hospital", rec("penalty", severity="general", dept="ybj"),
                               subject_type="enterprise"))
    other = grade(MEDICAL, file("hospital", rec("penalty", severity="general", dept="scjg"),
                                subject_type="enterprise"))
    assert points(fund)["penalties"] < points(other)["penalties"] < 0


def test_property_company_is_explained_per_department() -> None:
    company = file("property_management", rec("penalty", severity="severe", dept="xfjy"),
                   rec("inspection", result="pass", dept="zjj"), subject_type="enterprise")
    result = grade(PROPERTY, company)
    assert result.grade == "D"
    assert points(result)["fire_safety"] == -400
    assert points(result)["housing"] == 10


def test_property_company_with_good_records_and_owner_ratings_is_a() -> None:
    company = file("property_management", rec("reward", dept="zjj"),
                   rec("inspection", result="pass", dept="zjj"),
                   rec("inspection", result="pass", dept="xfjy"),
                   rec("contract", result="fulfilled"), subject_type="enterprise",
                   ratings=(30, 4.5))
    assert grade(PROPERTY, company).grade == "A"


def test_property_declares_the_on_time_fee_bonus_for_residents() -> None:
    [bonus] = [m for m in PROPERTY.measures if m.target == "person"]
    assert bonus.effect.points == 5  # type: ignore[union-attr]
    assert "物业费" in bonus.condition


def test_tourist_complaints_weigh_more_than_in_the_public_grade() -> None:
    hotel = file("hotel", rec("licence", dept="wlj"), rec("complaint", severity="general"),
                 rec("complaint", severity="general", days_ago=50), subject_type="enterprise")
    tourism, public = grade(TOURISM, hotel), PUBLIC_RULE.grade(hotel, TODAY)
    assert points(tourism)["complaints"] == -120
    assert points(public)["complaints"] == -50
    assert tourism.grade == "C" and public.grade == "B"


def test_tourism_declares_consumer_side_xinyiyou_measures() -> None:
    person = {m.key: m for m in TOURISM.measures if m.target == "person"}
    assert set(person) == {"xinyiyou_discount_a", "deposit_free_ab"}
    assert person["deposit_free_ab"].grades == ("A", "B")


def test_well_run_hospital_is_a_pay_later_pilot() -> None:
    hospital = file("hospital", rec("licence"), rec("contract", result="fulfilled"),
                    rec("contract", result="fulfilled", days_ago=40),
                    rec("inspection", result="pass"), subject_type="enterprise",
                    ratings=(40, 4.4))
    result = grade(PAY_LATER, hospital)
    assert result.grade == "A"
    assert "pilot_ab" in {m.key for m in PAY_LATER.measures_for("A", "business")}


def test_pay_later_credit_line_follows_the_personal_grade() -> None:
    lines = {m.grades: m.effect for m in PAY_LATER.measures if m.target == "person"}
    assert lines[("A",)] == CreditLine(yuan=3000, service="pay_later")
    assert lines[("B",)] == CreditLine(yuan=1000, service="pay_later")
    assert lines[("D",)] == Suspension(service="pay_later")


def test_scenarios_cover_only_their_subject_types_and_industries() -> None:
    assert BEEF_SOUP.covers(file("beef_soup"))
    assert not BEEF_SOUP.covers(file("hotel"))
    assert not PROPERTY.covers(file("property_management", subject_type="store"))
    assert TOURISM.covers(file("tour_guide", subject_type="individual"))
    assert MEDICAL.covers(file("pharmacy")) and PAY_LATER.covers(file("hospital"))
