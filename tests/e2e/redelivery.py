"""Delivering a message again, as at-least-once Pub/Sub may, and telling when a push handler has
handled it. A handled duplicate changes nothing in the stores, so the evidence is the handler's
own log line: each record is one JSON line (common/logs.py), flushed as it is logged, in
.stack/logs/fn-<function>.log. Waiting for it replaces sleeping and hoping the copy came."""

from __future__ import annotations

import base64
import json
import urllib.request
from typing import Any

from scripts import stack
from tests.stack_fixtures import PUBSUB


def publish_event(envelope: dict, subject: str) -> None:
    """Publish an event envelope on `events` with the attributes our publisher sets."""
    attributes = {"event_id": envelope["event_id"], "type": envelope["type"], "subject": subject}
    message = {"data": base64.b64encode(json.dumps(envelope).encode()).decode()}
    req = urllib.request.Request(
        f"{PUBSUB}/topics/events:publish",
        data=json.dumps({"messages": [{**message, "attributes": attributes}]}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(req, timeout=5).close()


class FunctionLog:
    """What a function of the stack logs from the moment this is made."""

    def __init__(self, function: str) -> None:
        self.path = stack.LOGS / f"fn-{function}.log"
        self._start = self.path.stat().st_size if self.path.exists() else 0

    def records(self, message: str, **fields: Any) -> list[dict]:
        """The records logged since then with this message and these field values, in order."""
        if not self.path.exists():
            return []
        with self.path.open("rb") as f:
            f.seek(self._start)
            lines = f.read().decode("utf-8", "replace").splitlines()
        found = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # not one of our records (a server's own line), or half-written
            if (
                isinstance(record, dict)
                and record.get("message") == message
                and all(record.get(k) == v for k, v in fields.items())
            ):
                found.append(record)
        return found
