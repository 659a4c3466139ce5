"""Bearer tokens: only EdDSA tokens we signed, for our audience, unexpired, are accepted."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import assert_problem, auth, make_token, uscc
from xinyi_api.auth.tokens import LEEWAY_SECONDS

BODY = {"uscc": "", "name": "测试企业", "region_code": "340403", "industry": "retail"}


def _claims(app, **over):
    now = int(app.state.clock.now().timestamp())
    claims = {"iss": app.state.settings.jwt_issuer, "aud": app.state.settings.jwt_audience,
              "sub": "department:scjg", "role": "department", "dept": "scjg",
              "region": "340400", "iat": now, "exp": now + 600}
    claims.update(over)
    return claims


async def _post(client, headers):
    return await client.post("/api/v1/enterprises", headers=headers,
                             json={**BODY, "uscc": uscc(42)})


async def _count(conn) -> int:
    return await conn.fetchval("SELECT count(*) FROM subjects")


async def test_missing_token_is_401_with_a_challenge(client, conn) -> None:
    r = await _post(client, {})
    assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert await _count(conn) == 0


async def test_a_valid_department_token_is_accepted(client) -> None:
    r = await _post(client, auth(make_token(client.app, dept="scjg", region="340400")))
    assert r.status_code == 201


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-jwt"])
async def test_malformed_authorization_is_401(client, conn, header: str) -> None:
    assert_problem(await _post(client, {"Authorization": header}), 401)
    assert await _count(conn) == 0


async def test_token_signed_by_another_key_is_401(client, conn) -> None:
    forged = jwt.encode(_claims(client.app), Ed25519PrivateKey.generate(), algorithm="EdDSA",
                        headers={"kid": "access-1"})
    assert_problem(await _post(client, auth(forged)), 401, "invalid-token")
    assert await _count(conn) == 0


async def test_expired_token_is_401(client) -> None:
    token = make_token(client.app, dept="scjg", ttl=-120)
    assert_problem(await _post(client, auth(token)), 401, "token-expired")


async def test_a_token_expires_when_the_clock_passes_its_exp(client, clock) -> None:
    headers = auth(make_token(client.app, dept="scjg", region="340400", ttl=600))
    assert (await client.get("/api/v1/objections", headers=headers)).status_code == 200
    clock.advance(timedelta(seconds=600 + LEEWAY_SECONDS))
    assert_problem(await client.get("/api/v1/objections", headers=headers), 401, "token-expired")


def _signed(app, claims) -> str:
    key = app.state.key_store.newest("access")
    return jwt.encode(claims, app.state.key_store.private_key(key), algorithm="EdDSA",
                      headers={"kid": key.kid})


@pytest.mark.parametrize(("role", "setting"), [("department", "service_token_max_ttl"),
                                               ("operator", "service_token_max_ttl"),
                                               ("consumer", "access_token_ttl"),
                                               ("merchant", "access_token_ttl")])
async def test_a_token_living_longer_than_its_role_may_is_401_even_with_our_key(
        client, role, setting) -> None:
    limit = getattr(client.app.state.settings, setting)
    claims = _claims(client.app, role=role, sub=f"{role}:x")
    within = _signed(client.app, {**claims, "exp": claims["iat"] + limit})
    r = await client.get("/api/v1/me/credit" if role == "consumer" else "/api/v1/audit",
                         headers=auth(within))
    assert r.status_code != 401, r.text
    too_long = _signed(client.app, {**claims, "exp": claims["iat"] + limit + 1})
    body = assert_problem(await client.get("/api/v1/audit", headers=auth(too_long)), 401,
                          "invalid-token")
    assert f"longer than the {limit} s allowed" in body["detail"]


async def test_a_token_issued_in_the_future_is_401(client) -> None:
    claims = _claims(client.app)
    later = claims["iat"] + LEEWAY_SECONDS + 60
    token = _signed(client.app, {**claims, "iat": later, "nbf": later, "exp": later + 600})
    assert_problem(await _post(client, auth(token)), 401, "invalid-token")


async def test_wrong_audience_is_401(client) -> None:
    key = client.app.state.key_store.newest("access")
    private = client.app.state.key_store.private_key(key)
    token = jwt.encode(_claims(client.app, aud="someone-else"), private, algorithm="EdDSA",
                       headers={"kid": key.kid})
    assert_problem(await _post(client, auth(token)), 401, "invalid-token")


async def test_alg_none_is_401(client) -> None:
    def b64(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    token = f"{b64({'alg': 'none', 'kid': 'access-1'})}.{b64(_claims(client.app))}."
    assert_problem(await _post(client, auth(token)), 401, "invalid-token")


async def test_hmac_signed_with_the_public_key_is_401(client) -> None:
    # The classic key-confusion attack: HS256 keyed with the published public key.
    key = client.app.state.key_store.newest("access")
    public = key.public_key.public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)
    token = jwt.encode(_claims(client.app), public, algorithm="HS256",
                       headers={"kid": key.kid})
    assert_problem(await _post(client, auth(token)), 401, "invalid-token")


async def test_a_consumer_token_may_not_write_subjects(client) -> None:
    token = make_token(client.app, role="consumer", sub="consumer:abc")
    assert_problem(await _post(client, auth(token)), 403, "forbidden")


async def test_jwks_publishes_access_and_code_keys_with_cors(client) -> None:
    r = await client.get("/.well-known/jwks.json")
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    kids = {k["kid"] for k in r.json()["keys"]}
    assert {"access-1", "code-1"} <= kids
    assert all(k["kty"] == "OKP" and "d" not in k for k in r.json()["keys"])
    # Access keys verify EdDSA JWTs; code keys are BLS (see tests/codes/test_scan.py).
    assert {k["crv"] for k in r.json()["keys"] if k["kid"].startswith("access-")} == {"Ed25519"}
