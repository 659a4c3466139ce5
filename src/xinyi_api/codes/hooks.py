"""Extension points 扩展点 of the scan: profile contributors and on-scan hooks.

Two lists on ``app.state`` let other modules add to a scan without touching this package:

``app.state.profile_contributors: list[ProfileContributor]``
    Async callables ``(conn, draft) -> None`` run when a scan profile is *built* (on a cache
    miss, not per scan). They may append ``Badge``s (a scenario's 守信激励 / 失信约束) to
    ``draft.badges``, ``ScanScenario``s (a scenario's grade and public measures) to
    ``draft.scenarios``, and set ``draft.ratings`` (the ratings module). Because the result is
    cached per worker, a contributor's data must announce its changes: add the
    ``xinyi_notify_changed_subjects('<subject id column>')`` trigger to its tables (see
    ``migrations/0101_change_notifications.sql``) or call ``xinyi_notify_subjects(ids)``; then
    every worker rebuilds the profile within a second. A contributor that raises is logged and
    skipped: one broken scenario must not take the scan down.

    Profiles are also stored (``scan_profiles``) and served for days, so a contributor whose
    output depends on the *date* lowers ``draft.fresh_until`` to the last day it holds
    (``draft.holds_until(day)``). A plain function is assumed to depend on the date (its
    profiles are rebuilt every day); wrap it in ``Contributor(fn, date_aware=True)`` once it
    lowers ``fresh_until`` itself, give it a ``fingerprint`` of the configuration its output
    depends on (stored profiles built under another one are rebuilt) and, optionally, a ``many``
    form that fills a whole batch of drafts in a few queries (the profile builder's bulk path).

``app.state.scan_hooks: list[ScanHook]``
    Async callables ``(principal, event) -> mapping | None`` run on every scan by a *logged-in*
    caller (anonymous scans never reach them, so the public hot path stays free of per-scan
    writes). Whatever they return is merged into the response's ``personal`` object — e.g. the
    consumer module returns ``{"visit_proof": "…"}``, the signed proof that this consumer scanned
    this store today, which later lets them rate it (ratings only from real visits). Hooks run
    in the request; keep them short or hand work to a queue.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import asyncpg

from xinyi_api.auth.tokens import Principal
from xinyi_api.codes.schemas import Badge, ScanGrade, ScanScenario, StoreRatingSummary

__all__ = ["Contributor", "ProfileContributor", "ProfileDraft", "ScanEvent", "ScanHook"]


@dataclass(slots=True)
class ProfileDraft:
    """The scan profile while it is being built; contributors fill ``badges`` and ``ratings``."""

    subject_id: str
    subject_type: str
    enterprise_id: str
    industry: str
    region_code: str
    closed: bool
    today: date
    grade: ScanGrade | None
    badges: list[Badge] = field(default_factory=list)
    scenarios: list[ScanScenario] = field(default_factory=list)
    """Every scenario covering the subject with its public measures (department codes only:
    the builder adds the names)."""
    ratings: StoreRatingSummary | None = None
    fresh_until: date | None = None
    """The last day the profile stays right by the date alone (``None``: no such day); see
    ``holds_until``."""

    def holds_until(self, day: date | None) -> None:
        """What was just added stays right through ``day`` only (``None``: for ever)."""
        if day is not None and (self.fresh_until is None or day < self.fresh_until):
            self.fresh_until = day


ProfileContributor = Callable[[asyncpg.Connection, ProfileDraft], Awaitable[None]]
"""Adds badges / ratings to a profile being built (see the module docstring)."""

ManyContributor = Callable[[asyncpg.Connection, Sequence[ProfileDraft]], Awaitable[None]]
"""The batch form of a contributor: fills every draft of a batch (same effect as one call each)."""


@dataclass(frozen=True, slots=True)
class Contributor:
    """A profile contributor with what the stored profiles need to know about it.

    ``one`` is the contributor itself; ``many`` its optional batch form; ``fingerprint`` names
    the configuration its output depends on besides the data it reads (scenario definitions …);
    ``date_aware``: it lowers ``draft.fresh_until`` whenever its output depends on the date.
    """

    one: ProfileContributor
    many: ManyContributor | None = None
    fingerprint: str = ""
    date_aware: bool = False

    async def __call__(self, conn: asyncpg.Connection, draft: ProfileDraft) -> None:
        await self.one(conn, draft)

    def __repr__(self) -> str:
        return f"Contributor({getattr(self.one, '__qualname__', self.one)!r})"


@dataclass(frozen=True, slots=True)
class ScanEvent:
    """One scan of an active code 扫码事件."""

    serial: int
    subject_id: str
    subject_type: str
    enterprise_id: str
    at: datetime
    channel: Literal["api", "h5"]
    """``api``: the mini-program's JSON scan; ``h5``: a phone camera opening the page."""


ScanHook = Callable[[Principal, ScanEvent], Awaitable[Mapping[str, Any] | None]]
"""Runs for a logged-in caller's scan; its result is merged into ``personal``."""
