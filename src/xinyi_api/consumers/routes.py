"""HTTP endpoints of login (小程序登录), refresh tokens and enterprise claims (认领).

The consumer's own data (我的评价 / 我的投诉 / 导出) is ``xinyi_api.me``, which sits above this
package and the ratings and personal-credit packages it gathers from."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody, PathParameter

from xinyi_api import audit
from xinyi_api.auth.guards import requires
from xinyi_api.auth.tokens import Principal
from xinyi_api.consumers import ratelimit, schemas, service, wechat
from xinyi_api.consumers.context import current_address
from xinyi_api.deps import DB, SettingsDep
from xinyi_api.errors import (
    Forbidden,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)
from xinyi_api.keys import KeyStore
from xinyi_api.state import platform_of

AUTH_TAG = "consumers 消费者与经营者"
GUARDED = [Unauthorized, Forbidden]
Req = Request[Principal, Any, Any]
ENTERPRISE_ID = PathParameter(pattern=r"^E[0-9]{8}$", description="enterprise id")
RATING_ID = PathParameter(pattern=r"^T[0-9]{10}$", description="rating id")
COMPLAINT_ID = PathParameter(pattern=r"^Q[0-9]{10}$", description="complaint id")


def _keys(request: Req) -> KeyStore:
    keys: KeyStore = platform_of(request.app).key_store
    return keys


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = (AUTH_TAG,)

    @post(
        "/wechat",
        summary="Log in from the mini-program with a wx.login code (小程序登录)",
        description="Exchanges the code at WeChat's `jscode2session` and derives a pseudonymous "
        "account id (HMAC-SHA256 of the openid under a key derived from `XINYI_SECRET_KEY`; "
        "the openid itself is not stored). `as`: `consumer` (default) or `merchant` — a "
        "different id for the same person. Returns a short-lived access JWT "
        "(`XINYI_ACCESS_TOKEN_TTL`) and a rotating refresh token. 401 `invalid-wechat-code`, "
        "502 when WeChat fails, 503 `wechat-not-configured` without "
        "`XINYI_WECHAT_APPID`/`XINYI_WECHAT_SECRET`. Rate-limited per address and account.",
        raises=[Unauthorized, TooManyRequests, ServiceUnavailable, wechat.BadGateway],
        status_code=200,
    )
    async def wechat_login(
        self, request: Req, data: JSONBody[schemas.WechatLogin], db: DB, settings: SettingsDep,
    ) -> schemas.TokenPair:
        await ratelimit.hit(db.write, settings, {"login_address": current_address()})
        openid = await wechat.exchange_code(settings, data.code)
        async with db.write.acquire() as conn:
            return await service.login(conn, _keys(request), settings, data.as_, openid,
                                       endpoint=audit.endpoint_of(request),
                                       now=platform_of(request.app).clock.now())

    @post(
        "/dev-login",
        summary="Development login without WeChat (demo mode only)",
        description="**Only when the server runs in demo mode (`XINYI_DEMO=true` / `serve "
        "--demo`); otherwise this endpoint answers 404 as if it did not exist.** Logs in the "
        "pseudonymous account derived from `name` as if it were an openid, as consumer or "
        "merchant, with the same tokens as the WeChat login.",
        raises=[NotFound, TooManyRequests],
        status_code=200,
    )
    async def dev_login(
        self, request: Req, data: JSONBody[schemas.DevLogin], db: DB, settings: SettingsDep,
    ) -> schemas.TokenPair:
        if not settings.demo:
            raise NotFound("no such endpoint")
        await ratelimit.hit(db.write, settings, {"login_address": current_address()})
        async with db.write.acquire() as conn:
            return await service.login(conn, _keys(request), settings, data.as_,
                                       f"dev:{data.name}", endpoint=audit.endpoint_of(request),
                                       now=platform_of(request.app).clock.now())

    @post(
        "/refresh",
        summary="Trade a refresh token for a new token pair (rotation)",
        description="Each refresh token works once: the answer holds its successor. Presenting "
        "a refresh token that was already used revokes every token of that login (401 "
        "`refresh-token-reused`): a stolen copy dies with the original.",
        raises=[Unauthorized, TooManyRequests],
        status_code=200,
    )
    async def refresh(
        self, request: Req, data: JSONBody[schemas.RefreshRequest], db: DB,
        settings: SettingsDep,
    ) -> schemas.TokenPair:
        await ratelimit.hit(db.write, settings, {"login_address": current_address()})
        async with db.write.acquire() as conn:
            return await service.refresh(conn, _keys(request), settings, data.refresh_token,
                                         endpoint=audit.endpoint_of(request),
                                         now=platform_of(request.app).clock.now())

    @post(
        "/logout",
        summary="Revoke a login (all refresh tokens of its family)",
        description="Access tokens already issued stay valid until they expire (minutes).",
        raises=[Unauthorized],
        status_code=204,
    )
    async def logout(self, request: Req, data: JSONBody[schemas.RefreshRequest], db: DB) -> None:
        async with db.write.acquire() as conn:
            await service.logout(conn, data.refresh_token, endpoint=audit.endpoint_of(request))


class ClaimCodeController(Controller):
    path = "/api/v1/enterprises/{enterprise_id:str}/claim-codes"
    tags = (AUTH_TAG,)

    @post(
        "/",
        guards=[requires("department")],
        summary="Issue a one-time claim code (认领码) for an enterprise",
        description="The code is returned once and stored only as a keyed hash; it expires "
        "after `valid_days` (default 7) and works once. Hand it to the enterprise's legal "
        "representative, who claims the enterprise with it as a merchant. Departments only "
        "inside their region.",
        raises=[*GUARDED, NotFound],
        status_code=201,
    )
    async def issue(
        self, request: Req, enterprise_id: Annotated[str, ENTERPRISE_ID],
        data: JSONBody[schemas.ClaimCodeRequest], db: DB, settings: SettingsDep,
    ) -> schemas.ClaimCode:
        async with db.write.acquire() as conn:
            return await service.issue_claim_code(conn, settings, request.user, enterprise_id,
                                                  data.valid_days,
                                                  endpoint=audit.endpoint_of(request))


class MerchantController(Controller):
    path = "/api/v1/merchant"
    tags = (AUTH_TAG,)

    @post(
        "/claims",
        guards=[requires("merchant")],
        summary="Claim an enterprise with a claim code (认领企业)",
        description="Links the merchant to the enterprise: from then on it manages the "
        "enterprise and its stores (codes, replies, commitments, objections) and nothing "
        "else. 422 `invalid-claim-code` for an unknown, used or expired code; attempts are "
        "rate-limited (429).",
        raises=[*GUARDED, Unprocessable, TooManyRequests],
        status_code=201,
    )
    async def claim(
        self, request: Req, data: JSONBody[schemas.ClaimRequest], db: DB, settings: SettingsDep,
    ) -> schemas.MerchantEnterprise:
        async with db.write.acquire() as conn:
            return await service.claim(conn, settings, request.user, data.code,
                                       endpoint=audit.endpoint_of(request))

    @get(
        "/enterprises",
        guards=[requires("merchant")],
        summary="The enterprises the merchant has claimed, with their stores",
        raises=GUARDED,
    )
    async def enterprises(self, request: Req, db: DB) -> list[schemas.MerchantEnterprise]:
        async with db.write.acquire() as conn:
            return await service.merchant_enterprises(conn, request.user.sub)


CONTROLLERS = [AuthController, ClaimCodeController, MerchantController]
