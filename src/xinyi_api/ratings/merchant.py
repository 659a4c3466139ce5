"""A merchant's view of what consumers and departments said about its stores: the complaints
about them (投诉, masked, without the complainant) and the abuse reports (举报) it filed on
ratings with how each was decided. Scoped through ``merchant_links``; cursor-paged, newest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from xinyi_api.auth.tokens import Principal
from xinyi_api.codes.signer import CodeSigner
from xinyi_api.consumers.masking import mask
from xinyi_api.db.queries import Queries
from xinyi_api.inputs.cursor import Cursors
from xinyi_api.ratings import schemas
from xinyi_api.subjects.cards import subject_cards

q = Queries.beside(__file__, "merchant.sql")


async def complaints(conn: asyncpg.Connection, cursors: Cursors, signer: CodeSigner,
                     principal: Principal, status: str | None, cursor: str | None,
                     limit: int) -> schemas.MerchantComplaintPage:
    """Complaints about the merchant's stores, newest first. The text is masked again on the way
    out (it was masked when filed: ``consumers.masking``), and the complainant never named."""
    scope = f"merchant-complaints|{principal.sub}|{status or ''}"
    after = cursors.decode_cursor(scope, cursor, tuple[datetime, str]) or (None, None)
    rows = await conn.fetch(q.merchant_complaints, principal.sub, status, *after, limit + 1)
    shown, next_cursor = cursors.page(scope, rows, limit, lambda r: (r["created_at"], r["id"]))
    cards = await subject_cards(conn, signer, (r["subject_id"] for r in shown))
    return schemas.MerchantComplaintPage(items=[schemas.MerchantComplaint(
        id=r["id"], store=cards[r["subject_id"]], department=r["department"],
        category=r["category"], category_label=schemas.COMPLAINT_CATEGORY_LABELS[r["category"]],
        text=mask(r["text"]), status=r["status"], outcome=r["outcome"],
        record_id=r["record_id"], created_at=r["created_at"], decided_at=r["decided_at"])
        for r in shown], next_cursor=next_cursor)


def _outcome(row: Any) -> schemas.ReportOutcome:
    if row["decision"] == "approve":
        return "dismissed"
    if row["decision"] == "remove":
        return "removed"
    if row["rating_id"] is None:
        return "rating_deleted"
    return "pending"


async def reports(conn: asyncpg.Connection, cursors: Cursors, signer: CodeSigner,
                  principal: Principal, cursor: str | None,
                  limit: int) -> schemas.MerchantReportPage:
    """The reports the merchant filed, newest first, each with its outcome."""
    scope = f"merchant-reports|{principal.sub}"
    after = cursors.decode_cursor(scope, cursor, tuple[datetime, int]) or (None, None)
    rows = await conn.fetch(q.merchant_reports, principal.sub, *after, limit + 1)
    shown, next_cursor = cursors.page(scope, rows, limit, lambda r: (r["created_at"], r["id"]))
    cards = await subject_cards(conn, signer, (r["subject_id"] for r in shown))
    items = []
    for r in shown:
        outcome = _outcome(r)
        rating = None if r["rating_id"] is None or r["rating_status"] is None else \
            schemas.ReportedRating(id=r["rating_id"], status=r["rating_status"],
                                   status_label=schemas.STATUS_LABELS[r["rating_status"]],
                                   stars=r["rating_stars"], text=r["rating_text"])
        decision = None if r["decision"] is None else schemas.ReportDecision(
            decision=r["decision"], malicious=r["malicious"], reason=r["decision_reason"],
            department=r["department"], decided_at=r["decided_at"])
        items.append(schemas.MerchantReport(
            id=r["id"], store=cards[r["subject_id"]], reason=r["reason"],
            created_at=r["created_at"], outcome=outcome,
            outcome_label=schemas.REPORT_OUTCOME_LABELS[outcome], rating=rating,
            decision=decision))
    return schemas.MerchantReportPage(items=items, next_cursor=next_cursor)
