"""What every HTTP handler does first: who is calling, and what time it is."""

from __future__ import annotations

from datetime import UTC, datetime

import flask

from common.auth import Caller, bearer_token
from common.clients import token_verifier


def authenticate(request: flask.Request) -> Caller:
    return token_verifier().verify(bearer_token(request.headers.get("Authorization")))


def utcnow() -> datetime:
    return datetime.now(UTC)
