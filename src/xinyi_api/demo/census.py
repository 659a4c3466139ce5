"""What a visitor of the demo can see: how many subjects hold each grade under every grading
scheme (the public grade and each enabled scenario), and which badges are earned.

The expectations come from the declarations, never from a list kept here: every scheme should
show A, B, C and D, and 暂无评级 where its rule can leave a subject unrated (``min_evidence``);
every business ``Badge`` measure of every scenario should be earned by some subject. ``gaps``
names what is missing, so a new scenario or a changed rule the demo does not exercise shows up
(``tests/test_demo.py``).

Run ``python -m xinyi_api.demo.census [YYYY-MM-DD]`` to load the demo into a throw-away embedded
PostgreSQL as of that day (default: today) and print the table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import asyncpg

from xinyi_api.grading.engine import GRADES, GradingRule
from xinyi_api.grading.public_rule import PUBLIC_RULE
from xinyi_api.scenarios.model import Badge, Measure
from xinyi_api.scenarios.registry import ScenarioRegistry

ALL_GRADES = (*GRADES, "unrated")


@dataclass(frozen=True, slots=True)
class Census:
    grades: dict[str, Counter[str]] = field(default_factory=dict)
    """``scheme → grade → number of subjects`` (current grades as stored)."""
    badges: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """``(scenario, measure key) →`` the subjects earning that badge, for every business
    ``Badge`` measure of the enabled scenarios (an empty list: nobody earns it)."""


def rules(registry: ScenarioRegistry) -> list[GradingRule]:
    """The public rule and the enabled scenarios' rules."""
    return [PUBLIC_RULE, *registry.rules()]


def expected_grades(rule: GradingRule) -> tuple[str, ...]:
    """The grades a rule can give: A–D, and unrated unless every subject is graded."""
    return ALL_GRADES if rule.min_evidence > 0 else GRADES


def badge_measures(registry: ScenarioRegistry) -> list[tuple[str, Measure]]:
    """``(scenario key, measure)`` of every business measure whose effect is a ``Badge``."""
    return [(s.key, m) for s in registry.scenarios for m in s.measures
            if m.target == "business" and isinstance(m.effect, Badge)]


async def take_census(conn: asyncpg.Connection, registry: ScenarioRegistry) -> Census:
    census = Census()
    versions = {r.scheme: r.version for r in rules(registry)}
    for row in await conn.fetch(
            "SELECT scheme, rule_version, grade, count(*) AS n FROM grades"
            " GROUP BY scheme, rule_version, grade"):
        if versions.get(row["scheme"]) == row["rule_version"]:
            census.grades.setdefault(row["scheme"], Counter())[row["grade"]] += row["n"]
    for key, m in badge_measures(registry):
        census.badges[(key, m.key)] = [r["subject_id"] for r in await conn.fetch(
            "SELECT subject_id FROM grades WHERE scheme = $1 AND rule_version = $2"
            " AND grade = ANY($3::text[]) ORDER BY subject_id",
            key, versions[key], list(m.grades))]
    return census


def gaps(census: Census, registry: ScenarioRegistry) -> list[str]:
    """What a visitor cannot see in the demo: a grade no subject has under a scheme, a badge no
    subject earns. Empty when the demo shows everything."""
    out: list[str] = []
    for rule in rules(registry):
        have = census.grades.get(rule.scheme, Counter())
        out += [f"{rule.scheme}: no subject graded {g}" for g in expected_grades(rule)
                if not have[g]]
    out += [f"{key}: nobody earns the badge {m.key} ({m.title_zh})"
            for key, m in badge_measures(registry) if not census.badges.get((key, m.key))]
    return out


def render(census: Census, registry: ScenarioRegistry) -> str:
    lines = [f"{'scheme':<20}" + "".join(f"{g:>9}" for g in ALL_GRADES)]
    for rule in rules(registry):
        have = census.grades.get(rule.scheme, Counter())
        lines.append(f"{rule.scheme:<20}" + "".join(f"{have[g]:>9}" for g in ALL_GRADES))
    for (key, measure), subjects in sorted(census.badges.items()):
        shown = ", ".join(subjects[:3]) + (" …" if len(subjects) > 3 else "")
        lines.append(f"badge {key}.{measure}: {len(subjects)} subject(s) {shown}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a developer's tool
    import asyncio
    import secrets
    import sys
    import tempfile
    from datetime import date
    from pathlib import Path

    from xinyi_api.clock import Clock
    from xinyi_api.db.embedded import EmbeddedPostgres
    from xinyi_api.db.migrate import migrate
    from xinyi_api.db.pool import connect
    from xinyi_api.demo.loader import load_demo
    from xinyi_api.platform import build_platform
    from xinyi_api.settings import Settings

    args = sys.argv[1:] if argv is None else argv
    with tempfile.TemporaryDirectory(prefix="xinyi-census-") as tmp:
        settings = Settings(data_dir=Path(tmp), secret_key=secrets.token_urlsafe(24))
        today = date.fromisoformat(args[0]) if args else Clock(settings.tz).today()
        embedded = EmbeddedPostgres(Path(tmp))
        try:
            async def run() -> None:
                conn = await connect(embedded.url)
                try:
                    platform = build_platform(settings)
                    await migrate(conn, platform.migration_sources)
                    print(await load_demo(conn, settings, today))
                    census = await take_census(conn, platform.scenarios)
                    print(f"as of {today}:")
                    print(render(census, platform.scenarios))
                    for gap in gaps(census, platform.scenarios):
                        print("MISSING", gap)
                finally:
                    await conn.close()

            asyncio.run(run())
        finally:
            embedded.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
