"""Loneliness, isolation and older users (the loneliness review): a lonely user gets human
contact, not a tutorial or a walk; the locale's befriending lines, which the reply vet lets
through; being heard when that is all they asked; and no nudge or weekly insight pulls back a
user who leaned on the mentor in place of people."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from common.analysis.baseline import analyze_baseline
from common.chat import service
from common.chat.models import TurnCreate
from common.locale_lines import locale_lines
from common.notifications.models import LEANING
from common.notifications.reengagement import reengagement_nudge, withhold_reason
from common.notifications.weekly import weekly_insight
from common.personas import PERSONAS
from common.profile.models import ProfileSettings
from common.replies import (
    ContextTurn,
    GenerationError,
    PromptBuilder,
    ReplyRequest,
    TemplateGenerator,
)
from common.replies.loneliness import isolated
from common.replies.requests import LISTEN, asked
from common.replies.template import _STEPS, _Specifics
from common.replies.vet import vet_reply
from common.support_lines import LONELINESS_FILE, SupportLines
from tests.fakes import turns
from tests.fakes.analysis import make_analysis
from tests.unit.test_notification_producers import KEY, NOW, _recipient

GEN = TemplateGenerator()
GB = locale_lines(LONELINESS_FILE, "en-GB", default_locale="en-US")
SILVER_LINE = "0800 4 70 80 90"

# The review's messages, each with the reading it got (the model's, or the baseline's with
# the model down): whatever the intent, no productivity step.
LONELY = {
    "how do I make friends as an adult": ("curious", "learning"),
    "where can I meet people?": ("curious", "learning"),
    "working from home and I can go days without seeing a person": ("calm", "problem_solving"),
    "I have no one to talk to": ("sad", "emotional_support"),
    "I'm 85 and housebound, I don't see anyone apart from the carer": ("sad", "emotional_support"),
}
# What the review found in their replies.
PRODUCTIVITY = ("tutorial", "concept", "in writing", "ten-minute walk", "someone close to you")
# Human contact: a message to an old friend, a class, club or group, volunteering, a befriending
# service, a neighbour.
CONNECTION = ("lost touch with", "class, club or group", "volunteer", "befriending", "neighbour")


def _reply(message: str, persona: str, analysis=None, **request) -> str:
    analysis = analysis or analyze_baseline(message)
    return GEN.generate(ReplyRequest(PERSONAS[persona], message, analysis, **request))


@pytest.mark.parametrize("persona", sorted(PERSONAS))
@pytest.mark.parametrize("message", list(LONELY))
def test_a_lonely_message_gets_human_contact_not_productivity_steps(message, persona):
    tone, intent = LONELY[message]
    for analysis in (make_analysis(tone=tone, intent=intent), analyze_baseline(message)):
        text = _reply(message, persona, analysis).lower()
        assert not [said for said in PRODUCTIVITY if said in text], text
        assert any(marker in text for marker in CONNECTION), text


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_housebound_gets_the_befriending_line_first_and_no_walk(persona):
    message = "I'm 85 and housebound, I don't see anyone apart from the carer"
    sad = make_analysis(tone="sad", intent="emotional_support")
    text = _reply(message, persona, sad, support_lines=SupportLines(loneliness=GB))
    assert SILVER_LINE in text and "0800 678 1602" in text, text
    assert "walk" not in text
    # No lines for the locale: the step still says what to look for.
    assert "befriending service" in _reply(message, persona, make_analysis(tone="sad"))


def test_a_turn_names_the_locales_lines():
    said = turns.take_turn(
        uid="u1",
        message="I'm 85 and housebound, I don't see anyone apart from the carer",
        analyze=turns.analyze_offline,
        locale="en-GB",
    )
    assert SILVER_LINE in said["reply"], said["reply"]


@pytest.mark.parametrize(
    "message",
    [
        "I moved to a new city and I don't know anyone",
        "I haven't talked to anyone in a week",
        "everyone at work has friends except me",
        "my friends all have kids now and I'm left out",
        "I've been left out of every plan this year",
        "since my wife died I don't speak to anyone for days",
        "my kids never call anymore",
        "I eat dinner alone every night",
        "I'll be alone for Christmas again",
        "my flatmates go out without me",
        "all my friends have died, I'm the last one left",
        "I'm 72 and recently widowed, my kids live abroad",
        "I'm 79, I just want someone to talk to",
    ],
)
def test_isolation_is_read(message):
    assert isolated(message)


@pytest.mark.parametrize(
    "message",
    [
        "I was left out of the meeting invite again",
        "I feel left out of the meeting invites at work",
        "my mum is so lonely since dad died, how can I help her?",
        "I'm writing an essay on loneliness",
        "how do I isolate the bug in this service?",
        "I live alone and love it",
        "I don't know anyone who uses Rust",
        "I have to meet people from the client tomorrow",
        "I feel invisible in meetings, any tips?",
        "My kids start a new school and I'm nervous they'll struggle to make friends",
        "I need someone to talk to about my code review",
    ],
)
def test_ordinary_messages_with_those_words_are_not(message):
    assert not isolated(message)


def test_what_to_do_about_it_right_after_saying_it_is_read_too():
    # The review's conversation: "I'm 79, I just want someone to talk to", then "what can I do
    # about it?" got "ask someone ... to look at it with fresh eyes".
    lonely = "I'm 79, I just want someone to talk to"
    assert isolated("what can I do about it?", [lonely])
    assert not isolated("what can I do about it?", ["my printer keeps jamming"])
    assert not isolated("how do I fix my printer?", [lonely])
    turn = ContextTurn(0, lonely, _reply(lonely, "lua"), "lua", "sad")
    text = _reply("what can I do about it?", "lua", make_analysis(), window=(turn,))
    assert any(marker in text for marker in CONNECTION) and "fresh eyes" not in text, text


def test_left_out_of_a_meeting_invite_still_gets_ordinary_coaching():
    text = _reply("I was left out of the meeting invite again", "elro")
    assert "Option A" in text and not any(marker in text for marker in CONNECTION), text


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_lonely_and_only_saying_it_is_heard_with_no_step(persona):
    message = "I'm lonely but I'm fine, just wanted to say it"
    assert LISTEN in asked(message)
    text = _reply(message, persona)
    actions = [_Specifics().fill(step.action) for steps in _STEPS.values() for step in steps]
    assert "listening" in text and not [a for a in actions if a in text.lower()], text
    assert "gentle step" not in text and "What feels heaviest" not in text


def test_a_crisis_phrase_still_wins_over_saying_it():
    from common.analysis import assess_safety

    message = "I'm so lonely I want to die, just wanted to say it"
    safety = assess_safety(message)
    assert safety.crisis
    analysis = replace(analyze_baseline(message), safety=safety)
    text = _reply(message, "lua", analysis)
    assert "listening" not in text and "Please reach out right now" in text, text


@pytest.mark.parametrize("message", ["just needed to tell someone", "I just wanted to say it"])
def test_only_saying_it_is_a_listen_request(message):
    said = asked(message)
    assert LISTEN in said and said.only


# The vet and the prompt.

WIDOWED = "I'm 72 and recently widowed, my kids live abroad"


def _gb_request(message: str = WIDOWED) -> ReplyRequest:
    return ReplyRequest(
        PERSONAS["lua"],
        message,
        make_analysis(tone="sad", intent="emotional_support"),
        local_help=("If you are in immediate danger in the UK, call 999",),
        support_lines=SupportLines(loneliness=GB),
    )


@pytest.mark.parametrize(
    "reply",
    [
        "I'm so sorry. The Silver Line (0800 4 70 80 90) is there day and night for a chat.",
        "Age UK Advice on 0800 678 1602 can tell you about befriending near you.",
        "You could look at ageuk.org.uk for groups near you.",
    ],
)
def test_the_vet_lets_the_locales_befriending_lines_through(reply):
    assert vet_reply(reply, _gb_request()) == reply


def test_the_vet_still_refuses_a_number_no_line_names():
    with pytest.raises(GenerationError):
        vet_reply("Call the Lonely Line on 0800 123 4567.", _gb_request())


def test_the_prompt_asks_for_human_contact_and_names_the_lines():
    prompt = PromptBuilder().build(_gb_request()).system_instruction
    assert "suggest concrete human contact, not productivity steps" in prompt
    assert SILVER_LINE in prompt and "0800 678 1602" in prompt


def test_every_loneliness_entry_is_short_with_a_number_and_a_row_in_operations():
    raw = json.loads(LONELINESS_FILE.read_text(encoding="utf-8"))
    table = {k: v for k, v in raw.items() if not k.startswith("_")}
    for key, lines in table.items():
        assert key in raw["_about"], key  # its source
        for line in lines:
            assert len(line) <= 120 and re.search(r"\d{3}", line), line
    operations = LONELINESS_FILE.parents[2] / "docs" / "OPERATIONS.md"
    section = operations.read_text(encoding="utf-8").split("## Lines for loneliness", 1)[1]
    rows = [line for line in section.split("\n## ")[0].splitlines() if line.startswith("| `")]
    assert set(table) <= {k for row in rows for k in re.findall(r"`([^`]+)`", row.split("|")[1])}


# No nudge or weekly insight pulls back a user who leaned on the mentor.


def _lean(message: str) -> dict:
    store = turns.ActivityStore()
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message)
    service.take_turn(uid="u1", body=body, **turns.turn_ports(store), now=NOW)
    return store.activity["u1"]


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("you're the only one I talk to", "dependence"),
        ("I think I'm spending too much time talking to you, I want to use this app less", "less"),
    ],
)
def test_no_nudge_or_insight_for_30_days_after_leaning_on_the_mentor(message, kind):
    record = _lean(message)
    assert (record["leaning_at"], record["leaning"]) == (NOW, kind)
    assert record["expires_at"] >= NOW + timedelta(days=30)  # kept that long
    leaned = replace(_recipient(), leaning_at=record["leaning_at"])
    later = NOW + timedelta(days=15)
    assert reengagement_nudge(leaned, now=later, key=KEY, cooldown_days=14) == (None, LEANING)
    assert weekly_insight(leaned, now=NOW + timedelta(days=14), key=KEY) == (None, LEANING)
    note, _ = reengagement_nudge(_recipient(), now=later, key=KEY, cooldown_days=14)
    assert (
        note is not None and withhold_reason(note, record, ProfileSettings(), now=later) == LEANING
    )
    # After 30 days, as for anyone.
    month = NOW + timedelta(days=31)
    assert reengagement_nudge(leaned, now=month, key=KEY, cooldown_days=14)[0] is not None
    assert withhold_reason(note, record, ProfileSettings(), now=month) is None


def test_an_ordinary_turn_keeps_the_mark_and_another_sets_none():
    store = turns.ActivityStore()
    for i, message in enumerate(("at least I have you", "thanks")):
        body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message)
        service.take_turn(
            uid="u1", body=body, **turns.turn_ports(store), now=NOW + timedelta(minutes=i)
        )
        assert store.activity["u1"]["leaning_at"] == NOW
    assert _lean("how do I make friends as an adult")["leaning_at"] is None
