"""The production token path, which the Auth emulator skips: real RS256 signatures checked
against public keys served over HTTP the way Google serves them, expiry and audience."""

import datetime as dt
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import firebase_admin
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from firebase_admin import _token_gen, auth

from common.auth import TokenVerifier, bearer_token
from common.errors import Unauthenticated
from tests.fakes.clock import FakeClock

PROJECT = "demo-ion"


def _key_and_cert():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "securetoken.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem_key, cert.public_bytes(serialization.Encoding.PEM).decode()


KEY, CERT = _key_and_cert()
OTHER_KEY, _ = _key_and_cert()
KID = "test-kid-1"


@pytest.fixture(scope="module")
def cert_url():
    body = json.dumps({KID: CERT}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "public, max-age=3600")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/certs"
    server.shutdown()


@pytest.fixture
def clock():
    return FakeClock(time.time())  # the verifier's cache ages by it; firebase-admin's checks don't


@pytest.fixture
def app(cert_url, monkeypatch):
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    monkeypatch.setattr(_token_gen, "ID_TOKEN_CERT_URI", cert_url)
    app = firebase_admin.initialize_app(
        credential=_NoCredential(), options={"projectId": PROJECT}, name=uuid.uuid4().hex
    )
    yield app
    firebase_admin.delete_app(app)


@pytest.fixture
def verifier(app, clock):
    return TokenVerifier(app=app, check_revoked=False, cache_seconds=60, clock=clock)


@pytest.fixture
def checks(monkeypatch):
    """The tokens firebase-admin was asked to verify (those not answered from the cache)."""
    seen: list[str] = []
    verify_id_token = auth.verify_id_token
    monkeypatch.setattr(
        auth,
        "verify_id_token",
        lambda token, **kw: seen.append(token) or verify_id_token(token, **kw),
    )
    return seen


class _NoCredential(firebase_admin.credentials.Base):
    def get_credential(self):
        return None


def _token(*, key=KEY, kid=KID, aud=PROJECT, iat=None, exp=None, uid="user-1", **extra) -> str:
    now = int(time.time())
    iat = now - 10 if iat is None else iat
    claims = {
        "iss": f"https://securetoken.google.com/{aud}",
        "aud": aud,
        "sub": uid,
        "user_id": uid,
        "iat": iat,
        "auth_time": iat,
        "exp": now + 3600 if exp is None else exp,
        **extra,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def _code(verifier, token) -> str:
    with pytest.raises(Unauthenticated) as e:
        verifier.verify(token)
    return e.value.code


def test_a_properly_signed_token_names_the_user(verifier):
    caller = verifier.verify(_token(uid="alice", role="operator"))
    assert caller.uid == "alice"
    assert caller.is_operator


def test_a_token_minted_just_ahead_of_this_clock_is_accepted(verifier):
    now = int(time.time())
    assert verifier.verify(_token(iat=now + 5, exp=now + 3600)).uid == "user-1"
    assert _code(verifier, _token(iat=now + 120, exp=now + 3600)) == "invalid_token"


def test_expired_token_is_rejected(verifier):
    now = int(time.time())
    assert _code(verifier, _token(iat=now - 7200, exp=now - 3600)) == "token_expired"


def test_tampered_token_is_rejected(verifier):
    header, _payload, signature = _token(uid="alice").split(".")
    forged = jwt.utils.base64url_encode(
        json.dumps(
            {
                **jwt.decode(_token(uid="alice"), options={"verify_signature": False}),
                "sub": "mallory",
                "user_id": "mallory",
            }
        ).encode()
    ).decode()
    assert _code(verifier, f"{header}.{forged}.{signature}") == "invalid_token"


def test_token_signed_by_another_key_is_rejected(verifier):
    assert _code(verifier, _token(key=OTHER_KEY)) == "invalid_token"


def test_token_for_another_project_is_rejected(verifier):
    assert _code(verifier, _token(aud="someone-elses-project")) == "invalid_token"


def test_unsigned_token_is_rejected(verifier):
    now = int(time.time())
    claims = {
        "iss": f"https://securetoken.google.com/{PROJECT}",
        "aud": PROJECT,
        "sub": "a",
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
    }
    assert _code(verifier, jwt.encode(claims, key=None, algorithm="none")) == "invalid_token"


def test_a_token_that_parses_but_trips_firebase_admin_is_invalid(verifier):
    # No kid, and a "d" that is not an object: firebase-admin raises TypeError on it.
    token = jwt.encode({"v": 0, "d": 5}, "s" * 32, algorithm="HS256")
    assert _code(verifier, token) == "invalid_token"


@pytest.mark.parametrize("garbage", ["x", "a.b.c", "Bearer", "é" * 50, "\x00" * 8])
def test_garbage_is_rejected(verifier, garbage):
    assert _code(verifier, garbage) == "invalid_token"


def test_a_cached_token_is_never_served_past_its_expiry(verifier, clock, checks):
    exp = int(clock()) + 30  # sooner than the 60 s the verifier caches for
    token = _token(exp=exp)
    assert verifier.verify(token).uid == "user-1"
    clock.now = exp - 0.5
    assert verifier.verify(token).uid == "user-1"
    assert len(checks) == 1  # from the cache
    clock.now = exp
    verifier.verify(token)  # firebase-admin reads the real clock: it still accepts the token
    assert len(checks) == 2  # past its expiry: not from the cache (firebase-admin refuses it)


def test_a_token_is_cached_for_cache_seconds_at_most(verifier, clock, checks):
    token = _token()  # valid for an hour
    verifier.verify(token)
    clock.advance(59.5)
    verifier.verify(token)
    assert len(checks) == 1
    clock.advance(0.5)
    verifier.verify(token)
    assert len(checks) == 2  # a revoked or disabled account is noticed within a minute


def _cached(app, clock, *uids: str) -> tuple[TokenVerifier, dict[str, str]]:
    """A verifier that keeps three tokens, and a token each for `uids`, verified (and cached)
    in that order, ten seconds apart."""
    verifier = TokenVerifier(
        app=app, check_revoked=False, cache_seconds=60, max_cached=3, clock=clock
    )
    tokens = {uid: _token(uid=uid) for uid in uids}
    for token in tokens.values():
        verifier.verify(token)
        clock.advance(10)
    return verifier, tokens


def test_a_full_cache_makes_room_by_dropping_its_expired_entries(app, clock, checks):
    verifier, tokens = _cached(app, clock, "old", "b", "c")
    clock.advance(35)  # old's entry expired (at 60 s), b's and c's live on
    verifier.verify(_token(uid="d"))
    checks.clear()
    for uid in ("b", "c"):
        verifier.verify(tokens[uid])
    assert checks == []


def test_a_cache_full_of_live_entries_drops_those_expiring_soonest_not_all(app, clock, checks):
    # Emptied whole, every user of a busy instance would be verified again at once.
    verifier, tokens = _cached(app, clock, "a", "b", "c")  # a's entry expires first
    verifier.verify(_token(uid="d"))
    checks.clear()
    for uid in ("b", "c"):
        verifier.verify(tokens[uid])
    assert checks == []  # still cached
    verifier.verify(tokens["a"])
    assert checks == [tokens["a"]]  # made room


def test_making_room_keeps_no_expired_entry(app, clock, checks):
    # The mutation review: keeping the expired entries, a cache of 10 stayed at 10, not 6.
    verifier = TokenVerifier(
        app=app, check_revoked=False, cache_seconds=60, max_cached=10, clock=clock
    )
    for uid in ("e1", "e2", "e3", "e4", "e5"):
        verifier.verify(_token(uid=uid))
    clock.advance(61)  # those five expired
    for uid in ("l1", "l2", "l3", "l4", "l5"):
        verifier.verify(_token(uid=uid))
    verifier.verify(_token(uid="new"))  # the cache was full
    assert len(verifier._cache) == 5 + 1


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic abc", "token abc"])
def test_missing_or_malformed_authorization_header(header):
    with pytest.raises(Unauthenticated) as e:
        bearer_token(header)
    assert e.value.code == "missing_token"


def test_bearer_scheme_is_case_insensitive():
    assert bearer_token("bearer abc") == "abc"


class _CredentialThatCannotRefresh(firebase_admin.credentials.Base):
    """The instance's access token cannot be refreshed (the metadata server slow or down)."""

    def get_credential(self):
        import google.auth.credentials
        from google.auth.exceptions import RefreshError

        class Broken(google.auth.credentials.Credentials):
            def refresh(self, request):
                raise RefreshError("metadata server timed out")

        return Broken()


def test_a_revocation_check_that_cannot_get_credentials_is_auth_unavailable(cert_url, monkeypatch):
    # The revocation lookup asks the Auth service with the instance's credentials; a failed
    # refresh raised google.auth's RefreshError, which firebase-admin does not wrap: a 500
    # (the except-clause review, 2026-12-05). It is an outage of Google's, as a failed lookup is.
    from common.errors import Unavailable

    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    monkeypatch.setattr(_token_gen, "ID_TOKEN_CERT_URI", cert_url)
    app = firebase_admin.initialize_app(
        credential=_CredentialThatCannotRefresh(),
        options={"projectId": PROJECT},
        name=uuid.uuid4().hex,
    )
    try:
        verifier = TokenVerifier(app=app, check_revoked=True, cache_seconds=0)
        with pytest.raises(Unavailable) as e:
            verifier.verify(_token(uid="alice"))
        assert e.value.code == "auth_unavailable"
    finally:
        firebase_admin.delete_app(app)


@pytest.mark.parametrize(
    ("http_status", "body"),
    [
        (200, b"<html>upstream reset</html>"),
        (200, b'{"test-kid-1": "-----BEGIN CERT'),
        (200, b"\xff\xfe\x00"),
        (500, b'{"error": "backend error"}'),  # firebase-admin's CertificateFetchError
    ],
    ids=["not_json", "cut_short", "not_utf8", "server_error"],
)
def test_certificates_that_cannot_be_read_are_auth_unavailable(
    verifier, monkeypatch, http_status, body
):
    # Google's endpoint answering 200 with a body that is not JSON: firebase-admin calls the
    # token invalid, and the client was told to sign in again (401) for Google's failure. A 500
    # is firebase-admin's CertificateFetchError: the same 503.
    from google.auth.transport import Response

    from common.errors import Unavailable

    class Answer(Response):
        status, headers, data = http_status, {"content-type": "application/json"}, body

    monkeypatch.setattr(_token_gen.CertificateFetchRequest, "__call__", lambda *a, **kw: Answer())
    with pytest.raises(Unavailable) as e:
        verifier.verify(_token())
    assert e.value.code == "auth_unavailable" and e.value.retry_after


def test_a_token_whose_segment_is_not_json_is_still_invalid(verifier):
    # google.auth's MalformedError for it is caused by a JSONDecodeError too: the token's own.
    header, _payload, signature = _token().split(".")
    not_json = jwt.utils.base64url_encode(b"<html>not a payload</html>").decode()
    assert _code(verifier, f"{header}.{not_json}.{signature}") == "invalid_token"
