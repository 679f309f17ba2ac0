"""LGBTQ+ users at work (the LGBTQ+ review's findings 1, 6, 7, 8 and 9): harassment for sexual
orientation or gender identity got coaching steps ("Plan around your manager", "Pick one and
go, you've got this!"), a job offer in a country that criminalises being gay "stop
researching", "should I come out at work?" a push toward telling, "can they fire me for being
gay?" the answer to another question, a transition at work study steps. Now: the
mistreatment reply, a personal-safety answer, their decision, the law in general terms with the
locale's line, and ordinary messages that use the same words stay ordinary."""

from __future__ import annotations

import pytest

from common.analysis.baseline import analyze_baseline
from common.personas import PERSONAS
from common.replies import ContextTurn, PromptBuilder, ReplyRequest, TemplateGenerator
from common.replies.coming_out import coming_out
from common.replies.identity_at_work import identity_at_work
from common.replies.readers.heavy import heavy_event
from common.replies.relocation import relocation_risk
from common.replies.types import GenerationError
from common.replies.vet import vet_reply
from common.replies.workrights import mistreatment_at_work, workplace_mistreatment
from common.safety import local_help
from common.support_lines import SupportLines, work_help

GEN = TemplateGenerator()
LINES = {"en-GB": "0300 123 1100", "en-US": "1-800-669-4000", "en-AU": "13 13 94"}
# What the review found in the replies: steps, options, cheering, the person doing harm as a
# stakeholder.
COACHING = ("fast track", "you can handle this", "option a", "ten-minute walk", "crowd you")
COACHING += ("plan around", "you've got this", "report back", "reversible", "pick one and go")


def _request(message: str, persona: str, locale: str = "en-GB", earlier: str = "") -> ReplyRequest:
    window = (ContextTurn(0, earlier, "…", persona, "anxious"),) if earlier else ()
    return ReplyRequest(
        persona=PERSONAS[persona],
        message=message,
        analysis=analyze_baseline(message),
        window=window,
        support_lines=SupportLines(work=work_help(locale, default_locale="en-US")),
        local_help=local_help(locale, default_locale="en-US"),
    )


def _reply(message: str, persona: str, locale: str = "en-GB", earlier: str = "") -> str:
    return GEN.generate(_request(message, persona, locale, earlier))


# Finding 1: harassment for sexual orientation or gender identity is mistreatment at work.
HARASSED = {
    "my manager called me a f****t in front of the team": "discrimination",
    "my manager called me a dyke in front of everyone": "discrimination",
    "my coworker keeps calling me a tranny and laughing": "discrimination",
    "my coworkers keep calling me slurs because I'm gay": "discrimination",
    "my boss keeps deadnaming me on purpose in meetings": "discrimination",
    "my boss keeps calling me 'she' even though I'm a man": "discrimination",
    "a colleague outed me to the whole office without asking": "discrimination",
    "my coworker outed me and now my manager is treating me differently": "discrimination",
    "I'm bisexual and my team lead makes jokes about it every day": "discrimination",
    "I'm non-binary and HR refuses to update my name in the system": "discrimination",
    "my boss won't let me use the women's bathroom because I'm trans": "discrimination",
    "I'm a trans woman and HR told me to use the disabled toilet instead of the women's": (
        "discrimination"
    ),
    "my manager asked me if I'm gay in my performance review": "discrimination",
    "my manager said I shouldn't mention my wife at client meetings because it makes people "
    "uncomfortable": "discrimination",
    "they fired me because I'm bi": "discrimination",
    "they fired me because I'm non-binary": "discrimination",
    "I'm trans and my manager asked me what surgery I've had": "sexual",
    "a colleague keeps asking about my genitals since I transitioned": "sexual",
}


@pytest.mark.parametrize(("message", "kind"), HARASSED.items())
def test_harassment_for_sexual_orientation_or_gender_identity_is_mistreatment(message, kind):
    assert workplace_mistreatment(message) == kind
    # harassment is calm, with no brisk persona, while in the window (as "homophobic" is); a
    # dismissal is as heavy as any other told
    assert heavy_event(message) or "fired" in message


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("locale", list(LINES))
@pytest.mark.parametrize(
    "message",
    [
        "my manager called me a dyke in front of everyone",
        "my boss keeps deadnaming me on purpose in meetings",
        "a colleague outed me to the whole office without asking",
        "I'm trans and my manager asked me what surgery I've had",
        "they fired me because I'm bi",
    ],
)
def test_it_gets_the_record_and_the_locales_line_in_every_voice(message, locale, persona):
    text = _reply(message, persona, locale)
    assert LINES[locale] in text and "unlawful" in text and "date" in text, text
    assert not any(bad in text.lower() for bad in COACHING), text


def test_the_reply_names_sexual_orientation_and_gender_identity_and_questions_about_the_body():
    assert "sexual orientation or gender identity" in _reply("they fired me because I'm bi", "elro")
    text = _reply("a colleague keeps asking about my genitals since I transitioned", "riri")
    assert "questions about your body" in text and "sexual harassment" in text, text


@pytest.mark.parametrize(
    ("message", "said"),
    [
        ("should I go to HR?", "put it in writing"),
        ("can they fire me for complaining?", "unlawful in itself"),
    ],
)
@pytest.mark.parametrize(
    "earlier",
    [
        "my manager called me a f****t in front of the team",
        "a colleague outed me to the whole office without asking",
    ],
)
def test_a_question_after_it_is_answered_in_kind(message, said, earlier):
    assert mistreatment_at_work(message, (earlier,)) == "discrimination"
    for persona in PERSONAS:
        text = _reply(message, persona, earlier=earlier)
        assert said in text and "Acas" in text, text
        assert not any(bad in text.lower() for bad in COACHING), text


def test_the_prompt_gives_gemini_the_mistreatment_rule_for_it():
    req = _request("my boss keeps deadnaming me on purpose in meetings", "riri")
    rules = PromptBuilder().system_instruction(req, tag="t")
    assert "mistreatment at work" in rules and "0300 123 1100" in rules, rules


# The same words in ordinary messages.
ORDINARY = [
    "they transferred me to another team",
    "they fired me after they transferred me to another team",
    "I'm transitioning to a new role",
    "my manager is a trans-atlantic commuter",
    "coming out of a long project",
    "my colleague outed the bug in standup",
    "pride in my work",
    "my manager asked about my knee surgery",
    "we called it a day and went home",
]


@pytest.mark.parametrize("message", ORDINARY)
def test_ordinary_messages_with_the_same_words_stay_ordinary(message):
    assert workplace_mistreatment(message) == "" and not heavy_event(message)
    for persona in PERSONAS:
        text = _reply(message, persona)
        assert "unlawful" not in text and "Acas" not in text, text


# Finding 8: "can they fire me for being gay?" answers that question; "do I have to tell?" no.
@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("locale", list(LINES))
@pytest.mark.parametrize(
    "message",
    [
        "can they fire me for being gay?",
        "can my employer fire me for being trans?",
        "could I be fired for being bisexual?",
    ],
)
def test_can_they_fire_me_for_being_gay_is_answered_with_the_law_and_the_line(
    message, locale, persona
):
    assert identity_at_work(message) == "fired"
    text = _reply(message, persona, locale)
    assert "Bostock v. Clayton County (2020)" in text and "Equality Act 2010" in text, text
    assert "general information" in text and LINES[locale] in text, text
    assert "unlawful in itself" not in text and "write down what happened" not in text, text


@pytest.mark.parametrize("locale", list(LINES))
def test_asked_after_being_fired_it_answers_the_question_not_whether_complaints_are_protected(
    locale,
):
    earlier = "I'm gay and they fired me after I mentioned my boyfriend at lunch"
    for persona in PERSONAS:
        text = _reply("can they fire me for being gay?", persona, locale, earlier=earlier)
        assert "Bostock" in text and LINES[locale] in text, text
        assert "unlawful in itself" not in text, text


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_do_i_have_to_tell_my_employer_im_trans_is_no_and_their_decision(persona):
    message = "do I have to tell my employer I'm trans?"
    assert identity_at_work(message) == "tell"
    text = _reply(message, persona)
    assert text.split(". ", 1)[1].startswith("No:") and "your decision" in text, text
    assert "write down" not in text and "what happened" not in text, text


# Finding 9: a transition at work, and a relationship with a colleague.
@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("locale", list(LINES))
def test_a_transition_at_work_gets_a_confidential_plan_and_protection_from_the_start(
    persona, locale
):
    message = "I'm starting my transition and need to tell HR about my name change, how do I do it?"
    assert identity_at_work(message) == "transition"
    text = _reply(message, persona, locale)
    assert "confidential transition plan" in text and "email" in text, text
    assert "Equality Act 2010 (s7)" in text and "no medical step" in text, text
    assert LINES[locale] in text and "tutorial" not in text and "three questions" not in text


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_a_same_gender_relationship_with_a_colleague_is_any_workplace_relationship(persona):
    message = "I'm dating a colleague, he's also a guy, should we tell HR?"
    assert identity_at_work(message) == "colleague"
    text = _reply(message, persona)
    assert "like any other workplace relationship" in text and "policy" in text, text
    assert "tutorial" not in text and "25 focused minutes" not in text, text


def test_the_prompt_gives_gemini_the_rule_for_a_question_about_identity_at_work():
    rules = PromptBuilder().system_instruction(
        _request("do I have to tell my employer I'm trans?", "riri", "en-US"), tag="t"
    )
    assert "never press them to tell" in rules and "1-800-669-4000" in rules, rules
    assert "Bostock" in rules, rules
    ordinary = PromptBuilder().system_instruction(_request("I want a raise", "riri"), tag="t")
    assert "Bostock" not in ordinary


@pytest.mark.parametrize(
    "message",
    [
        *ORDINARY,
        "my transition to management is hard at work",
        "do I have to tell my manager I'm taking Friday off?",
        "my girlfriend is dating a coworker",
        "they fired me because I'm gay, can they do that?",  # told: workrights'
    ],
)
def test_ordinary_questions_at_work_are_no_question_about_identity(message):
    assert identity_at_work(message) == ""


# Finding 6: a job or move abroad for someone LGBTQ+ is a question of their safety.
ABROAD = [
    ("I got a job offer in Dubai but I'm gay, is it safe to take it?", "en-GB"),
    ("I'm a lesbian and got offered a job in Uganda, should I go?", "en-US"),
    ("I'm trans and my company wants to relocate me to Saudi Arabia", "en-AU"),
]
CHEER = ("stop researching", "that energy is great", "you've got this", "option a", "go, and tell")
CHEER += ("set yourself a date", "put the facts", "pick the smallest")


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize(("message", "locale"), ABROAD)
def test_a_job_abroad_for_someone_lgbtq_is_a_safety_question_with_no_cheer(
    message, locale, persona
):
    text = _reply(message, persona, locale)
    assert "safety" in text and "database.ilga.org" in text, text
    assert "Local laws and customs" in text and "in confidence" in text, text
    assert "recognised for a visa" in text and ("decision" in text or "your call" in text), text
    assert not any(bad in text.lower() for bad in CHEER), text


def test_a_partner_added_after_it_is_answered_in_kind():
    earlier = "I got a job offer in Dubai but I'm gay, is it safe to take it?"
    for persona in PERSONAS:
        text = _reply("my partner would come with me, he's a man", persona, earlier=earlier)
        assert "recognised for a visa" in text and "pick the smallest" not in text.lower(), text


def test_gemini_gets_the_rule_and_the_vet_refuses_keep_your_private_life_discreet():
    req = _request(ABROAD[0][0], "elro")
    rules = PromptBuilder().system_instruction(req, tag="t")
    assert "personal safety" in rules and "Never advise them to hide who they are" in rules
    hiding = "Option A: accept and keep your private life discreet, which many expats do."
    with pytest.raises(GenerationError):
        vet_reply(hiding, req)
    with pytest.raises(GenerationError):
        vet_reply("Just be discreet and you'll be fine there.", req)
    fine = "You shouldn't have to hide who you are; check the law there first."
    assert vet_reply(fine, req) == fine
    # the same words to a message about anything else pass as before
    assert vet_reply(hiding, _request("I got a job offer in Dubai", "elro")) == hiding


@pytest.mark.parametrize(
    "message",
    [
        "I got a job offer in Dubai, should I take it?",
        "I'm gay and moving to a new flat",
        "I'm gay and moving to London with my boyfriend",
        "I'm gay and got a job offer, should I tell them?",
        "I'm trans and work in London",
        "they transferred me to another team",
    ],
)
def test_a_move_without_both_is_no_safety_question(message):
    assert not relocation_risk(message)


# Finding 7: coming out is theirs to decide; one that went well is celebrated; rejection is
# heard with care; a threat to out them is blackmail.
PUSH = (
    "regret",
    "stop researching",
    "set yourself a date",
    "start now",
    "report back",
    "go for it",
)


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize(
    "message",
    [
        "should I come out at work?",
        "I'm nervous about coming out to my team next week, how should I do it?",
    ],
)
def test_whether_to_come_out_is_their_decision_and_never_a_push(message, persona):
    assert coming_out(message) == "asked"
    text = _reply(message, persona, "en-US")
    assert "entirely your decision" in text and "not tell them at all" in text, text
    assert not any(bad in text.lower() for bad in PUSH + COACHING), text


def test_a_worry_after_it_is_answered_in_kind_not_planned_around():
    earlier = "I'm nervous about coming out to my team next week, how should I do it?"
    message = "I'm worried my manager is religious and won't take it well"
    for persona in PERSONAS:
        text = _reply(message, persona, "en-US", earlier=earlier)
        assert "You don't owe anyone this" in text and "1-800-669-4000" in text, text
        assert "plan around" not in text.lower(), text


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize(
    "message",
    [
        "I came out as trans to my team today and they were amazing!!",
        "I came out to my parents and they were so supportive!!",
    ],
)
def test_a_coming_out_that_went_well_is_celebrated_not_carried(message, persona):
    assert coming_out(message) == "went_well" and not heavy_event(message)
    text = _reply(message, persona)
    assert "You deserved that welcome" in text, text
    assert "carrying" not in text and "walk" not in text and "breath" not in text, text


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_rejection_by_family_is_heard_with_care_and_no_steps(persona):
    message = "I came out to my parents and they said I'm dead to them"
    assert coming_out(message) == "rejected" and heavy_event(message)
    text = _reply(message, persona)
    assert "says nothing about your worth" in text and "I'm here to listen" in text, text
    assert "name one thing" not in text.lower() and "1)" not in text, text


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize(("locale", "call"), [("en-GB", "999"), ("en-US", "911"), ("en-AU", "000")])
def test_a_threat_to_out_them_for_money_is_blackmail_with_the_police(persona, locale, call):
    message = "my brother threatened to tell everyone I'm gay unless I give him money"
    assert coming_out(message) == "blackmail"
    text = _reply(message, persona, locale)
    assert "blackmail" in text and "Theft Act 1968" in text and "don't pay" in text, text
    assert "Keep the messages" in text and "police" in text and f"call {call}" in text, text
    assert "frustrating" not in text.lower() and "energy into action" not in text, text


def test_gemini_gets_the_rule_and_the_vet_refuses_a_push_to_tell():
    req = _request("should I come out at work?", "riri")
    rules = PromptBuilder().system_instruction(req, tag="t")
    assert "whether, when, how and to whom is their decision alone" in rules, rules
    for pushed in (
        "Go for it! 1) Tell your manager today. 2) Post it in the team chat.",
        "Which would you regret not doing? Tell them this week.",
    ):
        with pytest.raises(GenerationError):
            vet_reply(pushed, req)
    fine = "That's entirely your decision, and there's no deadline. What feels right to you?"
    assert vet_reply(fine, req) == fine


@pytest.mark.parametrize(
    "message",
    [
        "coming out of a long project",
        "the results came out and they were great",
        "I came out of the meeting and they were great",
        "when do the grades come out?",
        "my colleague outed the bug in standup",
        "pride in my work",
        "my boss threatened to fire me unless I work the weekend",
        # the corpus's: "how do I tell ..." is no coming out
        "how do i tell my boss im leaving wihtout making it awkard, we're prety close",
        "have to fire my first direct report soon. how do i do it without being cruel",
    ],
)
def test_the_same_words_elsewhere_are_no_coming_out(message):
    assert coming_out(message) == ""
