"""What the scenarios hold about a person, for the person's export (个人信息导出).

One ``PersonDataSource`` per enabled scenario (hook ``person_data_sources``): the 动态个人信用码
redemptions the core's scenario tables hold for it (信易游 免押金入住 …) and whatever the
scenario's own ``person_data`` returns from its own tables (先医后付 bills …). Redemptions in
scenarios that are no longer enabled still belong to the person: they come in a section of their
own (``scenarios``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from xinyi_api.db.queries import Queries
from xinyi_api.scenarios.model import PersonData, PersonDataSource, Scenario
from xinyi_api.scenarios.registry import ScenarioRegistry

q = Queries.beside(__file__, "partners.sql")

OTHER_KEY = "scenarios"


class RedemptionView(msgspec.Struct, kw_only=True):
    """An offer redeemed for the person with a 动态个人信用码."""

    id: int
    scenario: str
    measure: str
    measure_title: str | None
    subject_id: str
    business_name: str
    redeemed_at: datetime


def _redemptions(rows: Sequence[asyncpg.Record],
                 titles: Mapping[tuple[str, str], str]) -> list[RedemptionView]:
    return [RedemptionView(id=r["id"], scenario=r["scenario"], measure=r["measure"],
                           measure_title=titles.get((r["scenario"], r["measure"])),
                           subject_id=r["subject_id"], business_name=r["business_name"],
                           redeemed_at=r["redeemed_at"]) for r in rows]


def _export_of(scenario: Scenario, titles: Mapping[tuple[str, str], str]) -> PersonData:
    async def export(conn: asyncpg.Connection, person_id: str) -> Mapping[str, Sequence[Any]]:
        data: dict[str, Sequence[Any]] = {}
        rows = await conn.fetch(q.redemptions_of_person, person_id, scenario.key, [])
        if rows:
            data["redemptions"] = _redemptions(rows, titles)
        if scenario.person_data is not None:
            data.update(await scenario.person_data(conn, person_id))
        return data

    return export


def person_data_sources(registry: ScenarioRegistry) -> list[PersonDataSource]:
    """A source per enabled scenario, and one for redemptions of scenarios not enabled now."""
    titles = {(s.key, m.key): m.title_zh for s in registry.scenarios for m in s.measures}
    enabled = registry.keys

    async def others(conn: asyncpg.Connection, person_id: str) -> Mapping[str, Sequence[Any]]:
        rows = await conn.fetch(q.redemptions_of_person, person_id, None, enabled)
        return {"redemptions": _redemptions(rows, titles)} if rows else {}

    return [*(PersonDataSource(key=s.key, title=s.name_zh, export=_export_of(s, titles))
              for s in registry.scenarios),
            PersonDataSource(key=OTHER_KEY, title="其他(未启用的)信用+场景", export=others)]
