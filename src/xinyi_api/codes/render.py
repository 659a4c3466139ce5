"""Images of a 诚信码 integrity code: bare QR as PNG or SVG, and text fitting for posters 海报
(the posters themselves: :mod:`xinyi_api.codes.poster`).

All functions are synchronous and CPU-bound; web handlers should run them in a worker thread.

The QR always uses error-correction level M (15 % of codewords recoverable): it survives the
scratches and glare a counter sticker collects, while keeping the code small enough to scan from
arm's length.  The quiet zone 静区 (blank margin) is at least the 4 modules ISO/IEC 18004 asks
for; many phone scanners fail without it, so callers cannot turn it off.
"""

import io
import re
from dataclasses import dataclass
from typing import Final

import qrcode
import qrcode.util
from PIL import Image, ImageFont
from qrcode.constants import ERROR_CORRECT_M
from qrcode.exceptions import DataOverflowError

from xinyi_api.codes.fonts import cjk_font

__all__ = [
    "MAX_BORDER",
    "MAX_SCALE",
    "MAX_URL_LENGTH",
    "MIN_BORDER",
    "MIN_SCALE",
    "SERVED_BORDERS",
    "SERVED_SCALES",
    "TextBlock",
    "fit_text",
    "qr_version",
    "render_png",
    "render_svg",
]

MIN_SCALE: Final = 1
MAX_SCALE: Final = 40
"""Pixels per QR module 模块; 40 already gives a ~2000 px image for a version-6 code."""

MIN_BORDER: Final = 4
MAX_BORDER: Final = 40
"""Quiet zone 静区 in modules."""

SERVED_SCALES: Final = (4, 8, 16, 32)
"""The scales the HTTP API serves (``GET /api/v1/codes/{token}.png|.svg?scale=``): 4 for screens,
8 (the default) for stickers, 16 and 32 for large prints (a version-5 code is 45 modules with its
quiet zone: 180 to 1440 px). Any other size is the SVG, which scales without loss. A short list
keeps every variant cacheable: an anonymous caller cannot make the server render new images by
inventing sizes (docs/codes.md)."""

SERVED_BORDERS: Final = (4, 8)
"""The quiet zones 静区 (modules) the HTTP API serves: the standard 4, or a wider 8."""

MAX_URL_LENGTH: Final = 512
"""Longest URL accepted; a code URL is ~150 characters, so anything longer is a caller bug."""

# Text is cut to this many characters before it is measured: nothing longer fits the poster's few
# lines even at the smallest size (it would end in "…" anyway), and measuring costs time.
_MAX_TEXT_CHARS: Final = 200


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")


def _build_qr(url: str, border: int) -> qrcode.QRCode:
    if not url:
        raise ValueError("url must not be empty")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"url longer than {MAX_URL_LENGTH} characters")
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border)
    # One segment whose mode is chosen from the whole string: an upper-case code URL is then
    # encoded in alphanumeric mode (11 bits per 2 characters) rather than bytes (8 bits each).
    qr.add_data(qrcode.util.QRData(url))
    try:
        qr.make(fit=True)
    except DataOverflowError:
        raise ValueError("url does not fit in a QR code at error-correction level M") from None
    return qr


def _matrix(url: str, border: int) -> list[list[bool]]:
    matrix: list[list[bool]] = _build_qr(url, border).get_matrix()
    return matrix


def qr_version(url: str) -> int:
    """QR version 版本 (1-40; size = 17 + 4 x version modules) of ``url`` at level M."""
    version: int = _build_qr(url, MIN_BORDER).version
    return version


def _qr_image(matrix: list[list[bool]], scale: int) -> Image.Image:
    n = len(matrix)
    image = Image.new("1", (n, n), 1)
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    # NEAREST keeps module edges sharp; any smoothing would blur them for the scanner.
    return image.resize((n * scale, n * scale), Image.Resampling.NEAREST)


def render_png(url: str, *, scale: int = 8, border: int = 4) -> bytes:
    """The QR of ``url`` as a black-on-white 1-bit PNG.

    ``scale`` is pixels per module (1..40); ``border`` the quiet zone 静区 in modules (4..40).
    Raises ``ValueError`` for out-of-range arguments or an empty / over-long URL.
    """
    _check_range("scale", scale, MIN_SCALE, MAX_SCALE)
    _check_range("border", border, MIN_BORDER, MAX_BORDER)
    buffer = io.BytesIO()
    _qr_image(_matrix(url, border), scale).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def render_svg(url: str, *, scale: int = 8, border: int = 4) -> str:
    """The QR of ``url`` as a standalone SVG document (one path, white background).

    The ``viewBox`` is in modules (quiet zone included) and ``width``/``height`` are
    modules x ``scale`` pixels, so the image scales cleanly for print.  Same bounds and errors
    as :func:`render_png`.
    """
    _check_range("scale", scale, MIN_SCALE, MAX_SCALE)
    _check_range("border", border, MIN_BORDER, MAX_BORDER)
    matrix = _matrix(url, border)
    n = len(matrix)
    commands: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < n:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < n and row[x]:
                x += 1
            # One rectangle per horizontal run keeps the path ~5x shorter than one per module.
            commands.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    size = n * scale
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{size}" height="{size}" '
        f'viewBox="0 0 {n} {n}" shape-rendering="crispEdges">'
        f'<rect width="{n}" height="{n}" fill="#ffffff"/>'
        f'<path fill="#000000" d="{"".join(commands)}"/>'
        "</svg>\n"
    )


# ---------------------------------------------------------------------------------------------
# Poster 海报


@dataclass(frozen=True, slots=True)
class TextBlock:
    """Wrapped text and the font size that made it fit."""

    lines: tuple[str, ...]
    size: int

    @property
    def line_height(self) -> int:
        return round(self.size * 1.3)

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines)


_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_OPENING = "（《「『【〔“‘([{"
_CLOSING = "，。、；：？！）》」』】〕”’,.;:?!)]}…"
# Break opportunities: whitespace; a run of Latin letters/digits (never split mid-word if it fits
# on a line); one CJK character with its brackets, so no line starts with "，" or ends with "《"
# (the 禁则 line-breaking rules).
_UNITS = re.compile(
    rf"\s+|[{re.escape(_OPENING)}]*(?:[^\s{_CJK}]+|.)[{re.escape(_CLOSING)}]*",
)


def _width(font: ImageFont.FreeTypeFont, text: str) -> float:
    return font.getlength(text)


def _split_to_width(font: ImageFont.FreeTypeFont, unit: str, max_width: int) -> list[str]:
    pieces: list[str] = []
    while len(unit) > 1 and _width(font, unit) > max_width:
        # Longest prefix that fits, by bisection (width grows with length); at least one
        # character so the loop always advances.
        low, high = 1, len(unit) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if _width(font, unit[:middle]) <= max_width:
                low = middle
            else:
                high = middle - 1
        pieces.append(unit[:low])
        unit = unit[low:]
    pieces.append(unit)
    return pieces


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for unit in _UNITS.findall(text):
        if unit.isspace():
            if current:
                current += " "
            continue
        if _width(font, current + unit) <= max_width:
            current += unit
            continue
        if current.strip():
            lines.append(current.rstrip())
        *full, current = _split_to_width(font, unit, max_width)
        lines.extend(full)
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _ellipsize(line: str, font: ImageFont.FreeTypeFont, max_width: int) -> str:
    while line and _width(font, line + "…") > max_width:
        line = line[:-1]
    return line.rstrip() + "…"


def fit_text(
    text: str, *, max_width: int, max_lines: int, largest: int, smallest: int
) -> TextBlock:
    """Wrap ``text`` into at most ``max_lines`` lines no wider than ``max_width`` pixels.

    Tries font sizes from ``largest`` down to ``smallest``; if even the smallest needs more
    lines, the last line is cut with "…".  Every returned line fits ``max_width`` at ``size``.
    """
    text = " ".join(text.split())[:_MAX_TEXT_CHARS]
    for size in range(largest, smallest - 1, -2):
        lines = _wrap(text, cjk_font(size), max_width)
        if len(lines) <= max_lines:
            return TextBlock(lines=tuple(lines), size=size)
    font = cjk_font(smallest)
    lines = _wrap(text, font, max_width)
    kept = lines[:max_lines]
    kept[-1] = _ellipsize(kept[-1], font, max_width)
    return TextBlock(lines=tuple(kept), size=smallest)
