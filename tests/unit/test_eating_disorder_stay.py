"""A stay in hospital for an eating disorder is a heavy event, and no step is a walk.

The recovery review: "I was in hospital for my eating disorder last spring, now I'm planning
my return to uni", read by the model as calm and emotional_support, got Lua's "step outside
for a ten-minute walk, because movement shifts how the mind feels"."""

from __future__ import annotations

import pytest

from common.personas import PERSONAS
from common.replies import ContextTurn, ReplyRequest, TemplateGenerator
from common.replies.readers.eating import eating_disorder
from common.replies.readers.gentleness import gentleness
from tests.fakes.analysis import make_analysis

STAY = "I was in hospital for my eating disorder last spring, now I'm planning my return to uni"
MORE = [
    STAY,
    "I got out of inpatient treatment for anorexia in March and I'm starting a new job",
    "after two months in a clinic for bulimia I want to get back into my routine",
    "I'm in recovery from my eating disorder and need to plan my week",
]


@pytest.mark.parametrize("message", MORE[:3])
def test_a_stay_for_an_eating_disorder_is_a_heavy_event(message):
    assert gentleness(message, ()).heavy_now


def test_naming_the_disorder_alone_is_not():
    assert eating_disorder(MORE[3]) and not gentleness(MORE[3], ()).heavy_now


@pytest.mark.parametrize("persona", sorted(PERSONAS))
@pytest.mark.parametrize("message", MORE)
def test_no_walk_where_an_eating_disorder_is_named(message, persona):
    for intent in ("emotional_support", "check_in", "motivation"):
        req = ReplyRequest(
            persona=PERSONAS[persona],
            message=message,
            analysis=make_analysis(tone="calm", intent=intent),
        )
        assert "walk" not in TemplateGenerator().generate(req), (intent, message)


def test_nor_in_the_turns_after_it():
    earlier = ContextTurn(0, STAY, "a reply", "lua", "calm")
    for message in ("what should I do this week?", "how do I feel less stressed", "any ideas?"):
        req = ReplyRequest(
            persona=PERSONAS["lua"],
            message=message,
            analysis=make_analysis(tone="calm", intent="emotional_support"),
            window=(earlier,),
        )
        assert "walk" not in TemplateGenerator().generate(req), message
