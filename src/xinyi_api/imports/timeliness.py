"""双公示 timeliness (seed 000 §8, 002 §4): administrative decisions go public within 7 working
days (工作日, the holiday calendar of ``accountability.calendar``) of the decision.

A record's decision date is ``occurred_on``; the day it became public here is ``published_on``
(for an imported record, the day its import committed). A record is **on time** when
``published_on`` is at most the 7th working day after ``occurred_on``. The report counts, per
source department and month of decision, the records of the administrative kinds (licence,
penalty, inspection, reward) and the share on time; the late list names each late record and by
how many working days. Deadlines are computed per distinct decision day in Python (the calendar
lives there) and joined in SQL, so the report is set-based whatever the number of records.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from xinyi_api.accountability.calendar import HolidayCalendar
from xinyi_api.db.queries import Queries

q = Queries.beside(__file__, "timeliness.sql")

WORKING_DAYS = 7
"""双公示: 作出行政决定之日起 7 个工作日内上网公示."""
KINDS = ["licence", "penalty", "inspection", "reward"]


async def _deadlines(conn: asyncpg.Connection, calendar: HolidayCalendar, department: str | None,
                     first: date, last: date, kinds: list[str]) -> tuple[list[date], list[date],
                                                                          bool]:
    days = [r["occurred_on"] for r in await conn.fetch(q.decision_days, first, last, kinds,
                                                       department)]
    dues = [calendar.add_working_days(day, WORKING_DAYS) for day in days]
    provisional = any(calendar.provisional(day, due) for day, due in zip(days, dues,
                                                                          strict=True))
    return days, dues, provisional


async def report(conn: asyncpg.Connection, calendar: HolidayCalendar, department: str | None,
                 first: date, last: date, kinds: list[str]) -> tuple[list[dict[str, Any]], bool]:
    """Rows ``{department, month, kind, records, on_time}`` and whether a deadline was
    provisional (a year without an official holiday schedule)."""
    days, dues, provisional = await _deadlines(conn, calendar, department, first, last, kinds)
    if not days:
        return [], provisional
    rows = await conn.fetch(q.timeliness, first, last, kinds, department, days, dues)
    return [dict(r) for r in rows], provisional


async def late(conn: asyncpg.Connection, calendar: HolidayCalendar, department: str | None,
               first: date, last: date, kinds: list[str], after: str,
               limit: int) -> list[dict[str, Any]]:
    days, dues, _ = await _deadlines(conn, calendar, department, first, last, kinds)
    if not days:
        return []
    rows = await conn.fetch(q.late_records, first, last, kinds, department, days, dues, after,
                            limit)
    out = []
    for r in rows:
        item = dict(r)
        item["working_days_late"] = calendar.working_days_between(r["due_on"], r["published_on"])
        out.append(item)
    return out
