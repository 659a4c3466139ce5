"""Working days (工作日) under the official holiday schedule, for legal deadlines.

异议 objections must be answered within 5 working days (seed 002 §5) and 信用修复 repairs are
限时办结 (seed 003 §12). A working day is Monday to Friday, except the official public holidays
(法定节假日放假), plus the weekend days declared make-up working days (调休上班).

Where the schedules come from, per year:

* ``holidays_cn.json`` beside this module — the State Council notices known at release time;
* the ``holiday_schedules`` table (migration 0202), loaded by an operator with ``xinyi-api
  holidays load FILE`` when the next notice is published (usually in November). Every worker
  reads the table when it computes a deadline, so a load takes effect everywhere at once; a year
  in the table replaces the same year of the file (a corrected notice).

A year without an official schedule is **not** a year without holidays: only its weekends can be
skipped, so a deadline reaching into such a year is *provisional* (``Deadline.provisional``,
shown on objections and repairs as ``deadline_provisional``). Loading the schedule recomputes the
deadlines of every open objection and pending repair. The service warns at start-up and in
``/ready`` from ``LOOKAHEAD_DAYS`` before a year without a schedule begins.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final

import asyncpg

from xinyi_api import audit
from xinyi_api.auth.tokens import Principal

log = logging.getLogger(__name__)

DATA_FILE = Path(__file__).with_name("holidays_cn.json")

OBJECTION_WORKING_DAYS = 5
"""异议处理时限: seed 002 §5 — an objection is answered within 5 working days."""
REPAIR_WORKING_DAYS = 5
"""信用修复办理时限 (限时办结, seed 003 §12); 5 working days after the application is accepted."""

LOOKAHEAD_DAYS: Final = 31
"""Warn this many days before a year without a schedule begins: from 1 December, when deadlines
start reaching into January and the State Council notice is normally out."""

STATUTORY_HOLIDAYS: Final = ("元旦", "春节", "清明", "劳动", "端午", "中秋", "国庆")
"""The seven 法定节假日 (《全国年节及纪念日放假办法》): a year's schedule names every one."""

MAX_HOLIDAY_DAYS: Final = 14

Schedule = Mapping[str, Any]
"""One year of the file format: ``{"notice": "…", "holidays": [{"name": "春节", "off": [first,
last], "make_up_workdays": [day, …]}, …]}`` (dates ISO 8601)."""


class ScheduleError(ValueError):
    """A holiday schedule file that cannot be right; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Deadline:
    due_on: date
    provisional: bool
    """A year in ``(start, due_on]`` has no official schedule: only its weekends were skipped."""


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """Official days off and make-up working days of the years it has schedules for."""

    days_off: frozenset[date]
    make_up_workdays: frozenset[date]
    years: frozenset[int]

    @classmethod
    def from_schedules(cls, schedules: Mapping[int, Schedule]) -> HolidayCalendar:
        off: set[date] = set()
        work: set[date] = set()
        for year, spec in schedules.items():
            check_schedule(year, spec)
            for holiday in spec["holidays"]:
                first, last = (date.fromisoformat(d) for d in holiday["off"])
                off.update(first + timedelta(days=i) for i in range((last - first).days + 1))
                work.update(date.fromisoformat(d) for d in holiday["make_up_workdays"])
        if off & work:
            raise ScheduleError(f"dates both off and working: {sorted(off & work)}")
        return cls(frozenset(off), frozenset(work), frozenset(schedules))

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> HolidayCalendar:
        """The calendar of a whole file (``{"years": {"2026": {…}, …}}``)."""
        return cls.from_schedules(parse_schedule_file(data))

    def covers(self, year: int) -> bool:
        return year in self.years

    def uncovered(self, first: date, last: date) -> list[int]:
        """Years from ``first`` to ``last`` (inclusive) without an official schedule."""
        return [y for y in range(first.year, last.year + 1) if y not in self.years]

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

    def deadline(self, start: date, count: int) -> Deadline:
        """``add_working_days``, saying whether a year on the way had no official schedule."""
        due = self.add_working_days(start, count)
        return Deadline(due, bool(self.uncovered(start + timedelta(days=1), due)))

    def provisional(self, start: date, due_on: date) -> bool:
        """Whether a deadline from ``start`` to ``due_on`` crosses a year without a schedule."""
        return bool(self.uncovered(start + timedelta(days=1), max(due_on, start)))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; negative when ``end`` lies before ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1 for i in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=i))
        )

    def missing_years(self, today: date) -> list[int]:
        """Years without a schedule that deadlines computed from ``today`` may reach: this
        year, and the next one from ``LOOKAHEAD_DAYS`` before it begins."""
        needed = {today.year, (today + timedelta(days=LOOKAHEAD_DAYS)).year}
        return sorted(y for y in needed if y not in self.years)


# ------------------------------------------------------------------ validation


def _date(year: int, where: str, text: Any) -> date:
    if not isinstance(text, str):
        raise ScheduleError(f"{year} {where}: expected an ISO date string, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ScheduleError(f"{year} {where}: {text!r} is not a date (YYYY-MM-DD)") from None


def _only_keys(year: int, where: str, obj: Any, required: set[str],
               optional: frozenset[str] = frozenset()) -> None:
    if not isinstance(obj, dict):
        raise ScheduleError(f"{year} {where}: expected an object")
    missing = required - obj.keys()
    unknown = obj.keys() - required - optional
    if missing:
        raise ScheduleError(f"{year} {where}: missing {', '.join(sorted(missing))}")
    if unknown:
        raise ScheduleError(f"{year} {where}: unknown field(s) {', '.join(sorted(unknown))}")


def check_schedule(year: int, spec: Any) -> None:
    """Refuse a year's schedule that cannot be a State Council notice (``ScheduleError``)."""
    if not 2000 <= year <= 2100:
        raise ScheduleError(f"{year}: not a plausible year")
    _only_keys(year, "schedule", spec, {"notice", "holidays"})
    notice = spec["notice"]
    if not isinstance(notice, str) or not 1 <= len(notice.strip()) <= 500:
        raise ScheduleError(f"{year}: 'notice' must name the notice (1–500 characters)")
    holidays = spec["holidays"]
    if not isinstance(holidays, list) or not 1 <= len(holidays) <= 20:
        raise ScheduleError(f"{year}: 'holidays' must be a list of 1–20 holidays")
    earliest, latest = date(year - 1, 12, 1), date(year + 1, 1, 31)
    off: set[date] = set()
    work: set[date] = set()
    for i, holiday in enumerate(holidays):
        _only_keys(year, f"holiday #{i + 1}", holiday, {"name", "off", "make_up_workdays"})
        name = holiday["name"]
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 40:
            raise ScheduleError(f"{year} holiday #{i + 1}: 'name' must be 1–40 characters")
        span = holiday["off"]
        if not isinstance(span, list) or len(span) != 2:
            raise ScheduleError(f"{year} {name}: 'off' must be [first day, last day]")
        first, last = (_date(year, f"{name} off", d) for d in span)
        if not (earliest <= first <= last and last.year == year):
            raise ScheduleError(f"{year} {name}: days off {first}..{last} must end in {year} "
                                "and not start before the December before it")
        if (last - first).days + 1 > MAX_HOLIDAY_DAYS:
            raise ScheduleError(f"{year} {name}: {first}..{last} is longer than "
                                f"{MAX_HOLIDAY_DAYS} days")
        off.update(first + timedelta(days=d) for d in range((last - first).days + 1))
        make_up = holiday["make_up_workdays"]
        if not isinstance(make_up, list):
            raise ScheduleError(f"{year} {name}: 'make_up_workdays' must be a list")
        for text in make_up:
            day = _date(year, f"{name} make-up day", text)
            if day.weekday() < 5:
                raise ScheduleError(f"{year} {name}: make-up working day {day} is a weekday; "
                                    "调休上班 days are Saturdays or Sundays")
            if not earliest <= day <= latest:
                raise ScheduleError(f"{year} {name}: make-up working day {day} is too far "
                                    f"from {year}")
            work.add(day)
    if off & work:
        raise ScheduleError(f"{year}: dates both off and working: "
                            f"{', '.join(str(d) for d in sorted(off & work))}")
    names = "".join(h["name"] for h in holidays)
    absent = [h for h in STATUTORY_HOLIDAYS if h not in names]
    if absent:
        raise ScheduleError(f"{year}: no holiday named for {', '.join(absent)}; a State "
                            "Council schedule covers all seven 法定节假日")


def parse_schedule_file(data: Any) -> dict[int, Schedule]:
    """The years of a file in the format of ``holidays_cn.json``, each checked."""
    if not isinstance(data, dict) or not isinstance(data.get("years"), dict):
        raise ScheduleError('expected {"years": {"2027": {"notice": …, "holidays": […]}}}')
    unknown = data.keys() - {"years", "description"}
    if unknown:
        raise ScheduleError(f"unknown top-level field(s) {', '.join(sorted(unknown))}")
    if not data["years"]:
        raise ScheduleError("the file holds no year")
    out: dict[int, Schedule] = {}
    for key, spec in data["years"].items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit() and len(key) == 4):
            raise ScheduleError(f"{key!r}: years are keys like \"2027\"")
        check_schedule(int(key), spec)
        out[int(key)] = spec
    return out


def read_schedule_file(path: Path) -> dict[int, Schedule]:
    """Read and check a schedule file (UTF-8 JSON, the format of ``holidays_cn.json``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScheduleError(f"{path}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ScheduleError(f"{path}: not JSON ({exc})") from None
    return parse_schedule_file(data)


# ------------------------------------------------------------------ where schedules come from


@cache
def shipped_schedules() -> dict[int, Schedule]:
    """The schedules of the file shipped with this release."""
    return parse_schedule_file(json.loads(DATA_FILE.read_text(encoding="utf-8")))


@cache
def official_calendar() -> HolidayCalendar:
    """The calendar of the shipped file alone (loaded once); the service uses
    ``calendar_for(conn)``, which adds the schedules loaded into the database."""
    return HolidayCalendar.from_schedules(shipped_schedules())


async def loaded_schedules(conn: asyncpg.Connection) -> dict[int, Schedule]:
    rows = await conn.fetch("SELECT year, notice, holidays FROM holiday_schedules ORDER BY year")
    return {r["year"]: {"notice": r["notice"], "holidays": r["holidays"]} for r in rows}


_built: dict[str, HolidayCalendar] = {}


async def calendar_for(conn: asyncpg.Connection) -> HolidayCalendar:
    """The calendar in force: the shipped schedules, and those loaded into the database on top
    (one small query; the calendar is rebuilt only when the loaded schedules change)."""
    loaded = await loaded_schedules(conn)
    if not loaded:
        return official_calendar()
    key = json.dumps(loaded, sort_keys=True, ensure_ascii=False)
    calendar = _built.get(key)
    if calendar is None:
        calendar = HolidayCalendar.from_schedules({**shipped_schedules(), **loaded})
        _built.clear()
        _built[key] = calendar
    return calendar


def missing_schedule_warning(years: list[int]) -> str | None:
    if not years:
        return None
    listed = ", ".join(str(y) for y in years)
    return (f"no official holiday schedule (State Council notice) for {listed}: deadlines "
            "reaching into it skip only weekends and are marked provisional; load the notice "
            "with `xinyi-api holidays load FILE`")


async def warn_if_schedule_missing(conn: asyncpg.Connection, today: date) -> str | None:
    """Log (and return) the warning about years without a schedule, if any (at start-up)."""
    try:
        calendar = await calendar_for(conn)
    except asyncpg.UndefinedTableError:
        return None  # migrations pending; /ready says so
    warning = missing_schedule_warning(calendar.missing_years(today))
    if warning:
        log.warning(warning)
    return warning


@dataclass(frozen=True, slots=True)
class LoadReport:
    years: list[int]
    objections_moved: int
    repairs_moved: int


async def load_schedules(conn: asyncpg.Connection, schedules: Mapping[int, Schedule], *,
                         principal: Principal, endpoint: str) -> LoadReport:
    """Store ``schedules`` (checked) in ``holiday_schedules`` — replacing the same years — and
    recompute the deadline of every open objection and pending repair under the new calendar,
    in one transaction, on the audit log (``holidays.load``). Workers use the new calendar from
    their next deadline on."""
    for year, spec in schedules.items():
        check_schedule(year, spec)
    async with conn.transaction():
        await conn.execute("LOCK TABLE holiday_schedules IN SHARE ROW EXCLUSIVE MODE")
        for year, spec in sorted(schedules.items()):
            await conn.execute(_UPSERT, year, spec["notice"].strip(), list(spec["holidays"]),
                               principal.sub)
        calendar = await calendar_for(conn)
        objections = await _recompute(conn, calendar, _OPEN_OBJECTIONS, _MOVE_OBJECTION,
                                      OBJECTION_WORKING_DAYS)
        repairs = await _recompute(conn, calendar, _PENDING_REPAIRS, _MOVE_REPAIR,
                                   REPAIR_WORKING_DAYS)
        report = LoadReport(sorted(schedules), objections, repairs)
        await audit.append(conn, principal, action="holidays.load", endpoint=endpoint,
                           detail={"years": report.years, "objections_moved": objections,
                                   "repairs_moved": repairs})
    return report


_UPSERT = """
INSERT INTO holiday_schedules (year, notice, holidays, loaded_by) VALUES ($1, $2, $3, $4)
ON CONFLICT (year) DO UPDATE SET notice = excluded.notice, holidays = excluded.holidays,
    loaded_by = excluded.loaded_by, loaded_at = now()
"""
_OPEN_OBJECTIONS = ("SELECT id, filed_on AS start, due_on FROM objections WHERE status = 'open' "
                    "FOR UPDATE")
_MOVE_OBJECTION = "UPDATE objections SET due_on = $2 WHERE id = $1"
_PENDING_REPAIRS = ("SELECT id, applied_on AS start, due_on FROM repairs "
                    "WHERE status = 'pending' FOR UPDATE")
_MOVE_REPAIR = "UPDATE repairs SET due_on = $2 WHERE id = $1"


async def _recompute(conn: asyncpg.Connection, calendar: HolidayCalendar, select: str,
                     update: str, count: int) -> int:
    rows = await conn.fetch(select)
    moved = [(r["id"], due) for r in rows
             if (due := calendar.add_working_days(r["start"], count)) != r["due_on"]]
    if moved:
        await conn.executemany(update, moved)
    return len(moved)
