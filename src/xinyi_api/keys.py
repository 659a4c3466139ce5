"""Signing keys shared by every worker through the database.

Two purposes: ``access`` signs JWTs (service, merchant and consumer tokens) with Ed25519, and
``code`` signs the 诚信码 tokens printed on stickers.  New code keys are BLS12-381 keys
(``xinyi_api.bls``: 48-byte signatures, version-2 tokens, QR version 5); the Ed25519 code keys of
earlier releases keep verifying the version-1 tokens they signed until an operator retires them.
New signatures always use the newest live key of a purpose; older live keys keep verifying until
an operator retires them (``xinyi-api keys retire KID``).  Every live public key is published at
``/.well-known/jwks.json``.

Each worker keeps the keys in memory. A rotation or retirement reaches every worker within
``REFRESH_SECONDS`` (30 s, the README's promise), normally within milliseconds:

* a trigger on ``signing_keys`` (``migrations/0005_signing_key_notifications.sql``) sends
  ``NOTIFY xinyi_keys`` on commit, and each worker's ``KeyWatcher`` (one LISTEN connection)
  reloads the keys when it hears it, and again each time it reconnects;
* whatever happens to notifications (a dropped connection, a pooler that does not pass LISTEN
  on), the watcher also reloads every ``REFRESH_SECONDS``;
* a token naming an unknown ``kid`` (a key another worker just created) reloads at once;
* nothing is signed with a key the database no longer has as the newest live one:
  ``KeyStore.signing_key(conn, purpose)`` checks it in the signing transaction and reloads first
  if it changed, so a worker that has not heard of a retirement yet still never signs with the
  retired key.

Private keys are stored encrypted with ``XINYI_SECRET_KEY``: Ed25519 keys as PKCS#8 PEM (PBES2),
BLS keys — which PKCS#8 has no algorithm identifier for — as a PEM block holding the 32-byte
scalar sealed with AES-256-GCM under a scrypt-derived key, the kid as associated data.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from xinyi_api.bls import CIPHERSUITE_ID, BlsPrivateKey, BlsPublicKey

Purpose = Literal["access", "code"]
PURPOSES: tuple[Purpose, ...] = ("access", "code")
Algorithm = Literal["Ed25519", "BLS12381G1"]
"""``signing_keys.algorithm``: Ed25519, or BLS with signatures in G1 (minimal-signature-size)."""
ALGORITHM_FOR: Final[dict[Purpose, Algorithm]] = {"access": "Ed25519", "code": "BLS12381G1"}
"""The algorithm of the keys ``create_key`` makes for each purpose."""
PublicKey: TypeAlias = Ed25519PublicKey | BlsPublicKey
PrivateKey: TypeAlias = Ed25519PrivateKey | BlsPrivateKey
REFRESH_SECONDS = 30.0
CHANNEL: Final = "xinyi_keys"
"""``NOTIFY`` channel of ``signing_keys`` changes (migration 0005)."""
_KEY_LOCK_ID = 7_202_611_002

BLS_JWK_CRV: Final = "Bls12381G2"
BLS_JWK_ALG: Final = CIPHERSUITE_ID.decode("ascii")
_BLS_PEM_LABEL: Final = b"XINYI ENCRYPTED BLS12381 PRIVATE KEY"
_BLS_SEAL_VERSION: Final = 1
_SCRYPT_N: Final = 2**14  # ~45 ms, once per key per worker, in a thread (KeyStore.load)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    purpose: Purpose
    number: int
    algorithm: Algorithm
    public_key: PublicKey
    public_jwk: dict[str, Any]
    encrypted_private: bytes


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


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


def _public_key_from_jwk(algorithm: Algorithm, jwk: dict[str, Any]) -> PublicKey:
    raw = _b64url_decode(jwk["x"])
    if algorithm == "BLS12381G1":
        return BlsPublicKey.from_bytes(raw)
    return Ed25519PublicKey.from_public_bytes(raw)


def _scrypt_key(secret: bytes, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=8, p=1).derive(secret)


def seal_bls_private_key(private: BlsPrivateKey, secret: bytes, kid: str) -> bytes:
    """PEM block ``XINYI ENCRYPTED BLS12381 PRIVATE KEY``: base64 of
    ``0x01 | scrypt salt (16) | AES-GCM nonce (12) | AES-256-GCM(scalar, aad=kid) (48)``."""
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_scrypt_key(secret, salt)).encrypt(nonce, private.to_bytes(), kid.encode())
    body = base64.encodebytes(bytes([_BLS_SEAL_VERSION]) + salt + nonce + sealed)
    return b"-----BEGIN %s-----\n%s-----END %s-----\n" % (_BLS_PEM_LABEL, body, _BLS_PEM_LABEL)


def open_bls_private_key(pem: bytes, secret: bytes, kid: str) -> BlsPrivateKey:
    """Inverse of ``seal_bls_private_key``; ``ValueError`` for a wrong secret, kid or blob."""
    begin, end = b"-----BEGIN %s-----" % _BLS_PEM_LABEL, b"-----END %s-----" % _BLS_PEM_LABEL
    text = pem.strip()
    if not (text.startswith(begin) and text.endswith(end)):
        raise ValueError(f"{kid}: not an encrypted BLS private key")
    blob = base64.decodebytes(text[len(begin):-len(end)])
    if len(blob) != 1 + 16 + 12 + 48 or blob[0] != _BLS_SEAL_VERSION:
        raise ValueError(f"{kid}: unsupported encrypted BLS private key")
    salt, nonce, sealed = blob[1:17], blob[17:29], blob[29:]
    try:
        scalar = AESGCM(_scrypt_key(secret, salt)).decrypt(nonce, sealed, kid.encode())
    except InvalidTag:
        raise ValueError(f"{kid}: wrong secret key, or the key row was altered") from None
    return BlsPrivateKey.from_bytes(scalar)


async def _create_key_locked(
    conn: asyncpg.Connection, purpose: Purpose, secret: str, algorithm: Algorithm | None = None
) -> str:
    # The caller holds the key advisory lock inside a transaction.
    algorithm = algorithm or ALGORITHM_FOR[purpose]
    if purpose == "access" and algorithm != "Ed25519":
        raise ValueError("access keys sign EdDSA JWTs: they must be Ed25519")
    number = await conn.fetchval(
        "SELECT coalesce(max(number), 0) + 1 FROM signing_keys WHERE purpose = $1", purpose
    )
    kid = f"{purpose}-{number}"
    public: PublicKey
    if algorithm == "BLS12381G1":
        bls = BlsPrivateKey.generate()
        pem, public = seal_bls_private_key(bls, secret.encode(), kid), bls.public_key()
    else:
        ed = Ed25519PrivateKey.generate()
        pem = ed.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(secret.encode()),
        )
        public = ed.public_key()
    await conn.execute(
        "INSERT INTO signing_keys (kid, purpose, number, algorithm, private_pem, public_jwk)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        kid,
        purpose,
        number,
        algorithm,
        pem,
        public_jwk(kid, public),
    )
    return kid


async def create_key(
    conn: asyncpg.Connection, purpose: Purpose, secret: str, *, algorithm: Algorithm | None = None
) -> str:
    """Add a new newest key for ``purpose``; return its kid.

    ``algorithm`` defaults to ``ALGORITHM_FOR[purpose]`` (code keys: BLS).  An Ed25519 code key
    is possible — it issues version-1 tokens again — for a fallback or for tests.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _KEY_LOCK_ID)
        return await _create_key_locked(conn, purpose, secret, algorithm)


async def ensure_keys(conn: asyncpg.Connection, secret: str) -> None:
    """Create the first key of each purpose if there is none (safe with concurrent workers).

    It never rotates: a database whose newest code key is an Ed25519 key (created by an earlier
    release) keeps issuing version-1 tokens until an operator runs ``xinyi-api keys rotate
    --purpose code`` — after every worker runs this release, since older workers cannot load a
    BLS key.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _KEY_LOCK_ID)
        present = {
            r["purpose"]
            for r in await conn.fetch(
                "SELECT DISTINCT purpose FROM signing_keys WHERE retired_at IS NULL"
            )
        }
        # Created under the same lock as the check, so concurrent workers create one key each.
        for purpose in PURPOSES:
            if purpose not in present:
                await _create_key_locked(conn, purpose, secret)


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
        self._private: dict[str, PrivateKey] = {}
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    async def load(self, conn: asyncpg.Connection | None = None) -> None:
        """Read the live keys (through ``conn`` if given, else from the pool)."""
        query = ("SELECT kid, purpose, number, algorithm, private_pem, public_jwk"
                 " FROM signing_keys WHERE retired_at IS NULL")
        if conn is not None:
            rows = await conn.fetch(query)
        else:
            assert self._pool is not None, "a KeyStore without a pool must be given a connection"
            async with self._pool.acquire() as pooled:
                rows = await pooled.fetch(query)
        keys: dict[str, SigningKey] = {}
        for r in rows:
            jwk = r["public_jwk"]
            keys[r["kid"]] = SigningKey(
                kid=r["kid"],
                purpose=r["purpose"],
                number=r["number"],
                algorithm=r["algorithm"],
                public_key=_public_key_from_jwk(r["algorithm"], jwk),
                public_jwk=jwk,
                encrypted_private=bytes(r["private_pem"]),
            )
        self._keys = keys
        self._private = {kid: k for kid, k in self._private.items() if kid in keys}
        self._loaded_at = time.monotonic()
        # Open new BLS keys now, in a thread: their scrypt (~45 ms) would otherwise stall the
        # event loop in the first request that signs a code.  A failure is left to that request.
        for key in keys.values():
            if key.algorithm == "BLS12381G1" and key.kid not in self._private:
                try:
                    private = await asyncio.to_thread(self._open_bls, key)
                except ValueError as exc:
                    log.warning("cannot open signing key %s: %s", key.kid, exc)
                else:
                    self._private.setdefault(key.kid, private)

    @property
    def age(self) -> float:
        """Seconds since the keys were last read from the database."""
        return time.monotonic() - self._loaded_at

    async def reload(self, conn: asyncpg.Connection | None = None) -> None:
        """Read the keys again now (one reload at a time)."""
        async with self._lock:
            await self.load(conn)

    async def signing_key(self, conn: asyncpg.Connection, purpose: Purpose) -> SigningKey:
        """The key to sign with now: the newest live key of ``purpose`` *as the database has it*,
        read through ``conn`` (the signing request's own connection).

        This worker's copy may not have heard of a rotation or a retirement yet; if its newest
        key is not the database's, the keys are reloaded first. So a retired key never signs
        anything again, wherever the request lands. Call it right before signing.
        """
        newest = await conn.fetchval(
            "SELECT max(number) FROM signing_keys WHERE purpose = $1 AND retired_at IS NULL",
            purpose)
        local = next((k for k in self._keys.values() if k.purpose == purpose), None)
        if local is None or self.newest(purpose).number != newest:
            await self.reload(conn)
        return self.newest(purpose)

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
        """The private key of an Ed25519 key (access keys, and code keys of earlier releases)."""
        private = self.any_private_key(key)
        if not isinstance(private, Ed25519PrivateKey):
            raise TypeError(f"{key.kid} is not an Ed25519 key")
        return private

    def _open_bls(self, key: SigningKey) -> BlsPrivateKey:
        private = open_bls_private_key(key.encrypted_private, self._secret, key.kid)
        if private.public_key() != key.public_key:
            raise ValueError(f"{key.kid}: private and public key do not match")
        return private

    def any_private_key(self, key: SigningKey) -> PrivateKey:
        """The private key of ``key`` whatever its algorithm, decrypted once per worker."""
        private = self._private.get(key.kid)
        if private is None:
            if key.algorithm == "BLS12381G1":
                private = self._open_bls(key)
            else:
                loaded = serialization.load_pem_private_key(key.encrypted_private, self._secret)
                if not isinstance(loaded, Ed25519PrivateKey):
                    raise TypeError(f"{key.kid} is not an Ed25519 key")
                private = loaded
            self._private[key.kid] = private
        return private

    def by_kid(self, kid: str) -> SigningKey | None:
        return self._keys.get(kid)

    def by_number(self, purpose: Purpose, number: int) -> SigningKey | None:
        return self._keys.get(f"{purpose}-{number}")

    def public_keys(self, purpose: Purpose) -> dict[int, PublicKey]:
        return {k.number: k.public_key for k in self._keys.values() if k.purpose == purpose}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk for k in sorted(self._keys.values(), key=lambda k: k.kid)]}


class KeyWatcher:
    """Keeps a worker's ``KeyStore`` current: reloads on ``NOTIFY xinyi_keys``, on every
    (re)connection, and every ``refresh_seconds`` whatever happens to notifications.

    One dedicated LISTEN connection per worker, reconnecting with back-off like the code
    change listener (``xinyi_api.codes.listener``). A failed reload keeps the keys it had: they
    cannot have changed while the database cannot be read.
    """

    def __init__(self, store: KeyStore, url: str, *, refresh_seconds: float = REFRESH_SECONDS,
                 listen: bool = True, ping_interval: float = 5.0,
                 max_backoff: float = 10.0) -> None:
        self.store = store
        self.url = url
        self.refresh_seconds = refresh_seconds
        self.listen = listen
        self.ping_interval = ping_interval
        self.max_backoff = max_backoff
        self.listening = asyncio.Event()
        self.reloads = 0
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _on_notify(self, _conn: asyncpg.Connection, _pid: int, _channel: str,
                   _payload: str) -> None:
        self._changed.set()

    async def _reload(self) -> None:
        self._changed.clear()
        await self.store.reload()
        self.reloads += 1

    async def _wait_for_change(self, conn: asyncpg.Connection | None, lost: asyncio.Event) -> None:
        """Until a notification, the connection is lost, or the keys are due for a reload."""
        while not lost.is_set():
            due = self.refresh_seconds - self.store.age
            if self._changed.is_set() or due <= 0:
                return
            try:
                await asyncio.wait_for(self._changed.wait(), min(due, self.ping_interval))
            except TimeoutError:
                if conn is not None:
                    # A silent network failure never fires the termination listener.
                    await asyncio.wait_for(conn.fetchval("SELECT 1"), self.ping_interval)

    async def _session(self) -> None:
        lost = asyncio.Event()
        conn: asyncpg.Connection | None = None
        if self.listen:
            conn = await asyncpg.connect(
                self.url, timeout=self.ping_interval,
                server_settings={"application_name": "xinyi-api key watcher"})
        try:
            if conn is not None:
                conn.add_termination_listener(lambda _c: lost.set())
                await conn.add_listener(CHANNEL, self._on_notify)
                self.listening.set()
            # Whatever changed while nobody was listening.
            await self._reload()
            while not lost.is_set():
                await self._wait_for_change(conn, lost)
                if not lost.is_set():
                    await self._reload()
        finally:
            self.listening.clear()
            if conn is not None and not conn.is_closed():
                conn.terminate()

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            try:
                await self._session()
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("signing-key watcher interrupted (%s: %s); retrying in %.1f s",
                            type(exc).__name__, exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    async def start(self, wait: float = 5.0) -> None:
        """Start watching; wait up to ``wait`` seconds for the LISTEN connection."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="xinyi-key-watcher")
        if self.listen:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.listening.wait(), wait)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
