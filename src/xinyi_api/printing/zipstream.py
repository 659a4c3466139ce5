"""A ZIP written front to back, resumable at any entry boundary, in memory flat in its entries.

``zipfile`` keeps every entry's ``ZipInfo`` until it writes the central directory at close; for
100 000 codes that is the one thing that grows with the job. Here each entry's central-directory
record is returned to the caller as bytes when the entry is written; the caller stores them with
its checkpoint (``print_job_chunks``) and streams them back for :func:`finish`. Because nothing
after the last entry is written until then, a job that crashes resumes by truncating the file to
its last checkpoint and carrying on.

ZIP64 (APPNOTE 4.5.3) is used where a value does not fit: an entry's local-header offset beyond
4 GiB, and the end records when there are more than 65 535 entries or the directory lies beyond
4 GiB. Entries themselves are small (a code image, the manifest), each under 4 GiB. Names are
UTF-8 (general-purpose flag bit 11).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Final

__all__ = ["DEFLATED", "STORED", "Written", "dos_time", "entry", "entry_from_file", "finish"]

STORED: Final = 0
DEFLATED: Final = 8
_UTF8: Final = 0x0800
_MAX32: Final = 0xFFFFFFFF
_MAX16: Final = 0xFFFF
_MADE_BY: Final = (3 << 8) | 45  # Unix, spec 4.5
_FILE_MODE: Final = (0o100644 << 16)


@dataclass(frozen=True, slots=True)
class Written:
    """An entry written at ``offset``: its central-directory record and the new end offset."""

    record: bytes
    end: int


def dos_time(when: datetime) -> tuple[int, int]:
    """MS-DOS (time, date) of ``when`` in its own time zone (1980 at the earliest)."""
    year = max(1980, when.year)
    return ((when.hour << 11) | (when.minute << 5) | (when.second // 2),
            ((year - 1980) << 9) | (when.month << 5) | when.day)


def entry(out: BinaryIO, offset: int, name: str, data: bytes, *, method: int,
          stamp: tuple[int, int]) -> Written:
    """Write one entry (local header and data) at ``offset`` of ``out`` (where ``out`` stands);
    return its central-directory record."""
    raw = name.encode("utf-8")
    crc = zlib.crc32(data)
    if method == DEFLATED:
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        body = packer.compress(data) + packer.flush()
    else:
        body = data
    if len(body) >= _MAX32 or len(data) >= _MAX32:
        raise ValueError(f"{name}: entries over 4 GiB are not supported")
    time, date = stamp
    needed = 45 if offset >= _MAX32 else 20
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, needed, _UTF8, method, time, date, crc,
                          len(body), len(data), len(raw), 0))
    out.write(raw)
    out.write(body)
    return Written(record=_record(offset, raw, method, stamp, crc, len(body), len(data)),
                   end=offset + 30 + len(raw) + len(body))


def entry_from_file(out: BinaryIO, offset: int, name: str, source: BinaryIO,
                    scratch: BinaryIO, *, stamp: tuple[int, int]) -> Written:
    """As :func:`entry` (deflated) for content read from ``source`` in blocks: it is compressed
    into ``scratch`` first (the local header precedes the data and holds its CRC and sizes), so
    a large entry — the manifest of 100 000 codes — never sits in memory."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    crc = size = 0
    while block := source.read(1 << 16):
        crc = zlib.crc32(block, crc)
        size += len(block)
        scratch.write(packer.compress(block))
    scratch.write(packer.flush())
    packed = scratch.tell()
    if packed >= _MAX32 or size >= _MAX32:
        raise ValueError(f"{name}: entries over 4 GiB are not supported")
    raw = name.encode("utf-8")
    time, date = stamp
    needed = 45 if offset >= _MAX32 else 20
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, needed, _UTF8, DEFLATED, time, date, crc,
                          packed, size, len(raw), 0))
    out.write(raw)
    scratch.seek(0)
    while block := scratch.read(1 << 16):
        out.write(block)
    return Written(record=_record(offset, raw, DEFLATED, stamp, crc, packed, size),
                   end=offset + 30 + len(raw) + packed)


def _record(offset: int, raw: bytes, method: int, stamp: tuple[int, int], crc: int,
            packed: int, size: int) -> bytes:
    needed = 45 if offset >= _MAX32 else 20
    extra = b""
    local = offset
    if offset >= _MAX32:
        extra = struct.pack("<HHQ", 0x0001, 8, offset)
        local = _MAX32
    time, date = stamp
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, _MADE_BY, needed, _UTF8, method,
                       time, date, crc, packed, size, len(raw), len(extra), 0, 0, 0,
                       _FILE_MODE, local) + raw + extra


def finish(out: BinaryIO, offset: int, records: Iterable[bytes], count: int) -> int:
    """Write the central directory (``records``: the entries' records in order, in blocks of
    any size) and the end records for ``count`` entries at ``offset``; the final size."""
    start = offset
    for block in records:
        out.write(block)
        offset += len(block)
    size = offset - start
    if count > _MAX16 or start >= _MAX32 or size >= _MAX32:
        zip64_end = offset
        out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, _MADE_BY, 45, 0, 0, count, count,
                              size, start))
        out.write(struct.pack("<IIQI", 0x07064B50, 0, zip64_end, 1))
        offset += 56 + 20
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, _MAX16),
                              min(count, _MAX16), min(size, _MAX32), min(start, _MAX32), 0))
    else:
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, size, start, 0))
    return offset + 22
