"""Posters 海报: 300 dpi PNG in A5 and A4 and a vector PDF, each read back by a real QR decoder
(the PDF rasterised by PDFium), with the right labels for enterprises and stores."""

from __future__ import annotations

import dataclasses
import inspect

import pypdfium2
import pytest
from PIL import Image

from tests.codes.test_render import URL_V2, decode_all, open_png
from xinyi_api.codes.poster import (
    ACCENT,
    INK,
    PosterSubject,
    Text,
    poster_layout,
    render_poster_pdf,
    render_poster_png,
    texts_of,
)

STORE = PosterSubject(
    url=URL_V2, kind="store", subject_id="S00000123", name="田家庵区龙湖路分店",
    enterprise_name="淮南市八公山豆腐牛肉汤餐饮管理有限公司", uscc="91340403MA0000001X",
    programme_name="信用淮南 · 诚信码", authority="淮南市发展和改革委员会")
ENTERPRISE = dataclasses.replace(STORE, kind="enterprise", subject_id="E00000042",
                                 name=STORE.enterprise_name)
MM_PER_POINT = 25.4 / 72


def pdf_pages(data: bytes, dpi: int = 150) -> list[tuple[tuple[float, float], Image.Image]]:
    """Each page's size in mm and its rendering by PDFium at ``dpi``."""
    assert data.startswith(b"%PDF-")
    document = pypdfium2.PdfDocument(data)
    out = []
    for page in document:
        width, height = page.get_size()
        out.append(((width * MM_PER_POINT, height * MM_PER_POINT),
                    page.render(scale=dpi / 72).to_pil()))
    return out


def page_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


@pytest.mark.parametrize(("size", "pixels"), [("A5", (1748, 2480)), ("A4", (2480, 3508))])
def test_png_poster_is_300_dpi_at_its_paper_size_and_decodes(
        size: str, pixels: tuple[int, int]) -> None:
    image = open_png(render_poster_png(STORE, size=size))
    assert image.size == pixels
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert decode_all(image) == [URL_V2]


@pytest.mark.parametrize(("size", "mm"), [("A5", (148, 210)), ("A4", (210, 297))])
def test_pdf_poster_is_one_page_of_its_paper_size_and_decodes_when_rasterised(
        size: str, mm: tuple[int, int]) -> None:
    pages = pdf_pages(render_poster_pdf(STORE, size=size), dpi=100)
    assert len(pages) == 1
    (page_mm, image), = pages
    assert page_mm == pytest.approx(mm, abs=0.05)
    assert decode_all(image) == [URL_V2]


def test_pdf_poster_draws_the_qr_as_vectors_and_embeds_a_cjk_subset() -> None:
    data = render_poster_pdf(STORE)
    document = pypdfium2.PdfDocument(data)
    kinds = {obj.type for obj in document[0].get_objects()}
    assert pypdfium2.raw.FPDF_PAGEOBJ_PATH in kinds
    assert pypdfium2.raw.FPDF_PAGEOBJ_IMAGE not in kinds  # no bitmap anywhere: print-sharp
    # The text is real text in the embedded font: PDFium extracts it.
    text = page_text(data)
    for line in ("门店编号 S00000123", "发证机关 淮南市发展和改革委员会", "微信扫一扫"):
        assert line in text
    # A subset (fpdf2's "ABCDEF+" prefix), and tiny next to the 20 MB collection.
    assert b"+NotoSansCJKSC" in data
    assert len(data) < 200_000


def test_an_enterprise_poster_shows_its_uscc_not_a_store_number() -> None:
    lines = list(texts_of(poster_layout(ENTERPRISE, height=1414)))
    assert "统一社会信用代码 91340403MA0000001X" in lines
    assert not any("门店" in line for line in lines)
    assert any("一企一码" in line for line in lines)
    assert "统一社会信用代码 91340403MA0000001X" in page_text(render_poster_pdf(ENTERPRISE))


def test_a_store_poster_shows_its_store_number_and_its_enterprise() -> None:
    lines = list(texts_of(poster_layout(STORE, height=1414)))
    assert "门店编号 S00000123" in lines
    assert "所属企业 淮南市八公山豆腐牛肉汤餐饮管理有限公司" in lines
    assert any("一店一档" in line for line in lines)
    assert not any(line.startswith("统一社会信用代码") for line in lines)


def test_every_poster_names_the_authority_and_how_to_scan() -> None:
    for subject in (STORE, ENTERPRISE):
        lines = list(texts_of(poster_layout(subject, height=1414)))
        assert "发证机关 淮南市发展和改革委员会" in lines
        assert "微信扫一扫 · 手机相机扫码" in lines


def test_the_bottom_fifth_of_the_poster_is_not_empty() -> None:
    image = open_png(render_poster_png(STORE)).convert("RGB")
    inner = image.crop((60, image.height * 4 // 5, image.width - 60, image.height - 60))
    colours = dict((colour, count) for count, colour in inner.getcolors(1 << 20) or [])
    ink = sum(count for colour, count in colours.items() if colour != (255, 255, 255))
    assert ink > 0.2 * inner.width * inner.height  # the authority band and the notes
    assert ACCENT in colours
    layout = poster_layout(STORE, height=1414)
    bottom_texts = [i.text for i in layout.items
                    if isinstance(i, Text) and i.baseline > 1414 * 4 / 5]
    assert "发证机关 淮南市发展和改革委员会" in bottom_texts and len(bottom_texts) >= 3


def test_the_poster_never_takes_a_grade() -> None:
    for function in (render_poster_png, render_poster_pdf):
        assert not any("grade" in name for name in inspect.signature(function).parameters)
    assert not any("grade" in field.name for field in dataclasses.fields(PosterSubject))


def test_long_names_stay_inside_the_frame_and_above_the_footer() -> None:
    subject = dataclasses.replace(
        STORE, programme_name="信易+" * 40,
        name="Supercalifragilisticexpialidocious" * 4 + "分店" * 50,
        enterprise_name="淮南市" * 50 + " International Trading Company Limited" * 3,
        authority="淮南市社会信用体系建设领导小组办公室" * 3)
    layout = poster_layout(subject, height=1414)
    footer_rule = next(i for i in layout.items if type(i).__name__ == "Rule")
    for item in layout.items:
        if isinstance(item, Text) and item.colour == INK:
            assert item.baseline < footer_rule.y1  # type: ignore[attr-defined]
    image = open_png(render_poster_png(subject)).convert("L")
    width, height = image.size
    # Outside the frame nothing is drawn.
    for left in (0, width - 40):
        assert image.crop((left, 0, left + 40, height)).getextrema() == (255, 255)
    assert decode_all(image) == [URL_V2]


def test_unknown_sizes_are_refused() -> None:
    for size in ("A3", "B5", "a5"):
        with pytest.raises(ValueError):
            render_poster_png(STORE, size=size)
