"""The 信用+医保 file loader: adds agreement status and media exposures to credit files.

One query per table for the whole batch, only for the files the scenario covers. The data lands
in ``file.extra["medical_insurance"]`` as ``{"agreement": {...} | None, "exposures": [...]}``.
"""

from __future__ import annotations

from datetime import date

import asyncpg

from xinyi_api.scenarios.kit import CreditFile, Queries, SubjectType

q = Queries.beside(__file__)

KEY = "medical_insurance"
INDUSTRIES = ("hospital", "clinic", "pharmacy")
SUBJECT_TYPES: tuple[SubjectType, ...] = ("enterprise", "individual", "store")


async def load_medical_insurance_data(
    conn: asyncpg.Connection, files: dict[str, CreditFile], today: date
) -> None:
    """Fill ``extra["medical_insurance"]`` of the covered files in the batch."""
    ids = [sid for sid, f in files.items()
           if f.industry in INDUSTRIES and f.subject_type in SUBJECT_TYPES]
    if not ids:
        return
    for sid in ids:
        files[sid].extra[KEY] = {"agreement": None, "exposures": []}
    for row in await conn.fetch(q.agreements_of, ids):
        files[row["subject_id"]].extra[KEY]["agreement"] = dict(row)
    for row in await conn.fetch(q.exposures_of, ids, today):
        files[row["subject_id"]].extra[KEY]["exposures"].append(dict(row))
