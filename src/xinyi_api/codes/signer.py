"""Signing code tokens 码令牌 with the live ``code`` keys, and checking scanned ones.

``CodeSigner`` wraps the worker's ``KeyStore`` and adds two bounded caches:

- tokens by (serial, key number): both Ed25519 and BLS signatures are deterministic, so a code's
  token is recomputed from its row, never stored; the cache saves the signature (~50 µs Ed25519,
  ~0.4 ms BLS) on repeated look-ups (search pages, scans);
- checked tokens: a scan checks a token once, then finds it in the cache.  The cache is keyed by
  a BLAKE2b digest of the token, so the dictionary's string comparison runs on digests an
  attacker cannot steer (no timing oracle on token prefixes), and an entry is only honoured while
  its key is still live, so retiring a key takes effect on the next key reload.

How a scanned token is checked — the server never runs the BLS pairing:

1. ``claim`` (no database): the token must parse and name a live key of its version's algorithm
   (an unknown number triggers one key reload, at most once a second).  A version-1 token's
   Ed25519 signature is verified here too (~60 µs), as before.
2. The caller looks the serial up — the scan profile cache, else the ``codes`` table.  An unknown
   serial ends there, as for any token.
3. ``confirm``: the token must name the key the code was issued with, and a version-2 token must
   be, byte for byte (compared in constant time), the token this server issues for that code —
   recomputed with the private key and cached.  BLS signatures are unique (one valid signature
   per key and message), so this equality is exactly "the signature verifies", at a fraction of
   the cost of a pairing (~1.5 ms), and only for serials that exist: a flood of forged tokens
   costs at most one signature per existing code per worker, not one pairing per request.

The pairing check is what a third party does offline (``decode_code_token``); the server is the
issuer, so it answers from its own records.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from xinyi_api.bls import BlsPublicKey
from xinyi_api.codes.cache import LRU
from xinyi_api.codes.token import (
    MAX_TOKEN_LENGTH,
    MIN_TOKEN_LENGTH,
    VERSION_BLS,
    CodePublicKey,
    CodeToken,
    InvalidCodeToken,
    ParsedCodeToken,
    code_url,
    encode_code_token,
    parse_code_token,
)
from xinyi_api.keys import KeyStore

__all__ = ["CodeSigner", "code_url_for", "token_digest"]


class _LiveCodeKeys(Mapping[int, CodePublicKey]):
    """The live code-signing public keys of a key store, as a read-only mapping (no copy)."""

    def __init__(self, keys: KeyStore) -> None:
        self._keys = keys

    def __getitem__(self, number: int) -> CodePublicKey:
        key = self._keys.by_number("code", number)
        if key is None:
            raise KeyError(number)
        return key.public_key

    def __iter__(self) -> Iterator[int]:
        return iter(self._keys.public_keys("code"))

    def __len__(self) -> int:
        return len(self._keys.public_keys("code"))


def token_digest(token: str) -> bytes:
    """BLAKE2b-128 of a token in its canonical, upper-case form (pass it upper-cased): the key
    of checked tokens, and what ``scan_codes.token_digest`` stores for a code's genuine token (a
    scan's miss compares it, in constant time, with the scanned token's)."""
    return hashlib.blake2b(token.encode("ascii"), digest_size=16).digest()


_digest = token_digest


class CodeSigner:
    """Token 码令牌 and URL of a code serial; cached checks of scanned tokens."""

    def __init__(self, keys: KeyStore, base_url: str, *, cache_size: int = 100_000) -> None:
        self.keys = keys
        self.base_url = base_url
        self.public_keys: Mapping[int, CodePublicKey] = _LiveCodeKeys(keys)
        """The live code keys by number, for ``decode_code_token`` (offline-style checks)."""
        self._tokens: LRU[tuple[int, int], str] = LRU(cache_size)
        self._verified: LRU[bytes, CodeToken] = LRU(cache_size)

    # -- issuing ---------------------------------------------------------------------------

    def token(self, serial: int, key_number: int) -> str | None:
        """The token of code ``serial`` signed by ``key_number`` (version 1 for an Ed25519 key,
        2 for a BLS key); ``None`` if that key is not live in this worker (retired, or created
        by another worker and not loaded yet)."""
        cached = self._tokens.get((serial, key_number))
        if cached is not None:
            return cached
        key = self.keys.by_number("code", key_number)
        if key is None:
            return None
        token = encode_code_token(serial, key_number, self.keys.any_private_key(key))
        self._tokens.put((serial, key_number), token)
        return token

    def url(self, serial: int, key_number: int) -> str | None:
        """``{PUBLIC_BASE_URL}/C/{TOKEN}`` in upper case (what the QR holds), or ``None``."""
        token = self.token(serial, key_number)
        return None if token is None else code_url(self.base_url, token)

    async def ensure_key(self, key_number: int) -> None:
        """Reload the keys (at most once a second) if ``key_number`` is not known yet."""
        if self.keys.by_number("code", key_number) is None:
            await self.keys.refresh_if_stale(force=True)

    # -- checking scanned tokens -----------------------------------------------------------

    def verify_cached(self, token: str) -> CodeToken | None:
        """The content of ``token`` if this worker checked it before, else ``None``."""
        if not (MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH and token.isascii()):
            return None
        found = self._verified.get(_digest(token.upper()))
        if found is None:
            return None
        if self.keys.by_number("code", found.key_number) is None:
            return None  # its key was retired since: check again (and fail)
        return found

    def remember(self, upper_token: str, decoded: CodeToken) -> None:
        """``upper_token`` (upper case) was checked and is the token of ``decoded``'s code:
        ``verify_cached`` finds it from now on (while its key stays live)."""
        self._verified.put(_digest(upper_token), decoded)

    async def claim(self, token: str) -> ParsedCodeToken:
        """Step 1 of a scan's check, without the database: parse ``token``, make sure it names a
        live key of its version's algorithm and, for version 1, verify the Ed25519 signature.

        Raises ``InvalidCodeToken``.  The result is not trusted yet: pass it to ``confirm`` with
        the key number of the code row that has its serial.
        """
        parsed = parse_code_token(token)
        await self.ensure_key(parsed.key_number)
        key = self.keys.by_number("code", parsed.key_number)
        if key is None:
            raise InvalidCodeToken(f"unknown key number {parsed.key_number}")
        public = key.public_key
        if parsed.version == VERSION_BLS:
            if not isinstance(public, BlsPublicKey):
                raise InvalidCodeToken(f"key number {parsed.key_number} is not a BLS key")
        else:
            if not isinstance(public, Ed25519PublicKey):
                raise InvalidCodeToken(f"key number {parsed.key_number} is not an Ed25519 key")
            try:
                public.verify(parsed.signature, parsed.signed_message)
            except InvalidSignature:
                raise InvalidCodeToken("bad signature") from None
        return parsed

    def confirm(self, token: str, claim: ParsedCodeToken, issued_key: int) -> CodeToken:
        """Step 2: accept ``claim`` (from ``claim(token)``) for the code row with its serial,
        issued with key ``issued_key``; raise ``InvalidCodeToken`` otherwise.

        The token must name the code's own key; a version-2 token must moreover equal the token
        this server issues for the code (constant-time comparison; the genuine token is computed
        once and cached).  A confirmed token is remembered (``verify_cached``).
        """
        if claim.key_number != issued_key:
            raise InvalidCodeToken("not the key this code was issued with")
        if claim.version == VERSION_BLS:
            genuine = self.token(claim.serial, issued_key)
            if genuine is None or not hmac.compare_digest(genuine, token.upper()):
                raise InvalidCodeToken("not the token issued for this code")
        decoded = CodeToken(serial=claim.serial, key_number=claim.key_number)
        self._verified.put(_digest(token.upper()), decoded)
        return decoded


async def code_url_for(signer: CodeSigner, row: Mapping[str, Any]) -> str | None:
    """``code_url`` of a subject row with ``code_serial`` and ``code_key`` columns.

    Used by ``subjects.service`` for the ``code_url`` field of profiles and search items.
    ``None`` when the subject has no active code.
    """
    serial, key_number = row["code_serial"], row["code_key"]
    if serial is None or key_number is None:
        return None
    await signer.ensure_key(key_number)
    return signer.url(serial, key_number)
