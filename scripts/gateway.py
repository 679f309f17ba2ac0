"""The local stand-in for API Gateway: one base URL, the production paths, each routed to its
function's functions-framework process. Bodies and responses stream through unchanged.

As in production, the client's token reaches the function in X-Forwarded-Authorization while
Authorization carries the gateway's own identity token (here a placeholder no token check
accepts), and a backend has its deadline for the whole answer (a 504 past it). Unlike
production, a request without a valid token is not refused here: the function's own 401 stands
in for the gateway's."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from scripts.openapi_endpoints import BACKEND_DEADLINE, DEFAULT_DEADLINE
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

# Seconds each backend (by port) has for its whole answer: API Gateway's `deadline`.
DEADLINES = {FUNCTION_PORTS[name]: seconds for name, seconds in BACKEND_DEADLINE.items()}
# What production's gateway puts in Authorization (an identity token for the function's URL).
GATEWAY_IDENTITY = b"Bearer local-gateway-identity-token"

client = httpx.AsyncClient(
    timeout=httpx.Timeout(None, connect=2.0),  # the backend's deadline bounds the rest
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
    arrived = asyncio.get_running_loop().time()  # the backend's deadline counts from here
    path = request.url.path
    raw_path = request.scope.get("raw_path", b"").decode("latin-1") or path  # as the app sent it
    port = next(
        (p for prefix, p in ROUTES if path == prefix.rstrip("/") or path.startswith(prefix)), None
    )
    if port is None:
        return _error(404, "route_not_found", "There is nothing at this path.")
    headers = _backend_headers(request.headers.raw)
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
    expires = arrived + DEADLINES.get(port, DEFAULT_DEADLINE)
    try:
        async with asyncio.timeout_at(expires):
            response = await _send(upstream)
    except TimeoutError:  # API Gateway answers 504 too (in its own shape)
        return _error(504, "gateway_timeout", "The service did not answer in time.")
    if isinstance(response, Response):  # the gateway's own answer
        return response
    out_headers = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP}
    if "server-timing" in out_headers:  # the function's phases, then the gateway's whole wait
        waited = (time.perf_counter() - started) * 1000
        out_headers["server-timing"] += f", gateway;dur={waited:.1f}"
    return StreamingResponse(
        _body(response, expires),
        status_code=response.status_code,
        headers=out_headers,
        background=BackgroundTask(response.aclose),
    )


def _backend_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The request's headers for the function, as API Gateway passes them: the client's
    Authorization moved to X-Forwarded-Authorization (one the client sent itself is dropped),
    and the gateway's identity in Authorization. Raw bytes: a value outside ASCII (obs-text)
    passes through as sent, not as a 500."""
    out = []
    for key, value in raw:
        name = key.decode("latin-1").lower()
        if name == "authorization":
            out.append((b"x-forwarded-authorization", value))
        elif name not in HOP_BY_HOP and name != "x-forwarded-authorization":
            out.append((key, value))
    if any(key == b"x-forwarded-authorization" for key, _ in out):
        out.append((b"authorization", GATEWAY_IDENTITY))
    return out


async def _send(upstream: httpx.Request) -> httpx.Response | Response:
    """The function's answer (its body streams later), or the gateway's 503."""
    for _ in range(2):  # a kept-alive connection the server had just closed: once more
        try:
            return await client.send(upstream, stream=True)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            continue
        except httpx.TransportError:
            return _error(503, "unavailable", "The service is not reachable; try again shortly.", 5)
    return _error(503, "unavailable", "The service did not answer; try again.", 1)


async def _body(response: httpx.Response, expires: float) -> AsyncIterator[bytes]:
    """The function's body until the deadline; past it the connection is dropped mid-answer, as
    API Gateway drops it (the error leaves the response without its closing chunk)."""
    try:
        async with asyncio.timeout_at(expires):
            async for chunk in response.aiter_raw():
                yield chunk
    finally:
        await response.aclose()


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
