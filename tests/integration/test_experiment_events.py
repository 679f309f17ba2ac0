"""A/B experiments through the chat and feedback entry points in-process, against the emulators:
each user's turns and ratings carry the variant their key hashes to, and feedback counts for the
variant its turn was shown under."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from common.chat import wiring
from common.config import get_settings
from common.events import user_key
from common.experiments import Experiment, assign
from scripts.auth_emulator import sign_up
from scripts.function_client import function_client
from tests.stack_fixtures import Subscription


@pytest.fixture
def experiment(monkeypatch: pytest.MonkeyPatch) -> Experiment:
    now = datetime.now(UTC)
    raw = {
        "id": f"it-{uuid.uuid4().hex[:8]}",
        "variants": [
            {"name": "static", "traffic": 0.5, "policy": "static"},
            {"name": "personalized", "traffic": 0.5},
        ],
        "start": (now - timedelta(days=1)).isoformat(),
        "end": (now + timedelta(days=1)).isoformat(),
    }
    monkeypatch.setenv("EXPERIMENTS", json.dumps([raw]))
    get_settings.cache_clear()
    wiring.policy.cache_clear()
    yield Experiment.model_validate(raw)
    get_settings.cache_clear()
    wiring.policy.cache_clear()


def test_turns_and_ratings_carry_the_users_variant(experiment: Experiment) -> None:
    events = Subscription("events")
    try:
        chat, feedback = function_client("chat"), function_client("feedback")
        key = get_settings().analytics_key.get_secret_value()
        expected: dict[str, str] = {}  # session -> variant
        for _ in range(6):
            user = sign_up()
            turn = chat.post(
                "/v2/chat/turns",
                json={"client_turn_id": uuid.uuid4().hex, "message": "How do I learn SQL?"},
                headers=user.headers,
            )
            assert turn.status_code == 201, turn.get_data(as_text=True)
            rated = feedback.post(
                "/v2/feedback",
                json={
                    "turn_id": turn.json["turn_id"],
                    "session_id": turn.json["session_id"],
                    "rating": "up",
                },
                headers=user.headers,
            )
            assert rated.status_code == 201, rated.get_data(as_text=True)
            assigned = assign(experiment, user_key(user.uid, key), datetime.now(UTC))
            expected[turn.json["session_id"]] = assigned.variant
        got = [e for e in events.pull(until=18) if e["session_id"] in expected]
    finally:
        events.delete()
    turns = [e for e in got if e["type"] == "chat.turn.completed"]
    ratings = [e for e in got if e["type"] == "feedback.submitted"]
    assert len(turns) == len(ratings) == 6
    for e in turns:
        assert e["data"]["experiment"] == experiment.id
        assert e["data"]["variant"] == expected[e["session_id"]]
        assert e["data"]["control_variant"] == "static"
        assert e["data"]["variant_share"] == 0.5  # of the enrolled users: 0.5 of 0.5 + 0.5
    for e in ratings:
        assert (e["data"]["experiment"], e["data"]["variant"]) == (
            experiment.id,
            expected[e["session_id"]],
        )
