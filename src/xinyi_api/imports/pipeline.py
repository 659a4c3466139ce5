"""The import pipeline: rows in, records on file exactly once, grades recomputed in batches.

1. **Stage** (``Pipeline.add`` / ``flush``): each row is checked on its own
   (``validate.RowChecker``), then in batches of ``BATCH`` rows against the database — the
   subject by its 统一社会信用代码 (a merged subject stands for the one it was merged into), the
   department's region, the name registered under the code, the store — and the valid ones are
   copied (``COPY``) into a temporary staging table. Problems go to ``import_problems`` as they
   are found (committed at once, so a running job's report can be polled). Memory holds one
   batch, whatever the file's size.
2. **Dry run** (``finish`` with ``dry_run``): rows repeating a key of an earlier row are
   reported, every staged row is matched to the record on file under its key (new, correction,
   withdrawal, unchanged, or refused: nothing to withdraw, record final, under objection), and
   the counts are what a commit would write. Nothing is written but the report.
3. **Commit** (``finish``): the same, in one transaction holding the department's import lock,
   then unknown businesses registered (if asked), new records inserted (``INSERT … ON CONFLICT``
   on the unique key), changed ones corrected (their revision kept), withdrawn ones withdrawn,
   the subjects they touch listed in ``import_affected``, 重错码 suspects put on the review list,
   one audit entry. All of it commits together or not at all.
4. **Regrade** (``regrade``): the listed subjects, in id order, ``REGRADE_BATCH`` per
   transaction with ``Grader.regrade`` (set-based: a fixed handful of queries per batch); the
   cursor is stored, so an interrupted job resumes after the last committed batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg

from xinyi_api import audit
from xinyi_api.auth.guards import region_covers
from xinyi_api.auth.tokens import Principal
from xinyi_api.db.queries import Queries
from xinyi_api.grading.service import Grader
from xinyi_api.imports import review
from xinyi_api.imports.layouts import BY_NAME, Layout
from xinyi_api.imports.validate import Candidate, Problem, RowChecker
from xinyi_api.imports.values import normalize_name
from xinyi_api.industries import IndustryRegistry

log = logging.getLogger(__name__)
q = Queries.beside(__file__)

BATCH = 5000
"""Rows checked against the database and staged per round trip."""
REGRADE_BATCH = 1000
"""Subjects regraded per transaction after the rows land."""
MAX_LISTED_PROBLEMS = 100_000
"""Problems listed per job (all are counted)."""
SUBJECT_CACHE = 200_000
"""Subjects remembered between batches (then forgotten, so memory stays bounded)."""

STAGING_COLUMNS = ["row_no", "kind", "source_key", "uscc", "subject_id", "subject_name",
                   "party_category", "industry", "region_code", "severity", "result", "title",
                   "content", "legal_basis", "occurred_on", "public_until", "withdraw",
                   "withdraw_reason", "fields", "fingerprint"]
PROBLEM_COLUMNS = ["job_id", "n", "row_no", "column_name", "code", "message", "value"]

REFUSALS = {
    "refuse:nothing-to-withdraw": ("nothing-to-withdraw",
                                   "要撤销的记录不存在(本部门没有该决定文书号的记录)"),
    "refuse:record-final": ("record-final", "该记录已撤销或已修复,不能再更正"),
    "refuse:record-under-objection": ("record-under-objection",
                                      "该记录处于异议处理中,请先处理异议"),
}


@dataclass(slots=True)
class JobContext:
    """Who imports what, and how."""

    job_id: int
    department: str
    actor: str
    region: str | None
    dry_run: bool
    register_unknown: bool
    default_industry: str | None
    today: date
    endpoint: str
    layout: str | None = None

    @property
    def principal(self) -> Principal:
        return Principal(sub=self.actor, role="department", department=self.department,
                         region=self.region)


@dataclass(slots=True)
class Outcome:
    rows_total: int = 0
    rows_refused: int = 0
    problems: int = 0
    inserted: int = 0
    corrected: int = 0
    withdrawn: int = 0
    unchanged: int = 0
    registered: int = 0
    subjects_affected: int = 0
    layouts: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class _Subject:
    id: str
    name: str
    type: str
    region_code: str
    names: frozenset[str]
    """Normalised names the row may give: the registered one, and, for a merged subject, the
    name of the subject it was merged into."""


Progress = Callable[[Outcome], None]


class Pipeline:
    """One job's rows through stages 1–3 on one connection (see the module docstring)."""

    def __init__(self, conn: asyncpg.Connection, ctx: JobContext, industries: IndustryRegistry,
                 *, progress: Progress | None = None) -> None:
        self.conn = conn
        self.ctx = ctx
        self.industries = industries
        self.progress = progress
        self.outcome = Outcome()
        self._checkers: dict[str, RowChecker] = {}
        self._buffer: list[Candidate] = []
        self._problems: list[tuple[Any, ...]] = []
        self._problem_n = 0
        self._subjects: dict[str, _Subject | None] = {}
        self.findings = review.Findings(ctx.department, f"import:{ctx.job_id}")
        self._industry_names = {i.name_zh: i.key for i in industries.all()}
        self._normalised: dict[str, str] = {}

    async def open(self) -> None:
        await self.conn.execute(q.drop_staging)
        await self.conn.execute(q.create_staging)
        await self.conn.execute(q.clear_problems, self.ctx.job_id)

    async def close(self) -> None:
        await self.conn.execute(q.drop_staging)

    # --- stage 1 ---------------------------------------------------------------------------

    def checker(self, layout: Layout) -> RowChecker:
        found = self._checkers.get(layout.name)
        if found is None:
            found = self._checkers[layout.name] = RowChecker(layout, self.ctx.today)
        return found

    async def add(self, row: int, layout: Layout, cells: Mapping[str, Any]) -> None:
        """Check one row; stage it or report it."""
        self.outcome.rows_total += 1
        self.outcome.layouts.add(layout.name)
        checked = self.checker(layout).check(row, cells)
        if isinstance(checked, list):
            self._refuse(checked)
            for problem in checked:
                if problem.code == "bad-check-character":
                    self.findings.bad_check_character(problem.value.strip(),
                                                      str(cells.get("subject_name") or ""), row)
        else:
            self._buffer.append(checked)
        if len(self._buffer) >= BATCH or len(self._problems) >= BATCH:
            await self.flush()

    def refuse_row(self, row: int, column: str, code: str, message: str,
                   value: str = "") -> None:
        """Report a row that never reached a layout (an NDJSON line that is not an object)."""
        self.outcome.rows_total += 1
        self._refuse([Problem(row, column, code, message, value)])

    def _refuse(self, problems: Iterable[Problem]) -> None:
        self.outcome.rows_refused += 1
        for p in problems:
            self._problem_n += 1
            if self._problem_n <= MAX_LISTED_PROBLEMS:
                self._problems.append((self.ctx.job_id, self._problem_n, p.row, p.column,
                                       p.code, p.message, p.value))

    async def flush(self) -> None:
        """Match the buffered rows to their subjects and stage them; write pending problems."""
        batch, self._buffer = self._buffer, []
        if batch:
            await self._resolve(batch)
        if self._problems:
            await self.conn.copy_records_to_table("import_problems", records=self._problems,
                                                  columns=PROBLEM_COLUMNS)
            self._problems = []
        self.outcome.problems = self._problem_n
        if self.progress is not None:
            self.progress(self.outcome)

    def _industry(self, given: str) -> str | None:
        value = given or self.ctx.default_industry or ""
        if value in self.industries:
            return value
        return self._industry_names.get(value)

    async def _resolve(self, batch: list[Candidate]) -> None:
        conn, ctx = self.conn, self.ctx
        if len(self._subjects) > SUBJECT_CACHE:
            self._subjects.clear()
        unknown = list({c.uscc for c in batch} - self._subjects.keys())
        if unknown:
            for r in await conn.fetch(q.subjects_by_uscc, unknown):
                names = frozenset(normalize_name(n) for n in (r["name"], r["merged_name"]) if n)
                self._subjects[r["uscc"]] = _Subject(r["id"], r["name"], r["type"],
                                                     r["region_code"], names)
            for code in unknown:
                self._subjects.setdefault(code, None)
        by_name: dict[str, list[tuple[str, str]]] = {}
        for r in await conn.fetch(q.subjects_by_name, list({c.subject_name for c in batch})):
            by_name.setdefault(r["name"], []).append((r["uscc"], r["id"]))
        store_ids = list({c.store_id for c in batch if c.store_id})
        stores = {r["id"]: r for r in await conn.fetch(q.stores_by_id, store_ids)} \
            if store_ids else {}
        named = [(s.id, c.store_name) for c in batch if c.store_name and not c.store_id
                 and (s := self._subjects.get(c.uscc)) is not None]
        stores_named: dict[tuple[str, str], list[str]] = {}
        if named:
            for r in await conn.fetch(q.stores_by_name, list({e for e, _ in named}),
                                      list({n for _, n in named})):
                stores_named[(r["enterprise_id"], r["name"])] = list(r["ids"])

        staged: list[tuple[Any, ...]] = []
        for c in batch:
            layout = BY_NAME[c.layout]
            uscc_column = layout.column("uscc").zh
            subject = self._subjects.get(c.uscc)
            others = [(u, i) for u, i in by_name.get(c.subject_name, []) if u != c.uscc]
            subject_id: str | None
            region: str | None = None
            industry: str | None = None
            if subject is None:
                if not ctx.register_unknown:
                    self._refuse([Problem(c.row, uscc_column, "unknown-subject",
                                          f"未找到统一社会信用代码为 {c.uscc} 的经营主体"
                                          "(可选择登记新主体)", c.uscc)])
                    continue
                problems: list[Problem] = []
                if others:
                    problems.append(Problem(
                        c.row, uscc_column, "suspected-wrong-code",
                        f"名称「{c.subject_name}」已登记为统一社会信用代码 {others[0][0]} 的主体,"
                        "疑似错码,请核对(已列入重错码核查清单)", c.uscc))
                    self.findings.name_with_several_codes(
                        c.subject_name, [c.uscc, *(u for u, _ in others)],
                        [i for _, i in others], c.row)
                region = c.uscc[2:8]
                if not region_covers(ctx.region, region):
                    problems.append(Problem(
                        c.row, uscc_column, "out-of-region",
                        f"新主体的行政区划 {region}(统一社会信用代码第 3–8 位)不在本部门范围 "
                        f"{ctx.region} 内", c.uscc))
                industry = self._industry(c.industry)
                if industry is None:
                    what = c.industry or ctx.default_industry
                    problems.append(Problem(
                        c.row, layout.column("industry").zh,
                        "unknown-industry" if what else "industry-required",
                        f"未知行业「{what}」(见 GET /api/v1/industries)" if what else
                        "登记新主体需要行业:填写行业列,或导入时指定默认行业", what or ""))
                if c.store_id or c.store_name:
                    problems.append(Problem(c.row, layout.column("store_id").zh,
                                            "unknown-store", "新登记的主体还没有门店",
                                            c.store_id or c.store_name))
                if problems:
                    self._refuse(problems)
                    continue
                subject_id = None
            else:
                if not region_covers(ctx.region, subject.region_code):
                    self._refuse([Problem(c.row, uscc_column, "out-of-region",
                                          f"主体所在行政区划 {subject.region_code} 不在本部门范围 "
                                          f"{ctx.region} 内", c.uscc)])
                    continue
                normal = self._normalised.get(c.subject_name)
                if normal is None:
                    if len(self._normalised) > SUBJECT_CACHE:
                        self._normalised.clear()
                    normal = self._normalised[c.subject_name] = normalize_name(c.subject_name)
                if normal not in subject.names:
                    self._refuse([Problem(
                        c.row, layout.column("subject_name").zh, "name-mismatch",
                        f"名称与统一社会信用代码 {c.uscc} 登记的名称「{subject.name}」不一致,"
                        "疑似错码,请核对(已列入重错码核查清单)", c.subject_name)])
                    self.findings.code_with_several_names(
                        c.uscc, [subject.name, c.subject_name], subject.id, c.row)
                    continue
                if others:
                    self.findings.name_with_several_codes(
                        c.subject_name, [c.uscc, *(u for u, _ in others)],
                        [subject.id, *(i for _, i in others)], c.row)
                subject_id = subject.id
                if c.store_id:
                    store = stores.get(c.store_id)
                    if store is None or store["enterprise_id"] != subject.id:
                        self._refuse([Problem(
                            c.row, layout.column("store_id").zh, "unknown-store",
                            f"门店 {c.store_id} 不存在或不属于该主体", c.store_id)])
                        continue
                    subject_id = c.store_id
                elif c.store_name:
                    ids = stores_named.get((subject.id, c.store_name), [])
                    if len(ids) != 1:
                        self._refuse([Problem(
                            c.row, layout.column("store_name").zh, "unknown-store",
                            f"该主体没有名为「{c.store_name}」的门店" if not ids else
                            f"该主体有 {len(ids)} 家名为「{c.store_name}」的门店,请填写门店编号",
                            c.store_name)])
                        continue
                    subject_id = ids[0]
            staged.append((
                c.row, c.kind, c.source_key, c.uscc, subject_id, c.subject_name,
                c.party_category, industry, region, c.severity, c.result, c.title, c.content,
                c.legal_basis, c.occurred_on, c.public_until, c.withdraw, c.withdraw_reason,
                c.fields, c.fingerprint))
        if staged:
            await conn.copy_records_to_table("import_staging", records=staged,
                                              columns=STAGING_COLUMNS)

    # --- stages 2 and 3 --------------------------------------------------------------------

    async def finish(self) -> Outcome:
        """Dry run or commit (``ctx.dry_run``); the job's outcome."""
        await self.flush()
        conn, ctx, out = self.conn, self.ctx, self.outcome
        if ctx.dry_run:
            await self._check_duplicates()
            await conn.execute(q.classify_match, ctx.department)
            await conn.execute(q.classify_decide)
            await self._refused_by_state()
            await self._count(registered_estimate=ctx.register_unknown)
            await self.flush()
            await self._store_outcome("validated")
            return out
        async with conn.transaction():
            await conn.execute(q.department_lock, ctx.department)
            await self._check_duplicates()
            await conn.execute(q.classify_match, ctx.department)
            await conn.execute(q.classify_decide)
            await self._refused_by_state()
            await self._count(registered_estimate=False)
            if ctx.register_unknown:
                out.registered = len(await conn.fetch(q.register_subjects, ctx.department))
            await conn.execute(q.fill_subjects)
            out.inserted = await conn.fetchval(q.insert_records, ctx.department, ctx.today,
                                               ctx.job_id)
            out.corrected = await conn.fetchval(q.correct_records, ctx.job_id)
            out.withdrawn = await conn.fetchval(q.withdraw_records, ctx.job_id)
            out.subjects_affected = await conn.fetchval(q.count_affected, ctx.job_id)
            await self.flush()
            await self.findings.store(conn)
            await audit.append(conn, ctx.principal, action="import.commit",
                               endpoint=ctx.endpoint, detail=self.audit_detail())
            await self._store_outcome("regrading")
        return out

    def audit_detail(self) -> dict[str, Any]:
        out = self.outcome
        return {"job_id": self.ctx.job_id, "layouts": sorted(out.layouts),
                "rows": out.rows_total, "refused": out.rows_refused, "inserted": out.inserted,
                "corrected": out.corrected, "withdrawn": out.withdrawn,
                "unchanged": out.unchanged, "registered": out.registered,
                "dry_run": self.ctx.dry_run}

    async def _check_duplicates(self) -> None:
        dropped: list[int] = []
        for r in await self.conn.fetch(q.staging_duplicates):
            dropped.append(r["row_no"])
            if r["same"]:
                self.outcome.unchanged += 1
            else:
                self._refuse([Problem(r["row_no"], "行", "duplicate-row",
                                      f"决定文书号 {r['source_key']} 与第 {r['first_row']} 行"
                                      "重复而内容不同", r["source_key"])])
        if dropped:
            await self.conn.execute(q.drop_staged_rows, dropped)

    async def _refused_by_state(self) -> None:
        for r in await self.conn.fetch(q.refused_by_state):
            code, message = REFUSALS[r["action"]]
            self._refuse([Problem(r["row_no"], "行", code,
                                  message + (f"(记录 {r['record_id']})" if r["record_id"] else ""),
                                  r["source_key"])])

    async def _count(self, *, registered_estimate: bool) -> None:
        out = self.outcome
        for r in await self.conn.fetch(q.action_counts):
            action, n = r["action"], r["n"]
            if action == "insert":
                out.inserted = n
            elif action == "correct":
                out.corrected = n
            elif action == "withdraw":
                out.withdrawn = n
            elif action == "unchanged":
                out.unchanged += n
            if registered_estimate and action in ("insert", "correct"):
                out.registered += r["unregistered"]

    async def _store_outcome(self, state: str) -> None:
        out = self.outcome
        layout = next(iter(out.layouts)) if len(out.layouts) == 1 else None
        await self.conn.execute(
            q.set_outcome, self.ctx.job_id, state, out.rows_total, out.rows_refused,
            min(out.problems, MAX_LISTED_PROBLEMS), out.inserted, out.corrected, out.withdrawn,
            out.unchanged, out.registered, out.subjects_affected, layout)


async def regrade(conn: asyncpg.Connection, grader: Grader, job_id: int, today: date, *,
                  cursor: str = "", progress: Callable[[int], None] | None = None) -> int:
    """Stage 4: regrade the job's affected subjects in batches; resumable from ``cursor``.
    Returns the number regraded by this call."""
    done = 0
    while True:
        rows = await conn.fetch(q.affected_after, job_id, cursor, REGRADE_BATCH)
        if not rows:
            break
        ids = [r["subject_id"] for r in rows]
        async with conn.transaction():
            await grader.regrade(conn, ids, today)
            await conn.execute(q.advance_regrade, job_id, ids[-1], len(ids))
        cursor = ids[-1]
        done += len(ids)
        if progress is not None:
            progress(done)
    await conn.execute(q.set_state, job_id, "done")
    return done
