"""The benchmark floor: what any turn must cost at least. It verifies the token, runs one
Firestore transaction and publishes one event once it has answered, through the same clients
and the same path as the chat function."""

from __future__ import annotations

import functools
import uuid

import flask
import functions_framework
from google.cloud import firestore

from common import clients
from common.edge import authenticate, utcnow
from common.events import Event
from common.http import after_sending, handle_errors, json_response
from common.timing import phase


@functions_framework.http
@handle_errors
def floor(request: flask.Request) -> flask.Response:
    caller = authenticate(request)
    db = clients.firestore_client()
    ref = db.collection("bench_floor").document(uuid.uuid4().hex)

    @firestore.transactional
    def txn(transaction) -> None:
        ref.get(transaction=transaction)
        transaction.set(ref, {"uid": caller.uid, "at": utcnow()})

    with phase("commit"):
        txn(db.transaction())
    event = Event(type="bench.floor", occurred_at=utcnow(), user_key=None, topic="events")
    publish = functools.partial(clients.event_publisher().publish, [event])
    return after_sending(json_response({"ok": True}, 201), [publish])
