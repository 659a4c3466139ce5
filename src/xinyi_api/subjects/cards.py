"""Subject cards 主体卡片: what a list item shows about a store or enterprise so a client (the
mini-program, a merchant's app) can render it without another call — names, public grade, and
the links to its profile, ratings, records and 诚信码 (H5 page, PNG, SVG, poster).

Links are absolute, on ``XINYI_PUBLIC_BASE_URL`` (the base the 诚信码 URLs are printed with).
Code links are built from the code's token exactly as ``GET /api/v1/subjects/{id}/code`` builds
them; they are ``null`` while a subject has no active code (or its key was retired).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

import asyncpg
from msgspec import Meta, Struct

from xinyi_api.codes.signer import CodeSigner
from xinyi_api.db.queries import Queries
from xinyi_api.grading.engine import GRADE_LABELS

q = Queries.beside(__file__, "cards.sql")

__all__ = ["CodeLinks", "SubjectCard", "SubjectLinks", "subject_cards", "subject_cards_with_codes"]


class CodeLinks(Struct, kw_only=True):
    """The subject's active 诚信码: the page its QR opens and its printable images."""

    page: Annotated[str, Meta(description="the H5 page the QR opens (what the QR holds)",
                              examples=["https://xinyi.huainan.gov.cn/C/AEAAAAB…"])]
    png: Annotated[str, Meta(description="the QR as PNG (`?scale=`, `?border=`: docs/codes.md)")]
    svg: str
    poster: Annotated[str, Meta(description="the printable A5 poster (PNG)")]
    info: Annotated[str, Meta(description="`GET /api/v1/subjects/{id}/code`: serial, key, "
                              "replaced serials")]


class SubjectLinks(Struct, kw_only=True):
    """Where to read more about the subject (absolute URLs)."""

    profile: Annotated[str, Meta(description="`GET /api/v1/stores/{id}` or "
                                 "`/api/v1/enterprises/{id}`: the profile with its grade")]
    grade: Annotated[str, Meta(description="the grade with its explanation")]
    records: Annotated[str, Meta(description="the public credit records (公示期内)")]
    ratings: Annotated[str | None, Meta(description="a store's published ratings and their "
                                        "summary; null for an enterprise")]
    page: Annotated[str | None, Meta(description="the H5 page of its 诚信码; null without an "
                                     "active code")]


class SubjectCard(Struct, kw_only=True):
    """A store or enterprise as a list item shows it: enough to render it without a second call.
    """

    id: Annotated[str, Meta(examples=["S00000001"])]
    type: Annotated[str, Meta(description="`store`, `enterprise` or `individual`")]
    name: str
    enterprise_id: Annotated[str | None, Meta(description="a store's enterprise")]
    enterprise_name: str | None
    industry: str
    closed: Annotated[bool, Meta(description="已歇业 (the store or its enterprise)")]
    grade: Annotated[str, Meta(description="public grade: A, B, C, D or `unrated`")]
    grade_label: Annotated[str, Meta(examples=["A级 诚信"])]
    score: int | None
    links: SubjectLinks


def _base(signer: CodeSigner) -> str:
    return signer.base_url.rstrip("/")


async def _code_links(signer: CodeSigner, subject_id: str,
                     row: Mapping[str, Any]) -> CodeLinks | None:
    """The code links of a row with ``code_serial`` and ``code_key`` columns, or ``None``."""
    serial, key_number = row["code_serial"], row["code_key"]
    if serial is None or key_number is None:
        return None
    await signer.ensure_key(key_number)
    token = signer.token(serial, key_number)
    page = signer.url(serial, key_number)
    if token is None or page is None:  # its key was retired: the code must be reissued
        return None
    images = f"{_base(signer)}/api/v1/codes/{token}"
    return CodeLinks(page=page, png=images + ".png", svg=images + ".svg",
                     poster=images + "/poster.png",
                     info=f"{_base(signer)}/api/v1/subjects/{subject_id}/code")


def _card(signer: CodeSigner, row: Mapping[str, Any], code: CodeLinks | None) -> SubjectCard:
    """The card of a ``subject_cards`` row whose active code has links ``code``."""
    base, sid = _base(signer), row["id"]
    store = row["type"] == "store"
    return SubjectCard(
        id=sid, type=row["type"], name=row["name"], enterprise_id=row["enterprise_id"],
        enterprise_name=row["enterprise_name"], industry=row["industry"],
        closed=bool(row["closed"]), grade=row["grade"], grade_label=GRADE_LABELS[row["grade"]],
        score=row["score"],
        links=SubjectLinks(
            profile=f"{base}/api/v1/{'stores' if store else 'enterprises'}/{sid}",
            grade=f"{base}/api/v1/subjects/{sid}/grade",
            records=f"{base}/api/v1/subjects/{sid}/records",
            ratings=f"{base}/api/v1/stores/{sid}/ratings" if store else None,
            page=code.page if code else None))


async def subject_cards_with_codes(
    conn: asyncpg.Connection, signer: CodeSigner, ids: Iterable[str],
) -> dict[str, tuple[SubjectCard, CodeLinks | None]]:
    """The card of each of ``ids`` and the links of its active 诚信码 (``None`` without one),
    in one query; unknown ids are left out."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    out = {}
    for row in await conn.fetch(q.subject_cards, wanted):
        code = await _code_links(signer, row["id"], row)
        out[row["id"]] = (_card(signer, row, code), code)
    return out


async def subject_cards(conn: asyncpg.Connection, signer: CodeSigner,
                        ids: Iterable[str]) -> dict[str, SubjectCard]:
    """The cards of ``ids`` (unknown ids are left out), in one query."""
    return {sid: card for sid, (card, _) in
            (await subject_cards_with_codes(conn, signer, ids)).items()}
