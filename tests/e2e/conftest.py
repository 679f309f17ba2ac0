import pytest

from scripts.auth_emulator import User, sign_in, sign_up
from tests.stack_fixtures import *  # noqa: F403


@pytest.fixture
def operator() -> User:
    """A user whose ID token carries the custom claim `role: operator`, set with firebase-admin
    against the Auth emulator as an admin would in production; signing in again picks it up."""
    from firebase_admin import auth

    from common.clients import firebase_app

    fresh = sign_up()
    auth.set_custom_user_claims(fresh.uid, {"role": "operator"}, app=firebase_app())
    return sign_in(fresh.email)
