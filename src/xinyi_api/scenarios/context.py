"""``Context``: what a scenario's own endpoint gets as ``ctx``, instead of trial imports.

The core mounts a scenario's ``route_handlers`` under ``/api/v1/scenarios/<key>`` and provides
``ctx`` to each of them (a Litestar dependency). Through it a handler reaches everything the
usual pattern of an endpoint needs, each in the way the core's own endpoints do it:

- who calls (``principal``) and whether they may manage the scenario's data (``ensure_owner``);
- the subject the request is about, checked (``covered_subject``: 404, out of region, not
  covered, closed);
- a write transaction (``transaction``) or a read connection (``read``);
- regrading inside that transaction (``regrade``), so grades and measures change with the data;
- the audit log (``audit``), the clock (``today``, ``now``), the scenario's configuration
  (``config``) and personal credit (``persons``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from xinyi_api import audit as audit_log
from xinyi_api.auth.guards import ensure_acts_for, ensure_region

# Imported at run time, not under TYPE_CHECKING: Litestar reads ``Context``'s annotations when
# it builds the ``ctx`` dependency.
from xinyi_api.auth.tokens import Principal
from xinyi_api.clock import Clock
from xinyi_api.db.pool import Database
from xinyi_api.db.queries import Queries
from xinyi_api.errors import NotFound, Unprocessable
from xinyi_api.grading.engine import CreditFile, GradeResult
from xinyi_api.grading.service import Grader
from xinyi_api.scenarios.model import PersonCredit, Scenario

__all__ = ["Context", "Subject"]

q = Queries.beside(__file__)


@dataclass(frozen=True, slots=True)
class Subject:
    """A subject a scenario's endpoint acts on (``Context.covered_subject``)."""

    id: str
    name: str
    type: str
    industry: str
    region_code: str
    closed: bool


@dataclass(frozen=True, slots=True)
class Context:
    """Everything one request to a scenario's own endpoint may use (see the module docstring)."""

    scenario: Scenario
    principal: Principal
    """The verified caller (``role``, ``department``, ``region``, ``scenarios``, ``sub``)."""
    endpoint: str
    """``METHOD /path`` of the request, as the audit log records it."""
    db: Database
    grader: Grader
    clock: Clock
    persons: PersonCredit
    """Personal credit (个人信用): spend a 动态个人信用码, a person's standing, facts."""
    config: Any
    """The scenario's settings (an instance of ``Scenario.settings``), or ``None``."""

    @property
    def today(self) -> date:
        """Today in ``XINYI_TIMEZONE`` (the app's clock)."""
        return self.clock.today()

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def ensure_owner(self) -> None:
        """403 ``not-scenario-department`` unless the caller is the scenario's owning department
        (主管部门) or a department token issued to act for this scenario."""
        ensure_acts_for(self.principal, self.scenario.department, self.scenario.key)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection to the primary inside a transaction: everything the endpoint writes —
        its own rows, the regrade, the audit entry — commits together or not at all."""
        async with self.db.write.acquire() as conn, conn.transaction():
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for reading (the primary: an endpoint of a department's data must see
        that department's own writes)."""
        async with self.db.write.acquire() as conn:
            yield conn

    async def covered_subject(self, conn: asyncpg.Connection, subject_id: str, *,
                              open_only: bool = True) -> Subject:
        """The subject, checked: 404 ``not-found`` if there is none, 403 ``out-of-region`` for a
        department outside its region, 422 ``not-covered`` if the scenario does not cover it
        (subject type, industry), 422 ``subject-closed`` if it is closed and ``open_only``."""
        row = await conn.fetchrow(q.subject_coverage, subject_id)
        if row is None:
            raise NotFound(f"no subject {subject_id}")
        ensure_region(self.principal, row["region_code"])
        probe = CreditFile(subject_id=row["id"], subject_type=row["type"],
                           industry=row["industry"], region_code=row["region_code"],
                           closed=row["closed"])
        if not self.scenario.covers(probe):
            raise Unprocessable(f"{subject_id} ({row['industry']}) is not covered by "
                                f"{self.scenario.key}", slug="not-covered")
        if open_only and row["closed"]:
            raise Unprocessable(f"{subject_id} is closed", slug="subject-closed")
        return Subject(id=row["id"], name=row["name"], type=row["type"],
                       industry=row["industry"], region_code=row["region_code"],
                       closed=row["closed"])

    async def regrade(self, conn: asyncpg.Connection,
                      subject_ids: Sequence[str]) -> dict[str, GradeResult]:
        """Regrade the subjects under every rule (inside the caller's transaction); returns
        their grades under this scenario, by subject id (absent when it does not cover one)."""
        results = await self.grader.regrade(conn, list(subject_ids), self.today)
        return {r.subject_id: r for r in results if r.scheme == self.scenario.key}

    async def audit(self, conn: asyncpg.Connection, action: str, *,
                    subject_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
        """Append to the audit log (查询使用登记 and every write), as ``<key>.<action>``, with
        the caller and the endpoint; inside the caller's transaction."""
        await audit_log.append(conn, self.principal, action=f"{self.scenario.key}.{action}",
                               endpoint=self.endpoint, subject_id=subject_id, detail=detail)
