"""Template replies for literal readers (the neurodivergent-users review): no mood made up for a
message that shows none."""

from __future__ import annotations

import pytest

from common.personas import PERSONAS
from common.replies.template import TemplateGenerator
from common.replies.types import ReplyRequest
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
