"""Outbox relay (Cloud Scheduler, every minute): publish events a turn could not deliver."""

from __future__ import annotations

from dataclasses import asdict

import flask
import functions_framework

from common import clients
from common.config import get_settings
from common.edge import utcnow
from common.errors import Unavailable
from common.http import handle_errors, json_response
from common.logs import setup_logging
from common.outbox import relay_outbox

setup_logging(get_settings().log_level)


@functions_framework.http
@handle_errors
def outbox_relay(request: flask.Request) -> flask.Response:
    # Private in production: only the scheduler's service account may invoke it (IAM, OIDC).
    store = clients.session_store()
    report = relay_outbox(
        publisher=clients.event_publisher(),
        outbox=store,
        now=utcnow(),
        batch_size=get_settings().outbox_batch_size,
    )
    if report.failed:  # a failed attempt in Cloud Scheduler's log: the job-failure alert sees it
        raise Unavailable(f"Pub/Sub refused {report.failed} outbox events; they stay due.")
    return json_response(asdict(report))
