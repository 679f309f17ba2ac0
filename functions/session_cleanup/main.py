"""Session cleanup (Cloud Scheduler, hourly). common.cleanup.run_cleanup finishes the Firestore
erasures a request began and was cut off from, completes the analytics part of pending erasures
and enforces each user's retention in analytics; then deletes expired sessions with their
turns, orphaned turns and expired turn keys, ratings and activity records, drops the learned
profiles' per-day counters once they are stale, and enforces each user's retention in
Firestore. Then this handler prunes devices unseen for DEVICE_STALE_DAYS and erases the users
whose account was deleted in Firebase Auth (common.account_sweep). Reports what it did."""

from __future__ import annotations

import functools
import logging
import time
from datetime import datetime, timedelta

import flask
import functions_framework

from common import clients
from common.account_sweep import sweep_accounts
from common.adapters.bigquery_erasure import BigQueryAnalyticsEraser
from common.adapters.firebase_accounts import FirebaseAccountDirectory
from common.adapters.firestore_cleanup import FirestoreCleanupStore
from common.adapters.firestore_devices import prune_stale_devices
from common.cleanup import run_cleanup
from common.config import get_settings, require_analytics_key
from common.edge import utcnow
from common.errors import MethodNotAllowed, Unavailable
from common.events import user_key
from common.http import handle_errors, json_response
from common.logs import NEEDS_OPERATOR, setup_logging

setup_logging(get_settings().log_level)
require_analytics_key()

log = logging.getLogger(__name__)

# Two thirds of the function's 540 s timeout (terraform/stack/functions.tf): a backlog stops
# here, leaving time to prune devices and sweep deleted accounts (at most PRUNE_SECONDS and
# SWEEP_SECONDS more) and report, and the next run goes on. A BigQuery statement may hold the
# run about 170 s (common.adapters.bigquery_calls: its table check and its start, 20 s each
# with their retries; its 110 s QUERY_TIMEOUT (bigquery_erasure); then the getQueryResults
# under way, which BigQuery holds LONG_POLL_SECONDS, 10 s, and 10 s of retries if a status call
# fails). Statements begin only in the run's first ANALYTICS_SECONDS (120 s, common.cleanup),
# and what they take past that moves the budget's end by at most 120 s more: to 480 s at worst.
# Whatever happens, nothing starts after STOP_SECONDS, so the run reports before the function
# is killed.
BUDGET_SECONDS = 360
PRUNE_SECONDS = 60
SWEEP_SECONDS = 60
STOP_SECONDS = 500


@functools.cache
def _analytics() -> BigQueryAnalyticsEraser:
    settings = get_settings()
    return BigQueryAnalyticsEraser(clients.bigquery_client(), dataset=settings.analytics_dataset)


@functions_framework.http
@handle_errors
def session_cleanup(request: flask.Request) -> flask.Response:
    # Private in production, as outbox_relay: internal ingress, and only the scheduler's service
    # account holds run.invoker (Cloud Run checks its OIDC token before the request gets here).
    if request.method != "POST":
        raise MethodNotAllowed("Use POST.", allowed=("POST",))
    now, stop = utcnow(), time.monotonic() + STOP_SECONDS
    report = run_cleanup(
        store=FirestoreCleanupStore(clients.firestore_client()),
        analytics=_analytics(),
        now=now,
        budget_seconds=BUDGET_SECONDS,
        full_pass_every=_full_pass_every(),
        erasure_batch_every=timedelta(hours=get_settings().erasure_analytics_batch_hours),
    )
    pruned = _prune_stale_devices(now, until=min(time.monotonic() + PRUNE_SECONDS, stop))
    swept = (
        _sweep_deleted_accounts(now, until=min(time.monotonic() + SWEEP_SECONDS, stop))
        if get_settings().account_sweep
        else {"off": True}
    )
    return json_response(report.as_dict() | {"stale_devices": pruned, "deleted_accounts": swept})


def _full_pass_every() -> timedelta:
    return timedelta(hours=get_settings().cleanup_full_pass_hours)


def _prune_stale_devices(now: datetime, *, until: float) -> int | dict:
    """The devices pruned; a failure is reported, as a cleanup phase's is, and the account
    sweep and the run's report still go on (what was pruned stays pruned, the next run goes
    on)."""
    try:
        return prune_stale_devices(
            clients.firestore_client(),
            now=now,
            max_age_days=get_settings().device_stale_days,
            in_time=lambda: time.monotonic() < until,
        )
    except Unavailable as e:
        log.warning("pruning stale devices failed, left to the next run: %s", e)
        return {"error": type(e).__name__}
    except Exception as e:  # not an outage nor a refusal (storage_errors: 503): an index, a bug
        log.exception(
            "pruning stale devices failed and needs an operator", extra={NEEDS_OPERATOR: True}
        )
        return {"error": type(e).__name__}


def _sweep_deleted_accounts(now: datetime, *, until: float) -> dict:
    """Erase the users whose Firebase Auth account is gone; a failed lookup is left to the next
    run (and told to an operator: it is a permission or the Auth service)."""
    key = get_settings().analytics_hmac_key()
    store = FirestoreCleanupStore(clients.firestore_client())

    def in_time() -> bool:
        return time.monotonic() < until

    def erase(uid: str) -> None:
        # Past `until`, a heavy user's erasure stops after a batch (Unavailable: a failed
        # erasure, in progress on its record), and the job's next run finishes it.
        # A new erasure (requested_at=None): the account is gone, whatever its record says.
        store.finish_erasure(
            uid=uid, user_key=user_key(uid, key), requested_at=None, now=now, in_time=in_time
        )

    try:
        report = sweep_accounts(
            known=store,
            directory=FirebaseAccountDirectory(clients.firebase_app()),
            erase=erase,
            now=now,
            full_pass_every=_full_pass_every(),
            in_time=in_time,
        )
    except Exception as e:
        log.exception("account sweep failed", extra={NEEDS_OPERATOR: True})
        return {"error": type(e).__name__}
    return report.as_dict()
