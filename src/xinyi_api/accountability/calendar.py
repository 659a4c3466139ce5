"""Working days (工作日) under the official holiday schedule, for legal deadlines.

异议 objections must be answered within 5 working days (seed 002 §5) and 信用修复 repairs are
限时办结 (seed 003 §12). A working day is Monday to Friday, except the official public holidays
(法定节假日放假), plus the weekend days declared make-up working days (调休上班). The dates come
from ``holidays_cn.json`` beside this module, one entry per State Council notice. For a year the
file does not cover yet, only weekends are skipped (``covers(year)`` says which years are known);
add the next year's notice when the State Council publishes it (usually in November).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("holidays_cn.json")


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """Official days off and make-up working days of the years the data file covers."""

    days_off: frozenset[date]
    make_up_workdays: frozenset[date]
    years: frozenset[int]

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> HolidayCalendar:
        off: set[date] = set()
        work: set[date] = set()
        for year, spec in data["years"].items():
            for holiday in spec["holidays"]:
                first, last = (date.fromisoformat(d) for d in holiday["off"])
                if first.year != int(year) or last < first:
                    raise ValueError(f"{holiday['name']} {year}: bad range {holiday['off']}")
                off.update(first + timedelta(days=i) for i in range((last - first).days + 1))
                work.update(date.fromisoformat(d) for d in holiday["make_up_workdays"])
        if off & work:
            raise ValueError(f"dates both off and working: {sorted(off & work)}")
        return cls(frozenset(off), frozenset(work), frozenset(int(y) for y in data["years"]))

    def covers(self, year: int) -> bool:
        return year in self.years

    def is_working_day(self, day: date) -> bool:
        """工作日: Monday–Friday unless a public holiday, or a make-up working day (调休)."""
        if day in self.make_up_workdays:
            return True
        if day in self.days_off:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself never counts)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        day, seen = start, 0
        while seen < count:
            day += timedelta(days=1)
            if self.is_working_day(day):
                seen += 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; negative when ``end`` lies before ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1 for i in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=i))
        )


@cache
def official_calendar() -> HolidayCalendar:
    """The calendar of the shipped data file (loaded once)."""
    return HolidayCalendar.from_data(json.loads(DATA_FILE.read_text(encoding="utf-8")))


OBJECTION_WORKING_DAYS = 5
"""异议处理时限: seed 002 §5 — an objection is answered within 5 working days."""
REPAIR_WORKING_DAYS = 5
"""信用修复办理时限 (限时办结, seed 003 §12); 5 working days after the application is accepted."""
