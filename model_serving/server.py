"""The persona model's HTTP server, Vertex AI custom-container style.

    python -m model_serving.server [--host 0.0.0.0] [--port $AIP_HTTP_PORT]

Vertex AI sets AIP_HTTP_PORT, AIP_HEALTH_ROUTE and AIP_PREDICT_ROUTE; `create_app` reads them
when it is called (not at import) so tests and the local stack can choose. The model loads in a
background thread: health is 503 until it is ready and 200 after, so Vertex (and the local stack)
only route traffic to a replica that can answer. AIP_LOAD_DELAY_SECONDS (tests only) delays the
load so the 503 phase can be observed.

Reload without a restart: unless one artifact is pinned (--artifact, MODEL_ARTIFACT_DIR or
AIP_STORAGE_URI), a watcher reads <artifacts root>/CURRENT every MODEL_RELOAD_SECONDS (default
2; 0 turns it off). When it names another version, that version is loaded and warmed up beside
the serving one, then swapped in at once: health stays 200 on the old model meanwhile, requests
already running finish on the model they started with, and later predictions carry the new
model_version. A version that fails to load is logged, shown in health as `reload_error`, and not
retried until CURRENT changes again; the old model keeps serving. A pinned artifact that fails
to load (say a transient GCS or metadata server error) is retried with a backoff capped at a
minute; health answers 503 MODEL_LOAD_FAILED with the last error meanwhile.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
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

from model_serving.artifact import artifacts_root, current_version, fetch_gcs
from model_serving.predictor import InvalidInstances, Predictor

log = logging.getLogger("model_serving.server")
# 64 texts of 4000 characters, each character JSON-escaped at worst as a 12-byte surrogate pair.
MAX_BODY_BYTES = 64 * 4000 * 12 + 64 * 1024
# One text this short runs on the event loop (a few ms; the thread hop and the queue behind a
# batch would cost the chat path more); anything bigger in a worker thread, one at a time, so
# health checks never wait behind it. 400 characters covers every held-out corpus message.
INLINE_MAX_CHARS = 400
# A pinned artifact has no CURRENT to fall back on: a failed load (a transient GCS or metadata
# error) is retried, after 1, 2, 4 ... seconds, at most a minute apart.
LOAD_RETRY_SECONDS = (1.0, 60.0)


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class BadRequest(Exception):
    """Anything wrong with the request itself: answered 400."""


class ModelState:
    """The serving predictor, its loading status and the CURRENT watcher, shared by the routes
    and the loader thread. `predictor` is replaced whole on a reload, never changed in place."""

    def __init__(
        self,
        artifact_dir: str | Path | None,
        delay: float,
        *,
        root: Path | None = None,
        reload_seconds: float = 0.0,
        storage_uri: str | None = None,
    ) -> None:
        self.predictor = Predictor()
        self.artifact_dir = artifact_dir
        self.storage_uri = storage_uri
        self.root = root or artifacts_root()
        self.reload_seconds = reload_seconds
        self.delay = delay
        self.failure: str | None = None
        self.ready = False
        self.reloads = 0
        self.reload_error: str | None = None
        self._failed_version: str | None = None  # not retried until CURRENT names another
        self._stop = threading.Event()
        # One inference at a time: onnxruntime already uses both cores for one batch, and
        # queueing keeps the event loop free for health checks.
        self.limiter = anyio.CapacityLimiter(1)

    @property
    def pinned(self) -> bool:
        """One artifact was named (or Vertex handed us one): there is no CURRENT to follow."""
        return bool(self.artifact_dir or os.environ.get("MODEL_ARTIFACT_DIR") or self.storage_uri)

    def _fresh(self, artifact_dir: str | Path | None) -> Predictor:
        predictor = Predictor()
        predictor.load(artifact_dir)
        predictor([{"text": "warm-up: hello there"}])  # first-run allocations, off the hot path
        return predictor

    def load(self) -> None:
        download = None
        try:
            started = time.perf_counter()
            artifact_dir = self.artifact_dir  # None + MODEL_ARTIFACT_DIR: Predictor reads it
            if not artifact_dir and self.storage_uri:
                download = Path(tempfile.mkdtemp(prefix="model-"))
                artifact_dir = fetch_gcs(self.storage_uri, download)
            elif not self.pinned:
                artifact_dir = self.root / (current_version(self.root) or "CURRENT-is-missing")
            self.predictor = self._fresh(artifact_dir)
            self.ready, self.failure = True, None
            log.warning(
                "model %s loaded in %.2f s", self.predictor.version, time.perf_counter() - started
            )
        except Exception as e:
            self.failure = f"{type(e).__name__}: {e}"
            log.exception("model failed to load")
            if download is not None:
                shutil.rmtree(download, ignore_errors=True)  # the next attempt downloads anew

    def check_current(self) -> bool:
        """Load and swap in the version CURRENT names if it is not the one serving; True when
        a new model was swapped in."""
        wanted = current_version(self.root)
        serving = self.predictor.version if self.ready else None
        if wanted is not None and wanted == serving:  # back to the serving one: nothing failed
            self.reload_error = self._failed_version = None
        if wanted is None or wanted in (serving, self._failed_version):
            return False
        started = time.perf_counter()
        try:
            fresh = self._fresh(self.root / wanted)
        except Exception as e:
            self._failed_version = wanted
            self.reload_error = f"{wanted}: {type(e).__name__}: {e}"
            log.exception("model %s failed to load; still serving %s", wanted, serving)
            return False
        self.predictor = fresh  # one assignment: a request sees the old or the new model
        self.ready, self.failure, self.reload_error = True, None, None
        self._failed_version = None
        self.reloads += 1
        log.warning(
            "model %s loaded in %.2f s and now serving (was %s)",
            fresh.version,
            time.perf_counter() - started,
            serving,
        )
        return True

    def watch(self) -> None:
        """The loader thread: the first load (retried if pinned), then CURRENT every
        reload_seconds."""
        if self.delay:
            time.sleep(self.delay)
        self.load()
        wait, longest = LOAD_RETRY_SECONDS
        while self.pinned and not self.ready and not self._stop.wait(wait):
            self.load()  # health stays 503 MODEL_LOAD_FAILED with the last error meanwhile
            wait = min(wait * 2, longest)
        if self.pinned or self.reload_seconds <= 0:
            return
        while not self._stop.wait(self.reload_seconds):
            try:
                self.check_current()
            except Exception:  # never let the watcher die: the next tick tries again
                log.exception("checking CURRENT failed")

    def stop(self) -> None:
        self._stop.set()


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
    except RecursionError:
        raise BadRequest("body is not JSON: nested too deeply") from None
    except ValueError as e:  # also an integer over Python's 4300-digit limit
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
    state = ModelState(
        artifact_dir,
        float(os.environ.get("AIP_LOAD_DELAY_SECONDS", "0")),
        reload_seconds=float(os.environ.get("MODEL_RELOAD_SECONDS", "2")),
        storage_uri=os.environ.get("AIP_STORAGE_URI") or None,
    )

    def not_ready() -> JSONResponse:
        if state.failure:
            return error(503, "MODEL_LOAD_FAILED", state.failure)
        return error(503, "UNAVAILABLE", "the model is loading")

    async def health(request: Request) -> Response:
        if not state.ready:
            return not_ready()
        body: dict[str, Any] = {"status": "ok", "model_version": state.predictor.version}
        if state.reloads:
            body["reloads"] = state.reloads
        if state.reload_error:
            body["reload_error"] = state.reload_error
        return JSONResponse(body)

    def run(predictor: Predictor, texts: list[str]) -> list[dict]:
        return predictor.postprocess(predictor.predict(texts))

    async def predict(request: Request) -> Response:
        if not state.ready:
            return not_ready()
        predictor = state.predictor  # this request's model, even if a reload swaps it now
        try:
            body = await read_body(request)
            texts = predictor.preprocess(body["instances"])
        except (BadRequest, InvalidInstances) as e:
            return error(400, "INVALID_ARGUMENT", str(e))
        try:
            if len(texts) == 1 and len(texts[0]) <= INLINE_MAX_CHARS:
                predictions = run(predictor, texts)
            else:
                predictions = await anyio.to_thread.run_sync(
                    run, predictor, texts, limiter=state.limiter
                )
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
        threading.Thread(target=state.watch, name="model-loader", daemon=True).start()
        yield
        state.stop()

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
