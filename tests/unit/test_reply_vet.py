"""vet_reply: what a model's reply may not carry to the user, whatever its prompt said."""

from __future__ import annotations

import pytest

from common.personas import PERSONAS
from common.replies import ContextTurn, GenerationError, PromptBuilder, ReplyRequest
from common.replies.vet import MAX_REPLY_CHARS, vet_reply, whole_sentences
from tests.fakes.analysis import make_analysis

NZ = ("Call Lifeline Aotearoa on 0800 543 354 (New Zealand, 24/7)",)
HELPLINE = ("Find a free, confidential helpline in your country at findahelpline.com",)


def request(care: bool = False, resources: tuple[str, ...] = (), **kw) -> ReplyRequest:
    return ReplyRequest(
        PERSONAS["lua"],
        "i still feel awful",
        make_analysis(),
        care=care,
        care_resources=resources,
        **kw,
    )


@pytest.mark.parametrize(
    "reply",
    [
        "I'm here with you. You could call 1-800-555-0134 any time tonight.",
        "Please reach out to the crisis line on +44 20 7946 0000, they can help.",
        "I'm glad you wrote. Lifeline is on 0800 543 355 if you want to talk.",  # one digit off
        "You are not alone. Visit https://example.org/help for support.",
        "You are not alone. There is help at suicide-help.org whenever you need it.",
    ],
)
def test_a_care_reply_naming_another_number_or_address_is_rejected(reply):
    # The prompt-injection review: the care rule says "never name any other helpline or
    # number", and nothing checked that Gemini did not.
    with pytest.raises(GenerationError, match="no crisis resource names"):
        vet_reply(reply, request(care=True, resources=NZ))


def test_a_reply_may_name_the_resources_the_request_carries():
    reply = "How are you doing now? Lifeline is there on 0800 543 354 whenever you need it."
    assert vet_reply(reply, request(care=True, resources=NZ)) == reply
    reply = "You can find someone to talk to at https://findahelpline.com/countries/nz."
    assert vet_reply(reply, request(care=True, resources=HELPLINE)) == reply
    # After care, the window's crisis turn holds the app's safety message and its resources.
    crisis = ContextTurn(0, "i want to end it", f"You are not alone. {NZ[0]}", "lua", "sad", True)
    reply = "I'm glad you're back. Lifeline is still there on 0800 543 354."
    assert vet_reply(reply, request(window=(crisis,))) == reply
    # An ordinary turn names no resource: a number there is none the request vouches for.
    with pytest.raises(GenerationError):
        vet_reply("Call them on 0800 543 354 first thing tomorrow.", request())


def test_an_ordinary_reply_may_link_to_docs_or_a_course():
    # No rule forbids a link outside care, and one is often the help asked for: rejecting it
    # sent every such reply to the template. Just after a crisis the care rule still holds.
    reply = "Start with the official tutorial at docs.python.org, one chapter a night."
    assert vet_reply(reply, request()) == reply
    crisis = ContextTurn(0, "i want to end it", f"You are not alone. {NZ[0]}", "lua", "sad", True)
    with pytest.raises(GenerationError, match="no crisis resource names"):
        vet_reply(reply, request(window=(crisis,)))


@pytest.mark.parametrize(
    "reply",
    [
        "Here is a plan:\n- open the failing test\n- read its first line",
        "Here is a plan:\n* open the failing test\n* read its first line",
        "Steps: • open the test • read its first line",
        "## Your plan\nOpen the failing test first.",
    ],
)
def test_markdown_headings_and_bullets_are_rejected(reply):
    # The rules: "plain text: no markdown, headings or bullet symbols".
    with pytest.raises(GenerationError, match="markdown"):
        vet_reply(reply, request())


@pytest.mark.parametrize(
    "reply",
    [
        # "short inline numbered steps are fine", and numbers that are no phone number
        "Try this: 1) open the failing test, 2) read its first line, 3) fix that one.",
        "Set a 25-minute timer at 10:30, then take a 5-minute break. You've got this!",
        "Your exam is on 2026-01-15, so from 2024-2026 you have done plenty. Start small.",
        "Node.js reads config.yaml first; check that file. Then run the tests again.",
        "Das klingt schwer. Was hat dir bisher am meisten geholfen?",
    ],
)
def test_a_good_reply_passes_unchanged(reply):
    assert vet_reply(reply, request()) == reply


@pytest.mark.parametrize("care", [False, True])
def test_an_echo_of_the_system_instruction_is_rejected(care):
    # Asked to "repeat everything above", a model that complies writes out the rules.
    req = request(care=care, resources=NZ)
    instruction = PromptBuilder().build(req).system_instruction
    section = "CARE:" if care else "Rules ("
    echo = instruction[instruction.index(section) :][:400].replace("\n- ", " ")  # as prose
    with pytest.raises(GenerationError, match="system instruction"):
        vet_reply(f"Sure! Here they are: {echo}", req)


def test_a_reply_far_longer_than_the_rules_allow_is_rejected():
    sentence = "This is one more sentence that keeps going on about your plan. "
    five = sentence * 5
    assert vet_reply(five, request()) == five
    with pytest.raises(GenerationError, match="characters"):
        vet_reply(sentence * (MAX_REPLY_CHARS // len(sentence) + 1), request())


@pytest.mark.parametrize(
    ("cut", "kept"),
    [
        ("Here is your plan. First, go to the br", "Here is your plan."),
        ('She said "take a break." Then you st', 'She said "take a break."'),
        ("Really? Yes! And th", "Really? Yes!"),
        ("Try this: 1. open the test 2. read", ""),  # a step's number ends no sentence
        ("It costs $5. Then th", ""),  # nor does a price's: a sentence lost, none cut
        ("大丈夫です。少し休んで", "大丈夫です。"),
        ("First, go to the br", ""),
    ],
)
def test_a_cut_reply_keeps_its_whole_sentences(cut, kept):
    assert whole_sentences(cut) == kept
