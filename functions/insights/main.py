"""Insights function, for operators (custom claim `role: operator`):

    GET /v2/insights/metrics              the metrics there are and how to draw them
    GET /v2/insights/metrics/<name>       one metric's rows, `?from=YYYY-MM-DD&to=YYYY-MM-DD`
    GET /v2/insights/dashboard            the dashboard page (+ dashboard.js, dashboard.css)

The page and its script hold no data: a browser cannot send a bearer token when it opens a
page, so the page reads the operator's token from the URL fragment (never sent to a server),
and every number comes from the metrics API, which checks the token on each request."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import flask
import functions_framework

from common import clients
from common.adapters.bigquery_metrics import BigQueryMetricReader
from common.config import get_settings
from common.edge import authenticate, utcnow
from common.errors import NotFound
from common.http import Routes, handle_errors, json_response, parse
from common.insights import access, service
from common.insights.metrics import PeriodQuery, resolve_period
from common.logs import setup_logging

setup_logging(get_settings().log_level)

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {
    "dashboard": ("dashboard.html", "text/html; charset=utf-8"),
    "dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    "dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
}
# Only our own script and style, only our own API; nothing from any other origin.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}
DATA_HEADERS = {"Cache-Control": "no-store"}  # operator data stays out of shared caches

ROUTES = Routes(
    {
        "/v2/insights/metrics": ("index", ("GET",)),
        "/v2/insights/metrics/<name>": ("metric", ("GET",)),
        **{f"/v2/insights/{asset}": ("asset", ("GET",)) for asset in ASSETS},
    }
)


@cache
def _asset(name: str) -> bytes:
    return (STATIC / ASSETS[name][0]).read_bytes()


@cache
def _reader() -> BigQueryMetricReader:
    return BigQueryMetricReader(
        clients.bigquery_client(), max_bytes_billed=get_settings().insights_max_bytes_billed
    )


@functions_framework.http
@handle_errors
def insights(request: flask.Request) -> flask.Response:
    endpoint, args = ROUTES.match(request)
    if endpoint == "asset":
        name = request.path.rsplit("/", 1)[-1]
        if name not in ASSETS:  # e.g. "dashboard.js/": the router ignores a trailing slash
            raise NotFound("There is nothing at this path.", code="route_not_found")
        return flask.Response(
            _asset(name), mimetype=None, headers={"Content-Type": ASSETS[name][1], **PAGE_HEADERS}
        )
    # Operators are not held to the users' request budget: a dashboard load asks for each of
    # its ~20 metrics at once, and the bytes cap and the function's few instances bound them.
    caller = authenticate(request, spend=False)
    access.require_operator(caller)
    if endpoint == "index":
        return json_response(service.list_metrics(), headers=DATA_HEADERS)
    query = parse(PeriodQuery, request.args.to_dict())
    today = utcnow().date()
    out = service.read_metric(
        name=args["name"],
        period=resolve_period(query, today=today),
        today=today,
        reader=_reader(),
        project=get_settings().project_id,
        dataset=get_settings().analytics_dataset,
    )
    access.log_read(caller, metric=args["name"], served=out)
    return json_response(out, headers=DATA_HEADERS)
