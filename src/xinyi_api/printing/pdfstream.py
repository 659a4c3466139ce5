"""One PDF grown chunk by chunk on disk, resumable at any chunk boundary, memory flat in pages.

PDF libraries keep every page of a document until they write it (fpdf2 does too). A print job
instead renders a *chunk* of sheets as a small PDF with fpdf2 (its own subset of the CJK font),
reads it back with pypdf and appends the chunk's objects to the job's file under new object
numbers: the pages, their content streams, the fonts they use, and one intermediate ``/Pages``
node that holds the chunk's pages. Every chunk's cross-reference entries (20 bytes an object)
go back to the caller, who stores them with the chunk's checkpoint; :func:`finish` streams them
into the cross-reference table after writing the root page tree, the catalogue and the
document information. A job that crashes truncates the file to its last checkpoint and goes on.

Object numbers: 1 the catalogue, 2 the root ``/Pages`` (its kids are the chunk nodes), 3 the
document information; chunks number from 4 up, each its node first, in the order they are
written, so the cross-reference table is the chunks' entries concatenated.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Final

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
)

__all__ = ["FIRST_OBJECT", "HEADER", "Appended", "append_chunk", "finish"]

HEADER: Final = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
FIRST_OBJECT: Final = 4
_CATALOG, _ROOT, _INFO = 1, 2, 3


@dataclass(frozen=True, slots=True)
class Appended:
    """What :func:`append_chunk` wrote: the chunk's page-tree node, its pages, its
    cross-reference entries, the next free object number and the new end offset."""

    node: int
    pages: int
    xref: bytes
    next_object: int
    end: int


def _xref_line(offset: int) -> bytes:
    return b"%010d 00000 n \n" % offset


def _children(obj: PdfObject) -> Iterable[PdfObject]:
    # dict.values / list iteration on pypdf's containers give the raw IndirectObjects
    # (their own accessors would resolve them).
    if isinstance(obj, DictionaryObject):
        # /Parent leads back up the tree (a page to fpdf2's root): never followed.
        return [value for key, value in dict.items(obj) if key != "/Parent"]
    if isinstance(obj, ArrayObject):
        return list.__iter__(obj)
    return ()


def _ref(number: int) -> IndirectObject:
    # No reader behind it: it is only ever written, as "N 0 R".
    return IndirectObject(number, 0, None)


def _renumber(obj: PdfObject, numbers: dict[int, int]) -> None:
    """Point every indirect reference inside ``obj`` at its new number, in place."""
    if isinstance(obj, DictionaryObject):
        for key, value in dict.items(obj):
            if isinstance(value, IndirectObject):
                dict.__setitem__(obj, key, _ref(numbers[value.idnum]))
            else:
                _renumber(value, numbers)
    elif isinstance(obj, ArrayObject):
        for i, value in enumerate(list.__iter__(obj)):
            if isinstance(value, IndirectObject):
                list.__setitem__(obj, i, _ref(numbers[value.idnum]))
            else:
                _renumber(value, numbers)


def append_chunk(out: BinaryIO, offset: int, chunk_pdf: bytes, first_object: int) -> Appended:
    """Append the pages of ``chunk_pdf`` (and everything they use) to ``out``, which stands at
    ``offset``, numbering objects from ``first_object``."""
    reader = PdfReader(io.BytesIO(chunk_pdf))
    node = first_object
    page_refs: list[int] = []
    order: list[int] = []
    numbers: dict[int, int] = {}
    next_number = node + 1
    for page in reader.pages:
        reference = page.indirect_reference
        assert reference is not None
        page_refs.append(reference.idnum)
        pending = [reference.idnum]
        while pending:  # every object the page reaches, except back up the tree (/Parent)
            idnum = pending.pop()
            if idnum in numbers:
                continue
            numbers[idnum] = next_number
            next_number += 1
            order.append(idnum)
            obj = reader.get_object(idnum)
            assert obj is not None
            stack: list[PdfObject] = [obj]
            while stack:
                current = stack.pop()
                for child in _children(current):
                    if isinstance(child, IndirectObject):
                        if child.idnum not in numbers:
                            pending.append(child.idnum)
                    else:
                        stack.append(child)
    xref = io.BytesIO()
    kids = " ".join(f"{numbers[p]} 0 R" for p in page_refs)
    body = (f"{node} 0 obj\n<< /Type /Pages /Parent {_ROOT} 0 R /Kids [{kids}] "
            f"/Count {len(page_refs)} >>\nendobj\n").encode("ascii")
    out.write(body)
    xref.write(_xref_line(offset))
    offset += len(body)
    page_set = set(page_refs)
    for idnum in order:  # ascending new numbers: the cross-reference entries stay in order
        obj = reader.get_object(idnum)
        assert obj is not None
        if idnum in page_set:
            assert isinstance(obj, DictionaryObject)
            dict.pop(obj, "/Parent", None)
            _renumber(obj, numbers)
            dict.__setitem__(obj, NameObject("/Parent"), _ref(node))
        else:
            _renumber(obj, numbers)
        buffer = io.BytesIO()
        buffer.write(f"{numbers[idnum]} 0 obj\n".encode("ascii"))
        obj.write_to_stream(buffer)
        buffer.write(b"\nendobj\n")
        data = buffer.getvalue()
        out.write(data)
        xref.write(_xref_line(offset))
        offset += len(data)
    return Appended(node=node, pages=len(page_refs), xref=xref.getvalue(),
                    next_object=next_number, end=offset)


def _text_string(text: str) -> str:
    """A PDF text string in UTF-16BE with a byte-order mark, as hex."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def finish(out: BinaryIO, offset: int, nodes: Iterable[int], page_count: int,
           xrefs: Iterable[bytes], next_object: int, *, title: str,
           created_at: datetime) -> int:
    """Write the root page tree (``nodes``: every chunk's node, in order), the catalogue, the
    document information, the cross-reference table (``xrefs``: every chunk's entries, in order)
    and the trailer at ``offset``; return the file's final size."""
    tail: dict[int, int] = {}
    kids = io.StringIO()
    for node in nodes:
        kids.write(f"{node} 0 R ")
    when = created_at.strftime("D:%Y%m%d%H%M%S")
    zone = created_at.strftime("%z")
    if zone:
        when += f"{zone[:3]}'{zone[3:]}'"
    for number, body in (
        (_ROOT, f"<< /Type /Pages /Kids [{kids.getvalue().strip()}] /Count {page_count} >>"),
        (_CATALOG, f"<< /Type /Catalog /Pages {_ROOT} 0 R >>"),
        (_INFO, f"<< /Title {_text_string(title)} /Producer (xinyi-api) "
                f"/Creator (xinyi-api print job) /CreationDate ({when}) >>"),
    ):
        data = f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
        out.write(data)
        tail[number] = offset
        offset += len(data)
    start = offset
    out.write(f"xref\n0 {next_object}\n".encode("ascii"))
    out.write(b"0000000000 65535 f \n")
    for number in (_CATALOG, _ROOT, _INFO):
        out.write(_xref_line(tail[number]))
    offset += len(f"xref\n0 {next_object}\n") + 20 * 4
    for block in xrefs:
        out.write(block)
        offset += len(block)
    trailer = (f"trailer\n<< /Size {next_object} /Root {_CATALOG} 0 R /Info {_INFO} 0 R >>\n"
               f"startxref\n{start}\n%%EOF\n").encode("ascii")
    out.write(trailer)
    return offset + len(trailer)
