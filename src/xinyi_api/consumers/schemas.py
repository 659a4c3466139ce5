"""Request and response types of consumer/merchant login, claims and the consumer's own data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct, field

from xinyi_api.inputs import SingleLineText

AccountRole = Literal["consumer", "merchant"]


class WechatLogin(Struct, forbid_unknown_fields=True, kw_only=True):
    """小程序登录: the code from ``wx.login`` and whether to log in as consumer or merchant."""

    code: Annotated[str, Meta(min_length=1, max_length=128, pattern=r"^[0-9A-Za-z_\-]+$",
                              examples=["0a3Bc2000xYz9Q1pQ3300k8aD91Bc20b"])]
    as_: AccountRole = field(default="consumer", name="as")


class DevLogin(Struct, forbid_unknown_fields=True, kw_only=True):
    """开发登录 (only with ``XINYI_DEMO``): any name stands in for a WeChat openid."""

    name: Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$",
                              examples=["alice"])]
    as_: AccountRole = field(default="consumer", name="as")


class RefreshRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    refresh_token: Annotated[SingleLineText, Meta(min_length=10, max_length=200)]


class TokenPair(Struct, kw_only=True):
    """A short-lived access token (JWT) and a rotating refresh token (刷新令牌)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: Annotated[int, Meta(description="access token lifetime in seconds")]
    refresh_token: Annotated[str, Meta(description="opaque; use once at /api/v1/auth/refresh")]
    refresh_expires_in: int
    subject: Annotated[str, Meta(description="the pseudonymous account id (c_… or m_…)")]
    role: AccountRole


class ClaimCodeRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    """Issue a one-time claim code 认领码 for an enterprise."""

    valid_days: Annotated[int, Meta(ge=1, le=30)] = 7


class ClaimCode(Struct, kw_only=True):
    """Shown once: only its hash is stored."""

    enterprise_id: str
    code: Annotated[str, Meta(examples=["K7QH-3MZP-XW2A-9TRD"])]
    expires_at: datetime


class ClaimRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    code: Annotated[SingleLineText, Meta(min_length=4, max_length=40,
                                         examples=["K7QH-3MZP-XW2A-9TRD"])]


class MerchantStore(Struct, kw_only=True):
    id: str
    name: str
    closed: bool


class MerchantEnterprise(Struct, kw_only=True):
    """An enterprise the merchant has claimed, with its stores (and nothing else)."""

    id: str
    name: str
    type: str
    uscc: str | None
    region_code: str
    industry: str
    linked_at: datetime
    stores: list[MerchantStore]
