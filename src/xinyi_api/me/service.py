"""A consumer's own data (我的): the visits page and the export's sections.

The me package holds no table of its own: it reads through the services of the packages that
own the data (consumers: accounts and visit proofs; ratings: ratings, complaints, votes;
persons: personal records and codes) and, for everything else stored about a person, through the
``person_data_sources`` hook (scenarios: 先医后付 bills, 信易游 redemptions …; docs/plugins.md,
"Personal data in the export").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg
import msgspec

from xinyi_api.codes.signer import CodeSigner
from xinyi_api.consumers import service as consumer_service
from xinyi_api.inputs.cursor import Cursors
from xinyi_api.me import schemas
from xinyi_api.plugins import collect
from xinyi_api.ratings import service as rating_service
from xinyi_api.scenarios.model import PersonDataSource
from xinyi_api.subjects.cards import subject_cards

if TYPE_CHECKING:
    from xinyi_api.platform import Platform


async def visits(conn: asyncpg.Connection, cursors: Cursors, signer: CodeSigner,
                 consumer_id: str, window_hours: int, cursor: str | None,
                 limit: int) -> schemas.VisitPage:
    """A page of the consumer's visits (我的到店), each with its store's card, whether the proof
    still lets them rate (and the store is open) and their latest rating of it."""
    rows, next_cursor = await consumer_service.visits_page(conn, cursors, consumer_id,
                                                           window_hours, cursor, limit)
    ids = [r["subject_id"] for r in rows]
    cards = await subject_cards(conn, signer, ids)
    mine = await rating_service.latest_ratings_of(conn, consumer_id, ids)
    items = [schemas.MyVisit(
        store_id=r["subject_id"], first_at=r["first_at"], last_at=r["last_at"],
        scans=r["scans"], valid_until=r["valid_until"],
        can_rate=bool(r["valid"]) and not cards[r["subject_id"]].closed,
        my_rating_id=mine.get(r["subject_id"]), store=cards[r["subject_id"]]) for r in rows]
    return schemas.VisitPage(items=items, next_cursor=next_cursor)


def person_data_sources(platform: Platform) -> list[PersonDataSource]:
    """Every package's contributions to a person's export (hook ``person_data_sources``)."""
    sources: list[PersonDataSource] = collect("person_data_sources", platform=platform)
    return sources


async def person_data(conn: asyncpg.Connection, platform: Platform,
                      person_id: str) -> list[schemas.PersonDataSection]:
    """What every scenario and extension holds about ``person_id``, a section per source that
    holds something. A source that fails fails the export (a partial export would claim to be
    everything)."""
    sections = []
    for source in person_data_sources(platform):
        held = await source.export(conn, person_id)
        data = {name: msgspec.to_builtins(list(items)) for name, items in held.items() if items}
        if data:
            sections.append(schemas.PersonDataSection(source=source.key, title=source.title,
                                                      data=data))
    return sections
