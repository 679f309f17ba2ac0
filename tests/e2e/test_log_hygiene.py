"""Secrets and logs: a conversation through the gateway (turns, a streamed turn, feedback, a
device, the profile, and a few refused requests), then the logs our processes wrote meanwhile
(.stack/logs/, at the default level) must hold no ID token or anything shaped like a JWT, no
message text, comment or device token sent, and no raw uid or email.

Only our own processes count: the functions, the gateway, the scheduler and the model server.
The emulators (Firestore, Pub/Sub, BigQuery, Auth) and the fake FCM server stand in for Google's
services and are not deployed."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest

from common.analytics.schema import TABLE
from common.config import get_settings
from common.events import user_key
from scripts import stack
from scripts.auth_emulator import sign_up
from tests.e2e.insights_data import bigquery
from tests.e2e.redelivery import FunctionLog, publish_event
from tests.stack_fixtures import GATEWAY, wait_for

OURS = ("fn-", "gateway", "scheduler", "model")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.?[A-Za-z0-9_-]*")


def _our_logs() -> list[Path]:
    logs = sorted(p for p in stack.LOGS.glob("*.log") if p.stem.startswith(OURS))
    assert any(p.stem == "fn-chat" for p in logs), f"no function logs in {stack.LOGS}"
    return logs


def _offsets() -> dict[Path, int]:
    return {p: p.stat().st_size for p in _our_logs()}


def _written_since(offsets: dict[Path, int]) -> dict[str, str]:
    out = {}
    for path in _our_logs():
        with path.open("rb") as f:
            f.seek(offsets.get(path, 0))
            out[path.stem] = f.read().decode("utf-8", "replace")
    return out


def leaks(logs: dict[str, str], planted: dict[str, str]) -> list[str]:
    """Each planted string, and each JWT-shaped string, found in a log: `log: what`."""
    found = []
    for name, text in logs.items():
        found += [f"{name}: {what}" for what, value in planted.items() if value in text]
        found += [f"{name}: a JWT {m[:24]}…" for m in JWT.findall(text)]
    return found


def test_the_check_finds_a_leak():
    token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."
    logs = {"fn-chat": f'{{"message": "turn for uid-123 with {token}"}}', "gateway": "fine"}
    assert leaks(logs, {"uid": "uid-123"}) == ["fn-chat: uid", f"fn-chat: a JWT {token[:24]}…"]
    assert leaks({"fn-chat": "fine"}, {"uid": "uid-123"}) == []


@pytest.fixture(scope="module")
def client():
    with httpx.Client(base_url=GATEWAY, timeout=30) as c:
        yield c


def _in_bigquery(session_id: str) -> set[str]:
    """The ids of the session's events in the analytics `events` table."""
    from google.cloud import bigquery as bq

    table = f"{stack.PROJECT}.{get_settings().analytics_dataset}.{TABLE}"
    config = bq.QueryJobConfig(
        query_parameters=[bq.ScalarQueryParameter("sid", "STRING", session_id)]
    )
    sql = f"SELECT event_id FROM `{table}` WHERE session_id = @sid"  # noqa: S608
    return {row["event_id"] for row in bigquery().query(sql, job_config=config).result()}


def test_no_token_message_or_uid_in_the_logs(client, events):
    offsets = _offsets()
    mark = uuid.uuid4().hex[:10]
    user = sign_up(email=f"loghyg-{mark}@example.com")
    h = user.headers
    planted = {
        "id token": user.id_token,
        "token payload": user.id_token.split(".")[1][:40],
        "uid": user.uid,
        "email": user.email,
        "message 1": f"quokka{mark}",
        "message 2": f"marmalade{mark}",
        "streamed message": f"zeppelin{mark}",
        "refused message": f"gargoyle{mark}",
        "comment": f"tangerine{mark}",
        "device token": f"fcm-loghyg-{mark}-0123456789",
        "someone else's uid": f"someone{mark}",
        "bad token": f"forged{mark}",
        "time zone": f"Nowhere/{mark}",
    }

    def turn(message: str, session_id: str | None = None, **extra) -> httpx.Response:
        body = {"session_id": session_id, "client_turn_id": uuid.uuid4().hex, "message": message}
        return client.post("/v2/chat/turns", json={**body, **extra}, headers=h)

    first = turn(f"My Python tests fail, ask {planted['message 1']} about it")
    assert first.status_code == 201, first.text
    sid, tid = first.json()["session_id"], first.json()["turn_id"]
    assert turn(f"I tried {planted['message 2']} already", sid).status_code == 201
    streamed = turn(f"What now with {planted['streamed message']}?", sid, stream=True)
    assert streamed.status_code == 200 and "event: final" in streamed.text
    assert client.get(f"/v2/sessions/{sid}", headers=h).status_code == 200
    assert client.get(f"/v2/sessions/{sid}/turns?after=-1", headers=h).status_code == 200
    rating = {"session_id": sid, "turn_id": tid, "rating": "up", "comment": planted["comment"]}
    assert client.post("/v2/feedback", json=rating, headers=h).status_code == 201
    device = {"token": planted["device token"], "platform": "android"}
    assert client.post("/v2/devices", json=device, headers=h).status_code == 201
    assert client.get("/v2/profile", headers=h).status_code == 200
    assert client.get("/v2/profile/export", headers=h).status_code == 200
    # Refused requests: errors are where text tends to leak into logs.
    refused = [
        turn(f"{planted['refused message']}\x00 with a NUL"),
        turn(planted["refused message"] + " x" * 2500),
        client.post(
            "/api/chat/enhanced",
            json={"userId": planted["someone else's uid"], "message": "hi"},
            headers=h,
        ),
        client.patch("/v2/profile", json={"timezone": planted["time zone"]}, headers=h),
        client.get("/v2/profile", headers={"Authorization": f"Bearer {planted['bad token']}"}),
        client.post("/v2/feedback", json={**rating, "turn_id": "0" * 32}, headers=h),
    ]
    assert [r.status_code for r in refused] == [400, 400, 403, 400, 401, 404]
    assert client.delete(f"/v2/devices/{planted['device token']}", headers=h).status_code == 204

    # The push handlers on `events` have handled every event of the conversation, so their
    # lines are in the window: the profile updater counted the turns and the rating, and the
    # analytics sink wrote each event to BigQuery.
    def counted() -> bool:
        profile = client.get("/v2/profile", headers=h).json()
        return profile["turns"] == 3 and profile["feedback_count"] == 1

    wait_for(counted, "the profile updater to count the turns and the rating")
    envelopes = events.pull(until=5, session_id=sid)
    published = {e["event_id"] for e in envelopes}
    assert len(published) >= 5, "session.started, three turns and the rating"
    wait_for(lambda: published <= _in_bigquery(sid), "the analytics sink to write every event")
    # The updater logs an event it applies at DEBUG: a copy delivered again (as Pub/Sub may),
    # which it does not apply, is its INFO line, read below with the rest.
    handled = FunctionLog("profile_updater")
    copy = next(e for e in envelopes if e["type"] == "chat.turn.completed")
    publish_event(copy, user_key(user.uid, get_settings().analytics_key.get_secret_value()))
    wait_for(lambda: handled.records("profile event", applied=False), "the updater's copy")
    logs = _written_since(offsets)
    assert "profile event" in logs.get("fn-profile_updater", ""), "no fresh log lines read"

    found = leaks(logs, planted)
    assert not found, "in the logs at the default level:\n" + "\n".join(found)
