"""Session cleanup (Cloud Scheduler, hourly): deletes expired sessions with their turns and
other expired documents, enforces each user's retention (Firestore and analytics), and completes
the analytics part of pending erasures. Reports what it deleted."""

from __future__ import annotations

import functools
import time

import flask
import functions_framework

from common import clients
from common.adapters.bigquery_erasure import BigQueryAnalyticsEraser
from common.adapters.firestore_cleanup import FirestoreCleanupStore
from common.adapters.firestore_devices import prune_stale_devices
from common.cleanup import run_cleanup
from common.config import get_settings, require_analytics_key
from common.edge import utcnow
from common.errors import MethodNotAllowed
from common.http import handle_errors, json_response
from common.logs import setup_logging

setup_logging(get_settings().log_level)
require_analytics_key()

# Two thirds of the function's 540 s timeout (terraform/stack/functions.tf): a backlog stops
# here, leaving time to prune devices (at most PRUNE_SECONDS more) and report, and the next
# run goes on.
BUDGET_SECONDS = 360
PRUNE_SECONDS = 60


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
        raise MethodNotAllowed("Use POST.")
    now = utcnow()
    report = run_cleanup(
        store=FirestoreCleanupStore(clients.firestore_client()),
        analytics=_analytics(),
        now=now,
        budget_seconds=BUDGET_SECONDS,
    )
    prune_until = time.monotonic() + PRUNE_SECONDS
    pruned = prune_stale_devices(
        clients.firestore_client(),
        now=now,
        max_age_days=get_settings().device_stale_days,
        in_time=lambda: time.monotonic() < prune_until,
    )
    return json_response(report.as_dict() | {"stale_devices": pruned})
