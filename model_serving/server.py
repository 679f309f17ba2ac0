"""The persona model's HTTP server, Vertex AI custom-container style.

    python -m model_serving.server [--host 0.0.0.0] [--port $AIP_HTTP_PORT]

Vertex AI sets AIP_HTTP_PORT, AIP_HEALTH_ROUTE and AIP_PREDICT_ROUTE; `create_app` reads them
when it is called (not at import) so tests and the local stack can choose. The model loads in a
background thread: health is 503 until it is ready and 200 after, so Vertex (and the local stack)
only route traffic to a replica that can answer. AIP_LOAD_DELAY_SECONDS (tests only) delays the
load so the 503 phase can be observed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from model_serving.predictor import InvalidInstances, Predictor

log = logging.getLogger("model_serving.server")
# 64 texts of 4000 characters, each character JSON-escaped at worst as a 12-byte surrogate pair.
MAX_BODY_BYTES = 64 * 4000 * 12 + 64 * 1024
INLINE_INSTANCES = 4  # requests this small run on the event loop; bigger ones in a worker thread


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class BadRequest(Exception):
    """Anything wrong with the request itself: answered 400."""


class ModelState:
    """The predictor and its loading status, shared by the routes and the loader thread."""

    def __init__(self, artifact_dir: str | Path | None, delay: float) -> None:
        self.predictor = Predictor()
        self.artifact_dir = artifact_dir
        self.delay = delay
        self.failure: str | None = None
        self.ready = False
        # One inference at a time: onnxruntime already uses both cores for one batch, and
        # queueing keeps the event loop free for health checks.
        self.limiter = anyio.CapacityLimiter(1)

    def load(self) -> None:
        try:
            if self.delay:
                time.sleep(self.delay)
            started = time.perf_counter()
            self.predictor.load(self.artifact_dir)
            self.predictor(
                [{"text": "warm-up: hello there"}]
            )  # first-run allocations, off the hot path
            self.ready = True
            log.warning(
                "model %s loaded in %.2f s", self.predictor.version, time.perf_counter() - started
            )
        except Exception as e:
            self.failure = f"{type(e).__name__}: {e}"
            log.exception("model failed to load")


async def read_body(request: Request) -> dict:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        raise BadRequest(f"request body over {MAX_BODY_BYTES} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BadRequest(f"request body over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadRequest(f"body is not JSON: {e}") from None
    if not isinstance(body, dict) or "instances" not in body:
        raise BadRequest("body must be a JSON object with an 'instances' list")
    return body


def create_app(artifact_dir: str | Path | None = None) -> Starlette:
    """The ASGI app; reads the AIP_* routes and port now, loads the model at startup."""
    health_route = os.environ.get("AIP_HEALTH_ROUTE", "/health")
    predict_route = os.environ.get("AIP_PREDICT_ROUTE", "/predict")
    port = int(os.environ.get("AIP_HTTP_PORT", "8080"))
    deployed_model_id = os.environ.get("AIP_DEPLOYED_MODEL_ID", "local")
    state = ModelState(artifact_dir, float(os.environ.get("AIP_LOAD_DELAY_SECONDS", "0")))

    def not_ready() -> JSONResponse:
        if state.failure:
            return error(503, "MODEL_LOAD_FAILED", state.failure)
        return error(503, "UNAVAILABLE", "the model is loading")

    async def health(request: Request) -> Response:
        if not state.ready:
            return not_ready()
        return JSONResponse({"status": "ok", "model_version": state.predictor.version})

    def run(texts: list[str]) -> list[dict]:
        return state.predictor.postprocess(state.predictor.predict(texts))

    async def predict(request: Request) -> Response:
        if not state.ready:
            return not_ready()
        try:
            body = await read_body(request)
            texts = state.predictor.preprocess(body["instances"])
        except (BadRequest, InvalidInstances) as e:
            return error(400, "INVALID_ARGUMENT", str(e))
        try:
            if len(texts) <= INLINE_INSTANCES:
                # a few ms of work: a thread hop would cost more than the event loop waits
                predictions = run(texts)
            else:
                predictions = await anyio.to_thread.run_sync(run, texts, limiter=state.limiter)
        except Exception:
            log.exception("prediction failed")
            return error(500, "INTERNAL", "prediction failed")
        return JSONResponse({"predictions": predictions, "deployedModelId": deployed_model_id})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "ERROR")
        return error(exc.status_code, code, str(exc.detail))

    async def server_error(request: Request, exc: Exception) -> Response:
        return error(500, "INTERNAL", "internal error")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        threading.Thread(target=state.load, name="model-loader", daemon=True).start()
        yield

    app = Starlette(
        routes=[
            Route(health_route, health, methods=["GET"]),
            Route(predict_route, predict, methods=["POST"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.model = state
    app.state.port = port
    return app


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m model_serving.server")
    parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a container listens on all
    parser.add_argument("--port", type=int, default=None, help="default: $AIP_HTTP_PORT or 8080")
    parser.add_argument("--artifact", default=None, help="artifact directory (default: CURRENT)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    import uvicorn

    app = create_app(args.artifact)
    port: Any = args.port or app.state.port
    uvicorn.run(app, host=args.host, port=port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
