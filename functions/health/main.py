"""/healthz: each dependency's state and the features that degrade without it."""

from __future__ import annotations

import flask
import functions_framework

from common.config import get_settings
from common.health import check_all
from common.http import handle_errors, json_response
from common.logs import setup_logging

setup_logging(get_settings().log_level)


@functions_framework.http
@handle_errors
def health(request: flask.Request) -> flask.Response:
    report = check_all(get_settings())
    return json_response(report, 200 if report["status"] == "ok" else 503)
