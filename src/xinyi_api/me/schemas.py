"""Response types of a consumer's own data (个人信息导出)."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from xinyi_api.persons.schemas import PersonRecordView
from xinyi_api.ratings.schemas import Complaint, MyRating


class Visit(Struct, kw_only=True):
    subject_id: str
    first_at: datetime
    last_at: datetime
    scans: int


class Account(Struct, kw_only=True):
    id: str
    role: str
    created_at: datetime | None
    last_login_at: datetime | None


class Export(Struct, kw_only=True):
    """个人信息导出: everything stored about the caller (GET /api/v1/me/export)."""

    account: Account
    ratings: list[MyRating]
    complaints: list[Complaint]
    visits: list[Visit]
    personal_records: list[PersonRecordView]
    """My personal credit file (个人信用记录: bills paid, reports, malicious-rating findings)."""
    exported_at: datetime
