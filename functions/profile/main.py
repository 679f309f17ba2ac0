"""Profile function: GET/PATCH/DELETE /v2/profile and GET /v2/profile/export."""

from __future__ import annotations

import flask
import functions_framework

from common import clients
from common.config import get_settings, require_analytics_key
from common.edge import authenticate, utcnow, within_export_budget
from common.errors import MethodNotAllowed
from common.http import Routes, handle_errors, json_response, parse, read_json
from common.json_stream import json_stream_response
from common.logs import setup_logging
from common.profile import service
from common.profile.models import ProfilePatch

setup_logging(get_settings().log_level)
require_analytics_key()

ROUTES = Routes(
    {
        "/v2/profile": ("profile", ("GET", "PATCH", "DELETE")),
        "/v2/profile/export": ("export", ("GET",)),
    }
)


@functions_framework.http
@handle_errors
def profile(request: flask.Request) -> flask.Response:
    endpoint, _ = ROUTES.match(request)
    uid = authenticate(request).uid
    store, settings = clients.profile_store(), get_settings()
    if endpoint == "export":
        within_export_budget(uid)  # it reads everything stored about the user
        export = service.export_profile(uid=uid, store=store, settings=settings)
        return json_stream_response(  # a heavy user's export is more than memory holds at once
            export, headers={"Content-Disposition": 'attachment; filename="ion-export.json"'}
        )
    if request.method == "GET":
        out = service.get_profile(uid=uid, store=store, settings=settings, now=utcnow())
        return json_response(out)
    if request.method == "PATCH":
        patch = parse(ProfilePatch, read_json(request, max_bytes=settings.max_body_bytes))
        out = service.patch_profile(
            uid=uid,
            patch=patch,
            store=store,
            outbox=clients.session_store(),
            publisher=clients.event_publisher(),
            settings=settings,
            now=utcnow(),
        )
        return json_response(out)
    if request.method != "DELETE":  # never erase on a method that only fell through
        raise MethodNotAllowed(
            f"{request.method} is not allowed on this path.",
            allowed=ROUTES.allowed_methods(request.path),
        )
    counts = service.erase_profile(uid=uid, store=store, settings=settings, now=utcnow())
    return json_response({"erased": True, "deleted": counts})
