"""The key store: Ed25519 access keys, BLS code keys next to the Ed25519 code keys of old."""

import asyncio

import asyncpg
import pytest

from tests.conftest import TEST_SECRET
from xinyi_api.bls import BlsPrivateKey, BlsPublicKey
from xinyi_api.keys import (
    KeyStore,
    create_key,
    ensure_keys,
    open_bls_private_key,
    retire_key,
    seal_bls_private_key,
)


def test_a_sealed_bls_private_key_opens_only_with_its_secret_and_kid() -> None:
    key = BlsPrivateKey.generate()
    pem = seal_bls_private_key(key, b"a-secret-of-sixteen+", "code-7")
    assert pem.startswith(b"-----BEGIN XINYI ENCRYPTED BLS12381 PRIVATE KEY-----\n")
    assert key.to_bytes().hex().encode() not in pem
    opened = open_bls_private_key(pem, b"a-secret-of-sixteen+", "code-7")
    assert opened.public_key() == key.public_key()
    with pytest.raises(ValueError, match="wrong secret"):
        open_bls_private_key(pem, b"another-secret-here!", "code-7")
    with pytest.raises(ValueError, match="wrong secret"):  # a row's blob copied to another kid
        open_bls_private_key(pem, b"a-secret-of-sixteen+", "code-8")
    with pytest.raises(ValueError, match="not an encrypted BLS private key"):
        open_bls_private_key(b"-----BEGIN ENCRYPTED PRIVATE KEY-----", b"x" * 16, "code-7")


async def test_new_code_keys_are_bls_and_access_keys_ed25519(conn: asyncpg.Connection) -> None:
    rows = await conn.fetch("SELECT kid, algorithm, public_jwk FROM signing_keys ORDER BY kid")
    assert [(r["kid"], r["algorithm"]) for r in rows] == [
        ("access-1", "Ed25519"), ("code-1", "BLS12381G1")]
    kid = await create_key(conn, "code", TEST_SECRET)
    store = KeyStore(None, TEST_SECRET)
    await store.load(conn)
    key = store.by_kid(kid)
    assert key is not None and key.algorithm == "BLS12381G1"
    assert isinstance(key.public_key, BlsPublicKey)
    private = store.any_private_key(key)
    assert isinstance(private, BlsPrivateKey) and private.public_key() == key.public_key
    with pytest.raises(TypeError):
        store.private_key(key)  # the Ed25519-only accessor the JWT code uses
    assert store.newest("code").kid == kid


async def test_an_access_key_can_never_be_a_bls_key(conn: asyncpg.Connection) -> None:
    with pytest.raises(ValueError):
        await create_key(conn, "access", TEST_SECRET, algorithm="BLS12381G1")
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(
            "UPDATE signing_keys SET algorithm = 'BLS12381G1' WHERE kid = 'access-1'")


async def test_rotating_from_an_ed25519_to_a_bls_code_key_keeps_both_live(
    conn: asyncpg.Connection,
) -> None:
    old = await create_key(conn, "code", TEST_SECRET, algorithm="Ed25519")
    new = await create_key(conn, "code", TEST_SECRET)
    store = KeyStore(None, TEST_SECRET)
    await store.load(conn)
    assert store.newest("code").kid == new
    public = store.public_keys("code")
    old_key, new_key = store.by_kid(old), store.by_kid(new)
    assert old_key is not None and new_key is not None
    assert old_key.algorithm == "Ed25519" and new_key.algorithm == "BLS12381G1"
    assert set(public) >= {old_key.number, new_key.number}
    assert {k["crv"] for k in store.jwks()["keys"] if k["kid"] in (old, new)} == {
        "Ed25519", "Bls12381G2"}
    assert await retire_key(conn, old)
    await store.load(conn)
    assert store.by_kid(old) is None and store.by_kid(new) is not None


async def test_concurrent_ensure_keys_create_one_key_per_purpose(empty_database_url: str) -> None:
    from xinyi_api.db.migrate import core_source, migrate
    from xinyi_api.db.pool import connect

    conns = [await connect(empty_database_url) for _ in range(4)]
    try:
        await migrate(conns[0], [core_source()])
        await asyncio.gather(*(ensure_keys(c, TEST_SECRET) for c in conns))
        rows = await conns[0].fetch("SELECT kid FROM signing_keys ORDER BY kid")
        assert [r["kid"] for r in rows] == ["access-1", "code-1"]
    finally:
        for c in conns:
            await c.close()


async def test_load_opens_bls_keys_ahead_so_no_request_pays_the_scrypt(
    conn: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = KeyStore(None, TEST_SECRET)
    await store.load(conn)

    def no_scrypt(*_: object) -> None:
        raise AssertionError("decrypted on the request path")

    monkeypatch.setattr("xinyi_api.keys.open_bls_private_key", no_scrypt)
    key = store.newest("code")
    private = store.any_private_key(key)
    assert isinstance(private, BlsPrivateKey) and private.public_key() == key.public_key


async def test_a_wrong_secret_fails_when_signing_not_when_loading(conn: asyncpg.Connection) -> None:
    store = KeyStore(None, "not-the-secret-key-at-all")
    await store.load(conn)  # logs a warning; the public keys still verify
    key = store.newest("code")
    with pytest.raises(ValueError, match="wrong secret key"):
        store.any_private_key(key)
