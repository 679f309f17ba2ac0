"""The benchmark floor: what any turn must cost at least. It verifies the token, runs one
Firestore transaction and publishes one event, through the same clients as the chat function."""

from __future__ import annotations

import uuid

import flask
import functions_framework
from google.cloud import firestore

from common import clients
from common.edge import authenticate, utcnow
from common.events import Event
from common.http import handle_errors, json_response
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
    with phase("publish"):
        clients.event_publisher().publish(
            [Event(type="bench.floor", occurred_at=utcnow(), user_key=None, topic="events")]
        )
    return json_response({"ok": True}, 201)
