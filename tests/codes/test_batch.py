"""``Batcher``: the look-ups of one event-loop turn share one call of the loader."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest

from xinyi_api.codes.batch import Batcher


class Loader:
    """Squares, recording the keys of every call; ``gate`` holds calls until it is set."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail: Exception | None = None

    async def __call__(self, keys: Sequence[int]) -> Mapping[int, int]:
        self.calls.append(list(keys))
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return {k: k * k for k in keys if k >= 0}  # a negative key goes unanswered


async def test_lookups_of_one_turn_share_one_call_and_duplicates_are_asked_once() -> None:
    loader = Loader()
    batcher = Batcher(loader)
    assert await asyncio.gather(*(batcher.load(k) for k in (3, 1, 3, 2))) == [9, 1, 9, 4]
    assert loader.calls == [[3, 1, 2]]
    assert (batcher.batches, batcher.keys) == (1, 3)


async def test_lookups_of_later_turns_get_calls_of_their_own() -> None:
    loader = Loader()
    batcher = Batcher(loader)
    assert await batcher.load(2) == 4
    assert await batcher.load(5) == 25
    assert loader.calls == [[2], [5]]


async def test_a_turn_with_more_keys_than_max_batch_is_split() -> None:
    loader = Loader()
    batcher = Batcher(loader, max_batch=2)
    assert await asyncio.gather(*(batcher.load(k) for k in range(5))) == [0, 1, 4, 9, 16]
    assert loader.calls == [[0, 1], [2, 3], [4]]


async def test_a_cancelled_caller_cancels_only_its_own_wait() -> None:
    loader = Loader()
    loader.gate.clear()
    batcher = Batcher(loader)
    gone = asyncio.ensure_future(batcher.load(7))
    stays = asyncio.ensure_future(batcher.load(7))
    await asyncio.sleep(0)  # both waiting
    await asyncio.sleep(0)  # the call started
    gone.cancel()
    loader.gate.set()
    assert await stays == 49
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert loader.calls == [[7]]


async def test_a_loader_error_reaches_every_caller_of_its_batch_and_only_those() -> None:
    loader = Loader()
    batcher = Batcher(loader)
    loader.fail = ConnectionError("database gone")
    results = await asyncio.gather(batcher.load(1), batcher.load(2), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    loader.fail = None
    assert await batcher.load(1) == 1


async def test_a_key_the_loader_did_not_answer_is_a_lookup_error() -> None:
    batcher = Batcher(Loader())
    with pytest.raises(LookupError, match="-1"):
        await batcher.load(-1)


async def test_close_waits_for_the_batches_in_flight() -> None:
    loader = Loader()
    loader.gate.clear()
    batcher = Batcher(loader)
    pending = asyncio.ensure_future(batcher.load(4))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    closing = asyncio.ensure_future(batcher.close())
    await asyncio.sleep(0)
    assert not closing.done()
    loader.gate.set()
    await closing
    assert pending.done() and pending.result() == 16


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        Batcher(Loader(), max_batch=0)
