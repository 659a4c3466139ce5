"""The CJK font 中文字体 used on printable posters 海报.

Posters must render Chinese on a fresh server with no system fonts, so the font comes from a
Python package rather than from fontconfig: ``noto-cjk-sans-otc`` ships the Noto Sans CJK
OpenType collection (SIL Open Font License 1.1).  The collection holds one face per region;
the Simplified Chinese one is looked up by family name instead of a hard-coded index so that a
re-ordered collection cannot silently switch the poster to Japanese glyph shapes.
"""

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Final

from PIL import ImageFont

__all__ = [
    "CJK_FAMILY",
    "CJK_FONT_DISTRIBUTION",
    "CjkFontUnavailable",
    "FontFace",
    "cjk_font",
    "cjk_font_face",
]

CJK_FONT_DISTRIBUTION: Final = "noto-cjk-sans-otc"
"""PyPI distribution that carries the font file."""

_FONT_PACKAGE: Final = "noto_cjk_sans_otc"
_FONT_FILE: Final = "NotoSansCJK-Regular.ttc"

CJK_FAMILY: Final = "Noto Sans CJK SC"
"""Family name of the Simplified Chinese 简体中文 face inside the collection."""

# A .ttc holds a handful of faces; the bound only keeps a corrupt file from looping for long.
_MAX_FACES: Final = 64


class CjkFontUnavailable(RuntimeError):
    """The bundled CJK font 中文字体 is missing or unreadable (deployment error)."""


@dataclass(frozen=True, slots=True)
class FontFace:
    """A font file and the index of a face inside it (0 for plain .otf/.ttf files)."""

    path: Path
    index: int


def _font_file() -> Path:
    try:
        traversable = resources.files(_FONT_PACKAGE).joinpath(_FONT_FILE)
    except ModuleNotFoundError:
        raise CjkFontUnavailable(
            f"the {CJK_FONT_DISTRIBUTION!r} package is not installed; posters need it for Chinese"
        ) from None
    # FreeType reads the file lazily by path, so a zipped install (no real path) cannot work.
    if not isinstance(traversable, Path) or not traversable.is_file():
        raise CjkFontUnavailable(f"{_FONT_FILE} is not a file on disk: {traversable}")
    return traversable


@lru_cache(maxsize=1)
def cjk_font_face() -> FontFace:
    """Locate the Simplified Chinese face of the bundled Noto Sans CJK collection.

    Raises ``CjkFontUnavailable`` when the font package is missing or has no such face.
    """
    path = _font_file()
    for index in range(_MAX_FACES):
        try:
            face = ImageFont.truetype(str(path), size=12, index=index)
        except OSError:
            break  # FreeType reports "invalid argument" past the last face
        if face.getname()[0] == CJK_FAMILY:
            return FontFace(path=path, index=index)
    raise CjkFontUnavailable(f"no {CJK_FAMILY!r} face in {path}")


# Sharing one FreeTypeFont between worker threads is safe: Pillow holds the GIL (or, on
# free-threaded builds since Pillow 12.2, a per-font critical section) while it touches the FT_Face.
@lru_cache(maxsize=64)
def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    """The Simplified Chinese font at ``size`` pixels, cached (poster layout asks repeatedly)."""
    if size < 1:
        raise ValueError(f"font size must be positive, got {size}")
    face = cjk_font_face()
    return ImageFont.truetype(str(face.path), size=size, index=face.index)
