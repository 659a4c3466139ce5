"""Request and response types of ratings 评价, replies, moderation and complaints 投诉.

``StoreRatingSummary`` and ``Dimension`` live with the scan profile (``codes.schemas``), which
shows them too; they are re-exported here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

from xinyi_api.codes.schemas import Dimension as Dimension
from xinyi_api.codes.schemas import StoreRatingSummary as StoreRatingSummary
from xinyi_api.grading.kinds import Severity
from xinyi_api.inputs import FreeText

Stars = Annotated[int, Meta(ge=1, le=5, description="1–5 stars 星")]
DimensionKey = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
RatingText = Annotated[FreeText, Meta(max_length=500, description="optional text, ≤ 500 "
                                      "characters; phone, ID-card, bank-card numbers and "
                                      "e-mails are masked")]
Reason = Annotated[FreeText, Meta(min_length=1, max_length=500)]
RatingStatus = Literal["published", "held", "removed"]
ComplaintCategory = Literal["quality", "price", "hygiene", "service", "false_advertising",
                            "safety", "other"]
COMPLAINT_CATEGORY_LABELS: dict[str, str] = {
    "quality": "商品质量", "price": "价格欺诈", "hygiene": "食品卫生", "service": "服务态度",
    "false_advertising": "虚假宣传", "safety": "安全隐患", "other": "其他",
}


class RatingCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    """Rate a store after a visit: overall stars plus the dimensions its scenario defines."""

    stars: Stars
    dimensions: Annotated[dict[DimensionKey, Stars], Meta(
        max_length=12, description="评价维度 → stars; keys from the store's scenario "
        "(default hygiene 卫生, price_integrity 价格诚信, service 服务)",
        examples=[{"hygiene": 5, "price_integrity": 4, "service": 5}])] = {}
    text: RatingText = ""


class Reply(Struct, kw_only=True):
    """商家回复 the merchant's answer, shown beside the rating (right to reply)."""

    text: str
    created_at: datetime
    updated_at: datetime


class PublicRating(Struct, kw_only=True):
    id: Annotated[str, Meta(examples=["T0000000042"])]
    stars: int
    dimensions: dict[str, int]
    text: str
    helpful_count: int
    created_at: datetime
    updated_at: datetime
    reply: Reply | None


class RatingPage(Struct, kw_only=True):
    store_id: str
    summary: StoreRatingSummary
    items: list[PublicRating]
    page: int
    limit: int
    total: int


class MyRating(Struct, kw_only=True):
    """One of the caller's own ratings, whatever its status."""

    id: str
    store_id: str
    stars: int
    dimensions: dict[str, int]
    text: str
    status: RatingStatus
    status_label: str
    hold_reasons: list[str]
    helpful_count: int
    period_start: datetime
    created_at: datetime
    updated_at: datetime
    reply: Reply | None


class RatingWritten(Struct, kw_only=True):
    rating: MyRating
    edited: Annotated[bool, Meta(description="true when an earlier rating of this 30-day period "
                                 "was replaced")]


class Helpful(Struct, kw_only=True):
    rating_id: str
    helpful_count: int


class ReplyRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    text: Annotated[FreeText, Meta(min_length=1, max_length=500,
                                   examples=["感谢您的反馈,已整改。"])]


class ReplyWritten(Struct, kw_only=True):
    rating_id: str
    reply: Reply


class ReportRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    """Report a rating as abusive 恶意评价: it goes to the department's moderation queue."""

    reason: Reason


class Report(Struct, kw_only=True):
    id: int
    rating_id: str
    created_at: datetime


class QueueItem(Struct, kw_only=True):
    """A rating awaiting moderation: held by the abuse rules, or reported by the merchant."""

    id: str
    store_id: str
    store_name: str
    consumer_id: Annotated[str, Meta(description="pseudonymous")]
    stars: int
    dimensions: dict[str, int]
    text: str
    status: RatingStatus
    hold_reasons: list[str]
    reports: list[str]
    created_at: datetime


class Queue(Struct, kw_only=True):
    items: list[QueueItem]


class ModerationDecision(Struct, forbid_unknown_fields=True, kw_only=True):
    """审核决定: approve (publish a held rating / dismiss reports) or remove, with a reason."""

    decision: Literal["approve", "remove"]
    reason: Reason
    malicious: Annotated[bool, Meta(description="removed as 恶意评价 (malicious rating); kept "
                                    "for the consumer's personal credit")] = False


class DecisionResult(Struct, kw_only=True):
    rating_id: str
    status: RatingStatus
    decision: str
    malicious: bool
    decided_at: datetime


class ComplaintCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    """投诉: what went wrong during the visit."""

    category: ComplaintCategory
    text: Annotated[FreeText, Meta(min_length=5, max_length=1000)]


class Complaint(Struct, kw_only=True):
    id: Annotated[str, Meta(examples=["Q0000000007"])]
    store_id: str
    department: Annotated[str, Meta(description="the department handling it")]
    category: ComplaintCategory
    category_label: str
    text: str
    status: Literal["open", "upheld", "rejected"]
    outcome: Annotated[str | None, Meta(description="the department's reason")]
    record_id: Annotated[str | None, Meta(description="the credit record of an upheld complaint")]
    created_at: datetime
    decided_at: datetime | None


class ComplaintList(Struct, kw_only=True):
    items: list[Complaint]


class ComplaintDecision(Struct, forbid_unknown_fields=True, kw_only=True):
    """Uphold (a complaint record lands in the store's credit file) or reject, with a reason."""

    decision: Literal["uphold", "reject"]
    reason: Reason
    severity: Severity | None = None
    legal_basis: Annotated[FreeText, Meta(max_length=500, examples=[
        "《中华人民共和国消费者权益保护法》第五十六条"])] = ""
