-- Code keys of a second algorithm (issue 3: the printed QR must fit version 5 at level M).
--
-- New `code` keys are BLS12-381 keys with signatures in G1 (48 bytes, ciphersuite
-- BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_); they sign version-2 code tokens. The Ed25519
-- code keys created before keep verifying the version-1 tokens printed with them until an
-- operator retires them, and `access` keys stay Ed25519 (JWT EdDSA).
--
-- No backfill: a code keeps the key number, and so the token format, it was issued with. Its
-- sticker is already printed with that token, and `codes.key_number` is what tells an operator
-- which printed codes a key retirement would break. A code moves to version 2 when it is
-- reissued (new serial, newest key).
--
-- The default keeps INSERTs written before this migration (which name no algorithm) meaning
-- what they meant: an Ed25519 key.

ALTER TABLE signing_keys
    ADD COLUMN algorithm text NOT NULL DEFAULT 'Ed25519'
        CHECK (algorithm IN ('Ed25519', 'BLS12381G1')),
    ADD CONSTRAINT signing_keys_access_keys_are_ed25519
        CHECK (purpose = 'code' OR algorithm = 'Ed25519');

COMMENT ON COLUMN signing_keys.algorithm IS
    'Ed25519 (private_pem: encrypted PKCS#8) or BLS12381G1 (BLS signatures in G1; private_pem: '
    'XINYI ENCRYPTED BLS12381 PRIVATE KEY block, AES-256-GCM under scrypt(XINYI_SECRET_KEY))';
