"""Coalesced reads 合并读取: single-key look-ups made at about the same time, answered together.

A worker under load has many scans in flight; when several of them miss the cache, each would
take a pool connection, send one query, wait for it and send the pool's reset query on release
— two round trips and two statements per miss, on both the worker's and PostgreSQL's CPU.
``Batcher`` collects the look-ups made within one turn of the event loop and answers them with
one call of a many-key loader (one connection, one statement): the more misses arrive together,
the less each costs, and a burst of misses needs one connection instead of one each. Alone, a
look-up waits for nothing but the end of the current loop turn.

Every caller gets a future of its own, so a caller that is cancelled (a client gone) cancels
nothing but its own wait; a loader error reaches every caller of that batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Batcher(Generic[K, V]):
    """``await batcher.load(key)``: ``load_many``'s value for ``key``, from one call of
    ``load_many`` shared by every ``load`` made in the same loop turn (at most ``max_batch``
    distinct keys per call). ``load_many`` gets the distinct keys and must answer each."""

    def __init__(self, load_many: Callable[[Sequence[K]], Awaitable[Mapping[K, V]]], *,
                 max_batch: int = 256) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be positive")
        self._load_many = load_many
        self.max_batch = max_batch
        self._pending: list[tuple[K, asyncio.Future[V]]] = []
        self._scheduled = False
        self._running: set[asyncio.Task[None]] = set()
        self.batches = 0
        """Calls of ``load_many`` so far."""
        self.keys = 0
        """Distinct keys those calls asked for (``keys / batches``: the mean batch size)."""

    async def load(self, key: K) -> V:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V] = loop.create_future()
        self._pending.append((key, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, []
        batch: dict[K, list[asyncio.Future[V]]] = {}
        for key, future in pending:
            if future.done():  # its caller was cancelled before the turn ended
                continue
            if key not in batch and len(batch) == self.max_batch:
                self._start(batch)
                batch = {}
            batch.setdefault(key, []).append(future)
        if batch:
            self._start(batch)

    def _start(self, batch: dict[K, list[asyncio.Future[V]]]) -> None:
        self.batches += 1
        self.keys += len(batch)
        task = asyncio.get_running_loop().create_task(self._run(batch))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, batch: dict[K, list[asyncio.Future[V]]]) -> None:
        try:
            values = await self._load_many(list(batch))
        except Exception as exc:
            for futures in batch.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
            return
        except BaseException:  # cancelled (shutdown): so are the waits on it
            for futures in batch.values():
                for future in futures:
                    future.cancel()
            raise
        for key, futures in batch.items():
            for future in futures:
                if future.done():
                    continue
                if key in values:
                    future.set_result(values[key])
                else:
                    future.set_exception(LookupError(f"the loader did not answer {key!r}"))

    async def close(self) -> None:
        """Wait for the batches in flight (their callers are waiting for them)."""
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
