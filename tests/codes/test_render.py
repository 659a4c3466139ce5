"""Code images: QR PNG/SVG that real decoders read, and a poster 海报 with real Chinese glyphs."""

import io
import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image, ImageFilter

from xinyi_api.bls import BlsPrivateKey
from xinyi_api.codes.fonts import CJK_FAMILY, cjk_font, cjk_font_face
from xinyi_api.codes.render import (
    MAX_SCALE,
    fit_text,
    qr_version,
    render_png,
    render_svg,
)
from xinyi_api.codes.token import code_url, encode_code_token

BASE_URL_30 = "https://xinyi.huainan.gov.cn/x"
KEY = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
# Version-1 (Ed25519) token, largest realistic serial (a trillion codes) and key number (a key a
# month for 20 years): what stickers printed before version 2 carry.
URL = code_url(BASE_URL_30, encode_code_token(2**40, 255, KEY))
BLS_KEY = BlsPrivateKey(0xC0DE)
# Version-2 (BLS) token at the edge of its version-5 range: serial 2**35 - 1 (34 billion codes)
# and key number 127 (a key a month for 10 years).
URL_V2 = code_url(BASE_URL_30, encode_code_token(2**35 - 1, 127, BLS_KEY))

SVG_NS = "{http://www.w3.org/2000/svg}"


def decode_qr(image: Image.Image) -> zxingcpp.Barcode:
    (barcode,) = zxingcpp.read_barcodes(image.convert("L"))
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    return barcode


def decode_all(image: Image.Image) -> list[str]:
    return [
        barcode.text
        for barcode in zxingcpp.read_barcodes(image.convert("L"))
        if barcode.format == zxingcpp.BarcodeFormat.QRCode
    ]


def open_png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- QR size ------------------------------------------------------------------------------------


def test_version_2_code_behind_a_30_character_base_decodes_as_qr_version_5_at_level_m() -> None:
    # Version 5-M holds 122 alphanumeric characters: "<30-char base>/C/" (33) + 88 for the token.
    assert len(BASE_URL_30) == 30
    assert len(URL_V2) == 121
    assert qr_version(URL_V2) == 5
    barcode = decode_qr(open_png(render_png(URL_V2)))
    assert barcode.text == URL_V2
    assert barcode.extra["Version"] == "5"  # what the decoder itself read from the symbol
    assert barcode.ec_level == "M"
    assert open_png(render_png(URL_V2, scale=1)).size == (37 + 2 * 4, 37 + 2 * 4)  # 37 modules


@pytest.mark.parametrize(
    ("serial", "key_number"),
    [(1, 1), (120_000, 1), (10**9, 24), (2**35 - 1, 127), (2**28 - 1, 2**14 - 1)],
)
def test_version_2_codes_stay_at_qr_version_5_over_the_realistic_range(
    serial: int, key_number: int
) -> None:
    url = code_url(BASE_URL_30, encode_code_token(serial, key_number, BLS_KEY))
    assert qr_version(url) <= 5
    assert qr_version(code_url("http://127.0.0.1:8000", encode_code_token(
        serial, key_number, BLS_KEY))) <= 5


def test_version_2_beyond_its_range_falls_back_to_version_6() -> None:
    # The documented limit: 2**35 needs a sixth serial byte (90 characters).
    assert qr_version(code_url(BASE_URL_30, encode_code_token(2**35, 1, BLS_KEY))) == 6
    assert qr_version(code_url(BASE_URL_30, encode_code_token(2**63 - 1, 2**31 - 1, BLS_KEY))) == 6


def test_version_1_code_behind_a_30_character_base_is_qr_version_6_at_level_m() -> None:
    # Version 5-M holds 122 alphanumeric characters; an Ed25519 signature alone is 103 base32
    # characters, so with "<30-char base>/C/" version 6 (41 x 41 modules) is the floor.
    assert len(BASE_URL_30) == 30
    assert len(URL) == 150
    assert qr_version(URL) == 6


def test_upper_case_url_uses_the_compact_alphanumeric_mode() -> None:
    # The same 150 characters in byte mode need version 8; the 121 of version 2, version 7.
    assert qr_version(URL.lower()) == 8
    assert qr_version(URL) < qr_version(URL.lower())
    assert qr_version(URL_V2.lower()) == 7


def test_default_development_base_url_also_fits_version_6() -> None:
    assert qr_version(code_url("http://127.0.0.1:8000", encode_code_token(2**40, 255, KEY))) == 6


# --- PNG ----------------------------------------------------------------------------------------


def test_png_decodes_back_to_the_exact_url() -> None:
    assert decode_all(open_png(render_png(URL))) == [URL]


def test_png_survives_a_simulated_phone_photo() -> None:
    image = open_png(render_png(URL)).convert("L")
    width = 200
    photo = image.resize((width, width), Image.Resampling.LANCZOS).filter(
        ImageFilter.GaussianBlur(radius=1)
    )
    assert decode_all(photo) == [URL]


def test_png_size_is_modules_times_scale_with_a_white_quiet_zone() -> None:
    scale = 5
    image = open_png(render_png(URL, scale=scale)).convert("L")
    modules = 17 + 4 * 6 + 2 * 4
    assert image.size == (modules * scale, modules * scale)
    quiet = 4 * scale
    side = image.width
    for box in ((0, 0, side, quiet), (0, side - quiet, side, side), (0, 0, quiet, side)):
        assert image.crop(box).getextrema() == (255, 255)
    assert image.getextrema() == (0, 255)


def test_png_wider_border_is_honoured() -> None:
    assert open_png(render_png(URL, scale=1, border=10)).size == (41 + 20, 41 + 20)


@pytest.mark.parametrize("scale", [0, -1, MAX_SCALE + 1, 1000])
def test_scale_out_of_range_is_refused(scale: int) -> None:
    with pytest.raises(ValueError):
        render_png(URL, scale=scale)
    with pytest.raises(ValueError):
        render_svg(URL, scale=scale)


@pytest.mark.parametrize("border", [0, 3, 41])
def test_quiet_zone_narrower_than_4_modules_is_refused(border: int) -> None:
    with pytest.raises(ValueError):
        render_png(URL, border=border)
    with pytest.raises(ValueError):
        render_svg(URL, border=border)


@pytest.mark.parametrize("url", ["", "HTTPS://X.CN/" + "A" * 600])
def test_empty_or_oversized_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        render_png(url)


# --- SVG ----------------------------------------------------------------------------------------


def svg_modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    root = ET.fromstring(svg)
    n = int(root.attrib["viewBox"].split()[2])
    path = root.find(f"{SVG_NS}path")
    assert path is not None
    dark: set[tuple[int, int]] = set()
    for x, y, run in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path.attrib["d"]):
        dark.update((int(x) + i, int(y)) for i in range(int(run)))
    return n, dark


def test_svg_is_well_formed_with_a_module_viewbox_and_pixel_size() -> None:
    svg = render_svg(URL, scale=10)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert root.attrib["viewBox"] == "0 0 49 49"
    assert (root.attrib["width"], root.attrib["height"]) == ("490", "490")


def test_svg_draws_the_same_modules_as_the_png() -> None:
    n, dark = svg_modules(render_svg(URL))
    png = open_png(render_png(URL, scale=1)).convert("L")
    assert png.size == (n, n)
    png_dark = {(x, y) for y in range(n) for x in range(n) if png.getpixel((x, y)) == 0}
    assert dark == png_dark


# --- text fitting (posters: test_poster.py) ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "淮南市八公山豆腐牛肉汤餐饮管理有限公司",
        "Huainan Beef Soup (Longhu Road) Catering Management Company Limited",
        "A" * 300,
        "信用，" * 40,
        "",
    ],
)
def test_fitted_text_never_exceeds_its_width_or_line_count(text: str) -> None:
    block = fit_text(text, max_width=600, max_lines=2, largest=64, smallest=32)
    font = cjk_font(block.size)
    assert len(block.lines) <= 2
    assert all(font.getlength(line) <= 600 for line in block.lines)
    assert 32 <= block.size <= 64


def test_line_breaks_keep_closing_punctuation_off_the_line_start() -> None:
    block = fit_text("信用，" * 40, max_width=300, max_lines=20, largest=40, smallest=40)
    assert len(block.lines) > 1
    assert not any(line.startswith("，") for line in block.lines)


# --- Chinese glyphs, not tofu -------------------------------------------------------------------


def test_bundled_font_is_the_simplified_chinese_face() -> None:
    face = cjk_font_face()
    assert face.path.is_file()
    assert cjk_font(40).getname()[0] == CJK_FAMILY


def test_chinese_characters_render_as_distinct_glyphs_not_tofu() -> None:
    font = cjk_font(48)
    # U+10FFFD is a private-use code point no font maps, so it shows the .notdef "tofu" box.
    notdef = bytes(font.getmask("\U0010fffd"))
    characters = "诚信码扫查看实时用门店编号淮南牛肉汤"
    bitmaps = {}
    for character in characters:
        bitmap = bytes(font.getmask(character))
        assert any(bitmap), character
        assert bitmap != notdef, character
        bitmaps[character] = bitmap
    assert len(set(bitmaps.values())) == len(characters)
