"""Extension points 扩展点 of the scan: profile contributors and on-scan hooks.

Two lists on ``app.state`` let other modules add to a scan without touching this package:

``app.state.profile_contributors: list[ProfileContributor]``
    Async callables ``(conn, draft) -> None`` run when a scan profile is *built* (on a cache
    miss, not per scan). They may append ``Badge``s (a scenario's 守信激励 / 失信约束) to
    ``draft.badges`` and set ``draft.ratings`` (the ratings module). Because the result is cached
    per worker, a contributor's data must announce its changes: add the
    ``xinyi_notify_changed_subjects('<subject id column>')`` trigger to its tables (see
    ``migrations/0101_change_notifications.sql``) or call ``xinyi_notify_subjects(ids)``; then
    every worker rebuilds the profile within a second. A contributor that raises is logged and
    skipped: one broken scenario must not take the scan down.

``app.state.scan_hooks: list[ScanHook]``
    Async callables ``(principal, event) -> mapping | None`` run on every scan by a *logged-in*
    caller (anonymous scans never reach them, so the public hot path stays free of per-scan
    writes). Whatever they return is merged into the response's ``personal`` object — e.g. the
    consumer module returns ``{"visit_proof": "…"}``, the signed proof that this consumer scanned
    this store today, which later lets them rate it (ratings only from real visits). Hooks run
    in the request; keep them short or hand work to a queue.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import asyncpg

from xinyi_api.auth.tokens import Principal
from xinyi_api.codes.schemas import Badge, ScanGrade, StoreRatingSummary

__all__ = ["ProfileContributor", "ProfileDraft", "ScanEvent", "ScanHook"]


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
    ratings: StoreRatingSummary | None = None


ProfileContributor = Callable[[asyncpg.Connection, ProfileDraft], Awaitable[None]]
"""Adds badges / ratings to a profile being built (see the module docstring)."""


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
