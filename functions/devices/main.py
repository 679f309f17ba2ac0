"""Devices function: POST /v2/devices registers an FCM token, DELETE /v2/devices/{token}
removes one of the caller's."""

from __future__ import annotations

import flask
import functions_framework

from common import clients
from common.config import get_settings
from common.devices.models import DeviceCreate
from common.devices.service import register_device, remove_device
from common.edge import authenticate, utcnow
from common.http import Routes, handle_errors, json_response, parse, read_json
from common.logs import setup_logging

setup_logging(get_settings().log_level)

ROUTES = Routes(
    {
        "/v2/devices": ("register", ("POST",)),
        "/v2/devices/<token>": ("remove", ("DELETE",)),
    }
)


@functions_framework.http
@handle_errors
def devices(request: flask.Request) -> flask.Response:
    endpoint, args = ROUTES.match(request)
    uid = authenticate(request).uid
    store = clients.device_store()
    if endpoint == "remove":
        remove_device(uid=uid, token=args["token"], store=store, now=utcnow())
        return flask.Response(status=204)
    body = parse(DeviceCreate, read_json(request, max_bytes=get_settings().max_body_bytes))
    out = register_device(uid=uid, body=body, store=store, now=utcnow())
    return json_response(out, 201 if out.created else 200)
