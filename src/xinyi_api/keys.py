"""Ed25519 signing keys shared by every worker through the database.

Two purposes: ``access`` signs JWTs (service, merchant and consumer tokens) and ``code`` signs the
诚信码 tokens printed on stickers. New signatures always use the newest live key of a purpose;
older live keys keep verifying until an operator retires them (``xinyi-api keys retire KID``).
Every live public key is published at ``/.well-known/jwks.json``.

Each worker keeps the keys in memory and reloads them when it meets an unknown ``kid`` (a key
another worker just created) or when its copy is older than ``REFRESH_SECONDS``, so a rotation
or retirement reaches every worker within that time, with no per-process state of record.
"""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

import asyncpg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from xinyi_api.bls import CIPHERSUITE_ID, BlsPublicKey

Purpose = Literal["access", "code"]
PURPOSES: tuple[Purpose, ...] = ("access", "code")
PublicKey: TypeAlias = Ed25519PublicKey | BlsPublicKey
REFRESH_SECONDS = 30.0
_KEY_LOCK_ID = 7_202_611_002


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    purpose: Purpose
    number: int
    public_key: Ed25519PublicKey
    public_jwk: dict[str, Any]
    encrypted_private: bytes


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


BLS_JWK_CRV: Final = "Bls12381G2"
BLS_JWK_ALG: Final = CIPHERSUITE_ID.decode("ascii")


def public_jwk(kid: str, public_key: PublicKey) -> dict[str, Any]:
    """The JWK publishing ``public_key``: RFC 8037 ``OKP``/``Ed25519`` (``alg`` ``EdDSA``), or for
    BLS ``OKP``/``Bls12381G2`` with ``x`` the 96-byte compressed G2 point
    (draft-ietf-cose-bls-key-representations-03) and ``alg`` the ciphersuite ID."""
    if isinstance(public_key, BlsPublicKey):
        return {"kty": "OKP", "crv": BLS_JWK_CRV, "x": _b64url(public_key.to_bytes()),
                "kid": kid, "alg": BLS_JWK_ALG, "use": "sig"}
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw), "kid": kid, "alg": "EdDSA",
            "use": "sig"}


async def create_key(conn: asyncpg.Connection, purpose: Purpose, secret: str) -> str:
    """Add a new newest key for ``purpose``; return its kid."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret.encode()),
    )
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _KEY_LOCK_ID)
        number = await conn.fetchval(
            "SELECT coalesce(max(number), 0) + 1 FROM signing_keys WHERE purpose = $1", purpose
        )
        kid = f"{purpose}-{number}"
        await conn.execute(
            "INSERT INTO signing_keys (kid, purpose, number, private_pem, public_jwk)"
            " VALUES ($1, $2, $3, $4, $5)",
            kid,
            purpose,
            number,
            pem,
            public_jwk(kid, private.public_key()),
        )
    return kid


async def ensure_keys(conn: asyncpg.Connection, secret: str) -> None:
    """Create the first key of each purpose if there is none (safe with concurrent workers)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _KEY_LOCK_ID)
        present = {
            r["purpose"]
            for r in await conn.fetch(
                "SELECT DISTINCT purpose FROM signing_keys WHERE retired_at IS NULL"
            )
        }
    for purpose in PURPOSES:
        if purpose not in present:
            await create_key(conn, purpose, secret)


async def retire_key(conn: asyncpg.Connection, kid: str) -> bool:
    """Retire ``kid``; refuse to retire the only live key of its purpose."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _KEY_LOCK_ID)
        row = await conn.fetchrow(
            "SELECT purpose FROM signing_keys WHERE kid = $1 AND retired_at IS NULL", kid
        )
        if row is None:
            return False
        live = await conn.fetchval(
            "SELECT count(*) FROM signing_keys WHERE purpose = $1 AND retired_at IS NULL",
            row["purpose"],
        )
        if live <= 1:
            raise ValueError(f"{kid} is the only live {row['purpose']} key; rotate first")
        await conn.execute("UPDATE signing_keys SET retired_at = now() WHERE kid = $1", kid)
    return True


class KeyStore:
    """The live keys, cached per worker and reloaded from the database when stale."""

    def __init__(self, pool: asyncpg.Pool | None, secret: str) -> None:
        self._pool = pool
        self._secret = secret.encode()
        self._keys: dict[str, SigningKey] = {}
        self._private: dict[str, Ed25519PrivateKey] = {}
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    async def load(self, conn: asyncpg.Connection | None = None) -> None:
        """Read the live keys (through ``conn`` if given, else from the pool)."""
        query = ("SELECT kid, purpose, number, private_pem, public_jwk FROM signing_keys"
                 " WHERE retired_at IS NULL")
        if conn is not None:
            rows = await conn.fetch(query)
        else:
            assert self._pool is not None, "a KeyStore without a pool must be given a connection"
            async with self._pool.acquire() as pooled:
                rows = await pooled.fetch(query)
        keys: dict[str, SigningKey] = {}
        for r in rows:
            jwk = r["public_jwk"]
            raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
            keys[r["kid"]] = SigningKey(
                kid=r["kid"],
                purpose=r["purpose"],
                number=r["number"],
                public_key=Ed25519PublicKey.from_public_bytes(raw),
                public_jwk=jwk,
                encrypted_private=bytes(r["private_pem"]),
            )
        self._keys = keys
        self._private = {kid: k for kid, k in self._private.items() if kid in keys}
        self._loaded_at = time.monotonic()

    async def refresh_if_stale(self, *, force: bool = False) -> None:
        # A forced refresh (unknown kid) still waits a second between loads, so a flood of
        # tokens with made-up kids cannot turn into a flood of queries.
        min_age = 1.0 if force else REFRESH_SECONDS
        if self._pool is None or time.monotonic() - self._loaded_at < min_age:
            return
        async with self._lock:
            if time.monotonic() - self._loaded_at >= min_age:
                await self.load()

    def newest(self, purpose: Purpose) -> SigningKey:
        candidates = [k for k in self._keys.values() if k.purpose == purpose]
        if not candidates:
            raise LookupError(f"no live {purpose} signing key; run `xinyi-api migrate`")
        return max(candidates, key=lambda k: k.number)

    def private_key(self, key: SigningKey) -> Ed25519PrivateKey:
        private = self._private.get(key.kid)
        if private is None:
            loaded = serialization.load_pem_private_key(key.encrypted_private, self._secret)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise TypeError(f"{key.kid} is not an Ed25519 key")
            private = self._private[key.kid] = loaded
        return private

    def by_kid(self, kid: str) -> SigningKey | None:
        return self._keys.get(kid)

    def by_number(self, purpose: Purpose, number: int) -> SigningKey | None:
        return self._keys.get(f"{purpose}-{number}")

    def public_keys(self, purpose: Purpose) -> dict[int, Ed25519PublicKey]:
        return {k.number: k.public_key for k in self._keys.values() if k.purpose == purpose}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk for k in sorted(self._keys.values(), key=lambda k: k.kid)]}
