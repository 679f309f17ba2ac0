"""/healthz's Pub/Sub check: an answer, even a refusal to show the topic, means it is there."""

import pytest
from google.api_core import exceptions

from common.adapters.pubsub_events import PubSubEventPublisher


class Client:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def get_topic(self, **_):
        if self.error:
            raise self.error


def _publisher(error):
    publisher = PubSubEventPublisher.__new__(PubSubEventPublisher)
    publisher._client, publisher._project_id, publisher._timeout = Client(error), "p", 1.0
    return publisher


def test_a_publisher_without_topics_get_is_still_healthy():
    _publisher(exceptions.PermissionDenied("pubsub.topics.get")).ping()  # no raise


def test_an_unreachable_pubsub_is_not():
    with pytest.raises(exceptions.ServiceUnavailable):
        _publisher(exceptions.ServiceUnavailable("down")).ping()
