"""Gender identity and its care stay out of the session summary Gemini is sent.

The LGBTQ+ review: seven turns with Elro (en-GB) left "Earlier they tried: using my they/them
pronouns with my team. Topics: nonbinary, using, pronouns." in the later Gemini notes, against
the prompt's own rule not to bring up their sexuality or gender identity from earlier turns:
`sensitive._MATTER`, which the summary's fold reads, knew none of these words."""

from __future__ import annotations

import uuid

import pytest

from common.chat import service
from common.chat.models import TurnCreate
from common.replies import PromptBuilder
from common.replies.readers.work import sensitive_matter
from tests.fakes import turns

MATTERS = [
    "nonbinary",
    "non-binary",
    "they/them",
    "pronouns",
    "dysphoria",
    "deadname",
    "outed",
    "my transition",
    "genderqueer",
    "pansexual",
    "asexual",
    "intersex",
    "LGBTQ",
    "HRT",
    "testosterone",
    "oestrogen",
    "estrogen",
    "top surgery",
    "Gender Recognition Certificate",
]


@pytest.mark.parametrize("words", MATTERS)
def test_each_names_a_sensitive_matter(words):
    assert sensitive_matter(words)


@pytest.mark.parametrize("words", ["my transition to product", "the theme", "transitions"])
def test_a_move_at_work_does_not(words):
    assert not sensitive_matter(words)


def test_the_later_notes_keep_none_of_it():
    said = [
        "I'm nonbinary and I tried using my they/them pronouns with my team",
        "my dysphoria makes mornings rough, I tried starting testosterone last month",
        "I tried telling my boss about my deadname",
        "I'm pansexual and I tried the Pride network",
        "I also tried the genderqueer group at work",
        "ok, how do I plan my week?",
        "and my sprint?",
    ]
    store, generator, sid = turns.MemoryStore(), turns.RecordingGenerator(), None
    ports = turns.turn_ports(store, generator=generator)
    for message in said:
        body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=sid,
                          persona="elro")  # fmt: skip
        reply, _ = service.take_turn(uid="u1", body=body, **ports, now=turns.NOW, locale="en-GB")
        sid = reply["session_id"]
    prompt = PromptBuilder().build(generator.asked[-1])
    texts = (part.get("text", "") for c in prompt.contents for part in c["parts"])
    notes = next(text for text in texts if "Session notes" in text)
    assert "Topics:" in notes  # the summary is there, with what may be kept
    for word in ("nonbinary", "they/them", "pronouns", "dysphoria", "testosterone", "deadname",
                 "pansexual", "genderqueer"):  # fmt: skip
        assert word not in notes.lower()
