"""Request and response types for subjects and stores (msgspec structs, validated on decode)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from xinyi_api.inputs import FreeText, SingleLineText

RegionCode = Annotated[
    str,
    Meta(pattern=r"^[0-9]{6}$", description="6-digit 行政区划 region code", examples=["340403"]),
]
Industry = Annotated[
    str,
    Meta(
        pattern=r"^[a-z][a-z0-9_]{1,39}$",
        description="industry key, e.g. beef_soup, catering, hotel, scenic_spot, travel_agency, "
        "hospital, pharmacy, property, retail",
        examples=["beef_soup"],
    ),
]
Name = Annotated[SingleLineText, Meta(min_length=1, max_length=200, examples=["淮南老韩家牛肉汤"],
                                       description="one line, trimmed; not blank")]
Address = Annotated[SingleLineText, Meta(max_length=300, examples=["田家庵区洞山中路 88 号"])]
Latitude = Annotated[float, Meta(ge=-90, le=90, examples=[32.6264])]
Longitude = Annotated[float, Meta(ge=-180, le=180, examples=[116.9998])]
Reason = Annotated[FreeText, Meta(min_length=1, max_length=500)]
EnterpriseKind = Literal["enterprise", "individual"]
"""企业 enterprise, or 个体工商户 individual business."""
Grade = Literal["A", "B", "C", "D", "unrated"]


class _Establishment(Struct, forbid_unknown_fields=True, kw_only=True):
    """What enterprises and stores both have: a name and a place."""

    name: Name
    region_code: RegionCode
    industry: Industry
    address: Address = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class EnterpriseCreate(_Establishment, forbid_unknown_fields=True, kw_only=True):
    """Register an enterprise or 个体工商户 (一企一码)."""

    uscc: Annotated[
        SingleLineText,
        Meta(min_length=1, max_length=40, description="统一社会信用代码 (GB 32100-2015): 18 "
             "digits and capitals; lower case and full-width (全角) forms are accepted and "
             "stored canonical, anything else is refused (422 `invalid-uscc`)",
             examples=["91340400MA2N0X4X3L"]),
    ]
    kind: EnterpriseKind = "enterprise"


class StoreCreate(_Establishment, forbid_unknown_fields=True, kw_only=True):
    """Open a store (门店) with its own credit file (一店一档)."""


class SubjectUpdate(Struct, forbid_unknown_fields=True, kw_only=True):
    """Change an enterprise or a store. Omitted fields stay as they are; ``closed: true`` flags
    it 已歇业 (kept on file, never deleted), ``closed: false`` reopens it."""

    name: Name | UnsetType = UNSET
    region_code: RegionCode | UnsetType = UNSET
    industry: Industry | UnsetType = UNSET
    address: Address | UnsetType = UNSET
    latitude: Latitude | UnsetType | None = UNSET
    longitude: Longitude | UnsetType | None = UNSET
    closed: bool | UnsetType = UNSET
    closed_reason: Reason | UnsetType = UNSET


class GradeSummary(Struct, kw_only=True):
    """The current public grade, without its explanation."""

    grade: Grade
    grade_label: str
    score: int | None
    rule_version: str
    computed_at: datetime


class Enterprise(Struct, kw_only=True):
    id: Annotated[str, Meta(examples=["E00000042"])]
    uscc: str
    name: str
    kind: EnterpriseKind
    region_code: str
    industry: str
    address: str
    latitude: float | None
    longitude: float | None
    closed: bool
    closed_at: datetime | None
    closed_reason: str | None
    created_at: datetime
    updated_at: datetime
    store_count: int
    grade: GradeSummary | None
    code_url: str | None = None


class Store(Struct, kw_only=True):
    id: Annotated[str, Meta(examples=["S00000420"])]
    enterprise_id: str
    enterprise_name: str
    name: str
    region_code: str
    industry: str
    address: str
    latitude: float | None
    longitude: float | None
    closed: bool
    closed_at: datetime | None
    closed_reason: str | None
    created_at: datetime
    updated_at: datetime
    grade: GradeSummary | None
    code_url: str | None = None


class StoreSearchItem(Struct, kw_only=True):
    id: str
    name: str
    enterprise_id: str
    enterprise_name: str
    region_code: str
    industry: str
    address: str
    closed: bool
    grade: Grade
    grade_label: str
    score: int | None
    code_url: str | None = None


class StorePage(Struct, kw_only=True):
    """A page of stores; pass ``next_cursor`` as ``cursor`` for the next page."""

    items: list[StoreSearchItem]
    next_cursor: str | None


class IndustryView(Struct, kw_only=True):
    """行业: an industry key and its names."""

    key: Annotated[str, Meta(examples=["beef_soup"])]
    name_zh: Annotated[str, Meta(examples=["牛肉汤"])]
    name_en: Annotated[str, Meta(examples=["beef soup"])]
