"""A user who asks to forget what they said, or not to bring it up, finds it in no later notes
(the summaries review, c4; the explicit-requests review, h4)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from common.chat import service
from common.chat.models import TurnCreate
from common.replies.prompt import PromptBuilder, render_summary, render_user_notes
from common.replies.requests import FORGET, asked, asks_to_forget
from common.sessions.state import SessionState, WindowTurn, forget_before
from common.sessions.summary import SessionSummary, keywords
from tests.fakes import turns

RULE = "They asked you not to bring up something they said earlier: don't."


def _conversation(*messages: str) -> tuple[SessionState, turns.RecordingGenerator]:
    store, session_id, generator = turns.MemoryStore(), None, turns.RecordingGenerator()
    for i, message in enumerate(messages):
        body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
        response, _ = service.take_turn(
            uid="u1",
            body=body,
            **turns.turn_ports(store, generator=generator),
            now=turns.NOW + i * timedelta(minutes=10),
        )
        session_id = response["session_id"]
    return store.sessions[session_id], generator


def _notes(generator: turns.RecordingGenerator) -> str:
    """The last prompt's notes of what they said earlier."""
    prompt = PromptBuilder().build(generator.asked[-1])
    return " ".join(p["text"] for c in prompt.contents for p in c["parts"] if "notes" in p["text"])


def test_what_they_asked_to_forget_is_in_no_later_summary_or_notes():
    # c4: five turns after the request, the notes said "Mentioned: coworker. Topics: coworker,
    # breast, cancer." and GET /v2/sessions "Topics: cancer, forget, private, shared".
    state, generator = _conversation(
        "My coworker Dave has breast cancer and is getting chemotherapy, I am covering her shifts.",
        "Please forget what I said about Dave, that was private and I shouldn't have shared it.",
        "Anyway, I need to plan my week.",
        "I have a deadline on Friday.",
        "I also want to go to the gym twice.",
        "What should I do first on Monday?",
        "ok, and Tuesday?",
    )
    assert state.summary.turns_folded == 2 and state.summary.asked_to_forget
    summary = render_summary(state.summary)
    for word in ("cancer", "breast", "coworker", "forget", "private"):
        assert word not in summary and word not in _notes(generator)
    assert summary == "Tone so far: frustrated → calm."  # the tones are our labels
    assert RULE in PromptBuilder().build(generator.asked[-1]).system_instruction


def test_what_they_asked_not_to_bring_up_is_gone_once_the_request_left_the_window():
    # h4: "Topics: cannot, bring, breakup, interview" once the request had left the window.
    state, generator = _conversation(
        "My boyfriend Marcus broke up with me last week and I cannot focus on my interview prep.",
        "The breakup keeps replaying in my head.",
        "Please don't bring up Marcus or the breakup again, I cannot deal with it right now.",
        "I have a job interview on Thursday.",
        "It is for a data analyst role.",
        "What should I prepare first?",
        "How do I answer the weakness question?",
        "And the salary question?",
        "Thanks, anything else?",
    )
    assert [t.turn_index for t in state.window] == [4, 5, 6, 7, 8]
    notes = render_user_notes(state.summary)
    assert "breakup" not in notes and "Marcus" not in notes and "cannot" not in notes
    assert "Thursday" in notes  # what came after the request counts again
    assert RULE in PromptBuilder().build(generator.asked[-1]).system_instruction


def test_the_rule_is_only_in_a_prompt_once_they_asked():
    state, generator = _conversation("My exams start on Monday.", "I tried flashcards already.")
    assert not state.summary.asked_to_forget
    assert RULE not in PromptBuilder().build(generator.asked[-1]).system_instruction
    stored = SessionSummary(asked_to_forget=True).to_dict()
    assert SessionSummary.from_dict(stored).asked_to_forget
    del stored["asked_to_forget"]  # stored before the flag
    assert SessionSummary.from_dict(stored) == SessionSummary()


def test_the_retention_refold_leaves_out_what_came_before_a_request_too():
    said = ["I tried talking to Dave about his cancer", "forget what I said about Dave", "hi"]
    at = turns.NOW
    stored = [WindowTurn(f"t{i}", i, m, "a reply", "lua", at) for i, m in enumerate(said)]
    state = SessionState("s1", "u1", at, at, at + timedelta(days=1), turn_count=8)
    summary = forget_before(state, at, stored).summary
    assert summary.asked_to_forget and summary.turns_folded == 3
    assert summary.tried == summary.topics == summary.entities == ()
    # ...and a request still in the window clears what left it before
    state = SessionState("s1", "u1", at, at, at + timedelta(days=1), 4, window=(stored[1],))
    summary = forget_before(state, at, stored[:1]).summary
    assert summary.asked_to_forget and summary.tried == () and summary.turns_folded == 1


@pytest.mark.parametrize(
    "message",
    [
        "Please forget what I said about Dave, that was private.",
        "forget about my ex, ok?",
        "Can you forget everything I told you about my mum?",
        "Ok. Don't bring up Marcus or the breakup again.",
        "please don’t mention my sister again",
        "I want you to forget that I said that.",
        "Don't remember that, please.",
        "Stop bringing my divorce up.",
        "Vergiss bitte, was ich über Dave gesagt habe.",
        "Erwähne Marcus nicht mehr.",
        "Oublie ce que j'ai dit sur Marc.",
        "Ne parle plus de ma rupture.",
        "Olvida lo que te dije de Marcos.",
        "No vuelvas a mencionar a Marcos.",
        "Esquece o que eu disse sobre o Marcos.",
        "Não mencione o Marcos de novo.",
    ],
)
def test_a_request_to_forget_is_read(message: str) -> None:
    assert asks_to_forget(message)


@pytest.mark.parametrize(
    "message",
    [
        "I forget about deadlines all the time",
        "I always forget what my manager asked for",
        "forget it, I'll do it myself",
        "Thanks! - Don't mention it, he said",
        "I don't want to bring it up with my boss",
        "Should I mention my salary in the interview?",
        "My friend said don't worry",
        # advice asked or reported, or what not to say to someone else: no request
        "Never talk about salary in a first interview, right?",
        "My manager told me: never mention the layoffs to clients.",
        "Do not bring this up with HR yet?",
        "The rule is simple. Never talk about fight club.",
        "Never mention salary in an interview.",
    ],
)
def test_an_ordinary_message_asks_nothing(message: str) -> None:
    assert not asks_to_forget(message)
    assert FORGET not in asked(message)


def test_a_request_to_forget_is_a_request_about_how_to_be_answered():
    assert FORGET in asked("Please forget what I said about Dave, that was private.")
    assert not asked("Erwähne Marcus nicht mehr.").only  # the other requests' replies: not this


def test_the_words_of_a_request_are_no_topics():
    request = "You cannot mention it. It was private, please forget it and never bring it up."
    assert keywords(request, limit=10) == []
