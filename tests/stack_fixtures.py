"""Fixtures for tests that run against the local stack (emulators, functions, gateway)."""

from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.request
import uuid
from collections.abc import Iterator

import httpx
import pytest

from scripts import stack
from scripts.auth_emulator import User, sign_up

os.environ.update(stack.EMULATOR_ENV)

GATEWAY = stack.GATEWAY_URL
PUBSUB = f"http://127.0.0.1:8085/v1/projects/{stack.PROJECT}"


def own_database(prefix: str):
    """A Firestore database of the emulator's own for one test (`prefix`-<random>): jobs of the
    stack work on the default one, and other tests' documents there would be seen."""
    from google.cloud import firestore

    return firestore.Client(project=stack.PROJECT, database=f"{prefix}-{uuid.uuid4().hex[:8]}")


def drop_database(client) -> None:
    """Everything in `client`'s database, deleted."""
    for collection in client.collections():
        client.recursive_delete(collection)


def wait_for(predicate, what: str, timeout: float = 30.0, interval: float = 0.2):
    """Poll `predicate` until it returns something truthy (returned) or `timeout` seconds pass
    (an AssertionError naming `what`): delivery through Pub/Sub and the functions is async."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="session", autouse=True)
def running_stack() -> None:
    # A stack just started on a busy machine (a fresh clone's first run imports and compiles
    # while the emulators warm up) once took over 3 s to answer /healthz: wait up to a minute.
    if not stack.is_up(timeout=60):
        pytest.fail("the local stack is not running: `make up` (or run the tests with `make test`)")


@pytest.fixture
def scheduler_paused() -> Iterator[None]:
    """The stack's scheduled jobs (outbox relay, session cleanup, ...) run only when the test says
    so: a test whose state a job would act on (a due outbox entry, an erasure cut off on purpose)
    would race it."""
    stack.stop("scheduler")
    yield
    stack.start(stack.BY_NAME["scheduler"])


@pytest.fixture
def user() -> User:
    return sign_up()


@pytest.fixture
def other_user() -> User:
    return sign_up()


@pytest.fixture
def api() -> Iterator[httpx.Client]:
    with httpx.Client(base_url=GATEWAY, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def firestore_db():
    from google.cloud import firestore

    return firestore.Client(project=stack.PROJECT)


class Subscription:
    """A pull subscription on a topic, made for one test: it sees what is published after it."""

    def __init__(self, topic: str) -> None:
        self.name = f"test-{uuid.uuid4().hex[:12]}"
        self.topic = topic
        self.create()

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        req = urllib.request.Request(
            f"{PUBSUB}/subscriptions/{self.name}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"{}")

    def create(self) -> None:
        self._call("PUT", "", {"topic": f"projects/{stack.PROJECT}/topics/{self.topic}"})

    def pull(self, *, until: int, session_id: str | None = None, wait: float = 10.0) -> list[dict]:
        """Pull and ack envelopes until `until` have arrived (or `wait` passes), then keep
        pulling briefly to catch any duplicate."""
        import base64

        got: list[dict] = []
        deadline = time.monotonic() + wait
        settle: float | None = None
        while time.monotonic() < deadline and (settle is None or time.monotonic() < settle):
            body = self._call("POST", ":pull", {"maxMessages": 100, "returnImmediately": True})
            msgs = body.get("receivedMessages", [])
            if msgs:
                self._call("POST", ":acknowledge", {"ackIds": [m["ackId"] for m in msgs]})
            for m in msgs:
                env = json.loads(base64.b64decode(m["message"]["data"]))
                if session_id is None or env.get("session_id") == session_id:
                    got.append(env)
            if len(got) >= until and settle is None:
                settle = time.monotonic() + 1.0
            if not msgs:
                time.sleep(0.1)
        return got

    def delete(self) -> None:
        with contextlib.suppress(OSError):
            self._call("DELETE", "")


@pytest.fixture
def events() -> Iterator[Subscription]:
    sub = Subscription("events")
    yield sub
    sub.delete()


def new_turn(
    api: httpx.Client,
    user: User,
    message: str,
    session_id: str | None = None,
    *,
    language: str | None = None,  # the Accept-Language header, if any
    **kw,
):
    body = {"session_id": session_id, "client_turn_id": uuid.uuid4().hex, "message": message, **kw}
    headers = {**user.headers, "Accept-Language": language} if language else user.headers
    return api.post("/v2/chat/turns", json=body, headers=headers)


def at_any_hour(api: httpx.Client, user: User) -> None:
    """The user sets their time zone, as the app does at sign-in (a scheduled push to a user
    who never did is suppressed, `timezone_unknown`), and clears their quiet hours, so a push
    reaches them now: a new user's 22:00-08:00 would hold it back when the tests run at night."""
    body = {"timezone": "UTC", "quiet_hours": None}
    r = api.patch("/v2/profile", json=body, headers=user.headers)
    assert r.status_code == 200, r.text


def events_table(client, dataset: str) -> str:
    """The analytics events table as production has it (schema, partitioning, clustering), in
    `dataset`, with the retention_choices table beside it as Terraform makes it; its table id."""
    from google.cloud import bigquery

    from common.analytics.schema import (
        CHOICES_TABLE,
        CLUSTERING,
        PARTITION_FIELD,
        bigquery_schema,
        choices_schema,
    )

    table = bigquery.Table(f"{client.project}.{dataset}.events", schema=bigquery_schema())
    table.time_partitioning = bigquery.TimePartitioning(field=PARTITION_FIELD)
    table.clustering_fields = list(CLUSTERING)
    client.create_table(table)
    choices = bigquery.Table(f"{client.project}.{dataset}.{CHOICES_TABLE}", schema=choices_schema())
    client.create_table(choices)
    return table.table_id
