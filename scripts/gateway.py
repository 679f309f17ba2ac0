"""The local stand-in for API Gateway: one base URL, the production paths, each routed to its
function's functions-framework process. Bodies and responses stream through unchanged."""

from __future__ import annotations

import json
import time

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from scripts.stack import FLOOR_PORT, FUNCTION_PORTS

# Path prefix -> function port, as API Gateway's OpenAPI paths map to backends in production.
ROUTES: tuple[tuple[str, int], ...] = (
    ("/v2/chat/", FUNCTION_PORTS["chat"]),
    ("/v2/sessions/", FUNCTION_PORTS["chat"]),
    ("/api/chat/enhanced", FUNCTION_PORTS["chat"]),
    ("/healthz", FUNCTION_PORTS["chat"]),
    ("/v2/feedback", FUNCTION_PORTS["feedback"]),
    ("/v2/profile", FUNCTION_PORTS["profile"]),
    ("/v2/devices", FUNCTION_PORTS["devices"]),
    ("/v2/insights/", FUNCTION_PORTS["insights"]),
    ("/_bench/floor", FLOOR_PORT),
)
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "host",
    "content-length",
    "proxy-authorization",
    "proxy-authenticate",
    "trailer",
}

client = httpx.AsyncClient(
    timeout=httpx.Timeout(60.0, connect=2.0),
    # gunicorn drops idle keep-alive connections after 2 s: let ours go sooner.
    limits=httpx.Limits(max_connections=200, max_keepalive_connections=100, keepalive_expiry=1.5),
)
MAX_BODY = 1024 * 1024  # the functions refuse far less; this only bounds what we buffer


def _error(status: int, code: str, message: str, retry_after: int | None = None) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    body = {"error": {"code": code, "message": message}}
    return Response(json.dumps(body), status, headers, media_type="application/json")


async def proxy(request: Request) -> Response:
    started = time.perf_counter()
    path = request.url.path
    raw_path = request.scope.get("raw_path", b"").decode("latin-1") or path  # as the app sent it
    port = next(
        (p for prefix, p in ROUTES if path == prefix.rstrip("/") or path.startswith(prefix)), None
    )
    if port is None:
        return _error(404, "route_not_found", "There is nothing at this path.")
    # Raw bytes: a header value outside ASCII (obs-text) passes through as sent, not as a 500.
    headers = [(k, v) for k, v in request.headers.raw if k.decode("latin-1") not in HOP_BY_HOP]
    query = f"?{request.url.query}" if request.url.query else ""
    body = b""
    async for chunk in request.stream():  # buffered, so a request can be sent twice
        body += chunk
        if len(body) > MAX_BODY:
            return _error(413, "payload_too_large", "The body is too large.")
    try:
        upstream = client.build_request(
            request.method,
            f"http://127.0.0.1:{port}{raw_path}{query}",
            headers=headers,
            content=body,
        )
    except httpx.InvalidURL:
        return _error(400, "invalid_path", "The request path is not a valid URL.")
    for attempt in (1, 2):
        try:
            response = await client.send(upstream, stream=True)
            break
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            if attempt == 2:  # a kept-alive connection the server had just closed: once more
                return _error(503, "unavailable", "The service did not answer; try again.", 1)
        except httpx.TransportError:
            return _error(503, "unavailable", "The service is not reachable; try again shortly.", 5)
    out_headers = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP}
    if "server-timing" in out_headers:  # the function's phases, then the gateway's whole wait
        waited = (time.perf_counter() - started) * 1000
        out_headers["server-timing"] += f", gateway;dur={waited:.1f}"
    return StreamingResponse(
        response.aiter_raw(),
        status_code=response.status_code,
        headers=out_headers,
        background=BackgroundTask(response.aclose),
    )


async def ready(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def unmatched(request: Request, exc: Exception) -> Response:
    """Starlette's `{path:path}` stops at a newline (%0A): proxy such a path all the same."""
    return await proxy(request)


METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
app = Starlette(
    routes=[
        Route("/_gateway/ready", ready),
        Route("/{path:path}", proxy, methods=METHODS),
    ],
    exception_handlers={404: unmatched},
)
