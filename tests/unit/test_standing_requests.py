"""Requests about how to be answered hold for the session, until the user says otherwise (the
neurodivergent-users review: "answer literally ... one step at a time" was in the prompt for
turns 0-5 and gone at 6; after "stop asking how I feel" Lua's turn 7 ended "How does that sit
with you?"; a bulleted list could not be asked for)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from common.chat import service
from common.chat.models import TurnCreate
from common.personas import PERSONAS
from common.replies.prompt import PromptBuilder
from common.replies.requests import LIST, LITERAL, NO_QUESTIONS, ONE_STEP, asked, kept_requests
from common.replies.template import TemplateGenerator, _offered
from common.replies.types import ContextTurn, GenerationError, ReplyRequest
from common.replies.vet import vet_reply
from tests.fakes import turns
from tests.fakes.analysis import make_analysis

LITERAL_ASK = (
    "I'm autistic. Please answer literally, with no idioms or metaphors, and give me one step "
    "at a time."
)
LIST_ASK = (
    "I am dyslexic and reading long paragraphs is hard. Can you put the steps for renewing my "
    "prescription in a bulleted list?"
)
IDIOMS = ("you've got this", "one step at a time", "fast track", "dig in", "crowd you", "go!")


def _session(messages, persona: str | None = None, generator=None) -> list[dict]:
    """`messages` a minute apart in one session: the responses."""
    store, sid, said = turns.ActivityStore(), None, []
    for i, message in enumerate(messages):
        ports = turns.turn_ports(store, **({"generator": generator} if generator else {}))
        body = TurnCreate(client_turn_id=f"t{i}", message=message, session_id=sid, persona=persona)
        at = turns.NOW + timedelta(minutes=i)
        said.append(service.take_turn(uid="u1", body=body, now=at, **ports)[0])
        sid = said[-1]["session_id"]
    return said


@pytest.mark.parametrize(
    ("message", "kinds"),
    [
        (LITERAL_ASK, {LITERAL, ONE_STEP}),
        ("no idioms please", {LITERAL}),
        ("please just tell me one step", {ONE_STEP}),
        (LIST_ASK, {LIST}),
        ("in bullet points please", {LIST}),
        ("I need to put my notes in a list", set()),
        ("I literally cannot start", set()),
    ],
)
def test_literal_one_step_and_list_requests_are_read(message: str, kinds: set[str]) -> None:
    assert asked(message).kinds == kinds


def test_a_kept_request_holds_until_taken_back() -> None:
    held = kept_requests((), LITERAL_ASK)
    assert set(held) == {LITERAL, ONE_STEP}
    assert kept_requests(held, "what next") == held
    assert set(kept_requests((*held, NO_QUESTIONS), "you can ask questions again")) == set(held)
    assert kept_requests(held, "back to normal please") == ()


def test_a_lua_session_asked_for_no_questions_asks_none_for_eight_turns() -> None:
    messages = ["I feel overwhelmed by work", "stop asking how I feel", "the emails keep piling up",
                "my inbox has 300 unread", "my manager adds more every day",
                "I stay late most nights", "I skipped lunch again today",
                "the deadline moved up to monday"]  # fmt: skip
    said = _session(messages, persona="lua")
    assert said[0]["reply"].endswith("?")  # Lua's closing question, before they asked
    for r in said[1:]:
        assert not r["reply"].rstrip().endswith("?"), r["reply"]
    # and it comes back once they say so
    again = _session(
        [*messages[:2], "you can ask questions again", "how do I plan my week?"], "lua"
    )
    assert again[-1]["reply"].endswith("?")


def test_the_prompt_keeps_a_literal_request_past_the_window() -> None:
    generator = turns.RecordingGenerator()
    messages = [LITERAL_ASK, "I need to clean my flat", "done", "what next", "done", "what next",
                "done", "what next"]  # fmt: skip
    _session(messages, generator=generator)
    builder = PromptBuilder()
    last = generator.asked[-1]
    assert LITERAL_ASK not in (turn.message for turn in last.window)  # gone from the window
    instruction = builder.build(last).system_instruction
    assert "no idioms, metaphors or figures of speech" in instruction
    assert "give one step at a time" in instruction


def _reply(message: str, persona: str, window=()) -> str:
    analysis = make_analysis(tone="calm", intent="planning")
    request = ReplyRequest(PERSONAS[persona], message, analysis, window=window)
    return TemplateGenerator().generate(request)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_one_step_at_a_time_is_one_action_with_no_opener_or_closer(persona: str) -> None:
    window = (ContextTurn(0, LITERAL_ASK, "Okay.", persona, "calm"),)
    text = _reply("how do I plan my week?", persona, window)
    assert len(re.findall(r"[.!?](?:\s|$)", text)) == 1 and len(_offered(text)) == 1, text
    assert not any(idiom in text.lower() for idiom in IDIOMS), text


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_literal_replies_carry_no_idioms(persona: str) -> None:
    window = (ContextTurn(0, "no idioms or metaphors please", "Okay.", persona, "calm"),)
    text = _reply("how do I plan my week?", persona, window)
    assert _offered(text) and not any(idiom in text.lower() for idiom in IDIOMS), text
    assert not text.endswith("?"), text


def test_a_list_asked_for_is_one_step_a_line_in_the_template() -> None:
    text = _reply(LIST_ASK, "elro")
    lines = text.splitlines()
    assert len(lines) == 3 and all(line.startswith("- ") for line in lines), text


BULLETED = (
    "Here is what to do:\n- Call your pharmacy and ask them to renew it.\n"
    "- Book an appointment online if they need the doctor's approval.\n"
    "• Collect it before Tuesday."
)


def test_a_bulleted_reply_passes_the_vet_once_a_list_was_asked_for() -> None:
    analysis = make_analysis()
    asked_for = ReplyRequest(PERSONAS["elro"], LIST_ASK, analysis)
    assert vet_reply(BULLETED, asked_for) == BULLETED
    later = ContextTurn(0, LIST_ASK, "Okay.", "elro", "calm")
    assert vet_reply(BULLETED, ReplyRequest(PERSONAS["elro"], "and then?", analysis, (later,)))
    plain = ReplyRequest(PERSONAS["elro"], "how do I renew my prescription?", analysis)
    with pytest.raises(GenerationError, match="markdown"):
        vet_reply(BULLETED, plain)
    for other in ("# Steps\n- Call them.", "* Call them.\n* Book it."):  # still not markdown
        with pytest.raises(GenerationError, match="markdown"):
            vet_reply(other, asked_for)
    assert "each line starting with" in PromptBuilder().build(asked_for).system_instruction
