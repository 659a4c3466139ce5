"""The H5 page 扫码页 a phone camera opens: server-rendered, mobile-first, Chinese, no JavaScript.

Rendered with Jinja2 with autoescaping on for every template, so names, titles and reasons typed
by departments and merchants can never inject markup. The page pulls in nothing from elsewhere:
its CSS is inline and it has no scripts, images or fonts to fetch, so it loads on a weak mobile
connection and leaks no visit to third parties.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import jinja2

from xinyi_api.codes.schemas import ScanProfile

ProblemKind = Literal["unknown", "replaced", "unavailable"]

_PROBLEMS: dict[ProblemKind, tuple[str, str, str, str]] = {
    "unknown": (
        "✕",
        "无法识别的诚信码",
        "这个二维码不是有效的诚信码：它可能被仿冒、篡改或印刷不完整。",
        "请勿据此判断商家信用。如怀疑是假冒诚信码，请向当地市场监督管理部门反映。",
    ),
    "replaced": (
        "↻",
        "此诚信码已被替换",
        "该诚信码已作废，经营者已换发新码。您扫描的码不再代表任何商家。",
        "请扫描店内张贴的最新诚信码；如这张旧码仍在使用，请向市场监督管理部门反映。",
    ),
    "unavailable": (
        "…",
        "暂时无法查询",
        "信用信息服务暂时不可用。",
        "请稍后再扫码查询。",
    ),
}


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("xinyi_api.codes", "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_profile_page(profile: ScanProfile, programme: str) -> bytes:
    """The public profile as an HTML page (UTF-8)."""
    template = _environment().get_template("profile.html.j2")
    return template.render(p=profile, programme=programme).encode("utf-8")


STYLE_PLACEHOLDER = b"<style></style>"


@lru_cache(maxsize=1)
def _style() -> bytes:
    """The page's ``<style>`` element: the same on every page (nothing in it is per profile)."""
    page = render_problem_page("unknown", "-")
    start, end = page.index(b"<style>"), page.index(b"</style>") + len(b"</style>")
    return page[start:end]


def compact_page(page: bytes) -> bytes:
    """A rendered page without its style sheet (for storing: it is most of a page's bytes)."""
    style = _style()
    if page.count(style) != 1:
        raise ValueError("not a page of this template")
    return page.replace(style, STYLE_PLACEHOLDER, 1)


def expand_page(stored: bytes) -> bytes:
    """The page ``compact_page`` made smaller, whole again. The placeholder comes first, in the
    head, before anything typed by a user (escaped: it holds no ``<``)."""
    return stored.replace(STYLE_PLACEHOLDER, _style(), 1)


def render_problem_page(kind: ProblemKind, programme: str) -> bytes:
    """The friendly page for a forged / unknown (404) or replaced (410) code."""
    icon, heading, message, hint = _PROBLEMS[kind]
    template = _environment().get_template("problem.html.j2")
    return template.render(
        programme=programme, icon=icon, heading=heading, message=message, hint=hint
    ).encode("utf-8")
