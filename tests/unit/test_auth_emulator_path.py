"""The emulator token path: firebase-admin skips signature and expiry checks when
FIREBASE_AUTH_EMULATOR_HOST is set, so common.auth checks the expiry itself. (The claims
comparison with the user record needs the Auth emulator: tests/e2e/test_auth_matrix.py.)"""

import base64
import json
import time
import uuid

import firebase_admin
import pytest

from common.auth import TokenVerifier
from common.errors import Unauthenticated

PROJECT = "demo-ion"


@pytest.fixture
def verifier(monkeypatch):
    # Nothing listens on port 9: any lookup would fail, so these checks must come first.
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9")
    app = firebase_admin.initialize_app(options={"projectId": PROJECT}, name=uuid.uuid4().hex)
    yield TokenVerifier(app=app, check_revoked=False, cache_seconds=0)
    firebase_admin.delete_app(app)


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _unsigned(**overrides) -> str:
    """A token shaped like the Auth emulator's: alg none, no signature."""
    now = int(time.time())
    claims = {
        "iss": f"https://securetoken.google.com/{PROJECT}",
        "aud": PROJECT,
        "sub": "user-1",
        "user_id": "user-1",
        "iat": now - 10,
        "auth_time": now - 10,
        "exp": now + 3600,
        "email": "user-1@example.com",
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def _code(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as e:
        verifier.verify(token)
    return e.value.code


def test_an_expired_emulator_token_is_refused(verifier):
    now = int(time.time())
    assert _code(verifier, _unsigned(iat=now - 7200, exp=now - 3600)) == "token_expired"


def test_a_token_expiring_now_is_refused(verifier):
    assert _code(verifier, _unsigned(exp=int(time.time()))) == "token_expired"


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": None},
        {"iat": None},
        {"exp": "2999999999"},
        {"exp": True},
        {"iat": int(time.time()) + 3600},  # issued in the future
    ],
    ids=["no-exp", "no-iat", "exp-string", "exp-bool", "iat-future"],
)
def test_a_token_with_unusable_times_is_refused(verifier, claims):
    assert _code(verifier, _unsigned(**claims)) == "invalid_token"


def test_the_project_check_of_firebase_admin_still_applies(verifier):
    assert _code(verifier, _unsigned(aud="someone-elses-project")) == "invalid_token"
