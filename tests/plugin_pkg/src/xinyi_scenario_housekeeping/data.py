"""The scenario's own data and settings.

- The table ``<key>_worker_checks`` (``migrations/0001_worker_checks.sql``): a subject's staff
  reports; ``load_worker_checks`` adds the latest one to ``CreditFile.extra[KEY]`` for a whole
  batch of files in one query, so the indicators can read it.
- ``Settings``: read at start from ``XINYI_SCENARIO_<KEY>_<FIELD>``, validated (a bad value
  stops start-up naming the variable); endpoints read it as ``ctx.config``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import asyncpg
import msgspec
from xinyi_api.scenarios.kit import CreditFile, Queries

KEY = "housekeeping"
INDUSTRIES = (KEY,)
"""The industries the scenario covers (keys of ``GET /api/v1/industries``)."""
MIGRATIONS = Path(__file__).with_name("migrations")
q = Queries.beside(__file__)


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """The scenario's configuration, e.g. ``XINYI_SCENARIO_<KEY>_MAX_REPORT_AGE_DAYS=30``
    (here ``XINYI_SCENARIO_HOUSEKEEPING_MAX_REPORT_AGE_DAYS``)."""

    max_report_age_days: Annotated[int, msgspec.Meta(ge=0, le=3650)] = 90
    """How old (in days) a staff report may be when the department records it."""


async def load_worker_checks(conn: asyncpg.Connection, files: dict[str, CreditFile],
                             today: date) -> None:
    """Adds the latest staff report to ``extra[KEY]`` (one query per batch). The grader calls
    every loader for every batch it grades, so skip the subjects the scenario does not cover."""
    ids = [sid for sid, f in files.items() if f.industry in INDUSTRIES]
    if not ids:
        return
    for row in await conn.fetch(q.latest_worker_checks, ids, today):
        files[row["subject_id"]].extra[KEY] = dict(row)
