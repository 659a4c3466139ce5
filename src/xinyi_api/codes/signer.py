"""Signing and verifying code tokens 码令牌 with the live ``code`` keys of the key store.

``CodeSigner`` wraps the worker's ``KeyStore`` and adds two bounded caches:

- tokens by (serial, key number): Ed25519 is deterministic, so a code's token is recomputed from
  its row, never stored; the cache saves the ~50 µs signature on repeated look-ups (search pages);
- verified tokens: a scan checks the signature once (~60 µs), then finds the token in the cache.
  The cache is keyed by a BLAKE2b digest of the token, so the dictionary's string comparison runs
  on digests an attacker cannot steer (no timing oracle on token prefixes), and an entry is only
  honoured while its key is still live, so retiring a key takes effect on the next key reload.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from xinyi_api.codes.cache import LRU
from xinyi_api.codes.token import (
    MAX_TOKEN_LENGTH,
    MIN_TOKEN_LENGTH,
    CodeToken,
    code_url,
    decode_code_token,
    encode_code_token,
    peek_key_number,
)
from xinyi_api.keys import KeyStore

__all__ = ["CodeSigner", "code_url_for"]


class _LiveCodeKeys(Mapping[int, Ed25519PublicKey]):
    """The live code-signing public keys of a key store, as a read-only mapping (no copy)."""

    def __init__(self, keys: KeyStore) -> None:
        self._keys = keys

    def __getitem__(self, number: int) -> Ed25519PublicKey:
        key = self._keys.by_number("code", number)
        if key is None:
            raise KeyError(number)
        return key.public_key

    def __iter__(self) -> Iterator[int]:
        return iter(self._keys.public_keys("code"))

    def __len__(self) -> int:
        return len(self._keys.public_keys("code"))


def _digest(token: str) -> bytes:
    return hashlib.blake2b(token.encode("ascii"), digest_size=16).digest()


class CodeSigner:
    """Token 码令牌 and URL of a code serial; cached verification of scanned tokens."""

    def __init__(self, keys: KeyStore, base_url: str, *, cache_size: int = 100_000) -> None:
        self.keys = keys
        self.base_url = base_url
        self._public = _LiveCodeKeys(keys)
        self._tokens: LRU[tuple[int, int], str] = LRU(cache_size)
        self._verified: LRU[bytes, CodeToken] = LRU(cache_size)

    # -- issuing ---------------------------------------------------------------------------

    def token(self, serial: int, key_number: int) -> str | None:
        """The token of code ``serial`` signed by ``key_number``; ``None`` if that key is not
        live in this worker (retired, or created by another worker and not loaded yet)."""
        cached = self._tokens.get((serial, key_number))
        if cached is not None:
            return cached
        key = self.keys.by_number("code", key_number)
        if key is None:
            return None
        token = encode_code_token(serial, key_number, self.keys.private_key(key))
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

    # -- verifying -------------------------------------------------------------------------

    def verify_cached(self, token: str) -> CodeToken | None:
        """The verified content of ``token`` if this worker verified it before, else ``None``."""
        if not (MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH and token.isascii()):
            return None
        found = self._verified.get(_digest(token.upper()))
        if found is None:
            return None
        if self.keys.by_number("code", found.key_number) is None:
            return None  # its key was retired since: verify again (and fail)
        return found

    async def verify(self, token: str) -> CodeToken:
        """Verify a scanned token; raise ``InvalidCodeToken`` for anything not genuine.

        An unknown key number triggers one (rate-limited) key reload first, so a code signed by
        a key another worker just created verifies here too.
        """
        found = self.verify_cached(token)
        if found is not None:
            return found
        if self.keys.by_number("code", peek_key_number(token)) is None:
            await self.keys.refresh_if_stale(force=True)
        decoded = decode_code_token(token, self._public)
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

