"""Rendering code images off the event loop, cached by content key 内容寻址缓存.

An image is fully determined by its inputs (the URL in the QR, scale, quiet zone; for the poster
also the names and the programme name) and by the renderer's version, so its cache key — and
its ETag — is a SHA-256 over exactly those. The same request gives the same ETag on every worker
without any coordination, and ``If-None-Match`` can be answered with 304 before anything is
rendered. Rendering (~6 ms for a PNG, more for a poster) runs in a worker thread, at most
``max_concurrent`` at once, and concurrent requests for the same image share one rendering.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from importlib.metadata import version

import PIL

from xinyi_api.codes.cache import ImageCache

RENDERER_VERSION = f"xinyi-render-1;qrcode-{version('qrcode')};pillow-{PIL.__version__}"
"""Part of every image key: a renderer upgrade that could change bytes changes every ETag."""


def image_key(kind: str, *parts: object) -> str:
    """Content key of an image: hex SHA-256 (first 160 bits) of its kind and inputs."""
    blob = json.dumps([RENDERER_VERSION, kind, *parts], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:40]


def etag_of(key: str) -> str:
    return f'"{key}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2 weak comparison of an ``If-None-Match`` header with ``etag``."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == etag:
            return True
    return False


class ImageRenderer:
    """Cached, single-flight, thread-offloaded rendering."""

    def __init__(self, cache: ImageCache, *, max_concurrent: int = 2) -> None:
        self.cache = cache
        self._slots = asyncio.Semaphore(max_concurrent)
        self._inflight: dict[str, asyncio.Future[bytes]] = {}
        self.renders = 0

    async def get(self, key: str, render: Callable[[], bytes]) -> bytes:
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        waiting = self._inflight.get(key)
        if waiting is not None:
            return await asyncio.shield(waiting)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            async with self._slots:
                data = await asyncio.to_thread(render)
            self.renders += 1
            self.cache.put(key, data)
            future.set_result(data)
            return data
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: no "never retrieved" warning without waiters
            raise
        finally:
            del self._inflight[key]
