"""Working days under the State Council holiday schedule (法定节假日 and 调休)."""

from __future__ import annotations

from datetime import date

from xinyi_api.accountability.calendar import official_calendar


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
