"""schemathesis over openapi.yaml against the local gateway, with real Auth-emulator tokens:
no 5xx, every answer as documented (status, headers, body schema), every error in the one
shape, and the service healthy afterwards. The examples are bounded to keep this short."""

from __future__ import annotations

import itertools
import json
import re
import uuid

import httpx
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scripts import openapi
from scripts import openapi_endpoints as api
from scripts.auth_emulator import User, sign_in, sign_up
from scripts.stack import FUNCTION_PORTS
from tests.stack_fixtures import GATEWAY

MAX_EXAMPLES = 25
TURNS_PER_USER = 5  # below the per-minute turn limit, so most turns really run
CODE = re.compile(r"[a-z][a-z0-9_]*")

config = schemathesis.Config.from_dict(
    {
        "base-url": GATEWAY,
        # The token is ours to send (real ones), so it is not a generated parameter.
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "mode": "all",
            "with-security-parameters": False,
            "database": "none",  # nothing written to the work tree; each run explores afresh
        },
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        # schemathesis' defaults plus 413: an oversized (invalid) body is refused as too large.
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [
                    *("400", "401", "403", "404", "405", "406", "409", "413", "415", "422"),
                    *("428", "429", "5xx"),
                ]
            }
        },
        "request-timeout": 30,
    }
)
# Operations whose function is on the local stack (one being built may be documented first).
ON_STACK = {(ep.method.upper(), ep.path) for ep in api.ENDPOINTS if ep.backend in FUNCTION_PORTS}
schema = schemathesis.openapi.from_path(openapi.SPEC_FILE, config=config).include(
    lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in ON_STACK
)


@schemathesis.check
def error_shape(ctx, response, case) -> bool | None:
    """Every 4xx and 5xx answer is {"error": {"code", "message", "field"?}}; 429 and 503 say
    when to retry."""
    if response.status_code < 400:
        return None
    if case.operation.path == "/healthz":  # a 503 there is its own report, checked by its schema
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{response.status_code} without a JSON body") from None
    assert isinstance(body, dict) and set(body) == {"error"}, f"not the error shape: {body}"
    error = body["error"]
    assert set(error) <= {"code", "message", "field"}, f"unknown keys: {error}"
    assert isinstance(error.get("code"), str) and CODE.fullmatch(error["code"]), error
    assert isinstance(error.get("message"), str) and error["message"].strip(), error
    assert error.get("field") is None or isinstance(error["field"], str), error
    if response.status_code in (429, 503):
        retry_after = response.headers.get("retry-after") or response.headers.get("Retry-After")
        value = retry_after[0] if isinstance(retry_after, list) else retry_after
        assert value is not None and str(value).isdigit(), "no Retry-After"
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    error_shape,
]


class Users:
    """Tokens for the run: a fresh user every few turns (the turn limits are per user), one
    operator, and a real session and turn that the examples' placeholder ids stand for."""

    def __init__(self) -> None:
        self._turns = itertools.count()
        self._current: User | None = None
        self.operator = self._operator()
        self.session_id, self.turn_id = "", ""

    @staticmethod
    def _operator() -> User:
        from firebase_admin import auth

        from common.clients import firebase_app

        fresh = sign_up()
        auth.set_custom_user_claims(fresh.uid, {"role": "operator"}, app=firebase_app())
        return sign_in(fresh.email)

    def for_turn(self) -> User:
        if self._current is None or next(self._turns) % TURNS_PER_USER == 0:
            self._current = sign_up()
            turn = httpx.post(
                f"{GATEWAY}/v2/chat/turns",
                json={"client_turn_id": uuid.uuid4().hex, "message": "Planning my week, help?"},
                headers=self._current.headers,
                timeout=30,
            ).json()
            self.session_id, self.turn_id = turn["session_id"], turn["turn_id"]
        return self._current

    def current(self) -> User:
        return self._current or self.for_turn()


@pytest.fixture(scope="module")
def users() -> Users:
    return Users()


def _use_real_ids(case, users: Users, user: User) -> None:
    """The documented examples name placeholder ids; give them the user's real ones so the
    examples reach the success paths too."""
    swap = {
        api.EXAMPLE_SESSION: users.session_id,
        api.EXAMPLE_TURN: users.turn_id,
        api.EXAMPLE_UID: user.uid,
    }
    if case.path_parameters:
        case.path_parameters = {k: swap.get(v, v) for k, v in case.path_parameters.items()}
    if isinstance(case.body, dict):
        case.body = {k: swap.get(v, v) if isinstance(v, str) else v for k, v in case.body.items()}


@schema.parametrize()
def test_api_conforms_to_openapi(case, users):
    if case.path.startswith("/v2/insights/metrics"):
        user = users.operator
    elif case.path in ("/v2/chat/turns", "/api/chat/enhanced"):
        user = users.for_turn()
    elif case.method == "DELETE" and case.path == "/v2/profile":
        user = sign_up()  # erasing the shared user would take the real ids from the others
    else:
        user = users.current()
    _use_real_ids(case, users, user)
    checks = CHECKS
    if case.operation.definition.raw.get("operationId") == "removeDevice":
        # Its only input is a path segment that admits any URL-safe text: schemathesis cannot
        # negate it and sends the valid example marked negative, which the API rightly accepts.
        checks = [c for c in CHECKS if c is not negative_data_rejection]
    case.call_and_validate(headers=user.headers, checks=checks)


def test_service_is_healthy_afterwards():
    health = httpx.get(f"{GATEWAY}/healthz", timeout=10)
    assert health.status_code == 200, health.text
    user = sign_up()
    first = httpx.post(
        f"{GATEWAY}/v2/chat/turns",
        json={"client_turn_id": uuid.uuid4().hex, "message": "Still there after all that?"},
        headers=user.headers,
        timeout=30,
    )
    assert first.status_code == 201, first.text
    session = httpx.get(f"{GATEWAY}/v2/sessions/{first.json()['session_id']}", headers=user.headers)
    assert session.status_code == 200 and session.json()["turn_count"] == 1, session.text


def _example_request(ep: api.Endpoint) -> tuple[str, dict]:
    path = ep.path
    for param in ep.params:
        if param.location == "path":
            path = path.replace("{" + param.name + "}", str(param.example))
    return path, ({"json": ep.body_example} if ep.body is not None else {})


@pytest.mark.parametrize(
    "ep", [ep for ep in api.ENDPOINTS if ep.auth != "none"], ids=lambda ep: ep.operation_id
)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic dXNlcjpwdw=="])
def test_signed_in_operations_refuse_a_missing_or_bad_token(ep, authorization):
    if ep.backend not in FUNCTION_PORTS:
        pytest.skip(f"{ep.backend} is not on the local stack yet")
    path, body = _example_request(ep)
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.request(ep.method, f"{GATEWAY}{path}", headers=headers, timeout=10, **body)
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert CODE.fullmatch(error["code"]) and error["message"]
