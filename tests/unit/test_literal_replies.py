"""Template replies for literal readers (the neurodivergent-users review): no mood made up for a
message that shows none; where to start, answered with the step already given; the start of
a task they can't start, first and named."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.personas import PERSONAS
from common.replies.template import TemplateGenerator, _offered
from common.replies.types import ReplyRequest
from tests.fakes import turns
from tests.fakes.analysis import make_analysis

GEN = TemplateGenerator()


def reply(message: str, persona: str, **kw) -> str:
    analysis = kw.pop("analysis", None) or make_analysis(tone="calm")  # as "..." is read
    return GEN.generate(
        ReplyRequest(persona=PERSONAS[persona], message=message, analysis=analysis, **kw)
    )


@pytest.mark.parametrize("message", ["...", "?", "like at all"])
def test_a_message_with_no_calm_cue_gets_no_calm_opener(message: str) -> None:
    # "..." got "It's lovely to hear you sounding so settled", "?" "You sound clear-headed".
    assert "settled" not in reply(message, "nana")
    assert "clear-headed" not in reply(message, "elro")


def test_a_calm_cue_keeps_the_calm_opener() -> None:
    assert reply("I feel calm today, what should I plan?", "elro").startswith(
        "You sound clear-headed"
    )


def _session(messages) -> list[str]:
    """`messages` a minute apart in one session, through the chat service: the replies."""
    store, sid, said = turns.ActivityStore(), None, []
    for i, message in enumerate(messages):
        response = turns.take_turn(uid="u1", message=message, analyze=turns.analyze_offline,
                                   store=store, session_id=sid,
                                   now=turns.NOW + timedelta(minutes=i))  # fmt: skip
        sid = response["session_id"]
        said.append(response["reply"])
    return said


def test_where_to_start_restates_the_first_step_and_gives_no_new_one() -> None:
    # The review: "what exactly should I do first?" got a new, unrelated plan, and "ok but what
    # do I literally do right now, this minute?" "Put the facts ... in writing".
    said = _session([
        "I have ADHD and I can't start my essay",
        "what exactly should I do first?",
        "ok but what do i literally do right now, this minute?",
    ])  # fmt: skip
    first = _offered(said[0])[0]
    for reply_ in said[1:]:
        assert _offered(reply_) == [first], reply_
        assert "your essay" in reply_ and reply_.count(".") == 1, reply_


TASKS = ["essay", "thesis", "tax return", "cover letter", "laundry", "budget spreadsheet"]


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_cant_start_gets_the_five_minute_start_first_naming_the_task(persona: str) -> None:
    # The review: of 20 "I have ADHD and I can't start my {task}", a start step came first in
    # 10, "plan a small reward" in 5, and none named the task.
    for task in TASKS:
        message = f"I have ADHD and I can't start my {task}"
        analysis = make_analysis(tone="overwhelmed", intent="problem_solving")
        text = reply(message, persona, analysis=analysis)
        assert _offered(text)[0].marker == "takes five minutes", text
        assert f"your {task}" in text, text
    assert "your car" not in reply("I can't start my car", persona)  # no task: a machine
