"""Notification producers (Cloud Scheduler): `{"producer": "weekly_insight"}` (Sundays) sends
each user active in the last 7 days a summary of their week; `{"producer": "reengagement"}`
(daily) nudges users the analytics mark at risk of leaving. Both through the outbox onto the
`notifications` topic, within each user's opt-outs; `?producer=` works too. Answers what it
did: considered, enqueued, and skipped by reason."""

from __future__ import annotations

import time
from typing import Literal

import flask
import functions_framework
from pydantic import BaseModel, ConfigDict

from common import clients
from common.adapters.bigquery_churn import BigQueryRiskReader
from common.adapters.firestore_audience import FirestoreAudienceStore
from common.config import get_settings, require_analytics_key
from common.edge import utcnow
from common.errors import MethodNotAllowed
from common.http import handle_errors, json_response, parse, read_json
from common.logs import setup_logging
from common.notifications.models import REENGAGEMENT
from common.notifications.service import produce_reengagement_nudges, produce_weekly_insights

setup_logging(get_settings().log_level)
require_analytics_key()

# Pages are read for this long (the function's timeout is 540 s, terraform/stack/functions.tf):
# the run then reports, and the next one goes on from the device where it stopped.
BUDGET_SECONDS = 420


class ProducerRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    producer: Literal["weekly_insight", "reengagement"]


@functions_framework.http
@handle_errors
def notification_producers(request: flask.Request) -> flask.Response:
    # Private in production, as session_cleanup: internal ingress, and only the scheduler's
    # service account holds run.invoker (Cloud Run checks its OIDC token first).
    if request.method != "POST":
        raise MethodNotAllowed("Use POST.", allowed=("POST",))
    settings = get_settings()
    if "producer" in request.args:
        body = {"producer": request.args["producer"]}
    else:
        body = read_json(request, max_bytes=settings.max_body_bytes)
    run = parse(ProducerRun, body)
    deadline = time.monotonic() + BUDGET_SECONDS
    ports = {
        "audience": FirestoreAudienceStore(clients.firestore_client()),
        "publisher": clients.event_publisher(),
        "outbox": clients.session_store(),
        "settings": settings,
        "now": utcnow(),
        "deadline": deadline,
    }
    if run.producer == REENGAGEMENT:
        risks = BigQueryRiskReader(
            clients.bigquery_client(),
            dataset=settings.analytics_dataset,
            max_bytes_billed=settings.reengagement_max_bytes_billed,
        )
        report = produce_reengagement_nudges(risks=risks, **ports)
    else:
        report = produce_weekly_insights(**ports)
    return json_response(report.as_dict())
