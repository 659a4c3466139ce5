"""Print sheets 印刷版: N-up cards 卡片 on A4 or A3 with crop marks 裁切线, and code images.

A sheet holds a grid of cards edge to edge inside a 10 mm margin; the crop marks sit in the
margin on every cut line, 2 mm clear of the trim, so a guillotine cut along them gives cards of
equal size and nothing of the marks on any card. Cards are the poster's layout (portrait) or its
landscape variant, drawn with :mod:`xinyi_api.codes.poster`: the QR as vector modules, the text
in an embedded subset of the CJK font.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from xinyi_api.codes import render
from xinyi_api.codes.poster import (
    CARD_GRIDS,
    PAPER_MM,
    PosterSubject,
    card_layout,
    crop_marks,
    draw_layout_pdf,
    new_pdf,
)

__all__ = ["MARGIN_MM", "ZIP_SCALE", "Grid", "code_image", "grid", "render_sheets"]

MARGIN_MM: Final = 10.0
ZIP_SCALE: Final = 16
"""Pixels per module of the PNGs in a ZIP: a version-5 code is 720 px, 61 mm at 300 dpi."""


class Grid:
    """Where the cut lines of a sheet are (mm from the top-left corner)."""

    def __init__(self, paper: str, per_sheet: int) -> None:
        self.paper = paper
        self.per_sheet = per_sheet
        self.columns, self.rows = CARD_GRIDS[(paper, per_sheet)]
        self.width, self.height = PAPER_MM[paper]
        self.card_width = (self.width - 2 * MARGIN_MM) / self.columns
        self.card_height = (self.height - 2 * MARGIN_MM) / self.rows
        self.xs = [MARGIN_MM + i * self.card_width for i in range(self.columns + 1)]
        self.ys = [MARGIN_MM + i * self.card_height for i in range(self.rows + 1)]

    def origin(self, index: int) -> tuple[float, float]:
        """Top-left corner of the ``index``-th card on a sheet (row by row)."""
        return self.xs[index % self.columns], self.ys[index // self.columns]


def grid(paper: str, per_sheet: int) -> Grid:
    if (paper, per_sheet) not in CARD_GRIDS:
        raise ValueError(f"no {per_sheet}-up layout on {paper}")
    return Grid(paper, per_sheet)


def render_sheets(subjects: Sequence[PosterSubject], sheet: Grid) -> bytes:
    """A PDF of ``ceil(len(subjects) / per_sheet)`` sheets, the cards in order, each sheet with
    its crop marks (a part-filled last sheet too: the cuts are the same)."""
    from fpdf import FPDF

    pdf = new_pdf()
    assert isinstance(pdf, FPDF)
    for start in range(0, len(subjects), sheet.per_sheet):
        pdf.add_page(format=(sheet.width, sheet.height))
        for index, subject in enumerate(subjects[start:start + sheet.per_sheet]):
            x, y = sheet.origin(index)
            draw_layout_pdf(pdf, card_layout(subject, sheet.card_width, sheet.card_height),
                            x_mm=x, y_mm=y, width_mm=sheet.card_width)
        crop_marks(pdf, sheet.xs, sheet.ys)
    return bytes(pdf.output())


def code_image(url: str, image: str) -> bytes:
    """The bare QR of ``url`` for a ZIP: a PNG at :data:`ZIP_SCALE`, or an SVG."""
    if image == "svg":
        return render.render_svg(url, scale=ZIP_SCALE).encode("utf-8")
    return render.render_png(url, scale=ZIP_SCALE)
