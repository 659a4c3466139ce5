"""Working days under the State Council holiday schedule (法定节假日 and 调休)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from xinyi_api.accountability.calendar import (
    DATA_FILE,
    Deadline,
    HolidayCalendar,
    ScheduleError,
    official_calendar,
    parse_schedule_file,
    shipped_schedules,
)


def test_national_day_golden_week_2025_is_skipped_and_makeup_saturday_counts() -> None:
    cal = official_calendar()
    # Filed Tue 30 Sep 2025: 1–8 Oct are off; Sat 11 Oct is a 调休 working day.
    # Working days: Thu 9, Fri 10, Sat 11, Mon 13, Tue 14.
    assert cal.add_working_days(date(2025, 9, 30), 5) == date(2025, 10, 14)
    assert cal.is_working_day(date(2025, 9, 28))  # Sunday, 调休上班
    assert not cal.is_working_day(date(2025, 10, 8))  # Wednesday, still on holiday


def test_spring_festival_2026_and_its_makeup_days() -> None:
    cal = official_calendar()
    assert cal.is_working_day(date(2026, 2, 14))  # Saturday before the holiday
    assert not any(cal.is_working_day(date(2026, 2, d)) for d in range(15, 24))
    assert cal.is_working_day(date(2026, 2, 28))  # Saturday after
    # Filed Fri 13 Feb 2026: Sat 14, Tue 24, Wed 25, Thu 26, Fri 27.
    assert cal.add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)


def test_national_day_2026_golden_week() -> None:
    cal = official_calendar()
    assert cal.is_working_day(date(2026, 9, 20))  # Sunday 调休
    assert not cal.is_working_day(date(2026, 9, 25))  # 中秋节 Friday
    # Filed Wed 30 Sep 2026: Thu 8, Fri 9, Sat 10 (调休), Mon 12, Tue 13.
    assert cal.add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_ordinary_weeks_skip_only_weekends() -> None:
    cal = official_calendar()
    assert cal.add_working_days(date(2025, 3, 7), 5) == date(2025, 3, 14)  # Fri → next Fri
    assert cal.working_days_between(date(2025, 3, 7), date(2025, 3, 14)) == 5
    assert cal.working_days_between(date(2025, 3, 14), date(2025, 3, 7)) == -5


def test_the_data_file_covers_2025_and_2026() -> None:
    cal = official_calendar()
    assert cal.covers(2025) and cal.covers(2026)
    assert len([d for d in cal.days_off if d.year == 2025]) == 28
    assert len([d for d in cal.days_off if d.year == 2026]) == 33


# --- years without a schedule, and schedules loaded later -------------------------------------

HOLIDAYS_2027: list[dict[str, object]] = [
    {"name": "元旦", "off": ["2027-01-01", "2027-01-03"], "make_up_workdays": []},
    {"name": "春节", "off": ["2027-02-06", "2027-02-14"], "make_up_workdays": ["2027-02-20"]},
    {"name": "清明节", "off": ["2027-04-03", "2027-04-05"], "make_up_workdays": []},
    {"name": "劳动节", "off": ["2027-05-01", "2027-05-05"], "make_up_workdays": []},
    {"name": "端午节", "off": ["2027-06-09", "2027-06-11"], "make_up_workdays": []},
    {"name": "中秋节、国庆节", "off": ["2027-10-01", "2027-10-07"],
     "make_up_workdays": ["2027-09-26", "2027-10-09"]},
]
TEST_2027 = {"notice": "测试用安排 (made up for the tests, not the State Council's 2027 notice)",
             "holidays": HOLIDAYS_2027}


def test_a_deadline_reaching_into_a_year_without_a_schedule_is_provisional() -> None:
    cal = official_calendar()
    assert not cal.covers(2027)
    # Mon 28 Dec 2026: 29, 30, 31 Dec, then 1 Jan 2027 counts as a working day (unknown 元旦).
    assert cal.deadline(date(2026, 12, 28), 5) == Deadline(date(2027, 1, 4), provisional=True)
    assert cal.deadline(date(2026, 11, 16), 5) == Deadline(date(2026, 11, 23), provisional=False)
    with_2027 = HolidayCalendar.from_schedules({**shipped_schedules(), 2027: TEST_2027})
    assert with_2027.deadline(date(2026, 12, 28), 5) == Deadline(date(2027, 1, 5), False)


def test_years_without_a_schedule_are_reported_from_december_on() -> None:
    cal = official_calendar()
    assert cal.missing_years(date(2026, 11, 30)) == []
    assert cal.missing_years(date(2026, 12, 1)) == [2027]
    assert cal.missing_years(date(2027, 3, 1)) == [2027]
    assert cal.missing_years(date(2024, 12, 15)) == [2024]


def _with(**changes: object) -> dict[str, object]:
    return {"years": {"2027": {**TEST_2027, **changes}}}


def _holiday(name: str, off: list[str], make_up: list[str] | None = None) -> dict[str, object]:
    return {"name": name, "off": off, "make_up_workdays": make_up or []}


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"2027": TEST_2027}, "years"),
        ({"years": {"27": TEST_2027}}, "keys like"),
        (_with(notice=""), "notice"),
        (_with(holidays=HOLIDAYS_2027[:-1]), "国庆"),
        (_with(holidays=[*HOLIDAYS_2027[1:],
                         _holiday("元旦", ["2027-01-01", "2027-13-01"])]), "not a date"),
        (_with(holidays=[*HOLIDAYS_2027[1:],
                         _holiday("元旦", ["2026-01-01", "2026-01-03"])]), "must end in 2027"),
        (_with(holidays=[*HOLIDAYS_2027[1:],
                         _holiday("元旦", ["2027-01-01", "2027-01-03"], ["2027-01-05"])]),
         "weekday"),
        (_with(holidays=[*HOLIDAYS_2027[1:],
                         _holiday("元旦", ["2027-01-01", "2027-01-03"], ["2027-01-02"])]),
         "both off and working"),
        (_with(holidays=[*HOLIDAYS_2027[1:],
                         _holiday("元旦", ["2027-01-01", "2027-01-31"])]), "longer than"),
        (_with(holidays=[{**HOLIDAYS_2027[0], "extra": 1},
                         *HOLIDAYS_2027[1:]]), "unknown field"),
    ],
)
def test_a_schedule_that_cannot_be_a_state_council_notice_is_refused(
    data: object, says: str
) -> None:
    with pytest.raises(ScheduleError, match=says):
        parse_schedule_file(data)


def test_the_shipped_schedules_pass_the_same_checks() -> None:
    assert sorted(parse_schedule_file(json.loads(DATA_FILE.read_text("utf-8")))) == [2025, 2026]
