"""Login, refresh-token rotation, claim codes and visit proofs on a database connection."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

import asyncpg

from xinyi_api import audit
from xinyi_api.auth.guards import ensure_region
from xinyi_api.auth.tokens import Principal, issue_token
from xinyi_api.codes.hooks import ScanEvent
from xinyi_api.consumers import ratelimit, schemas
from xinyi_api.consumers.context import current_address
from xinyi_api.consumers.identity import AccountRole, keyed_hash, pseudonym, token_hash
from xinyi_api.db.queries import Queries
from xinyi_api.errors import NotFound, Unauthorized, Unprocessable
from xinyi_api.keys import KeyStore
from xinyi_api.settings import Settings

q = Queries.beside(__file__)

REFRESH_PREFIX = "rt_"
CLAIM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone
CLAIM_GROUPS = 4
_CLAIM_LABEL = b"xinyi-api/claim-code/v1"


# --- tokens ---------------------------------------------------------------------------------


async def _issue_pair(conn: asyncpg.Connection, keys: KeyStore, settings: Settings,
                      account_id: str, role: AccountRole, family: uuid.UUID,
                      now: datetime) -> schemas.TokenPair:
    refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
    await conn.execute(q.insert_refresh, token_hash(refresh), family, account_id, role,
                       settings.refresh_token_ttl)
    await keys.signing_key(conn, "access")  # never sign with a key retired since the last reload
    access = issue_token(keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                         subject=account_id, role=role, ttl_seconds=settings.access_token_ttl,
                         now=now)
    return schemas.TokenPair(access_token=access, expires_in=settings.access_token_ttl,
                             refresh_token=refresh, refresh_expires_in=settings.refresh_token_ttl,
                             subject=account_id, role=role)


async def login(conn: asyncpg.Connection, keys: KeyStore, settings: Settings, role: AccountRole,
                openid: str, *, endpoint: str, now: datetime) -> schemas.TokenPair:
    """Log in the holder of ``openid`` (already verified) as ``role``: a new token family."""
    account_id = pseudonym(settings.secret_key, role, openid)
    await ratelimit.hit(conn, settings, {"login": account_id})
    async with conn.transaction():
        await conn.execute(q.upsert_account, account_id, role)
        pair = await _issue_pair(conn, keys, settings, account_id, role, uuid.uuid4(), now)
        await audit.append(conn, Principal(sub=account_id, role=role), action="auth.login",
                           endpoint=endpoint)
    return pair


async def refresh(conn: asyncpg.Connection, keys: KeyStore, settings: Settings, token: str,
                  *, endpoint: str, now: datetime) -> schemas.TokenPair:
    """Rotate a refresh token. A token used before revokes its whole family (stolen copy)."""
    reused = False
    async with conn.transaction():
        row = await conn.fetchrow(q.refresh_for_update, token_hash(token))
        if row is None:
            raise Unauthorized("unknown refresh token; log in again", slug="invalid-refresh-token")
        if row["revoked_at"] is not None:
            raise Unauthorized("this refresh token was revoked; log in again",
                               slug="refresh-token-revoked")
        principal = Principal(sub=row["account_id"], role=row["role"])
        if row["used_at"] is not None:
            # Reuse: either the client or a thief holds a stale copy. Both lose the family.
            await conn.execute(q.revoke_family, row["family_id"])
            await audit.append(conn, principal, action="auth.refresh_reused", endpoint=endpoint)
            reused = True
        elif row["expired"]:
            raise Unauthorized("the refresh token has expired; log in again",
                               slug="refresh-token-expired")
        else:
            await conn.execute(q.mark_refresh_used, row["token_hash"])
            pair = await _issue_pair(conn, keys, settings, row["account_id"], row["role"],
                                     row["family_id"], now)
            await audit.append(conn, principal, action="auth.refresh", endpoint=endpoint)
    if reused:  # raised after the commit, so the revocation stays
        raise Unauthorized("this refresh token was already used: every token of this login "
                           "is now revoked; log in again", slug="refresh-token-reused")
    return pair


async def logout(conn: asyncpg.Connection, token: str, *, endpoint: str) -> None:
    """Revoke the family of ``token`` (all refresh tokens of that login)."""
    async with conn.transaction():
        row = await conn.fetchrow(q.refresh_for_update, token_hash(token))
        if row is None:
            raise Unauthorized("unknown refresh token", slug="invalid-refresh-token")
        await conn.execute(q.revoke_family, row["family_id"])
        await audit.append(conn, Principal(sub=row["account_id"], role=row["role"]),
                           action="auth.logout", endpoint=endpoint)


# --- claims 认领 ------------------------------------------------------------------------------


def _normalise_claim(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


async def issue_claim_code(conn: asyncpg.Connection, settings: Settings, principal: Principal,
                           enterprise_id: str, valid_days: int, *,
                           endpoint: str) -> schemas.ClaimCode:
    """A one-time code a department hands to the enterprise's legal representative."""
    groups = ["".join(secrets.choice(CLAIM_ALPHABET) for _ in range(4))
              for _ in range(CLAIM_GROUPS)]
    code = "-".join(groups)
    async with conn.transaction():
        subject = await conn.fetchrow(q.enterprise_for_claim, enterprise_id)
        if subject is None or subject["type"] == "store":
            raise NotFound(f"no enterprise {enterprise_id}")
        ensure_region(principal, subject["region_code"])
        expires_at: datetime = await conn.fetchval(
            q.insert_claim_code, keyed_hash(settings.secret_key, _CLAIM_LABEL,
                                            _normalise_claim(code)),
            enterprise_id, principal.department or principal.sub, valid_days)
        await audit.append(conn, principal, action="claim_code.issue", subject_id=enterprise_id,
                           endpoint=endpoint, detail={"valid_days": valid_days})
    return schemas.ClaimCode(enterprise_id=enterprise_id, code=code, expires_at=expires_at)


async def claim(conn: asyncpg.Connection, settings: Settings, principal: Principal, code: str,
                *, endpoint: str) -> schemas.MerchantEnterprise:
    """Use a claim code: link the merchant to its enterprise (merchant_links)."""
    await ratelimit.hit(conn, settings, {"claim": principal.sub})
    digest = keyed_hash(settings.secret_key, _CLAIM_LABEL, _normalise_claim(code))
    async with conn.transaction():
        enterprise_id = await conn.fetchval(q.use_claim_code, digest, principal.sub)
        if enterprise_id is None:
            raise Unprocessable("this claim code is unknown, used or expired",
                                slug="invalid-claim-code")
        await conn.execute(q.link_merchant, principal.sub, enterprise_id)
        await audit.append(conn, principal, action="merchant.claim", subject_id=enterprise_id,
                           endpoint=endpoint)
    return next(e for e in await merchant_enterprises(conn, principal.sub)
                if e.id == enterprise_id)


async def merchant_enterprises(conn: asyncpg.Connection,
                               merchant_id: str) -> list[schemas.MerchantEnterprise]:
    out = []
    for r in await conn.fetch(q.merchant_enterprises, merchant_id):
        stores = r["stores"]
        if isinstance(stores, str):  # json (not jsonb) comes back as text
            stores = json.loads(stores)
        out.append(schemas.MerchantEnterprise(
            id=r["id"], name=r["name"], type=r["type"], uscc=r["uscc"],
            region_code=r["region_code"], industry=r["industry"], linked_at=r["linked_at"],
            stores=[schemas.MerchantStore(**s) for s in stores]))
    return out


# --- visit proofs 到店证明 (the on-scan hook) --------------------------------------------------

ScanHook = Callable[[Principal, ScanEvent], Awaitable[Mapping[str, Any] | None]]


def visit_hook(state: Any) -> ScanHook:
    """An on-scan hook (``app.state.scan_hooks``): a consumer's scan of a store records a visit
    proof (consumer, store, time) that lets them rate it or complain for the visit window.

    Logged-in scans are rate-limited per consumer and per client address.
    """

    async def on_scan(principal: Principal, event: ScanEvent) -> Mapping[str, Any] | None:
        if principal.role != "consumer" or event.subject_type != "store":
            return None
        settings: Settings = state.settings
        pool: asyncpg.Pool = state.db.write
        async with pool.acquire() as conn:
            await ratelimit.hit(conn, settings, {"scan": principal.sub,
                                                 "scan_address": current_address()})
            async with conn.transaction():
                valid_until = await conn.fetchval(q.touch_visit, principal.sub, event.subject_id,
                                                  settings.visit_window_hours)
                await audit.append(conn, principal, action="visit.record",
                                   subject_id=event.subject_id,
                                   endpoint=f"scan:{event.channel}")
        return {"visit_proof": {"store_id": event.subject_id,
                                "valid_until": valid_until.isoformat()},
                "can_rate": True}

    return on_scan

