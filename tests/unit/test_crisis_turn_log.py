"""Every crisis turn answered, stored or not, writes one INFO line ("crisis turn") saying what
detected it and whether the model answered, and never the user's words: the monitoring module
counts these lines to see a crisis detector go quiet or fire at everything.

The safety-operations review's probe: a persona model whose crisis head never fires, behind an
endpoint that answers, took crisis detection from ~98% to the patterns' ~29% with every monitor
green; crisis turns showed only in BigQuery."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import replace

import pytest

from common import logs
from common.analysis.baseline import analyze_baseline
from common.chat import service
from common.chat.limits import activity_doc, unsalted_hash
from common.chat.models import TurnCreate
from common.config import Settings
from common.errors import Unavailable
from common.logs import COUNT, formatter
from common.profile.erasure import ERASING
from common.replies.types import GenerationError
from tests.fakes import turns
from tests.fakes.turns import NOW

CRISIS = "I want to kill myself"
VERSION = "pm-test-1"


def analyze(text: str):
    """A model that answers, but whose crisis head never fires: the patterns alone say crisis."""
    return replace(analyze_baseline(text), source=VERSION), []


class DownOnRead(turns.ActivityStore):
    def read_turn_context(self, **kw):
        raise Unavailable("down", code="storage_unavailable")


class DownOnCommit(turns.ActivityStore):
    def commit_turn(self, **kw):
        raise Unavailable("down", code="storage_unavailable")


def _erasing() -> turns.ActivityStore:
    store = turns.ActivityStore()
    store.activity["u1"] = {ERASING: NOW}
    return store


def _at_a_scripts_pace() -> turns.ActivityStore:
    store = turns.ActivityStore()
    pace = Settings().crisis_turns_minute_max
    sent = [(NOW, unsalted_hash(CRISIS))] * pace
    store.activity["u1"] = activity_doc(sent, limited_until=None)
    return store


def _crisis_lines(caplog) -> list[dict]:
    """The crisis turn lines as Cloud Logging receives them (common.logs' JSON)."""
    return [
        json.loads(formatter().format(r))
        for r in caplog.records
        if r.name == "common.chat.service" and r.getMessage() == service.CRISIS_TURN
    ]


def _turn(store, message: str = CRISIS, locale: str | None = None) -> dict:
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message)
    response, _ = service.take_turn(
        uid="u1",
        body=body,
        **turns.turn_ports(store, analyze=analyze),
        now=NOW,
        locale=locale,
    )
    return response


CASES = {
    "stored": (turns.ActivityStore, True),
    "read fails": (DownOnRead, False),
    "commit fails": (DownOnCommit, False),
    "erasure running": (_erasing, False),
    "at a script's pace": (_at_a_scripts_pace, False),
}


@pytest.mark.parametrize("case", CASES)
def test_a_crisis_turn_logs_one_line_with_what_detected_it_and_no_text(case, caplog):
    make, stored = CASES[case]
    with caplog.at_level(logging.INFO):
        said = _turn(make(), locale="de-DE")
    assert said["safety"]["crisis"] is True
    (line,) = _crisis_lines(caplog)
    assert line["severity"] == "INFO"
    expected = {
        "detected_by": "patterns",
        "analysis_source": VERSION,
        "analyzed_by": "model",
        "stored": stored,
        "resources_key": "de-de",
        "reply": "first",
    }
    assert {k: line[k] for k in expected} == expected
    # none of the user's words, in the line or any field of it
    assert "kill" not in json.dumps(line)


def test_a_crisis_past_the_request_budget_logs_its_line_throttled_per_user(caplog):
    # A script sending crisis words as fast as it can: one line per user a minute, with the
    # turns it stands for (its WARNING's throttle), not one per request.
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            service.crisis_past_budget(
                uid="u-script",
                body=TurnCreate(client_turn_id=uuid.uuid4().hex, message=CRISIS),
                baseline=turns.read_without_model,
                rank=turns.rank,
                settings=Settings(),
                now=NOW,
                locale=None,
                sink=None,
            )
    (line,) = _crisis_lines(caplog)
    assert line[COUNT] == 1 and line["stored"] is False
    assert (line["analyzed_by"], line["analysis_source"]) == ("baseline", "baseline")
    assert line["resources_key"] == Settings().safety_default_locale.lower()


def test_an_ordinary_turn_logs_no_crisis_line(caplog):
    with caplog.at_level(logging.INFO):
        _turn(turns.ActivityStore(), "How do I plan my week?")
    assert _crisis_lines(caplog) == []


# A crisis flag next to a stable key says who was in crisis to anyone who reads the logs, even
# of a user who anonymised analytics (the personal-data review's probe: their "crisis turn"
# carried the key common.edge binds to every line). The monitors count by detector.
KEY = "k" * 64


@pytest.fixture
def keyed_lines():
    """The lines as Cloud Logging receives them from a request whose caller's key is bound:
    through common.logs' filter (RequestFields) and formatter, as setup_logging wires them."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.INFO)
    handler.addFilter(logs.RequestFields())
    root = logging.getLogger()
    root.addHandler(handler)
    token = logs.bind(user_key=KEY, request_id="r1")
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(root, "level", logging.INFO)
            # the per-instance throttles of these lines, fresh (another test's line of the
            # last 30 s would hold this one back, and this one would hold back the other's)
            for name in ("_UNSTORED_EVENT_FAILED", "_GENERATOR_FAILED"):
                mp.setattr(service, name, logs.Throttle(logs.FAILURE_LOG_SECONDS))
            yield lambda: [json.loads(formatter().format(r)) for r in records]
    finally:
        logs.unbind(token)
        root.removeHandler(handler)


def _keyed_turn(store, uid: str, message: str = CRISIS, publisher=None) -> dict:
    ports = turns.turn_ports(store, analyze=analyze)
    if publisher is not None:
        ports["publisher"] = publisher
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message)
    return service.take_turn(uid=uid, body=body, **ports, now=NOW)[0]


def _at_pace(uid: str) -> turns.ActivityStore:
    store = turns.ActivityStore()
    sent = [(NOW, unsalted_hash(CRISIS))] * Settings().crisis_turns_minute_max
    store.activity[uid] = activity_doc(sent, limited_until=None)
    return store


class NoPubSub(turns.Publisher):
    def publish(self, events) -> None:
        raise Unavailable("down", code="pubsub_unavailable")


WARNINGS = {
    "stored": (turns.ActivityStore, None, None),
    "cannot be stored": (DownOnRead, None, "a crisis turn that cannot be stored"),
    "at a script's pace": (_at_pace, None, "crisis turns past"),
    "event not published": (DownOnRead, NoPubSub, "the crisis event of a turn not stored"),
}


@pytest.mark.parametrize("case", WARNINGS)
def test_a_crisis_turn_logs_its_lines_without_the_users_key(case, keyed_lines):
    make, publisher, warning = WARNINGS[case]
    uid = f"u-{uuid.uuid4().hex}"  # the warnings' throttles are per uid
    store = make(uid) if make is _at_pace else make()
    said = _keyed_turn(store, uid, publisher=publisher and publisher())
    assert said["safety"]["crisis"] is True
    lines = keyed_lines()
    crisis = [line for line in lines if line["message"] == service.CRISIS_TURN]
    assert crisis
    if warning:
        crisis += [line for line in lines if line["message"].startswith(warning)]
        assert len(crisis) == 2
    for line in crisis:
        assert "user_key" not in line
        assert line["request_id"] == "r1"  # the request's other fields stay


def test_a_crisis_past_the_request_budget_logs_without_the_users_key(keyed_lines):
    service.crisis_past_budget(
        uid=f"u-{uuid.uuid4().hex}",
        body=TurnCreate(client_turn_id=uuid.uuid4().hex, message=CRISIS),
        baseline=turns.read_without_model,
        rank=turns.rank,
        settings=Settings(),
        now=NOW,
        locale=None,
        sink=None,
    )
    lines = keyed_lines()
    assert {line["message"] for line in lines} >= {
        service.CRISIS_TURN,
        "a crisis turn past the user's request budget: answered, not stored",
    }
    assert all("user_key" not in line for line in lines)


class Down:
    """A reply generator that fails (Gemini down): the turn logs it and the template answers."""

    costly = False

    def generate(self, req):
        raise GenerationError("down")


def test_an_ordinary_turns_lines_still_carry_the_users_key(keyed_lines):
    store = turns.ActivityStore()
    ports = turns.turn_ports(store, analyze=analyze, generator=Down())
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message="How do I plan my week?")
    service.take_turn(uid=f"u-{uuid.uuid4().hex}", body=body, **ports, now=NOW)
    (line,) = keyed_lines()
    assert line["message"].startswith("reply generator failed")
    assert line["user_key"] == KEY
