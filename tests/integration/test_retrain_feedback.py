"""The retraining job's ratings queries (model_serving/feedback.py) in the BigQuery emulator, on
turns and ratings written through the sink's code (a redelivered copy and a changed rating
included): what BigQuery counts by group teaches the same as the turns read one by one, and the
replay's query reads exactly the turns offpolicy.logged would keep, at most `max_rows` of them,
the same ones on every run."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from common.analytics.sink import Message, sink_messages
from common.analytics.warehouse import BigQueryRowWriter, emulator_client, provision
from common.events import Event
from common.labels import PERSONA_IDS
from model_serving import offpolicy, trainset
from model_serving.feedback import read_rated_groups, read_rated_turns
from scripts import stack

PROJECT = stack.PROJECT
CHAMPION = "pm-champ"
NOW = datetime.now(UTC).replace(microsecond=0)


class Refuse:
    def publish(self, data: bytes, attributes: dict[str, str]) -> None:
        raise AssertionError(f"unexpected dead letter: {attributes}")


def rated_turn(i: int, **kw) -> list[Event]:
    """A turn and its rating; `kw` overrides the turn's fields (user_key: `key`)."""
    key = kw.pop("key", f"user-{i % 7}")
    at = NOW - timedelta(hours=2, minutes=i)
    data = {
        "turn_id": f"t{i}",
        "turn_index": 0,
        "persona": PERSONA_IDS[i % 2],
        "persona_source": "thompson",
        "tone": "anxious" if i % 3 else "sad",
        "intent": "emotional_support",
        "crisis": False,
        "analysis_source": CHAMPION,
        "propensity": 0.5,
        "local_hour": 10,
        "scores": {p: 0.25 + 0.1 * j for j, p in enumerate(PERSONA_IDS)},
        "profile": None if key is None else {"turns": i},
        "components": {"router": 0.1},  # the rest of the payload, which the replay never reads
        **kw,
    }
    rating = {"turn_id": f"t{i}", "persona": data["persona"], "rating": "up", "reward": i % 5 / 4}
    return [
        Event("chat.turn.completed", at, key, f"s{i}", data),
        Event("feedback.submitted", at + timedelta(minutes=1), key, f"s{i}", rating),
    ]


@pytest.fixture(scope="module")
def window() -> dict:
    bq = emulator_client(os.environ.get("BIGQUERY_EMULATOR_HOST", "127.0.0.1:9050"), PROJECT)
    dataset = f"test_{uuid.uuid4().hex[:10]}"
    provision(bq, project=PROJECT, dataset=dataset)
    events = [e for i in range(24) for e in rated_turn(i)]
    events += rated_turn(30, persona_source="requested")  # the user's choice
    events += rated_turn(31, persona_source="care", crisis=True)
    events += rated_turn(32, key=None)  # anonymised: no profile logged
    events += rated_turn(33, analysis_source="baseline")
    events += rated_turn(34, analysis_source="pm-older")
    events += rated_turn(35, persona_source="ensemble", propensity=None)  # not replayable
    events += rated_turn(36, persona_source=None)
    # a changed rating: the last one counts
    events.append(
        Event(
            "feedback.submitted",
            NOW - timedelta(minutes=5),
            "user-1",
            "s1",
            {"turn_id": "t1", "persona": PERSONA_IDS[1], "rating": "down", "reward": 0.0},
        )
    )
    writer = BigQueryRowWriter(bq, table=f"{PROJECT}.{dataset}.events")
    messages = [Message(e.encode(), e.attributes()) for e in events]
    messages += messages[:2]  # turn 0 and its rating delivered twice
    report = sink_messages(messages, write=writer.insert, dead_letter=Refuse(), now=NOW)
    assert report.written == len(messages)
    return {
        "client": bq,
        "project": PROJECT,
        "dataset": dataset,
        "since": NOW - timedelta(days=1),
        "until": NOW,
    }


def test_groups_teach_what_the_turns_one_by_one_do(window: dict) -> None:
    groups = read_rated_groups(**window)
    turns = read_rated_turns(**window, max_rows=1000)
    assert sum(g.n for g in groups) == len(turns) == 31  # one per turn_id, copies once
    assert {t.turn_id: t.reward for t in turns}["t1"] == 0.0  # the changed rating
    assert trainset.persona_cells(groups) == trainset.persona_cells(turns)
    assert offpolicy.observed_by_model(groups) == offpolicy.observed_by_model(turns)


def test_the_replay_reads_only_what_it_can_use_and_estimates_the_same(window: dict) -> None:
    groups = read_rated_groups(**window)
    every = read_rated_turns(**window, max_rows=1000)
    replayable = read_rated_turns(**window, max_rows=1000, read_by=CHAMPION)
    assert {t.turn_id for t in replayable} == {
        t.turn_id for t in every if offpolicy.unreplayable(t, CHAMPION) is None
    }
    assert all(t.scores and set(t.scores) == set(PERSONA_IDS) for t in replayable)
    assert all(t.profile == {"turns": int(t.turn_id[1:])} for t in replayable)
    means = {"kind": {}, "intent": {}, "all": np.full(len(PERSONA_IDS), 0.25)}
    args = {"champion_version": CHAMPION, "champion_means": means, "challenger_means": means}
    whole = offpolicy.evaluate(every, **args)
    read = offpolicy.evaluate(replayable, **args, rated=groups)
    assert (read.pop("replayable"), read.pop("read")) == (len(replayable), len(replayable))
    assert read == whole


def test_beyond_max_rows_a_fixed_sample(window: dict) -> None:
    replayable = read_rated_turns(**window, max_rows=1000, read_by=CHAMPION)
    sample = read_rated_turns(**window, max_rows=5, read_by=CHAMPION)
    assert len(sample) == 5 and {t.turn_id for t in sample} <= {t.turn_id for t in replayable}
    assert read_rated_turns(**window, max_rows=5, read_by=CHAMPION) == sample
