"""Response types of 个人信用 (``/api/v1/me/credit`` …)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

from xinyi_api.grading.schemas import ExplanationView
from xinyi_api.persons.service import PersonRecord
from xinyi_api.scenarios.schemas import MeasureView

Grade = Literal["A", "B", "C", "D", "unrated"]
EXAMPLE_CODE = "AEAAAAAAA2PZ6YVX4HCPVD5M5YIXRJ3EDGMN2J4YVJTG7Y3PJ4LKZ3QT4"


class PersonRecordView(Struct, kw_only=True):
    """One fact in my personal file: a pay-later bill, a scenario's report, a moderation
    decision."""

    id: str
    kind: Annotated[str, Meta(examples=["payment"])]
    result: str | None
    title: str
    occurred_on: date
    counts_until: Annotated[date, Meta(description="grading counts it until this day")]
    source: Annotated[str, Meta(description="the scenario key, or `moderation`")]


def record_view(r: PersonRecord) -> PersonRecordView:
    return PersonRecordView(id=r.id, kind=r.kind, result=r.result, title=r.title,
                            occurred_on=r.occurred_on, counts_until=r.counts_until,
                            source=r.source)


class PersonMeasure(Struct, kw_only=True):
    """A person-targeted measure my grade earns now, in one scenario."""

    scenario: str
    scenario_name: str
    measure: MeasureView


class PersonalCreditView(Struct, kw_only=True):
    """我的个人信用: score, grade, why, the records behind it and what it earns."""

    grade: Grade
    grade_label: Annotated[str, Meta(examples=["B级 较诚信"])]
    score: int | None
    rule_version: str
    as_of: date
    explanation: ExplanationView
    records: list[PersonRecordView]
    measures: list[PersonMeasure]


class PersonalCodeView(Struct, kw_only=True):
    """A 动态个人信用码 to show as a QR code: single use, valid for ``expires_in`` seconds."""

    code: Annotated[str, Meta(examples=[EXAMPLE_CODE],
                              description="55 characters, QR-alphanumeric")]
    expires_at: datetime
    expires_in: Annotated[int, Meta(examples=[60])]
