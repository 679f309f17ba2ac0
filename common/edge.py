"""What every HTTP handler does first: who is calling, whether they are within their request
budget, and what time it is."""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import NoReturn

import flask

from common import logs
from common.auth import Caller, bearer_token
from common.clients import export_budget, request_budget, token_verifier
from common.config import get_settings
from common.errors import RateLimited
from common.events import user_key
from common.http import cause_of
from common.timing import phase

log = logging.getLogger(__name__)

# A user's refusals on this instance: the first of a spell logged, then a line a minute with
# their count (logs.Throttle), not a line each: a script sends thousands a second.
_REFUSED = logs.Throttle(logs.REFUSAL_LOG_SECONDS)
_EXPORTS_REFUSED = logs.Throttle(logs.REFUSAL_LOG_SECONDS)
_DELIVERY_FAILED = logs.Throttle(logs.FAILURE_LOG_SECONDS)


def authenticate(request: flask.Request, *, spend: bool = True) -> Caller:
    """The Firebase user behind the request. Behind API Gateway the app's token arrives in
    X-Forwarded-Authorization (the gateway's own identity token takes Authorization).
    `spend`: count the request against the user's budget now (`within_budget`); False where
    the handler counts it itself (a turn, once its message is read) or not at all."""
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
    if spend:
        within_budget(caller.uid)
    return caller


def within_budget(uid: str, *, unless: Callable[[], bool] | None = None) -> bool:
    """Count one of the user's requests on this instance (USER_REQUESTS_PER_SECOND after a
    burst of USER_REQUEST_BURST), or refuse it with a 429 that says when the next may go.
    `unless` is asked only when the budget is spent: True lets the request through anyway, and
    the answer is then False (the caller answers it as cheaply as it can)."""
    wait = request_budget().take(uid)
    if not wait:
        return True
    if unless and unless():
        return False
    _REFUSED.warning(log, uid, "a user's requests over their budget on this instance: refused")
    raise RateLimited(
        "You're sending requests faster than the app needs; wait a moment.",
        retry_after=_seconds(wait),
    )


def within_export_budget(uid: str) -> None:
    """Count one of the user's exports on this instance (EXPORTS_PER_MINUTE after a burst of
    EXPORT_BURST): each reads everything stored about the user."""
    wait = export_budget().take(uid)
    if wait:
        _EXPORTS_REFUSED.warning(
            log, uid, "a user's exports over their budget on this instance: refused"
        )
        raise RateLimited(
            "You asked for an export a moment ago; try again in a minute.",
            retry_after=_seconds(wait),
        )


def redeliver(e: Exception) -> NoReturn:
    """A push delivery a dependency failed (an outage: Pub/Sub retries it): answer 503, which
    Pub/Sub delivers again (any non-2xx does), and say so in one WARNING per instance per
    FAILURE_LOG_SECONDS with the count, not in Flask's ~2 KB traceback per delivery (an
    exception let through). Unexpected exception types are not passed here: they keep theirs."""
    _DELIVERY_FAILED.warning(
        log,
        "",
        "a dependency failed, the delivery is answered 503 for Pub/Sub to retry: %s: %s",
        type(e).__name__,
        str(e)[:200],
        extra={"error": type(e).__name__, "cause": cause_of(e)},
    )
    flask.abort(503)


def _seconds(wait: float) -> int:
    """Retry-After is whole seconds: rounded up, so that a retry then finds a token."""
    return max(1, math.ceil(wait))


def utcnow() -> datetime:
    return datetime.now(UTC)
