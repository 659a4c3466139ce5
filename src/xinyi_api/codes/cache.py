"""Per-process caches 进程内缓存 of the scan path: verified tokens, scan profiles, images.

Everything here is a pure cache of data whose source of truth is elsewhere (the signing keys,
the database, the deterministic renderer), so each worker keeps its own copy and two workers can
never disagree for longer than an invalidation takes:

- ``LRU``: a bounded least-recently-used map (``OrderedDict``; the event loop is single-threaded,
  so no lock is needed as long as it is only touched from the loop).
- ``ProfileCache``: scan profiles by code serial 码序号, indexed by the subject ids they depend
  on, evicted by change notifications (``listener.py``). A *generation* counter closes the race
  between a load that read the database before a change and a notification that arrived while
  the load was still running: such a load is served but not cached.
- ``ImageCache``: rendered PNG/SVG/poster bytes keyed by a content hash of everything that
  determines them, bounded in bytes. The same inputs give the same key — and ETag — on every
  worker.

What a worker keeps per cached code is invisible to Python's garbage collector: entries and
ready responses are ``msgspec.Struct(gc=False)``, a subject's one serial is an int, verified
tokens are untracked structs. A full collection walks every tracked object, so with tens of
thousands of entries tracked its pause grew with the cache and set the scan's p99 (measured:
bench/README.md, "Figures (issue 15), second round").
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping
from datetime import date
from typing import Any, Generic, TypeVar

import msgspec

from xinyi_api.codes.schemas import ScanProfile

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A bounded least-recently-used map 有界缓存."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self.max_entries = max_entries
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> list[tuple[K, V]]:
        """Store ``value``; return the entries evicted to make room."""
        self._data[key] = value
        self._data.move_to_end(key)
        evicted: list[tuple[K, V]] = []
        while len(self._data) > self.max_entries:
            evicted.append(self._data.popitem(last=False))
        return evicted

    def pop(self, key: K) -> V | None:
        return self._data.pop(key, None)

    def popitem(self) -> tuple[K, V]:
        """Remove and return the least recently used entry."""
        return self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data


AS_OF_KEY = b'"as_of":"'
AS_OF_PAGE = "信息更新至 ".encode()


def rebase_day(data: bytes, marker: bytes, built_on: date, today: date) -> bytes:
    """``data`` (a profile's JSON or page, made for ``built_on``) with its "as of" date moved to
    ``today``: the last ``marker`` followed by the ISO date it was made for. JSON escapes every
    quote inside strings, so ``"as_of":"`` only occurs as the key; on the page the marker is the
    last line's, after every name a department or merchant typed."""
    if built_on == today:
        return data
    at = data.rfind(marker)
    old = built_on.isoformat().encode()
    if at < 0 or data[at + len(marker):at + len(marker) + 10] != old:
        raise ValueError("no as-of date to move")
    start = at + len(marker)
    return data[:start] + today.isoformat().encode() + data[start + 10:]


class CachedProfile(msgspec.Struct, gc=False):
    """A scan profile 扫码信息 as served: its JSON (and H5 page) bytes, decoded on demand.

    Not tracked by the garbage collector (``gc=False``; see the module docstring): nothing it
    holds refers back to it, so it can never be part of a reference cycle.
    """

    serial: int
    key_number: int
    subject_id: str
    depends_on: tuple[str, ...]
    """Subject ids whose change invalidates the entry (the subject and, for a store, its owner)."""
    day: date
    """Records were selected for this day; the entry is stale from the next day on."""
    status: str
    """``active`` or ``replaced``."""
    token_digest: bytes | None
    """``token_digest`` of the code's genuine token: a scanned token is the code's only if its
    digest is this one (``None``: its key is not live here — nothing matches)."""
    json: bytes = b""
    html: bytes | None = None
    """The H5 page, when it came with the entry (a stored profile); else rendered on first use."""
    json_response: RawResponse | None = None
    html_response: RawResponse | None = None
    loaded_at: float = msgspec.field(default_factory=time.monotonic)
    decoded: ScanProfile | None = None
    source: str = "built"
    """Where it came from: ``stored`` (scan_profiles) or ``built`` (here, from the tables)."""

    @property
    def profile(self) -> ScanProfile | None:
        """The profile as a struct (decoded from the JSON on first use); ``None`` if replaced."""
        if self.decoded is None and self.status == "active" and self.json:
            self.decoded = msgspec.json.decode(self.json, type=ScanProfile)
        return self.decoded

    @property
    def size(self) -> int:
        """Bytes the entry holds, roughly (what the cache's byte bound counts)."""
        return 400 + len(self.json) + len(self.html or b"") + (
            3 * len(self.json) if self.decoded is not None else 0) + (
            len(self.html_response.body) if self.html_response is not None
            and self.html_response.body is not self.html else 0)


class ProfileCache:
    """Scan profiles by code serial, evicted by subject id when the database says it changed.

    The cache only holds entries while ``enabled`` (the change listener is connected): without
    notifications nothing could tell it an entry went stale, so it then serves every scan from
    the database instead. Bounded by entries and by bytes (``max_bytes``: the JSON, pages and
    decoded profiles it holds), least recently used first out.
    """

    def __init__(self, max_entries: int = 200_000, max_age: float = 300.0, *,
                 max_bytes: int = 128 * 1024 * 1024) -> None:
        self._entries: LRU[int, CachedProfile] = LRU(max_entries)
        self._by_subject: dict[str, int | set[int]] = {}
        self._sizes: dict[int, int] = {}
        self.bytes = 0
        self.max_bytes = max_bytes
        self.max_age = max_age
        """Entries older than this many seconds are reloaded: a backstop, not the mechanism."""
        self.generation = 0
        """Bumped by every invalidation; see ``put``."""
        self.enabled = False
        self.hits = 0
        self.misses = 0

    def get(self, serial: int, today: date) -> CachedProfile | None:
        entry = self._entries.get(serial)
        if entry is None or entry.day != today or (
            time.monotonic() - entry.loaded_at > self.max_age
        ):
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def put(self, entry: CachedProfile, generation: int) -> bool:
        """Cache ``entry`` if nothing was invalidated since ``generation`` was read.

        A load reads ``generation`` before it queries the database. If a notification arrived
        meanwhile, the rows it read may predate the change, so the entry is not kept.
        """
        if not self.enabled or generation != self.generation:
            return False
        self._drop(entry.serial)
        for serial, old in self._entries.put(entry.serial, entry):
            self._unindex(serial, old)
        for subject_id in entry.depends_on:
            self._index(subject_id, entry.serial)
        self._account(entry)
        return True

    def resized(self, entry: CachedProfile) -> None:
        """``entry`` grew (a page rendered, the profile decoded): count it, evict if needed."""
        if self._entries.get(entry.serial) is entry:
            self._account(entry)

    def _account(self, entry: CachedProfile) -> None:
        size = entry.size
        self.bytes += size - self._sizes.get(entry.serial, 0)
        self._sizes[entry.serial] = size
        while self.bytes > self.max_bytes and len(self._entries) > 1:
            serial, old = self._entries.popitem()
            self._unindex(serial, old)

    def _index(self, subject_id: str, serial: int) -> None:
        # A subject's one serial is kept as the int itself, a set only from the second on (an
        # enterprise's stores): a set per store would be one object per entry for the garbage
        # collector to walk.
        have = self._by_subject.get(subject_id)
        if have is None:
            self._by_subject[subject_id] = serial
        elif isinstance(have, int):
            if have != serial:
                self._by_subject[subject_id] = {have, serial}
        else:
            have.add(serial)

    def _unindex(self, serial: int, entry: CachedProfile) -> None:
        self.bytes -= self._sizes.pop(serial, 0)
        for subject_id in entry.depends_on:
            have = self._by_subject.get(subject_id)
            if have is None:
                continue
            if isinstance(have, int):
                if have == serial:
                    del self._by_subject[subject_id]
                continue
            have.discard(serial)
            if len(have) == 1:
                self._by_subject[subject_id] = next(iter(have))
            elif not have:
                del self._by_subject[subject_id]

    def _drop(self, serial: int) -> None:
        old = self._entries.pop(serial)
        if old is not None:
            self._unindex(serial, old)

    def invalidate(self, subject_ids: Iterable[str]) -> None:
        """Drop every entry that depends on one of ``subject_ids``."""
        self.generation += 1
        for subject_id in subject_ids:
            have = self._by_subject.get(subject_id)
            for serial in (have,) if isinstance(have, int) else list(have or ()):
                self._drop(serial)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._by_subject.clear()
        self._sizes.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


class ImageCache:
    """Rendered images by content key, bounded by total bytes (a pure per-process cache)."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._data: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> bytes | None:
        value = self._data.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self._data.move_to_end(key)
        return value

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes:
            return
        old = self._data.pop(key, None)
        if old is not None:
            self._size -= len(old)
        self._data[key] = value
        self._size += len(value)
        while self._size > self.max_bytes:
            _, evicted = self._data.popitem(last=False)
            self._size -= len(evicted)

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._data)


class RawResponse(msgspec.Struct, gc=False):
    """A complete, pre-encoded HTTP response: an ASGI app that sends two messages.

    Scan answers are the same bytes for every anonymous caller until the profile changes, so
    the cache keeps them ready to send and a hit skips the framework's response building. A
    fresh header list is sent each time: middleware (CORS) may add to it in place. Made with
    ``RawResponse.of``; not tracked by the garbage collector, like ``CachedProfile``.
    """

    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    status: int = 200

    @classmethod
    def of(cls, body: bytes, media_type: str, *, status: int = 200,
           headers: Mapping[str, str] | None = None) -> RawResponse:
        return cls(body, (
            (b"content-type", media_type.encode("latin-1")),
            (b"content-length", str(len(body)).encode("latin-1")),
            *((k.lower().encode("latin-1"), v.encode("latin-1"))
              for k, v in (headers or {}).items()),
        ), status)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status,
                    "headers": list(self.headers)})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})
