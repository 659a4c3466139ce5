"""Where the service learns the time: one ``Clock`` per app, in the programme's time zone.

Every business date — the day a record or complaint happened, the end of a display period (公示期),
an objection's deadline, a bill's due day — is a date *in the configured time zone*
(``XINYI_TIMEZONE``, Asia/Shanghai by default), never the server's or UTC's. Code that turns an
instant into a date calls ``Clock.date_of`` (or ``local_date``) rather than ``datetime.date()``,
which would silently take the instant's own offset (UTC for everything asyncpg returns).

``create_app(settings, clock=…)`` takes any ``Clock``; tests pass a ``ManualClock`` so no test
depends on the day or the hour it runs at.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["Clock", "ManualClock", "local_date"]


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The calendar date of ``instant`` in ``tz`` (``instant`` must be timezone-aware)."""
    if instant.tzinfo is None:
        raise ValueError("local_date needs a timezone-aware datetime")
    return instant.astimezone(tz).date()


class Clock:
    """The system clock, read in the programme's time zone."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        """The current instant, as an aware datetime in ``tz``."""
        return datetime.now(self.tz)

    def today(self) -> date:
        """Today's date where the programme runs."""
        return self.now().date()

    def date_of(self, instant: datetime) -> date:
        """The programme-local date of an instant (e.g. a ``timestamptz`` from the database)."""
        return local_date(instant, self.tz)


class ManualClock(Clock):
    """A clock that stands still until told to move: for tests and offline tools.

    ``ManualClock(datetime(2026, 11, 16, 10, tzinfo=ZoneInfo("Asia/Shanghai")))`` reads that
    instant until ``set`` or ``advance`` moves it.
    """

    def __init__(self, start: datetime, tz: ZoneInfo | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        zone = tz or (start.tzinfo if isinstance(start.tzinfo, ZoneInfo) else ZoneInfo("UTC"))
        super().__init__(zone)
        self._now = start.astimezone(zone)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime | date) -> None:
        """Move to ``instant``; a bare date means 10:00 local time on that day."""
        if not isinstance(instant, datetime):
            instant = datetime(instant.year, instant.month, instant.day, 10, tzinfo=self.tz)
        elif instant.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware datetime")
        self._now = instant.astimezone(self.tz)

    def advance(self, delta: timedelta) -> None:
        """Move forward (or back, with a negative ``delta``)."""
        self._now = self._now + delta
