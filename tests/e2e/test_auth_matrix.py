"""The authorisation matrix: every operation of openapi.yaml × {no token, expired, tampered,
user A, user B, operator}, through the gateway, with the status each cell must answer.

Every request is the one user A would send about A's own data (A's session, turn, device);
B and the operator send it too and must get `404` (another user's data is as unknown as data
that never existed) or `403` where the contract says so (`userId` of the legacy shape, operator
endpoints), and never see any of A's data in an answer. On user endpoints an operator is an
ordinary user. Cells run in the order of PRINCIPALS, A last, so A's own answers show that B's and
the operator's attempts changed nothing.

"expired" and "tampered" are A's real token with its payload edited by hand (the Auth
emulator's tokens are unsigned, so there is no signature to break): `exp` in the past, and an
added `role: operator` claim. firebase-admin accepts both against the emulator; common/auth.py
checks expiry and compares the claims with the user record there. The production path (RS256
signatures, expiry, audience) is tests/unit/test_auth_production_path.py.

Job and push functions (outbox_relay, session_cleanup, profile_updater, analytics_sink,
push_sender) are not in openapi.yaml and not behind the gateway: in production they have
internal ingress and only the scheduler's or Pub/Sub's service account may invoke them
(terraform/stack/functions.tf); test_job_functions_are_not_behind_the_gateway checks the local
half of that."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from scripts import openapi_endpoints
from scripts.auth_emulator import User, sign_up
from scripts.stack import FUNCTION_PORTS
from tests.e2e.api_contract import (
    Operation,
    edit_token,
    error_problems,
    operations,
    operator_user,
    token_claims,
)
from tests.stack_fixtures import GATEWAY

PRINCIPALS = ("none", "expired", "tampered", "user_b", "operator", "user_a")  # run order
COLUMNS = ("none", "expired", "tampered", "user_a", "user_b", "operator")  # of EXPECTED
AUTH_CODES = {"none": "missing_token", "expired": "token_expired", "tampered": "invalid_token"}
A_TIMEZONE = "Pacific/Chatham"  # A's setting; B's and the operator's stay their own
METRIC = "daily_active_users"

# operationId:        none expired tampered  A    B  operator
EXPECTED: dict[str, tuple[int, int, int, int, int, int]] = {
    "createTurn": (401, 401, 401, 201, 404, 404),
    "getSession": (401, 401, 401, 200, 404, 404),
    "listTurns": (401, 401, 401, 200, 404, 404),
    "legacyChat": (401, 401, 401, 200, 403, 403),  # userId is A's: not the caller
    "health": (200, 200, 200, 200, 200, 200),  # public
    "submitFeedback": (401, 401, 401, 200, 404, 404),  # A changes its own "up": 200
    "getProfile": (401, 401, 401, 200, 200, 200),  # each their own
    "updateProfile": (401, 401, 401, 200, 200, 200),  # each their own
    "exportProfile": (401, 401, 401, 200, 200, 200),  # each their own
    "registerDevice": (401, 401, 401, 200, 201, 201),  # A's again: 200; the others' own: 201
    "removeDevice": (401, 401, 401, 204, 404, 404),
    "listMetrics": (401, 401, 401, 403, 403, 200),
    "readMetric": (401, 401, 401, 403, 403, 200),
    "dashboardPage": (200, 200, 200, 200, 200, 200),  # static, holds no data
    "dashboardScript": (200, 200, 200, 200, 200, 200),
    "dashboardStyle": (200, 200, 200, 200, 200, 200),
    "eraseProfile": (401, 401, 401, 200, 200, 200),  # each themselves; runs last
}
LAST = ("eraseProfile",)  # destroys A's data: after everything else


@dataclass
class World:
    """User A with a conversation, a rating, a device and a setting; user B; an operator."""

    a: User
    b: User
    operator: User
    session_id: str
    turn_ids: list[str]
    a_device: str
    own_devices: dict[str, str]
    secret: str
    tokens: dict[str, str | None] = field(default_factory=dict)

    def a_strings(self) -> tuple[str, ...]:
        """What only A's data contains: no other principal may ever see one of these."""
        return (
            self.secret,
            self.a.uid,
            self.a.email,
            self.session_id,
            *self.turn_ids,
            self.a_device,
            A_TIMEZONE,
        )


@pytest.fixture(scope="module")
def client():
    with httpx.Client(base_url=GATEWAY, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def world(client) -> World:
    a, b, op = sign_up(), sign_up(), operator_user()
    secret = f"matrix-secret-{uuid.uuid4().hex[:12]}"
    turn_ids, session_id = [], None
    for text in (f"My notes say {secret}, help me plan the week", "And then the exams"):
        r = client.post(
            "/v2/chat/turns",
            json={"session_id": session_id, "client_turn_id": uuid.uuid4().hex, "message": text},
            headers=a.headers,
        )
        assert r.status_code == 201, r.text
        session_id = r.json()["session_id"]
        turn_ids.append(r.json()["turn_id"])
    rating = {"session_id": session_id, "turn_id": turn_ids[0], "rating": "up"}
    assert client.post("/v2/feedback", json=rating, headers=a.headers).status_code == 201
    a_device = f"fcm-matrix-a-{uuid.uuid4().hex}"
    r = client.post("/v2/devices", json={"token": a_device, "platform": "ios"}, headers=a.headers)
    assert r.status_code == 201, r.text
    r = client.patch("/v2/profile", json={"timezone": A_TIMEZONE}, headers=a.headers)
    assert r.status_code == 200, r.text
    w = World(
        a=a,
        b=b,
        operator=op,
        session_id=session_id,
        turn_ids=turn_ids,
        a_device=a_device,
        own_devices={p: f"fcm-matrix-{p}-{uuid.uuid4().hex}" for p in ("user_b", "operator")},
        secret=secret,
    )
    w.tokens = {
        "none": None,
        "expired": edit_token(a.id_token, exp=token_claims(a.id_token)["iat"] - 1),
        "tampered": edit_token(a.id_token, role="operator"),
        "user_a": a.id_token,
        "user_b": b.id_token,
        "operator": op.id_token,
    }
    return w


# --- The request of each operation -----------------------------------------------------------


def _body(op_id: str, w: World, principal: str) -> dict | None:
    if op_id == "createTurn":
        return {
            "session_id": w.session_id,
            "client_turn_id": uuid.uuid4().hex,
            "message": "What should I do first tomorrow?",
        }
    if op_id == "legacyChat":
        return {"userId": w.a.uid, "message": "One more question", "sessionId": w.session_id}
    if op_id == "submitFeedback":
        return {"session_id": w.session_id, "turn_id": w.turn_ids[0], "rating": "down"}
    if op_id == "updateProfile":
        # B and the operator set a time zone; A only notifications, so A's answer shows whether
        # anyone else's PATCH reached A's settings.
        return {"notifications": False} if principal == "user_a" else {"timezone": "Asia/Kathmandu"}
    if op_id == "registerDevice":
        token = w.own_devices.get(principal, w.a_device)  # a token is the phone: each their own
        return {"token": token, "platform": "android"}
    return None


def _path_values(w: World) -> dict[str, str]:
    return {"session_id": w.session_id, "token": w.a_device, "name": METRIC}


def _check_a(op_id: str, w: World, response: httpx.Response) -> None:
    """A's own answers, after B and the operator tried the same request."""
    body = response.json() if response.headers.get("content-type", "").startswith("appl") else {}
    if op_id == "createTurn":  # world: turns 0 and 1; nobody else added one
        assert body["session_id"] == w.session_id and body["turn_index"] == 2, body
    elif op_id == "getSession":
        assert w.secret in response.text and body["turn_count"] >= 2, body
    elif op_id == "listTurns":
        assert [t["turn_id"] for t in body["turns"]][:2] == w.turn_ids, body
    elif op_id == "submitFeedback":  # "up" before, "down" now: nobody else's "down" landed
        assert body["created"] is False and body["changed"] is True, body
    elif op_id in ("getProfile", "updateProfile"):
        assert body["settings"]["timezone"] == A_TIMEZONE, body
    elif op_id == "exportProfile":
        assert body["uid"] == w.a.uid and w.secret in response.text, body
        assert [d for d in body["devices"] if w.a_device in str(d)], body["devices"]
        assert len(body["feedback"]) == 1, body["feedback"]
    elif op_id == "registerDevice":
        assert body["created"] is False, body


def _send(client: httpx.Client, op: Operation, w: World, principal: str) -> httpx.Response:
    body = _body(op.operation_id, w, principal)
    assert (body is not None) == (op.body_schema is not None), f"{op.operation_id}: no body"
    token = w.tokens[principal]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.request(op.method, op.url(**_path_values(w)), json=body, headers=headers)


def _assert_cell(client: httpx.Client, op: Operation, w: World, principal: str) -> None:
    row = EXPECTED.get(op.operation_id)
    assert row is not None, f"{op.method} {op.path} ({op.operation_id}) has no row in EXPECTED"
    expected = row[COLUMNS.index(principal)]
    r = _send(client, op, w, principal)
    assert r.status_code == expected, (op.operation_id, principal, r.status_code, r.text[:300])
    if r.status_code >= 400:
        assert error_problems(r) is None, error_problems(r)
        if principal in AUTH_CODES and r.status_code == 401:
            assert r.json()["error"]["code"] == AUTH_CODES[principal], r.text
    if principal != "user_a":
        leaked = [s for s in w.a_strings() if s in r.text]
        assert not leaked, f"{principal} saw A's {leaked} in {op.operation_id}"
    elif r.status_code < 300:
        _check_a(op.operation_id, w, r)


def _cells(ops: tuple[str, ...] | None, *, exclude: tuple[str, ...] = ()) -> list:
    chosen = [
        o
        for o in operations()
        if (ops is None or o.operation_id in ops) and o.operation_id not in exclude
    ]
    return [
        pytest.param(o, p, id=f"{o.operation_id}-{p}")
        for o in chosen
        for p in PRINCIPALS  # A last within each operation
    ]


# --- Tests -----------------------------------------------------------------------------------


def test_every_operation_has_a_row_and_every_row_an_operation():
    in_spec = {o.operation_id for o in operations()}
    assert not in_spec - set(EXPECTED), f"operations without a row: {in_spec - set(EXPECTED)}"
    assert not set(EXPECTED) - in_spec, f"rows without an operation: {set(EXPECTED) - in_spec}"
    for o in operations():  # the spec's own security agrees with the row's anonymous cell
        assert o.signed_in == (EXPECTED[o.operation_id][0] == 401), o.operation_id


@pytest.mark.parametrize(("op", "principal"), _cells(None, exclude=LAST))
def test_cell(client, world, op, principal):
    _assert_cell(client, op, world, principal)


def test_a_keeps_everything_after_the_others_tried(client, world):
    """Before A erases itself: A's conversation, rating and settings are A's own still."""
    headers = world.a.headers
    page = client.get(f"/v2/sessions/{world.session_id}/turns", headers=headers).json()
    assert [t["turn_id"] for t in page["turns"]][:2] == world.turn_ids, page
    assert world.secret in page["turns"][0]["message"], page
    assert len(page["turns"]) <= 4, page  # the world's 2, and at most 2 of A's own cells
    export = client.get("/v2/profile/export", headers=headers).json()
    assert len(export["feedback"]) == 1, export["feedback"]  # A's one rating, "up" or "down"
    assert export["profile"]["settings"]["timezone"] == A_TIMEZONE, export["profile"]
    for other in (world.b, world.operator):  # and nothing of A's reached the others
        theirs = client.get("/v2/profile/export", headers=other.headers)
        assert theirs.status_code == 200
        assert not [s for s in world.a_strings() if s in theirs.text], theirs.text[:300]


@pytest.mark.parametrize(("op", "principal"), _cells(LAST))
def test_erase_cell(client, world, op, principal):
    _assert_cell(client, op, world, principal)
    a_session = client.get(f"/v2/sessions/{world.session_id}", headers=world.a.headers)
    # Only A's own erasure takes A's session away.
    assert a_session.status_code == (404 if principal == "user_a" else 200), a_session.text


def test_b_cannot_reach_a_through_ids_of_its_own_requests(client, world):
    """The ids A uses, in B's own requests: each is B's or unknown, never A's."""
    b = world.b
    # A's session id inside B's legacy request (B's own userId): unknown to B.
    legacy = {"userId": b.uid, "message": "Show me this session", "sessionId": world.session_id}
    assert client.post("/api/chat/enhanced", json=legacy, headers=b.headers).status_code == 404
    # A's turn with a session of B's own: no such turn in B's conversations.
    mine = client.post(
        "/v2/chat/turns",
        json={"client_turn_id": "matrix-shared-id", "message": "Hello there"},
        headers=b.headers,
    )
    assert mine.status_code == 201, mine.text
    rating = {"session_id": mine.json()["session_id"], "turn_id": world.turn_ids[0], "rating": 5}
    assert client.post("/v2/feedback", json=rating, headers=b.headers).status_code == 404
    # The same client_turn_id from A is A's own key: a new turn of A's, not B's turn replayed.
    theirs = client.post(
        "/v2/chat/turns",
        json={"client_turn_id": "matrix-shared-id", "message": "Hello there"},
        headers=world.operator.headers,
    )
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["session_id"] != mine.json()["session_id"]
    assert theirs.headers.get("Idempotent-Replayed") == "false"


TAMPERINGS: dict[str, tuple[Callable[[World], str], int]] = {
    # What the emulator path refuses (common.auth compares with the user record and checks
    # expiry); production refuses all of them by their signature.
    "role-added": (lambda w: edit_token(w.a.id_token, role="operator"), 401),
    "sub-swapped": (lambda w: edit_token(w.a.id_token, sub=w.b.uid, user_id=w.b.uid), 401),
    "sub-unknown": (lambda w: edit_token(w.a.id_token, sub="nobody", user_id="nobody"), 401),
    "email-changed": (lambda w: edit_token(w.a.id_token, email=w.b.email), 401),
    "audience": (lambda w: edit_token(w.a.id_token, aud="another-project"), 401),
    "issuer": (lambda w: edit_token(w.a.id_token, iss="https://evil.example/demo-ion"), 401),
    "no-exp": (lambda w: edit_token(w.a.id_token, drop=("exp",)), 401),
    "iat-future": (lambda w: edit_token(w.a.id_token, iat=2**31, exp=2**31 + 3600), 401),
    "payload-garbage": (lambda w: w.a.id_token.split(".")[0] + ".bm90IGpzb24.", 401),
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_hand_edited_tokens_are_refused(client, world, name):
    """Each edit on its own, on an endpoint every signed-in user may call. (One edit cannot be
    caught without a signature: a token rewritten to agree in full with another user's record.
    The emulator issues unsigned tokens, so that is the production path's job.)"""
    make, expected = TAMPERINGS[name]
    r = client.get("/v2/profile", headers={"Authorization": f"Bearer {make(world)}"})
    assert r.status_code == expected, r.text
    # A's token names B, who signed up after it was minted: when that was in a later second,
    # firebase-admin's revocation check (B's tokens are valid only from then) refuses it first.
    refusals = {"invalid_token", "token_revoked"} if name == "sub-swapped" else {"invalid_token"}
    assert error_problems(r) is None and r.json()["error"]["code"] in refusals, r.text


def test_job_functions_are_not_behind_the_gateway(client):
    """The scheduler's and Pub/Sub's functions are no operation of the API and no gateway path."""
    api_backends = {ep.backend for ep in openapi_endpoints.ENDPOINTS}
    private = set(FUNCTION_PORTS) - api_backends
    assert {"outbox_relay", "session_cleanup", "profile_updater", "push_sender"} <= private
    for name in sorted(private):
        for path in (f"/{name}", f"/v2/{name}", "/projects/demo-ion/topics/events"):
            r = client.post(path, json={})
            assert r.status_code == 404 and r.json()["error"]["code"] == "route_not_found", path
