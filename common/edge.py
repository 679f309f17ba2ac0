"""What every HTTP handler does first: who is calling, and what time it is."""

from __future__ import annotations

from datetime import UTC, datetime

import flask

from common.auth import Caller, bearer_token
from common.clients import token_verifier
from common.timing import phase


def authenticate(request: flask.Request) -> Caller:
    """The Firebase user behind the request. Behind API Gateway the app's token arrives in
    X-Forwarded-Authorization (the gateway's own identity token takes Authorization)."""
    header = request.headers.get("X-Forwarded-Authorization") or request.headers.get(
        "Authorization"
    )
    with phase("auth"):
        return token_verifier().verify(bearer_token(header))


def utcnow() -> datetime:
    return datetime.now(UTC)
