"""Hostile requests the e2e corpus (tests/e2e/test_hostile_input.py) found answered with a 500:
each is a 4xx in the error shape now."""

import flask
import pytest

from common.errors import ApiError
from common.http import Routes, read_json

app = flask.Flask(__name__)


def _error(fn) -> ApiError:
    with pytest.raises(ApiError) as e:
        fn()
    return e.value


def test_an_integer_too_long_for_python_is_invalid_json():
    body = b'{"rating": ' + b"9" * 5000 + b"}"  # json.loads raises ValueError, not a decode error
    with app.test_request_context("/", method="POST", data=body, content_type="application/json"):
        error = _error(lambda: read_json(flask.request, max_bytes=65536))
    assert (error.status, error.code) == (400, "invalid_json")


@pytest.mark.parametrize("path", ["/v2/sessions/..//turns", "/v2/sessions//turns", "//v2/x"])
def test_a_path_werkzeug_would_redirect_is_not_found(path):
    routes = Routes({"/v2/sessions/<session_id>/turns": ("list_turns", ("GET",))})
    with app.test_request_context(path):
        error = _error(lambda: routes.match(flask.request))
    assert (error.status, error.code) == (404, "route_not_found")


def test_a_path_functions_framework_cannot_route_is_a_404_in_the_error_shape():
    """functions-framework routes `/<path:path>`, which stops at a newline; the function's
    Routes, built while it loads, answer that 404 too."""
    import werkzeug

    ff = flask.Flask("ff")
    ff.url_map.add(werkzeug.routing.Rule("/<path:path>", endpoint="run"))
    ff.view_functions["run"] = lambda path: "ran"
    with ff.app_context():
        Routes({"/v2/devices/<token>": ("remove", ("DELETE",))})
    client = ff.test_client()
    assert client.get("/v2/devices/abc").text == "ran"
    r = client.delete("/v2/devices/a%0Ab")
    assert r.status_code == 404 and r.json == {
        "error": {"code": "route_not_found", "message": "There is nothing at this path."}
    }
