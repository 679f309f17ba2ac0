"""Every log line of a request carries its request id, Cloud Trace id and (once authenticated)
the caller's user key, also from threads the request hands work to; the response names the
request id (the operability review: no line could be tied to a user's failed request)."""

from __future__ import annotations

import contextvars
import io
import json
import logging
import threading
from collections.abc import Callable, Iterator

import flask
import pytest
from google.api_core.exceptions import InternalServerError, ResourceExhausted

from common import edge, logs
from common.auth import Caller
from common.config import get_settings
from common.events import user_key
from common.http import handle_errors, json_response

TRACE = "0af7651916cd43dd8448eb211c80319c"
LOG = logging.getLogger("test.request")


@pytest.fixture
def lines() -> Iterator[Callable[[], list[dict]]]:
    """The JSON lines logged so far, as Cloud Logging would receive them."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.formatter())
    handler.addFilter(logs.RequestFields())
    LOG.addHandler(handler)
    LOG.setLevel("INFO")
    yield lambda: [json.loads(line) for line in out.getvalue().splitlines()]
    LOG.removeHandler(handler)


@pytest.fixture
def client(monkeypatch) -> flask.testing.FlaskClient:
    verifier = type("Verifier", (), {"verify": lambda self, token: Caller(uid="user-1")})()
    monkeypatch.setattr(edge, "token_verifier", lambda: verifier)
    app = flask.Flask(__name__)

    @app.route("/", methods=["POST"])
    @handle_errors
    def handler() -> flask.Response:
        LOG.info("before sign-in")
        edge.authenticate(flask.request)
        LOG.info("on the request thread")
        worker = threading.Thread(
            target=contextvars.copy_context().run, args=(LOG.info, "on a worker thread")
        )
        worker.start()
        worker.join()
        if flask.request.args.get("fail"):
            raise RuntimeError("boom")
        return json_response({"ok": True})

    return app.test_client()


def test_a_requests_lines_carry_its_ids_and_the_user_key(client, lines):
    key = user_key("user-1", get_settings().analytics_hmac_key())
    trace = f"projects/{get_settings().project_id}/traces/{TRACE}"
    w3c = f"00-{TRACE}-b7ad6b7169203331-01"
    traced = client.post("/", headers={"Authorization": "Bearer t", "traceparent": w3c})
    failed = client.post("/?fail=1", headers={"Authorization": "Bearer t"})
    LOG.info("outside any request")

    assert traced.status_code == 200 and traced.headers["X-Request-Id"] == TRACE
    own_id = failed.headers["X-Request-Id"]  # no trace header: an id of its own
    assert failed.status_code == 500 and len(own_id) == 32 and own_id != TRACE
    got = lines()
    first, second, outside = got[:3], got[3:-1], got[-1]
    assert [line["message"] for line in first] == [
        "before sign-in",
        "on the request thread",
        "on a worker thread",
    ]
    assert all(line["request_id"] == TRACE and line[logs.TRACE_FIELD] == trace for line in first)
    assert "user_key" not in first[0] and first[1]["user_key"] == first[2]["user_key"] == key
    assert "user-1" not in json.dumps(got)  # never the uid
    assert all(line["request_id"] == own_id and logs.TRACE_FIELD not in line for line in second)
    assert "request_id" not in outside and "user_key" not in outside


def test_an_unhandled_error_is_logged_for_error_reporting(client, caplog):
    with caplog.at_level("ERROR"):
        client.post("/?fail=1", headers={"Authorization": "Bearer t"})
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    line = json.loads(logs.formatter().format(record))
    assert line["message"] == "unhandled error: RuntimeError"
    assert "Traceback" in line["stack_trace"] and "exc_info" not in line


@pytest.mark.parametrize(
    ("headers", "trace"),
    [
        ({"X-Cloud-Trace-Context": f"{TRACE.upper()}/123;o=1"}, TRACE),
        ({"traceparent": f"00-{TRACE}-b7ad6b7169203331-01"}, TRACE),
        ({"X-Cloud-Trace-Context": "not-a-trace"}, None),
        ({"traceparent": f"00-{'0' * 32}-b7ad6b7169203331-01"}, None),  # W3C's invalid id
        ({}, None),
    ],
)
def test_the_trace_is_read_from_googles_or_w3c_header(headers, trace):
    from common.http import _trace_of

    request_id, found = _trace_of(headers)
    assert found == trace and len(request_id) == 32
    assert request_id == (trace or request_id)


def test_a_function_without_the_analytics_key_still_serves_and_logs(client, lines, monkeypatch):
    """devices and insights are not given the key (least privilege): signing in must not fail
    there for want of a user key to log (the diff review: every request was a 500)."""
    from common import config

    prod = config.Settings(ion_env="prod")  # the public default key: analytics_hmac_key refuses
    monkeypatch.setattr("common.edge.get_settings", lambda: prod)
    assert client.post("/", headers={"Authorization": "Bearer t"}).status_code == 200
    assert all("user_key" not in line for line in lines())


def _refused_auth() -> None:
    import firebase_admin.auth as firebase_auth
    from firebase_admin.exceptions import PermissionDeniedError

    from common.auth import TokenVerifier

    def refuse(*args, **kwargs):
        raise PermissionDeniedError("Caller does not have required permission to use project p")

    verifier = TokenVerifier(app=None, check_revoked=True, cache_seconds=0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(firebase_auth, "verify_id_token", refuse)
        verifier.verify("a-token")


def _refused_storage(error: Exception) -> Callable[[], None]:
    from common.adapters.firestore_calls import storage_errors

    def call() -> None:
        with storage_errors():
            raise error

    return call


@pytest.mark.parametrize(
    ("fail", "cause"),
    [
        (
            _refused_auth,
            "PermissionDeniedError: Caller does not have required permission to use project p",
        ),
        (
            _refused_storage(ResourceExhausted("Quota exceeded for metric 'Write requests'")),
            "ResourceExhausted: 429 Quota exceeded for metric 'Write requests'",
        ),
        (
            _refused_storage(InternalServerError(f"on documents/activity/user-1 {'x' * 500}")),
            "InternalServerError: " + ("500 on documents/... " + "x" * 500)[:200],
        ),
    ],
    ids=["auth_lost_its_role", "storage_quota", "path_and_length_cut"],
)
def test_a_503_line_says_why_the_dependency_failed(fail, cause, caplog):
    """The line said only the client's message: a lost IAM role read as a certificate outage,
    a quota as Firestore down (the observability review)."""
    app = flask.Flask(__name__)
    app.add_url_rule("/", "fail", handle_errors(lambda: fail()))
    with caplog.at_level("WARNING", logger="common.http"):
        assert app.test_client().get("/").status_code == 503
    (record,) = caplog.records
    line = json.loads(logs.formatter().format(record))
    assert line["message"].startswith("dependency failure") and line["cause"] == cause
    assert "user-1" not in json.dumps(line) and "a-token" not in json.dumps(line)


def test_http_clients_write_no_line_per_call(capsys):
    """httpx logged every persona-model and Gemini call at INFO ("200 OK", even for an answer
    the client refused): paid log volume at load (the observability review)."""
    import httpx

    root, chatty = logging.getLogger(), [logging.getLogger(n) for n in ("httpx", "httpcore")]
    saved = (list(root.handlers), root.level, [logger.level for logger in chatty])
    try:
        logs.setup_logging.__wrapped__("INFO")  # as a function starts (not cached here)
        client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
        client.post("https://example.test/v1/endpoints/1:predict", json={})
        logging.getLogger("common.model_client").warning("our own line")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for logger, level in zip(chatty, saved[2], strict=True):
            logger.setLevel(level)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["message"] for line in lines] == ["our own line"]
