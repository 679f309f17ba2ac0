"""What every HTTP handler does first: who is calling, and what time it is."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import flask

from common import logs
from common.auth import Caller, bearer_token
from common.clients import token_verifier
from common.config import get_settings
from common.events import user_key
from common.timing import phase


def authenticate(request: flask.Request) -> Caller:
    """The Firebase user behind the request. Behind API Gateway the app's token arrives in
    X-Forwarded-Authorization (the gateway's own identity token takes Authorization)."""
    header = request.headers.get("X-Forwarded-Authorization") or request.headers.get(
        "Authorization"
    )
    with phase("auth"):
        caller = token_verifier().verify(bearer_token(header))
    # The user key, never the uid: an operator finds a user's lines from the uid they were
    # given (docs/OPERATIONS.md), and the logs name no one by themselves. Functions that are
    # not given the analytics key (devices, insights: least privilege) log without it.
    with contextlib.suppress(RuntimeError):
        logs.bind(user_key=user_key(caller.uid, get_settings().analytics_hmac_key()))
    return caller


def utcnow() -> datetime:
    return datetime.now(UTC)
