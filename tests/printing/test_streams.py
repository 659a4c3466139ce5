"""The output writers of print jobs, without a database: a PDF grown chunk by chunk and a ZIP
written front to back, each read back by an independent reader (PDFium, zipfile, zxing-cpp)."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from datetime import datetime

import pypdfium2
import pytest

from tests.codes.test_poster import STORE, pdf_pages
from tests.codes.test_render import decode_all, open_png
from xinyi_api.printing import pdfstream, sheets, zipstream
from xinyi_api.printing.service import csv_cell

WHEN = datetime(2026, 3, 2, 9, 30)


def subjects(n: int) -> list:  # type: ignore[type-arg]
    return [dataclasses.replace(STORE, subject_id=f"S{i:08d}",
                                url=f"{STORE.url[:-4]}{i:04d}", name=f"门店{i}")
            for i in range(n)]


def grown_pdf(chunks: list[list], paper: str = "A4", per_sheet: int = 4) -> bytes:  # type: ignore[type-arg]
    out = io.BytesIO()
    out.write(pdfstream.HEADER)
    offset, number = len(pdfstream.HEADER), pdfstream.FIRST_OBJECT
    nodes, xrefs, pages = [], [], 0
    grid = sheets.grid(paper, per_sheet)
    for chunk in chunks:
        appended = pdfstream.append_chunk(out, offset, sheets.render_sheets(chunk, grid), number)
        nodes.append(appended.node)
        xrefs.append(appended.xref)
        pages += appended.pages
        offset, number = appended.end, appended.next_object
    end = pdfstream.finish(out, offset, nodes, pages, xrefs, number, title="测试", created_at=WHEN)
    data = out.getvalue()
    assert len(data) == end
    return data


def test_a_pdf_grown_in_chunks_is_one_document_whose_codes_all_decode_in_order() -> None:
    cards = subjects(9)
    data = grown_pdf([cards[:4], cards[4:8], cards[8:]])
    rendered = pdf_pages(data, dpi=150)
    assert len(rendered) == 3
    for (mm, _image) in rendered:
        assert mm == pytest.approx((210, 297), abs=0.5)
    decoded = [sorted(decode_all(image)) for _, image in rendered]
    assert decoded == [sorted(c.url for c in cards[:4]), sorted(c.url for c in cards[4:8]),
                       [cards[8].url]]
    document = pypdfium2.PdfDocument(data)
    text = document[0].get_textpage().get_text_range()
    assert "门店0" in text and "发证机关" in text


def test_eight_up_a3_sheets_have_the_paper_size_and_every_card() -> None:
    cards = subjects(8)
    ((mm, image),) = pdf_pages(grown_pdf([cards], "A3", 8), dpi=100)
    assert mm == pytest.approx((297, 420), abs=0.5)
    assert sorted(decode_all(image)) == sorted(c.url for c in cards)


def test_crop_marks_sit_in_the_margin_and_never_on_a_card() -> None:
    grid = sheets.grid("A4", 4)
    ((_, image),) = pdf_pages(grown_pdf([subjects(4)]), dpi=200)
    gray = image.convert("L")
    px = 200 / 25.4

    def darkest(x_mm: float, y0_mm: float, y1_mm: float) -> int:
        x = int(x_mm * px)
        return min(gray.getpixel((min(max(x + d, 0), gray.width - 1), y))
                   for d in range(-2, 3) for y in range(int(y0_mm * px), int(y1_mm * px)))

    # A mark in the top and bottom margins on every vertical cut line, clear of the trim …
    for x in grid.xs:
        assert darkest(x, 3.5, 7.5) < 160
        assert darkest(x, grid.ys[-1] + 2.5, grid.ys[-1] + 6.5) < 160
        assert darkest(x, 8.5, 9.8) > 230  # the 2 mm gap before the trim
    # … and nothing between the cut lines in the margin.
    assert darkest((grid.xs[0] + grid.xs[1]) / 2, 1.0, 9.0) > 230


def test_a_zip_written_entry_by_entry_reads_back_with_its_manifest() -> None:
    out = io.BytesIO()
    stamp = zipstream.dos_time(WHEN)
    records, offset = [], 0
    cards = subjects(3)
    for card in cards:
        written = zipstream.entry(out, offset, f"codes/{card.subject_id}.png",
                                  sheets.code_image(card.url, "png"), method=zipstream.STORED,
                                  stamp=stamp)
        records.append(written.record)
        offset = written.end
    manifest = io.BytesIO(b"subject_id,code_url\r\n" + "".join(
        f"{c.subject_id},{c.url}\r\n" for c in cards).encode())
    written = zipstream.entry_from_file(out, offset, "manifest.csv", manifest, io.BytesIO(),
                                        stamp=stamp)
    records.append(written.record)
    end = zipstream.finish(out, written.end, records, len(records))
    assert end == len(out.getvalue())
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [f"codes/{c.subject_id}.png" for c in cards] + [
            "manifest.csv"]
        assert archive.getinfo("manifest.csv").date_time == (2026, 3, 2, 9, 30, 0)
        rows = list(csv.reader(io.StringIO(archive.read("manifest.csv").decode())))
        assert rows[1] == [cards[0].subject_id, cards[0].url]
        for card in cards:
            image = open_png(archive.read(f"codes/{card.subject_id}.png"))
            assert decode_all(image) == [card.url]


def test_svg_images_are_svg_documents_of_the_code() -> None:
    svg = sheets.code_image(STORE.url, "svg").decode()
    assert svg.lstrip().startswith(("<?xml", "<svg")) and "</svg>" in svg


@pytest.mark.parametrize("value", ["=HYPERLINK(\"x\")", "+1", "-1", "@SUM(A1)", "\tx"])
def test_manifest_cells_that_look_like_formulas_are_quoted(value: str) -> None:
    assert csv_cell(value) == "'" + value
    assert csv_cell("老韩家") == "老韩家"
    assert csv_cell(None) == ""
