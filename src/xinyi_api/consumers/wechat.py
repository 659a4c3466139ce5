"""WeChat mini-program login 小程序登录: exchange a ``wx.login`` code at ``jscode2session``.

``GET {XINYI_WECHAT_API_BASE}/sns/jscode2session?appid=…&secret=…&js_code=…&grant_type=
authorization_code`` answers ``{"openid": …, "session_key": …}`` or ``{"errcode": …,
"errmsg": …}``. Only the openid is used (and only to derive the pseudonymous id); the
``session_key`` is discarded at once.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from xinyi_api.errors import AppError, ServiceUnavailable, TooManyRequests, Unauthorized
from xinyi_api.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
INVALID_CODE_ERRCODES = frozenset({40029, 40163, 40226})
"""invalid code, code already used, user blocked as high-risk."""
BUSY_ERRCODES = frozenset({45011})
"""WeChat's own per-user frequency limit."""


class BadGateway(AppError):
    """WeChat answered with an error we cannot attribute to the caller."""

    status_code = 502
    slug = "wechat-error"
    title = "Upstream error"


async def exchange_code(settings: Settings, code: str) -> str:
    """The openid of the user who produced ``code``; raise an ``AppError`` saying why not."""
    if settings.wechat_appid is None or settings.wechat_secret is None:
        raise ServiceUnavailable("WeChat login is not configured on this server "
                                 "(XINYI_WECHAT_APPID / XINYI_WECHAT_SECRET)",
                                 slug="wechat-not-configured")
    params = {"appid": settings.wechat_appid, "secret": settings.wechat_secret,
              "js_code": code, "grant_type": "authorization_code"}
    url = settings.wechat_api_base.rstrip("/") + "/sns/jscode2session"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            response = await client.get(url, params=params)
        # WeChat labels its JSON text/plain: parse the body whatever the content type says.
        body: Any = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("jscode2session failed: %s", type(exc).__name__)
        raise BadGateway("WeChat could not be reached; try again", slug="wechat-unavailable"
                         ) from None
    if not isinstance(body, dict):
        raise BadGateway("WeChat answered something unexpected")
    errcode = body.get("errcode") or 0
    if errcode in INVALID_CODE_ERRCODES:
        raise Unauthorized("the login code is invalid, expired or already used; call wx.login "
                           "again", slug="invalid-wechat-code")
    if errcode in BUSY_ERRCODES:
        raise TooManyRequests("WeChat limits logins of this user; try again in a minute",
                              headers={"Retry-After": "60"})
    openid = body.get("openid")
    if errcode or not isinstance(openid, str) or not openid:
        log.warning("jscode2session errcode %s", errcode)
        raise BadGateway(f"WeChat refused the login (errcode {errcode})")
    return openid
