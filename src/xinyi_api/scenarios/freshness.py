"""Scenario grades that are never stale: start-up upgrades when rules change.

Run at start-up (after migrations) for each enabled scenario: enabling a scenario grades its
subjects, bumping ``rule_version`` regrades them, and ``grade_history`` keeps the old version's
grades. One process does it per scenario (an advisory lock); the others go on starting.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from xinyi_api.grading.regrade import run_scheme_upgrade
from xinyi_api.scenarios.registry import ScenarioRegistry

log = logging.getLogger(__name__)


async def upgrade_scenario_grades(app: Litestar) -> None:
    """Grade every subject whose scenario grade is missing or under an older rule version."""
    registry: ScenarioRegistry = app.state.scenarios
    today = app.state.clock.today()
    async with app.state.db.write.acquire() as conn:
        for s in registry.scenarios:
            report = await run_scheme_upgrade(
                conn, app.state.grader, s.key, today,
                subject_types=s.subject_types, industries=s.industries,
            )
            if report is not None and report.processed:
                log.info("scenario %s@%s: graded %d subject(s)", s.key, s.rule_version,
                         report.processed)


@asynccontextmanager
async def scenario_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Lifespan step after the database one: bring scenario grades to the current rules."""
    await upgrade_scenario_grades(app)
    yield
