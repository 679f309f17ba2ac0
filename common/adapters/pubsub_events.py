"""EventPublisher on Pub/Sub: one synchronous publish per topic, bounded by a timeout."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from typing import Any

from common.events import Event, PublishError


class PubSubEventPublisher:
    def __init__(self, client: Any, *, project_id: str, timeout_seconds: float) -> None:
        self._client = client
        self._project_id = project_id
        self._timeout = timeout_seconds

    def publish(self, events: list[Event]) -> None:
        from google.api_core import exceptions
        from google.pubsub_v1 import PubsubMessage

        by_topic: dict[str, list[Event]] = defaultdict(list)
        for event in events:
            by_topic[event.topic].append(event)
        for topic, batch in by_topic.items():
            messages = [PubsubMessage(data=e.encode(), attributes=e.attributes()) for e in batch]
            try:
                self._client.publish(
                    topic=f"projects/{self._project_id}/topics/{topic}",
                    messages=messages,
                    timeout=self._timeout,
                    retry=None,  # the outbox is the retry
                )
            except (exceptions.GoogleAPIError, OSError, ValueError) as e:
                raise PublishError(f"publish to {topic} failed: {type(e).__name__}") from e

    def ping(self) -> None:
        from google.api_core import exceptions

        topic = f"projects/{self._project_id}/topics/events"
        # A 403 is an answer too: the publisher role may publish to the topic but not read it.
        with contextlib.suppress(exceptions.PermissionDenied):
            self._client.get_topic(topic=topic, timeout=self._timeout, retry=None)
