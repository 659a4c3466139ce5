"""Response types of a consumer's own data (个人信息导出)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from msgspec import Meta, Struct

from xinyi_api.persons.schemas import PersonRecordView
from xinyi_api.ratings.schemas import Complaint, MyRating, NextCursor, NextLink
from xinyi_api.subjects.cards import SubjectCard


class MyRatingItem(MyRating, kw_only=True):
    """One of my ratings with the store as the mini-program shows it (name, enterprise, public
    grade, links to its profile, ratings and 诚信码 page)."""

    store: SubjectCard


class MyComplaint(Complaint, kw_only=True):
    """One of my complaints with the store it is about."""

    store: SubjectCard


class MyVisit(Struct, kw_only=True):
    """A store whose 诚信码 I scanned (到店证明): when, and whether it still lets me rate."""

    store_id: str
    first_at: datetime
    last_at: Annotated[datetime, Meta(description="my latest scan of its code")]
    scans: int
    valid_until: Annotated[datetime, Meta(description="the visit proof lets me rate the store "
                                          "or complain until then (XINYI_VISIT_WINDOW_HOURS)")]
    can_rate: Annotated[bool, Meta(description="the proof is valid now and the store is open")]
    my_rating_id: Annotated[str | None, Meta(description="my latest rating of the store, if any "
                                             "(rating again within 30 days edits it)")]
    store: SubjectCard


class VisitPage(Struct, kw_only=True):
    """A page of my visits, the most recent scan first."""

    items: list[MyVisit]
    next_cursor: NextCursor = None
    next: NextLink = None


class PersonDataSection(Struct, kw_only=True):
    """What a scenario (or an extension) holds about me in its own tables: 先医后付 bills, 信易游
    redemptions … (docs/plugins.md, "Personal data in the export")."""

    source: Annotated[str, Meta(description="the scenario key or extension name",
                                examples=["pay_later"])]
    title: Annotated[str, Meta(examples=["信用+先医后付"])]
    data: Annotated[dict[str, list[Any]], Meta(description="named lists of items, e.g. "
                                                "`bills`, `redemptions`")]


class PersonalCodeUse(Struct, kw_only=True):
    """A 动态个人信用码 issued to me (the code itself is not kept): when, and what it was used
    for."""

    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_for: str | None


class HelpfulVote(Struct, kw_only=True):
    """A rating I found helpful (有用)."""

    rating_id: str
    created_at: datetime


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
    personal_codes: list[PersonalCodeUse]
    """The 动态个人信用码 issued to me that are still kept (a day after expiry they are
    forgotten; the audit log keeps what was done with them)."""
    helpful_votes: list[HelpfulVote]
    scenario_data: list[PersonDataSection]
    """What scenarios and extensions hold about me in their own tables (先医后付 bills, 信易游
    redemptions …), one section each; only sections that hold something."""
    exported_at: datetime
