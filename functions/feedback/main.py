"""Feedback function: POST /v2/feedback, a rating of a turn the user owns."""

from __future__ import annotations

import flask
import functions_framework

from common import clients
from common.config import get_settings, require_analytics_key
from common.edge import authenticate, utcnow
from common.feedback.models import FeedbackCreate
from common.feedback.service import submit_feedback
from common.http import Routes, handle_errors, json_response, parse, read_json
from common.logs import setup_logging

setup_logging(get_settings().log_level)
require_analytics_key()

ROUTES = Routes({"/v2/feedback": ("feedback", ("POST",))})


@functions_framework.http
@handle_errors
def feedback(request: flask.Request) -> flask.Response:
    ROUTES.match(request)
    caller = authenticate(request)
    body = parse(FeedbackCreate, read_json(request, max_bytes=get_settings().max_body_bytes))
    store = clients.session_store()
    out = submit_feedback(
        uid=caller.uid,
        body=body,
        store=store,
        outbox=store,
        publisher=clients.event_publisher(),
        settings=get_settings(),
        now=utcnow(),
    )
    return json_response(out, 201 if out.created and out.changed else 200)
