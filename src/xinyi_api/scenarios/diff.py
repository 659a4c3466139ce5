"""``xinyi-api scenarios check PATH --diff``: who would change grade under a new rule version.

Grades every subject the scenario at PATH covers — in id order, in batches, with the core's file
loaders and the scenario's own — and compares each grade with the one stored now under the
scheme. It reads only: one ``REPEATABLE READ, READ ONLY`` transaction (a consistent snapshot;
a loader that tried to write would fail), nothing stored, no run recorded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import asyncpg

from xinyi_api.db.queries import Queries
from xinyi_api.grading.engine import GRADES
from xinyi_api.grading.service import FileLoader, Grader
from xinyi_api.scenarios.model import Scenario

__all__ = ["NONE", "GradeDiff", "grade_diff", "loaders_for"]

q = Queries.beside(__file__)
NONE = "none"
"""The "stored grade" of a covered subject that has none under the scheme yet."""
_ORDER = {g: i for i, g in enumerate((*GRADES, "unrated", NONE))}


@dataclass(slots=True)
class GradeDiff:
    """The outcome of a diff: transitions ``(stored, new) → subjects``."""

    scenario: Scenario
    today: date
    covered: int = 0
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    stored_versions: Counter[str] = field(default_factory=Counter)
    """Rule versions of the stored grades compared with (``none`` for no stored grade)."""
    left: Counter[str] = field(default_factory=Counter)
    """Grades stored for subjects the scenario no longer covers: no longer served."""

    @property
    def changed(self) -> int:
        return sum(n for (old, new), n in self.transitions.items() if old != new)

    def changes(self) -> list[tuple[str, str, int]]:
        """``(stored, new, n)`` for each change of grade, best stored grade first."""
        return sorted(((old, new, n) for (old, new), n in self.transitions.items()
                       if old != new), key=lambda t: (_ORDER.get(t[0], 99), _ORDER.get(t[1], 99)))

    def unchanged(self) -> list[tuple[str, int]]:
        return sorted(((old, n) for (old, new), n in self.transitions.items() if old == new),
                      key=lambda t: _ORDER.get(t[0], 99))

    def lines(self) -> list[str]:
        """The report ``check --diff`` prints."""
        s = self.scenario
        stored = ", ".join(f"rule {v}: {n}" if v != NONE else f"no stored grade: {n}"
                           for v, n in sorted(self.stored_versions.items()))
        share = f" ({self.changed / self.covered:.1%})" if self.covered else ""
        out = [f"{s.key}: rule {s.rule_version} as of {self.today.isoformat()}, "
               f"against the grades stored now ({stored or 'none'})",
               f"  {self.covered} covered subject(s); {self.changed} would change grade{share}"]
        if self.changes():
            out.append("  stored → new:")
            out += [f"    {old} → {new}: {n}" for old, new, n in self.changes()]
        if self.unchanged():
            out.append("  unchanged: " + ", ".join(f"{g} {n}" for g, n in self.unchanged()))
        if self.left:
            out.append("  no longer covered (their stored grades stop being served): "
                       + ", ".join(f"{g} {n}" for g, n in sorted(self.left.items())))
        if self.changed and s.rule_version in self.stored_versions:
            out.append(f"  warning: grades change but rule_version is still {s.rule_version!r}: "
                       "bump it, or the running service will not regrade the covered subjects")
        return out


def loaders_for(scenario: Scenario) -> list[FileLoader]:
    """The file loaders grading under ``scenario`` needs: every package's (consumer ratings …)
    and the scenario's own, as the server would assemble them with only it enabled."""
    from xinyi_api.plugins import collect
    from xinyi_api.scenarios.loader import LoadedScenario
    from xinyi_api.scenarios.registry import ScenarioRegistry

    registry = ScenarioRegistry(loaded=[LoadedScenario(scenario, scenario.key, "?")])
    loaders: list[FileLoader] = collect("grade_loaders", scenarios=registry)
    return loaders


async def grade_diff(conn: asyncpg.Connection, scenario: Scenario, today: date, *,
                     loaders: Sequence[FileLoader] | None = None,
                     batch_size: int = 1000) -> GradeDiff:
    """Grade the covered subjects under ``scenario`` and compare with the stored grades."""
    grader = Grader([scenario.rule()], loaders_for(scenario) if loaders is None else loaders)
    types, industries = list(scenario.subject_types), list(scenario.industries)
    diff = GradeDiff(scenario=scenario, today=today)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        cursor = ""
        while True:
            rows = await conn.fetch(q.covered_ids_after, cursor, batch_size, types, industries)
            if not rows:
                break
            ids = [r["id"] for r in rows]
            cursor = ids[-1]
            stored = {r["subject_id"]: r for r in await conn.fetch(q.stored_grades_of,
                                                                  scenario.key, ids)}
            files = await grader.load_files(conn, ids, today)
            for result in grader.grade_files(files, today):
                row = stored.get(result.subject_id)
                diff.covered += 1
                diff.stored_versions[row["rule_version"] if row is not None else NONE] += 1
                diff.transitions[(row["grade"] if row is not None else NONE,
                                  result.grade)] += 1
        for row in await conn.fetch(q.stored_grades_not_covered, scenario.key, types,
                                    industries):
            diff.left[row["grade"]] = row["n"]
    return diff
