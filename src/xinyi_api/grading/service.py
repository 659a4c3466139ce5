"""Computing and storing grades: for one subject inside a write, or for many in batches.

``Grader`` holds the active rules (the public rule plus any scenario's) and the file loaders that
add data beyond credit records (consumer ratings, a scenario's own tables). Loading and writing
are set-based: a batch of subjects costs a fixed handful of queries, whatever its size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import date
from typing import Any

import asyncpg
import msgspec

from xinyi_api.db.queries import Queries
from xinyi_api.grading.engine import CreditFile, GradeResult, GradingRule, RecordFact

q = Queries.beside(__file__)

FileLoader = Callable[[asyncpg.Connection, dict[str, CreditFile], date], Awaitable[None]]
"""Adds data to a batch of files in place (one or two queries for the whole batch)."""


class Grader:
    def __init__(self, rules: Sequence[GradingRule], loaders: Sequence[FileLoader] = ()) -> None:
        schemes = [r.scheme for r in rules]
        if len(set(schemes)) != len(schemes):
            raise ValueError(f"two grading rules share a scheme: {schemes}")
        self.rules = list(rules)
        self.loaders = list(loaders)

    def rule(self, scheme: str) -> GradingRule | None:
        return next((r for r in self.rules if r.scheme == scheme), None)

    @property
    def fingerprint(self) -> str:
        """Identifies the rule set, so a batch run resumes only under the same rules."""
        return ";".join(f"{r.scheme}@{r.version}" for r in self.rules)

    async def load_files(
        self, conn: asyncpg.Connection, subject_ids: Sequence[str], today: date
    ) -> dict[str, CreditFile]:
        files = {
            row["id"]: CreditFile(
                subject_id=row["id"],
                subject_type=row["type"],
                industry=row["industry"],
                region_code=row["region_code"],
                closed=row["closed"],
            )
            for row in await conn.fetch(q.load_subjects, list(subject_ids))
        }
        records: dict[str, list[RecordFact]] = {}
        for row in await conn.fetch(q.load_records, list(files)):
            data = dict(row)
            subject_id = data.pop("subject_id")
            records.setdefault(subject_id, []).append(RecordFact(**data))
        for subject_id, facts in records.items():
            files[subject_id].records = tuple(facts)
        for loader in self.loaders:
            await loader(conn, files, today)
        return files

    def grade_files(self, files: dict[str, CreditFile], today: date) -> list[GradeResult]:
        return [
            rule.grade(file, today)
            for file in files.values()
            for rule in self.rules
            if rule.covers(file)
        ]

    async def regrade(
        self, conn: asyncpg.Connection, subject_ids: Sequence[str], today: date
    ) -> list[GradeResult]:
        """Recompute and store the grades of ``subject_ids`` inside the caller's transaction.

        Call it after the transaction's own change to the files: it first waits for every other
        transaction grading one of these subjects to end (a lock held until this one ends), so
        that the files it reads include their changes (docs/grading.md, "Concurrent regrades").
        """
        if not conn.is_in_transaction():
            raise RuntimeError("Grader.regrade runs inside the caller's transaction")
        await conn.execute(q.lock_subjects, list(subject_ids))
        results = self.grade_files(await self.load_files(conn, subject_ids, today), today)
        await store_grades(conn, results)
        return results

    async def regrade_file(
        self, conn: asyncpg.Connection, file: CreditFile, today: date, *,
        loaded: Collection[FileLoader] = (),
    ) -> list[GradeResult]:
        """``regrade`` of one subject whose file the caller has already read in its own statement:
        the subject row and its records exactly as ``load_files`` reads them (the SQL function
        ``grading_records``), plus the data of the ``loaded`` loaders. The other loaders run as
        usual. For write paths where a round trip per loader is a large share of the cost. The
        statement that read the file must have taken the subject's grading lock first (SQL
        ``grading_lock``; ``rating_submit`` does), as ``regrade`` does."""
        files = {file.subject_id: file}
        for loader in self.loaders:
            if loader not in loaded:
                await loader(conn, files, today)
        results = self.grade_files(files, today)
        await store_grades(conn, results)
        return results


async def store_grades(conn: asyncpg.Connection, results: Sequence[GradeResult]) -> None:
    """Upsert a batch of grades in one statement, appending history rows for changed ones."""
    if not results:
        return
    texts = [explanation_text(r) for r in results]
    await conn.execute(
        q.upsert_grades,
        [r.subject_id for r in results],
        [r.scheme for r in results],
        [r.rule_version for r in results],
        [r.score for r in results],
        [r.grade for r in results],
        texts,
        [hashlib.md5(t.encode(), usedforsecurity=False).hexdigest() for t in texts],
        [r.review_on for r in results],
    )


def explanation_json(result: GradeResult) -> Any:
    """The explanation as plain JSON data for the ``jsonb`` column."""
    return msgspec.to_builtins(result.explanation)


def explanation_text(result: GradeResult) -> str:
    """The same as JSON text (what ``grades_store`` takes; msgspec encodes it ten times faster
    than the ``jsonb`` codec's ``json.dumps``)."""
    return msgspec.json.encode(result.explanation).decode()
