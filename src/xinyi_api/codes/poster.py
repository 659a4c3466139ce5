"""Posters 海报 and print cards 卡片 of a 诚信码: one layout, drawn as a 300 dpi PNG or vector PDF.

A layout is a list of drawing primitives in abstract *units* (the canvas is 1000 units wide, as
tall as its paper's proportions make it). Two backends draw the same list: Pillow (a PNG at any
resolution; posters are 300 dpi) and fpdf2 (a PDF page in millimetres: the QR is drawn as
vector modules, the text with the bundled Noto Sans CJK SC font embedded as a subset). Text is
wrapped and sized once, in units, with the same font metrics, so the PNG and the PDF of a poster
wrap identically.

What a poster shows (and why):

- the programme name and 一企一码 (enterprise, 个体工商户) or 一店一档 (store);
- the QR, large, and how to scan it — 微信扫一扫 / 手机相机扫码 (both work: the QR holds an
  https URL that WeChat and the phone camera both open);
- the name, and the identifier a consumer or inspector can check against the business licence:
  统一社会信用代码 for an enterprise, 门店编号 (and the owning enterprise) for a store;
- the issuing authority 发证机关 and that the grade is only ever shown live after scanning — the
  bottom fifth. It never shows a grade: grades change, paper does not.

A closed (已歇业) subject gets no poster (the routes refuse it), so nothing here marks one.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Final, Literal

from PIL import Image, ImageDraw

from xinyi_api.codes.fonts import cjk_font, cjk_font_face
from xinyi_api.codes.render import MIN_BORDER, TextBlock, _matrix, fit_text

__all__ = [
    "CARD_GRIDS",
    "DPI",
    "PAPER_MM",
    "Card",
    "Layout",
    "PaperSize",
    "PosterSubject",
    "card_layout",
    "draw_layout_pdf",
    "new_pdf",
    "poster_layout",
    "render_poster_pdf",
    "render_poster_png",
]

PaperSize = Literal["A5", "A4", "A3"]
PAPER_MM: Final[dict[str, tuple[float, float]]] = {
    "A5": (148.0, 210.0),
    "A4": (210.0, 297.0),
    "A3": (297.0, 420.0),
}
"""ISO 216 portrait paper sizes in millimetres."""

DPI: Final = 300
"""Posters print at 300 dpi: an A5 PNG is 1748 x 2480 px, an A4 one 2480 x 3508 px."""

CARD_GRIDS: Final[dict[tuple[str, int], tuple[int, int]]] = {
    ("A4", 4): (2, 2),
    ("A4", 8): (2, 4),
    ("A3", 4): (2, 2),
    ("A3", 8): (2, 4),
}
"""(paper, cards per sheet) → (columns, rows) of an N-up print sheet."""

UNITS: Final = 1000.0
"""Width of every layout canvas in units."""

ACCENT: Final = (179, 38, 30)
INK: Final = (26, 26, 26)
MUTED: Final = (85, 85, 85)
WHITE: Final = (255, 255, 255)
RULE: Final = (214, 214, 214)
Colour = tuple[int, int, int]

SCAN_HINT: Final = "微信扫一扫 · 手机相机扫码"
CALL_TO_ACTION: Final = "扫码查看实时信用 · 评价"
LIVE_NOTE: Final = "信用等级实时更新,以扫码结果为准"
DISPLAY_NOTE: Final = "请张贴于经营场所醒目位置 · 仿冒必究"

# Width slack when wrapping: Pillow's hinted advances at small pixel sizes and fpdf2's unhinted
# ones differ by a few per cent; wrapping to 97 % keeps both inside the box.
_WRAP_SLACK: Final = 0.97
# Baseline below the middle of a line box, as a fraction of the font size: CJK ideographs sit in
# a box centred ~0.38 em above the baseline (Noto Sans CJK), so this centres them optically.
_BASELINE_DROP: Final = 0.36


# ---------------------------------------------------------------------------------------------
# What is drawn


@dataclass(frozen=True, slots=True)
class PosterSubject:
    """Everything a poster or card shows about one code's subject."""

    url: str
    """The URL the QR holds (upper case)."""
    kind: Literal["enterprise", "individual", "store"]
    subject_id: str
    name: str
    """The subject's own name: the store's for a store code."""
    enterprise_name: str
    """The owning enterprise (the subject itself for an enterprise code)."""
    uscc: str | None
    """统一社会信用代码 of the enterprise (a store's owner for a store code)."""
    programme_name: str
    authority: str
    """发证机关: who issues the codes (``XINYI_ISSUING_AUTHORITY``)."""

    @property
    def is_store(self) -> bool:
        return self.kind == "store"

    @property
    def tag(self) -> str:
        return "一店一档" if self.is_store else "一企一码"

    @property
    def id_line(self) -> str:
        """The identifier a reader can check: 门店编号 for a store, the USCC otherwise."""
        if self.is_store:
            return f"门店编号 {self.subject_id}"
        return f"统一社会信用代码 {self.uscc or '—'}"


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    fill: Colour | None = None
    stroke: Colour | None = None
    stroke_width: float = 0.0
    radius: float = 0.0


@dataclass(frozen=True, slots=True)
class Text:
    """One line of text; ``x`` is its centre (``align="centre"``) or its left edge."""

    x: float
    baseline: float
    text: str
    size: float
    colour: Colour
    bold: bool = False
    align: Literal["centre", "left"] = "centre"


@dataclass(frozen=True, slots=True)
class Qr:
    """The QR with its quiet zone, fitted into the square (x, y, size)."""

    x: float
    y: float
    size: float
    matrix: tuple[tuple[bool, ...], ...]


@dataclass(frozen=True, slots=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    colour: Colour


Item = Box | Text | Qr | Rule


@dataclass(frozen=True, slots=True)
class Layout:
    width: float
    height: float
    items: tuple[Item, ...]


# ---------------------------------------------------------------------------------------------
# Layouts


@lru_cache(maxsize=4096)
def _fit(text: str, width: float, lines: int, largest: int, smallest: int) -> TextBlock:
    # Cached: on print sheets the programme name, labels and authority repeat on every card.
    return fit_text(text, max_width=int(width * _WRAP_SLACK), max_lines=lines,
                    largest=largest, smallest=smallest)


def _lines(block: TextBlock, *, x: float, top: float, colour: Colour, bold: bool = False,
           align: Literal["centre", "left"] = "centre") -> tuple[list[Text], float]:
    """``block`` as Text items from ``top``; the items and the y below them."""
    out = []
    for i, line in enumerate(block.lines):
        middle = top + i * block.line_height + block.line_height / 2
        out.append(Text(x, middle + block.size * _BASELINE_DROP, line, block.size, colour,
                        bold, align))
    return out, top + block.height


def _matrix_of(url: str) -> tuple[tuple[bool, ...], ...]:
    return tuple(tuple(row) for row in _matrix(url, MIN_BORDER))


def poster_layout(subject: PosterSubject, *, height: float) -> Layout:
    """A portrait poster or card (width 1000 units, ``height`` units: 1414 for ISO paper)."""
    w, h = UNITS, height
    m = 24.0  # frame inset
    pad = 60.0  # text padding inside the frame
    text_w = w - 2 * (m + pad)
    cx = w / 2
    items: list[Item] = [Box(m, m, w - 2 * m, h - 2 * m, stroke=ACCENT, stroke_width=6,
                             radius=30)]

    # Title band 标题: programme name and 一企一码 / 一店一档.
    band_bottom = m + 210.0
    items += [Box(m, m, w - 2 * m, band_bottom - m, fill=ACCENT, radius=30),
              Box(m, band_bottom - 40, w - 2 * m, 40, fill=ACCENT)]
    title = _fit(subject.programme_name, text_w, 2, 72, 40)
    tag = _fit(f"{subject.tag} · 扫码知信用、评信用", text_w, 1, 32, 22)
    top = m + (band_bottom - m - title.height - tag.height) / 2
    texts, top = _lines(title, x=cx, top=top, colour=WHITE, bold=True)
    items += texts
    items += _lines(tag, x=cx, top=top, colour=WHITE)[0]

    # Footer: the bottom fifth — 发证机关 band, a rule and two notes above it.
    band_h = 96.0
    footer_band_top = h - m - band_h
    items += [Box(m, footer_band_top, w - 2 * m, band_h, fill=ACCENT, radius=30),
              Box(m, footer_band_top, w - 2 * m, 40, fill=ACCENT)]
    authority = _fit(f"发证机关 {subject.authority}", text_w, 1, 34, 20)
    items += _lines(authority, x=cx, top=footer_band_top + (band_h - authority.height) / 2,
                    colour=WHITE, bold=True)[0]
    notes_top = footer_band_top - 16 - 2 * 40
    live = _fit(LIVE_NOTE, text_w, 1, 28, 20)
    display = _fit(DISPLAY_NOTE, text_w, 1, 28, 20)
    texts, below = _lines(live, x=cx, top=notes_top, colour=MUTED)
    items += texts
    items += _lines(display, x=cx, top=below + 4, colour=MUTED)[0]
    rule_y = notes_top - 14
    items.append(Rule(m + pad, rule_y, w - m - pad, rule_y, 2, RULE))

    # Middle: the QR as large as the space between band and footer allows, then the text.
    name = _fit(subject.name, text_w, 2, 56, 30)
    owner = _fit(f"所属企业 {subject.enterprise_name}", text_w, 1, 32, 20) \
        if subject.is_store else None
    ident = _fit(subject.id_line, text_w, 1, 32, 20)
    hint = _fit(SCAN_HINT, text_w, 1, 46, 30)
    cta = _fit(CALL_TO_ACTION, text_w, 1, 30, 22)
    text_h = (hint.height + cta.height + 10 + name.height + ident.height
              + (owner.height if owner else 0))
    available = rule_y - 16 - (band_bottom + 16) - text_h
    qr_size = max(200.0, min(580.0, available))
    qr_top = band_bottom + 16
    items.append(Qr(cx - qr_size / 2, qr_top, qr_size, _matrix_of(subject.url)))
    top = qr_top + qr_size
    for block, colour, bold, gap in ((hint, ACCENT, True, 0.0), (cta, MUTED, False, 10.0),
                                     (name, INK, True, 0.0), (owner, INK, False, 0.0),
                                     (ident, MUTED, False, 0.0)):
        if block is None:
            continue
        texts, top = _lines(block, x=cx, top=top, colour=colour, bold=bold)
        items += texts
        top += gap
    return Layout(w, h, tuple(items))


def landscape_card_layout(subject: PosterSubject, *, height: float) -> Layout:
    """A landscape card (1000 units wide, ``height`` < 1000): the QR left, the text right."""
    w, h = UNITS, height
    m = 16.0
    items: list[Item] = [Box(m, m, w - 2 * m, h - 2 * m, stroke=ACCENT, stroke_width=5,
                             radius=24)]
    qr_size = min(h - 2 * m - 24, 520.0)
    qr_x = m + 12
    items.append(Qr(qr_x, (h - qr_size) / 2, qr_size, _matrix_of(subject.url)))
    # Right column, a band at its top, the authority at its bottom.
    x0 = qr_x + qr_size + 10
    col_w = w - m - 24 - x0
    band_h = 110.0
    items += [Box(x0 - 6, m, w - m - x0 + 6, band_h, fill=ACCENT, radius=24),
              Box(x0 - 6, m + band_h - 30, w - m - x0 + 6, 30, fill=ACCENT),
              Box(x0 - 6, m, 30, band_h, fill=ACCENT)]
    title = _fit(subject.programme_name, col_w, 1, 40, 22)
    tag = _fit(f"{subject.tag} · 扫码知信用", col_w, 1, 26, 18)
    top = m + (band_h - title.height - tag.height) / 2
    texts, top = _lines(title, x=x0, top=top, colour=WHITE, bold=True, align="left")
    items += texts
    items += _lines(tag, x=x0, top=top, colour=WHITE, align="left")[0]

    authority = _fit(f"发证机关 {subject.authority}", col_w, 2, 24, 18)
    bottom = h - m - 16
    items += _lines(authority, x=x0, top=bottom - authority.height, colour=MUTED,
                    align="left")[0]
    rule_y = bottom - authority.height - 10
    items.append(Rule(x0, rule_y, x0 + col_w, rule_y, 2, RULE))

    top = m + band_h + 18
    blocks: list[tuple[TextBlock, Colour, bool]] = [
        (_fit(subject.name, col_w, 2, 48, 24), INK, True)]
    if subject.is_store:
        blocks.append((_fit(f"所属企业 {subject.enterprise_name}", col_w, 2, 26, 18), INK,
                       False))
    label, _, value = subject.id_line.partition(" ")
    blocks += [(_fit(label, col_w, 1, 26, 18), MUTED, False),
               (_fit(value, col_w, 1, 30, 18), INK, True),
               (_fit(SCAN_HINT, col_w, 2, 28, 20), ACCENT, True)]
    for block, colour, bold in blocks:
        texts, top = _lines(block, x=x0, top=top, colour=colour, bold=bold, align="left")
        items += texts
        top += 8
    return Layout(w, h, tuple(items))


@dataclass(frozen=True, slots=True)
class Card:
    """A card's size on paper (mm) and its layout."""

    width_mm: float
    height_mm: float
    layout: Layout


def card_layout(subject: PosterSubject, width_mm: float, height_mm: float) -> Layout:
    """The layout of a card of that size: portrait like the poster, or landscape."""
    height = UNITS * height_mm / width_mm
    if height >= UNITS:
        return poster_layout(subject, height=height)
    return landscape_card_layout(subject, height=height)


# ---------------------------------------------------------------------------------------------
# Pillow backend


def _px(value: float, scale: float) -> int:
    return round(value * scale)


def draw_layout_png(layout: Layout, width_px: int, height_px: int | None = None) -> Image.Image:
    """``layout`` as an RGB image ``width_px`` wide (and ``height_px`` high: the paper's
    rounding, which may differ from the layout's by a pixel)."""
    scale = width_px / layout.width
    height_px = height_px if height_px is not None else round(layout.height * scale)
    image = Image.new("RGB", (width_px, height_px), WHITE)
    draw = ImageDraw.Draw(image)
    for item in layout.items:
        if isinstance(item, Box):
            box = (_px(item.x, scale), _px(item.y, scale),
                   _px(item.x + item.w, scale) - 1, _px(item.y + item.h, scale) - 1)
            width = max(1, _px(item.stroke_width, scale)) if item.stroke else 0
            draw.rounded_rectangle(box, radius=_px(item.radius, scale), fill=item.fill,
                                   outline=item.stroke, width=width)
        elif isinstance(item, Rule):
            draw.line((_px(item.x1, scale), _px(item.y1, scale), _px(item.x2, scale),
                       _px(item.y2, scale)), fill=item.colour,
                      width=max(1, _px(item.width, scale)))
        elif isinstance(item, Text):
            font = cjk_font(max(1, _px(item.size, scale)))
            # The font ships one weight; a stroke in the text colour reads as semi-bold.
            stroke = max(1, _px(item.size / 40, scale)) if item.bold else 0
            draw.text((_px(item.x, scale), _px(item.baseline, scale)), item.text, font=font,
                      fill=item.colour, anchor="ms" if item.align == "centre" else "ls",
                      stroke_width=stroke, stroke_fill=item.colour)
        else:
            _paste_qr(image, item, scale)
    return image


def _paste_qr(image: Image.Image, qr: Qr, scale: float) -> None:
    n = len(qr.matrix)
    box = _px(qr.size, scale)
    module = max(1, box // n)  # whole pixels per module: sharp edges for the scanner
    bitmap = Image.new("1", (n, n), 1)
    bitmap.putdata([0 if dark else 1 for row in qr.matrix for dark in row])
    bitmap = bitmap.resize((n * module, n * module), Image.Resampling.NEAREST)
    offset = (box - n * module) // 2
    image.paste(bitmap.convert("RGB"), (_px(qr.x, scale) + offset, _px(qr.y, scale) + offset))


# ---------------------------------------------------------------------------------------------
# fpdf2 backend

_FONT: Final = "noto-cjk-sc"


def new_pdf(*, created_at: datetime | None = None, title: str = "") -> object:
    """An fpdf2 document (unit mm) with the CJK font registered and metadata set.

    Typed ``object`` so callers outside this module need not import fpdf2's types; pass it back
    to :func:`draw_layout_pdf` and call ``output()`` on it.
    """
    from fpdf import FPDF

    pdf = FPDF(unit="mm")
    face = cjk_font_face()
    # fpdf2 embeds only the glyphs used (a subset of the CFF outlines), as a CIDFontType0 font.
    pdf.add_font(_FONT, fname=str(face.path), collection_font_number=face.index)
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.set_creator("xinyi-api")
    pdf.set_producer("xinyi-api (fpdf2)")
    if title:
        pdf.set_title(title)
    if created_at is not None:
        pdf.set_creation_date(created_at)
    return pdf


def draw_layout_pdf(pdf: object, layout: Layout, *, x_mm: float, y_mm: float,
                    width_mm: float) -> None:
    """Draw ``layout`` on the current page of ``pdf`` (from :func:`new_pdf`), its top-left
    corner at (``x_mm``, ``y_mm``) and ``width_mm`` wide. The QR is one filled path of module
    rectangles (no seams between modules), text is real text in the embedded font."""
    from fpdf import FPDF
    from fpdf.enums import TextMode

    assert isinstance(pdf, FPDF)
    s = width_mm / layout.width

    def X(v: float) -> float:
        return x_mm + v * s

    def Y(v: float) -> float:
        return y_mm + v * s

    for item in layout.items:
        if isinstance(item, Box):
            style = ("F" if item.fill else "") + ("D" if item.stroke else "")
            if item.fill:
                pdf.set_fill_color(*item.fill)
            if item.stroke:
                pdf.set_draw_color(*item.stroke)
                pdf.set_line_width(item.stroke_width * s)
            inset = item.stroke_width / 2 if item.stroke else 0.0
            pdf.rect(X(item.x + inset), Y(item.y + inset), (item.w - 2 * inset) * s,
                     (item.h - 2 * inset) * s, style=style, round_corners=item.radius > 0,
                     corner_radius=item.radius * s)
        elif isinstance(item, Rule):
            pdf.set_draw_color(*item.colour)
            pdf.set_line_width(item.width * s)
            pdf.line(X(item.x1), Y(item.y1), X(item.x2), Y(item.y2))
        elif isinstance(item, Text):
            size_pt = item.size * s * 72 / 25.4
            # The text rendering mode and colours are graphics state that outlives the text
            # object: a local context (q … Q) keeps a bold line's stroke off the next line.
            with pdf.local_context():
                pdf.set_font(_FONT, size=size_pt)
                pdf.set_text_color(*item.colour)
                if item.bold:  # one weight in the font: a thin stroke reads as semi-bold
                    pdf.set_draw_color(*item.colour)
                    pdf.set_line_width(item.size * s / 20)  # centred: half shows
                    pdf.text_mode = TextMode.FILL_STROKE
                x = X(item.x)
                if item.align == "centre":
                    x -= pdf.get_string_width(item.text) / 2
                pdf.text(x, Y(item.baseline), item.text)
        else:
            _qr_path(pdf, item, X(item.x), Y(item.y), item.size * s)


def _qr_path(pdf: object, qr: Qr, x_mm: float, y_mm: float, size_mm: float) -> None:
    from fpdf import FPDF

    assert isinstance(pdf, FPDF)
    n = len(qr.matrix)
    k = pdf.k  # points per mm
    module = size_mm / n * k
    left = x_mm * k
    top = (pdf.h - y_mm) * k  # PDF space grows upwards
    ops = ["q 0 0 0 rg"]
    for row_index, row in enumerate(qr.matrix):
        x = 0
        y = top - (row_index + 1) * module
        while x < n:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < n and row[x]:
                x += 1
            ops.append(f"{left + start * module:.3f} {y:.3f} "
                       f"{(x - start) * module:.3f} {module:.3f} re")
    ops.append("f Q")
    # One path, one fill: adjacent modules share edges exactly, so no hairline seams. fpdf2 has
    # no public "raw path" call; _out appends to the current page's content stream.
    pdf._out("\n".join(ops))


def crop_marks(pdf: object, xs: Sequence[float], ys: Sequence[float], *, gap: float = 2.0,
               length: float = 5.0, width: float = 0.25) -> None:
    """Crop marks 裁切线 for a grid whose cut lines are at ``xs`` (vertical) and ``ys``
    (horizontal), drawn in the margins only, ``gap`` mm clear of the trim."""
    from fpdf import FPDF

    assert isinstance(pdf, FPDF)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(width)
    top, bottom, left, right = ys[0], ys[-1], xs[0], xs[-1]
    for x in xs:
        pdf.line(x, top - gap - length, x, top - gap)
        pdf.line(x, bottom + gap, x, bottom + gap + length)
    for y in ys:
        pdf.line(left - gap - length, y, left - gap, y)
        pdf.line(right + gap, y, right + gap + length, y)


# ---------------------------------------------------------------------------------------------
# Posters


def _poster(subject: PosterSubject, size: str) -> tuple[Layout, tuple[float, float]]:
    if size not in ("A5", "A4"):
        raise ValueError(f"posters come in A5 or A4, not {size!r}")
    width_mm, height_mm = PAPER_MM[size]
    return poster_layout(subject, height=UNITS * height_mm / width_mm), (width_mm, height_mm)


def render_poster_png(subject: PosterSubject, *, size: str = "A5") -> bytes:
    """The poster as a 300 dpi PNG (A5: 1748 x 2480 px, A4: 2480 x 3508 px)."""
    layout, (width_mm, height_mm) = _poster(subject, size)
    image = draw_layout_png(layout, round(width_mm / 25.4 * DPI), round(height_mm / 25.4 * DPI))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(DPI, DPI))
    return buffer.getvalue()


def render_poster_pdf(subject: PosterSubject, *, size: str = "A5",
                      created_at: datetime | None = None) -> bytes:
    """The poster as a one-page vector PDF of ``size`` (A5 or A4)."""
    from fpdf import FPDF

    layout, (width_mm, height_mm) = _poster(subject, size)
    pdf = new_pdf(created_at=created_at, title=f"{subject.programme_name} {subject.name}")
    assert isinstance(pdf, FPDF)
    pdf.add_page(format=(width_mm, height_mm))
    draw_layout_pdf(pdf, layout, x_mm=0, y_mm=0, width_mm=width_mm)
    return bytes(pdf.output())


def texts_of(layout: Layout) -> Iterable[str]:
    """Every line of text a layout draws (for tests and checks)."""
    return (item.text for item in layout.items if isinstance(item, Text))
