"""Hand-built credit files, a minimal valid scenario, and fake installed plugins for tests."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from xinyi_api.grading.engine import RatingSummary
from xinyi_api.scenarios.model import (
    Basis,
    CreditFile,
    IndicatorResult,
    InspectionFrequency,
    Measure,
    Reason,
    RecordFact,
    Scenario,
    Supervision,
    indicator,
)

TODAY = date(2025, 6, 1)
_ids = itertools.count(1)


def rec(kind: str, *, severity: str | None = None, result: str | None = None,
        days_ago: int = 30, dept: str = "scjg", title: str = "记录") -> RecordFact:
    """A record that counts today (occurred ``days_ago``, shown for a year after)."""
    occurred = TODAY - timedelta(days=days_ago)
    return RecordFact(id=f"R{next(_ids):010d}", kind=kind, severity=severity, result=result,
                      title=title, occurred_on=occurred,
                      public_until=occurred + timedelta(days=365), status="active",
                      source_department=dept)


def file(industry: str, *records: RecordFact, subject_type: str = "store",
         ratings: tuple[int, float] | None = None, **extra: Any) -> CreditFile:
    """A credit file; ``ratings=(count, mean)`` adds a rating summary."""
    summary = None if ratings is None else RatingSummary(count=ratings[0], mean=ratings[1],
                                                         bayesian_mean=ratings[1])
    return CreditFile(subject_id="S00000001", subject_type=subject_type, industry=industry,
                      region_code="340403", closed=False, records=records, ratings=summary,
                      extra=dict(extra))


BASIS = Basis("国办发〔2019〕35号", "三(七)")


@indicator("files", "档案", "records on file")
def _count_records(f: CreditFile, today: date) -> IndicatorResult:
    """+10 per record on file."""
    n = len(f.counting(today))
    return IndicatorResult(10 * n, (Reason(10 * n, f"{n} records"),), evidence=n)


VALID = Scenario(
    key="sample",
    name_zh="信用+样例",
    name_en="Credit + sample",
    department="swj",
    subject_types=("store",),
    industries=("sample",),
    rule_version="1",
    base_score=700,
    indicators=(_count_records,),
    thresholds=(("A", 800), ("B", 650), ("C", 500)),
    measures=(
        Measure(key="fewer", kind="incentive", target="business", grades=("A",),
                title_zh="减少检查", effect=InspectionFrequency(per_year=1), basis=BASIS),
        Measure(key="interview", kind="constraint", target="business", grades=("D",),
                title_zh="约谈", effect=Supervision(action="interview"), basis=BASIS),
    ),
)


def variant(**changes: Any) -> Scenario:
    return dataclasses.replace(VALID, **changes)


def with_measure(**changes: Any) -> Scenario:
    """VALID with its first measure changed."""
    first = VALID.measures[0]
    fields = {f: getattr(first, f) for f in first.__struct_fields__}
    fields.update(changes)
    return variant(measures=(Measure(**fields), *VALID.measures[1:]))


# Invalid scenarios, each importable by an entry point ``tests.scenarios.helpers:NAME``.
NO_BASIS = with_measure(basis=None)
NON_MONOTONE = variant(thresholds=(("A", 700), ("B", 750), ("C", 500)))
TOO_STRICT = with_measure(kind="constraint", grades=("D",), effect=InspectionFrequency(52),
                          key="weekly")
CONSTRAINT_ON_A = with_measure(kind="constraint", effect=Supervision(action="key_supervision"))
UNKNOWN_ACTION = with_measure(kind="constraint", grades=("D",),
                              effect=Supervision(action="fine_10000_yuan"))
PLACEHOLDER_BASIS = with_measure(basis=Basis("<待填写 fill in: 政策文件名称及文号>", "三(七)"))
UNDOCUMENTED = variant(indicators=(dataclasses.replace(_count_records, description=""),))


def broken_factory() -> Scenario:
    """An entry point may name a factory; this one fails."""
    raise RuntimeError("no configuration")


def fake_plugin(site: Path, dist: str, entries: dict[str, str]) -> None:
    """Write an installed distribution (a ``.dist-info`` with ``entry_points.txt``) into
    ``site``, as pip would, registering ``entries`` (name → ``module:object``)."""
    info = site / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entries.items())
    (info / "entry_points.txt").write_text(f"[xinyi_api.scenarios]\n{lines}")
