"""Token checks that need the Auth service itself: revocation and disabled accounts."""

from __future__ import annotations

import time
import uuid

import firebase_admin
import pytest
from firebase_admin import auth

from common.auth import TokenVerifier
from common.errors import Unauthenticated
from scripts.auth_emulator import sign_in, sign_up
from tests.fakes.clock import FakeClock


@pytest.fixture(scope="module")
def app():
    app = firebase_admin.initialize_app(options={"projectId": "demo-ion"}, name=uuid.uuid4().hex)
    yield app
    firebase_admin.delete_app(app)


def _code(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as e:
        verifier.verify(token)
    return e.value.code


def test_a_revoked_token_is_rejected_and_a_fresh_one_accepted(app):
    verifier = TokenVerifier(app=app, check_revoked=True, cache_seconds=0)
    user = sign_up()
    assert verifier.verify(user.id_token).uid == user.uid
    time.sleep(1.1)  # revocation has whole-second resolution
    auth.revoke_refresh_tokens(user.uid, app=app)
    assert _code(verifier, user.id_token) == "token_revoked"
    time.sleep(1.1)
    fresh = sign_in(user.email)
    assert verifier.verify(fresh.id_token).uid == user.uid


def test_a_disabled_account_is_rejected(app):
    verifier = TokenVerifier(app=app, check_revoked=True, cache_seconds=0)
    user = sign_up()
    auth.update_user(user.uid, disabled=True, app=app)
    assert _code(verifier, user.id_token) == "user_disabled"


def test_a_deleted_account_is_rejected(app):
    verifier = TokenVerifier(app=app, check_revoked=True, cache_seconds=0)
    user = sign_up()
    auth.delete_user(user.uid, app=app)
    assert _code(verifier, user.id_token) == "invalid_token"


def test_the_cache_bounds_how_long_a_revoked_token_still_works(app):
    clock = FakeClock(time.time())  # the cache's age, moved by hand however slow the emulator
    verifier = TokenVerifier(app=app, check_revoked=True, cache_seconds=60, clock=clock)
    user = sign_up()
    assert verifier.verify(user.id_token).uid == user.uid
    time.sleep(1.1)  # revocation has whole-second resolution
    auth.revoke_refresh_tokens(user.uid, app=app)
    clock.advance(59.5)
    assert verifier.verify(user.id_token).uid == user.uid  # still cached
    clock.advance(0.5)
    assert _code(verifier, user.id_token) == "token_revoked"  # at most cache_seconds late
