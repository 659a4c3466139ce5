"""HTTP endpoints of 诚信码 codes: scan (JSON and H5 page), images, reissue, statistics."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.types import ASGIApp

from xinyi_api import audit
from xinyi_api.auth.guards import requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.codes import h5, render, schemas, service
from xinyi_api.codes.cache import RawResponse
from xinyi_api.codes.examples import scan_profile_example_json
from xinyi_api.codes.images import etag_matches, etag_of, image_key
from xinyi_api.codes.poster import PosterSubject, render_poster_pdf, render_poster_png
from xinyi_api.codes.token import code_key_id
from xinyi_api.deps import DB
from xinyi_api.errors import Conflict, Forbidden, Gone, NotFound, Unauthorized, Unprocessable
from xinyi_api.inputs import PlausibleDate
from xinyi_api.openapi import ALSO_MEDIA_TYPES
from xinyi_api.state import platform_of
from xinyi_api.web import is_head

if TYPE_CHECKING:
    from xinyi_api.codes.cache import CachedProfile
    from xinyi_api.codes.runtime import CodesRuntime
    from xinyi_api.settings import Settings

TAG = "codes 诚信码"
JSON = "application/json"
HTML = "text/html"  # Litestar adds "; charset=utf-8"
HTML_UTF8 = "text/html; charset=utf-8"
JSON_HEADERS = {"Cache-Control": "no-cache"}
SUBJECT_ID = PathParameter(pattern=r"^[ES][0-9]{8}$", description="enterprise or store id")
STORE_ID = PathParameter(pattern=r"^S[0-9]{8}$", description="store id")
ENTERPRISE_ID = PathParameter(pattern=r"^E[0-9]{8}$", description="enterprise id")
# No length or pattern limit here: anything that is not a genuine token must answer 404 (not the
# 400 of a failed parameter check); parse_code_token checks the length before anything else.
TOKEN = PathParameter(description="the code token 码令牌 (base32, case-insensitive)")
SCALE = QueryParameter(description="pixels per QR module: one of "
                       f"{', '.join(map(str, render.SERVED_SCALES))} (default 8); another "
                       "value is 422 `unsupported-image-variant`")
BORDER = QueryParameter(description="quiet zone 静区 in modules: one of "
                        f"{', '.join(map(str, render.SERVED_BORDERS))} (default 4)")
IMAGE_CACHE_CONTROL = "public, max-age=86400"
POSTER_CACHE_CONTROL = "public, max-age=300"
H5_HEADERS = {
    # Nothing to load from anywhere: inline CSS only, no scripts, no frames.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
SCAN_ERRORS = [NotFound, Gone]


def _runtime(request: Request[Any, Any, Any]) -> CodesRuntime:
    runtime = platform_of(request.app).codes
    assert runtime is not None
    return runtime


# --- scan -----------------------------------------------------------------------------------


@get(
    "/api/v1/scan/{token:str}",
    summary="Scan a 诚信码: the subject's live public credit profile",
    description="For the mini-program. Checks the token (version 2: BLS; version 1: Ed25519) "
    "against the code it was issued for, then returns the subject "
    "and store, the closed flag, the live public grade with its date and the indicators that "
    "moved it, the public records inside their display period (公示期), consumer ratings and "
    "the badges scenarios attach. 404 `unknown-code` for a forged, damaged or unknown token; "
    "410 `code-replaced` for a code that was reissued. Anonymous scans store nothing but a "
    "per-day count; a logged-in consumer's scan runs the on-scan hooks (`personal`).",
    tags=[TAG],
    raises=SCAN_ERRORS,
    responses={200: ResponseSpec(
        schemas.ScanProfile, description="the public profile", generate_examples=False,
        examples=[Example(summary="a B-graded beef-soup store with one penalty on file",
                          value=scan_profile_example_json())])},
    media_type=JSON,
)
async def scan(token: Annotated[str, TOKEN], request: Request[Principal, Any, Any]) -> ASGIApp:
    # The hot path: on a cache hit this is a digest look-up, a dict look-up, a counter
    # increment and a response whose bytes were encoded when the profile was loaded.
    runtime = _runtime(request)
    today = runtime.clock.today()
    entry = await runtime.resolve(token, today)
    if is_head(request):  # HEAD is not a scan: no count, no visit proof
        return entry.json_response or RawResponse.of(entry.json, JSON, headers=JSON_HEADERS)
    runtime.counter.add(entry.subject_id, today)
    if runtime.hooks:
        personal = await runtime.personalise(entry, request.user, "api")
        if personal is not None:
            return RawResponse.of(service.encode_profile(personal), JSON, headers=JSON_HEADERS)
    response = entry.json_response
    if response is None:
        response = entry.json_response = RawResponse.of(entry.json, JSON, headers=JSON_HEADERS)
    return response


async def _h5(token: Annotated[str, TOKEN], request: Request[Principal, Any, Any]) -> ASGIApp:
    runtime = _runtime(request)
    programme = runtime.settings.programme_name
    today = runtime.clock.today()
    try:
        entry = await runtime.resolve(token, today, page=True)
    except Gone:
        return RawResponse.of(h5.render_problem_page("replaced", programme), HTML_UTF8,
                           status=410, headers=H5_HEADERS)
    except NotFound:
        return RawResponse.of(h5.render_problem_page("unknown", programme), HTML_UTF8,
                           status=404, headers=H5_HEADERS)
    assert entry.status == "active"
    head = is_head(request)  # HEAD is not a scan: no count, no visit proof
    if not head:
        runtime.counter.add(entry.subject_id, today)
    personal = await runtime.personalise(entry, request.user, "h5") \
        if runtime.hooks and not head else None
    if personal is not None:
        return RawResponse.of(h5.render_profile_page(personal, programme), HTML_UTF8,
                           headers=H5_HEADERS)
    response = entry.html_response
    if response is None:
        page = entry.html  # stored with the profile: nothing to decode or render
        if page is None:
            profile = entry.profile
            assert profile is not None
            page = h5.render_profile_page(profile, programme)
        response = entry.html_response = RawResponse.of(page, HTML_UTF8, headers=H5_HEADERS)
        runtime.profiles.resized(entry)
    return response


def _base_path(settings: Settings) -> str:
    return urlsplit(settings.public_base_url).path.rstrip("/")


def h5_route_handlers(settings: Settings) -> list[HTTPRouteHandler]:
    """The H5 page at ``/c/{token}`` and ``/C/{token}`` (the QR holds the upper-case form).

    When ``PUBLIC_BASE_URL`` has a path (``https://host/x``), the page is also served under
    that path in both cases (``/x/c/…``, ``/X/C/…``), for deployments where the proxy does not
    strip it.
    """
    base = _base_path(settings)
    lower = ["/c/{token:str}"] + ([f"{base.lower()}/c/{{token:str}}"] if base else [])
    upper = ["/C/{token:str}"] + ([f"{base.upper()}/C/{{token:str}}"] if base else [])
    if base and base != base.lower() and base != base.upper():
        lower.append(f"{base}/c/{{token:str}}")
    common: dict[str, Any] = {"media_type": HTML}
    page = get(
        lower,
        summary="The H5 page a phone camera opens (扫码页)",
        description="Server-rendered HTML (Chinese, mobile-first, no JavaScript, no external "
        "assets). A forged or unknown code gets a friendly page with status 404, a replaced one "
        "with 410. The same page is served at `/C/{token}`: the QR holds the URL in upper case.",
        tags=[TAG],
        name="code-h5",
        responses={
            200: ResponseSpec(str, media_type=HTML_UTF8, description="the profile page",
                              generate_examples=False),
            404: ResponseSpec(str, media_type=HTML_UTF8, generate_examples=False,
                              description="无法识别的诚信码: forged, damaged or unknown code"),
            410: ResponseSpec(str, media_type=HTML_UTF8, generate_examples=False,
                              description="此诚信码已被替换: the code was reissued"),
        },
        **common,
    )(_h5)
    page_upper = get(upper, include_in_schema=False, name="code-h5-upper", **common)(_h5)
    return [page, page_upper]


# --- images ---------------------------------------------------------------------------------


NOT_MODIFIED = ResponseSpec(None, generate_examples=False,
                            description="Not Modified: `If-None-Match` names the current ETag; "
                            "the cached image is still right")
_IMAGE_FILE = re.compile(r"^(?P<token>[^.]{1,200})\.(?P<ext>png|svg)$")


def _served(name: str, value: int, allowed: tuple[int, ...]) -> None:
    """Only the documented variants: each is rendered once per code and then cached, so no
    query string can make the server render something new (docs/codes.md)."""
    if value not in allowed:
        listed = ", ".join(map(str, allowed))
        raise Unprocessable(f"{name} must be one of {listed}, got {value}",
                            slug="unsupported-image-variant", parameter=name,
                            allowed=list(allowed))


POSTER_FORMATS = ("png", "pdf")
POSTER_SIZES = ("A5", "A4")


def _served_text(name: str, value: str, allowed: tuple[str, ...]) -> None:
    """As ``_served``, for the poster's ``format`` and ``size``."""
    if value not in allowed:
        raise Unprocessable(f"{name} must be one of {', '.join(allowed)}, got {value[:20]!r}",
                            slug="unsupported-image-variant", parameter=name,
                            allowed=list(allowed))


def _image_response(
    data: bytes, etag: str, media_type: str, cache_control: str
) -> Response[bytes]:
    return Response(data, media_type=media_type,
                    headers={"ETag": etag, "Cache-Control": cache_control})


def _not_modified(etag: str, cache_control: str) -> Response[bytes]:
    return Response(b"", status_code=304, headers={"ETag": etag, "Cache-Control": cache_control})


class CodeImageController(Controller):
    path = "/api/v1/codes"
    tags = (TAG,)

    @get(
        "/{file:str}",
        summary="The QR image of a code: `{token}.png` or `{token}.svg`",
        description="Black on white, error correction M, quiet zone of at least 4 modules. "
        "Only the documented variants are served (`scale` 4, 8, 16 or 32; `border` 4 or 8), "
        "anything else is 422 `unsupported-image-variant` naming the parameter; for other sizes "
        "use the SVG. Content-addressed: the ETag is the same on every server for the same "
        "image, and `If-None-Match` gets a 304. 404 for a malformed or forged token, 410 for a "
        "replaced code.",
        raises=[*SCAN_ERRORS, Unprocessable],
        responses={200: ResponseSpec(bytes, media_type="image/png", description="PNG or SVG",
                                     generate_examples=False),
                   304: NOT_MODIFIED},
    )
    async def image(
        self,
        request: Request[Any, Any, Any],
        file: Annotated[str, PathParameter(description="`{token}.png` or `{token}.svg`")],
        scale: Annotated[int, SCALE] = 8,
        border: Annotated[int, BORDER] = 4,
    ) -> Response[bytes]:
        match = _IMAGE_FILE.fullmatch(file)
        if match is None:
            raise NotFound("ask for {token}.png or {token}.svg", slug="unknown-code")
        _served("scale", scale, render.SERVED_SCALES)
        _served("border", border, render.SERVED_BORDERS)
        runtime = _runtime(request)
        entry = await runtime.resolve(match["token"], runtime.clock.today())
        url = _url_of(runtime, entry)
        ext = match["ext"]
        key = image_key(ext, url, scale, border)
        etag = etag_of(key)
        if etag_matches(request.headers.get("if-none-match"), etag):
            return _not_modified(etag, IMAGE_CACHE_CONTROL)
        if ext == "png":
            data = await runtime.renderer.get(
                key, lambda: render.render_png(url, scale=scale, border=border))
            return _image_response(data, etag, "image/png", IMAGE_CACHE_CONTROL)
        data = await runtime.renderer.get(
            key, lambda: render.render_svg(url, scale=scale, border=border).encode())
        return _image_response(data, etag, "image/svg+xml", IMAGE_CACHE_CONTROL)

    @get(
        ["/{token:str}/poster.png", "/{token:str}/poster.pdf", "/{token:str}/poster"],
        summary="A printable poster 海报 of a code: 300 dpi PNG or vector PDF, A5 or A4",
        description="The programme name and 一企一码 / 一店一档, the QR, how to scan it "
        "(微信扫一扫 · 手机相机扫码), the name and the identifier to check it by — "
        "统一社会信用代码 for an enterprise or 个体工商户, 门店编号 and the owning enterprise "
        "for a store — and in the bottom fifth the issuing authority 发证机关 "
        "(`XINYI_ISSUING_AUTHORITY`); never a grade (grades are live; paper is not). "
        "`poster.png` / `poster.pdf` choose the format by name, `poster?format=png|pdf` by "
        "parameter; `size` is `A5` (default) or `A4`. The PNG is 300 dpi (A5 1748 x 2480 px, "
        "A4 2480 x 3508 px); the PDF one page of that size with the QR as vector modules and the "
        "text in an embedded subset of Noto Sans CJK SC. Any other size or format is 422 "
        "`unsupported-image-variant`. A closed business (已歇业) gets no poster: 409 "
        "`subject-closed`. ETag and `If-None-Match` as for the QR images; the ETag changes "
        "when a name changes.",
        raises=[*SCAN_ERRORS, Conflict, Unprocessable],
        responses={200: ResponseSpec(bytes, media_type="image/png",
                                     description="PNG (image/png) or PDF (application/pdf)",
                                     generate_examples=False),
                   304: NOT_MODIFIED},
        opt={ALSO_MEDIA_TYPES: {200: ("application/pdf",)}},
    )
    async def poster(
        self, request: Request[Any, Any, Any], token: Annotated[str, TOKEN],
        size: Annotated[str, QueryParameter(description="paper size: `A5` (default) or `A4`"
                                            )] = "A5",
        format_: Annotated[str | None, QueryParameter(
            name="format", description="`png` or `pdf`; on `poster.png` / `poster.pdf` it "
            "may only repeat the name's format")] = None,
    ) -> Response[bytes]:
        named = request.url.path.rsplit(".", 1)[1] if request.url.path.endswith(
            (".png", ".pdf")) else None
        fmt = (format_ or named or "png").lower()
        _served_text("format", fmt, POSTER_FORMATS if named is None or fmt == named
                     else (named,))
        paper = size.upper()
        _served_text("size", paper, POSTER_SIZES)
        runtime = _runtime(request)
        entry = await runtime.resolve(token, runtime.clock.today())
        profile = entry.profile
        assert profile is not None
        if profile.closed:
            raise Conflict(f"{profile.subject_id} is closed (已歇业); a closed business gets no "
                           "poster", slug="subject-closed")
        settings = runtime.settings
        subject = PosterSubject(
            url=_url_of(runtime, entry), kind=profile.subject_type,
            subject_id=profile.subject_id, name=profile.name,
            enterprise_name=profile.enterprise.name, uscc=profile.enterprise.uscc,
            programme_name=settings.programme_name, authority=settings.issuing_authority)
        key = image_key("poster-2", fmt, paper, subject.url, subject.kind, subject.subject_id,
                        subject.name, subject.enterprise_name, subject.uscc,
                        subject.programme_name, subject.authority)
        etag = etag_of(key)
        if etag_matches(request.headers.get("if-none-match"), etag):
            return _not_modified(etag, POSTER_CACHE_CONTROL)
        if fmt == "pdf":
            created = runtime.clock.now()
            data = await runtime.renderer.get(
                key, lambda: render_poster_pdf(subject, size=paper, created_at=created))
            return _image_response(data, etag, "application/pdf", POSTER_CACHE_CONTROL)
        data = await runtime.renderer.get(key, lambda: render_poster_png(subject, size=paper))
        return _image_response(data, etag, "image/png", POSTER_CACHE_CONTROL)

    @post(
        "/{subject_id:str}/reissue",
        guards=[requires("department", "merchant")],
        summary="Reissue a subject's code (重新发码), e.g. after its sticker was copied",
        description="The current code is replaced: scanning it from now on answers 410 "
        "`code-replaced` (the H5 page says the code was replaced), never the business. The new "
        "code has a new serial and is signed with the newest code key. Allowed for a department "
        "covering the subject's region and for a merchant linked to the enterprise (for a "
        "store: its enterprise). A closed subject gets no new code (409).",
        raises=[Unauthorized, Forbidden, NotFound, Conflict],
    )
    async def reissue(
        self, request: Request[Principal, Any, Any], subject_id: Annotated[str, SUBJECT_ID],
        data: JSONBody[schemas.ReissueRequest], db: DB,
    ) -> schemas.CodeInfo:
        runtime = _runtime(request)
        async with db.write.acquire() as conn:
            row = await service.reissue(conn, request.user, subject_id, data.reason,
                                        endpoint=audit.endpoint_of(request))
            # The notification evicts every worker's cache; evicting here too makes this
            # worker's next scan see the change without waiting for it.
            runtime.profiles.invalidate([subject_id])
            return await _code_info(runtime, conn, row)


async def _code_info(runtime: CodesRuntime, conn: Any, row: Any) -> schemas.CodeInfo:
    signer = runtime.signer
    await signer.ensure_key(row["key_number"])
    token = signer.token(row["serial"], row["key_number"])
    if token is None:
        raise Gone(f"the key code-{row['key_number']} of this code was retired; reissue it",
                   slug="code-key-retired")
    prefix = runtime.settings.public_base_url.rstrip("/") + "/api/v1/codes/" + token
    return schemas.CodeInfo(
        subject_id=row["subject_id"], serial=row["serial"],
        key_id=code_key_id(row["key_number"]), token=token,
        code_url=signer.url(row["serial"], row["key_number"]) or "",
        png_url=prefix + ".png", svg_url=prefix + ".svg", poster_url=prefix + "/poster.png",
        issued_at=row["created_at"],
        replaced_serials=await service.replaced_serials(conn, row["subject_id"]),
    )


def _url_of(runtime: CodesRuntime, entry: CachedProfile) -> str:
    """The canonical (upper-case) URL of the entry's code, for the QR."""
    url = runtime.signer.url(entry.serial, entry.key_number)
    if url is None:  # its key was retired between resolve() and here
        raise NotFound("this 诚信码's signing key is no longer live", slug="unknown-code")
    return url


# --- code info and statistics ---------------------------------------------------------------


class CodeInfoController(Controller):
    tags = (TAG,)

    @get(
        "/api/v1/subjects/{subject_id:str}/code",
        summary="A subject's current code and the links to its images",
        description="Public: the code is printed at the counter anyway.",
        raises=[NotFound, Gone],
    )
    async def read(
        self, request: Request[Any, Any, Any], subject_id: Annotated[str, SUBJECT_ID], db: DB
    ) -> schemas.CodeInfo:
        runtime = _runtime(request)
        async with db.read.acquire() as conn:
            row = await service.active_code(conn, subject_id)
            return await _code_info(runtime, conn, row)

    async def _stats(
        self, request: Request[Principal, Any, Any], subject_id: str, db: DB,
        since: date | None, until: date | None,
    ) -> schemas.ScanStats:
        runtime = _runtime(request)
        async with db.read.acquire() as conn:
            return await service.scan_stats(conn, request.user, subject_id, since=since,
                                            until=until, today=runtime.clock.today())

    @get(
        "/api/v1/stores/{store_id:str}/scan-stats",
        guards=[requires("department", "merchant")],
        summary="Scans of a store's code per day (扫码统计)",
        description="For a department covering the store's region or the merchant linked to "
        "its enterprise (another merchant gets 404). Default: the last 30 days; at most 366 "
        "days per request. Counts are written every ~1 s, so the newest scans can lag.",
        raises=[Unauthorized, Forbidden, NotFound, Unprocessable],
    )
    async def store_stats(
        self, request: Request[Principal, Any, Any], store_id: Annotated[str, STORE_ID], db: DB,
        since: Annotated[PlausibleDate | None, QueryParameter(description="first day")] = None,
        until: Annotated[PlausibleDate | None, QueryParameter(description="last day (default "
                                                              "today)")] = None,
    ) -> schemas.ScanStats:
        return await self._stats(request, store_id, db, since, until)

    @get(
        "/api/v1/enterprises/{enterprise_id:str}/scan-stats",
        guards=[requires("department", "merchant")],
        summary="Scans of an enterprise's own code per day (扫码统计)",
        description="As for stores; counts the enterprise's code only, not its stores'.",
        raises=[Unauthorized, Forbidden, NotFound, Unprocessable],
    )
    async def enterprise_stats(
        self, request: Request[Principal, Any, Any],
        enterprise_id: Annotated[str, ENTERPRISE_ID], db: DB,
        since: Annotated[PlausibleDate | None, QueryParameter(description="first day")] = None,
        until: Annotated[PlausibleDate | None, QueryParameter(description="last day (default "
                                                              "today)")] = None,
    ) -> schemas.ScanStats:
        return await self._stats(request, enterprise_id, db, since, until)


def route_handlers(settings: Settings) -> list[Any]:
    """Every handler of this package, for ``create_app``."""
    return [scan, *h5_route_handlers(settings), CodeImageController, CodeInfoController]

