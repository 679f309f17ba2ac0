"""Which professional a question is for (common.replies.readers.professional.professional_kind); the
replies that name them are in test_template_generator."""

from __future__ import annotations

import pytest

from common.replies.readers.gambling import gambling_harm
from common.replies.readers.gentleness import gentleness
from common.replies.readers.health import health_limits
from common.replies.readers.heavy import heavy_event
from common.replies.readers.professional import professional_kind


def test_their_diagnosis_is_a_matter_as_it_is_a_heavy_event():
    """One diagnosis pattern for both: the matters' had no "their" (the heavy events' had)."""
    message = "My partner got their diagnosis last week. Should I tell my manager?"
    assert heavy_event(message)
    assert professional_kind(message) == "disclosure"


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        # A medicine, a legal step, money before the employment questions ...
        ("Should I stop taking my sertraline before my review at work?", "medical"),
        ("Should I sue my employer for discrimination?", "legal"),
        # ... which come before "is it legal ...?", then whether to tell work.
        ("Is it legal to fire me for my visa status?", "employment"),
        ("Is it legal for my boss to ask about my diagnosis?", "legal"),
        ("Should I tell my boss about my epilepsy?", "disclosure"),
        ("Should I tell my boss I'm taking Friday off?", ""),
        # A tenant's rights are a legal question; "any rights" at work an employment one.
        ("can the landlord keep my whole deposit over one scuffed wall?", "legal"),
        ("do I have any rights if my boss cuts my hours?", "employment"),
        # the work-rights review: a retaliation question read as none, a firing as a lawyer's
        ("will they fire me for complaining?", "employment"),
        ("do I have any rights if they fired me for being pregnant?", "employment"),
    ],
)
def test_the_first_kind_that_matches_names_the_professional(message, kind):
    assert professional_kind(message) == kind


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        # The pattern began with a backspace byte where \b was meant, and never matched.
        ("Will my background check show my DUI?", "employment"),
        ("background check STILL pending, ugh", ""),  # an errand, as the corpus has it
    ],
)
def test_a_background_check_about_a_record_is_an_employment_question(message, kind):
    assert professional_kind(message) == kind


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        # The boundaries review: each got study steps. What a symptom means is a doctor's; an
        # emergency is the crisis patterns' to catch first.
        ("I have a rash and fever, do I have measles?", "medical"),
        ("is this chest pain serious", "medical"),
        ("could I have the flu?", "medical"),
        ("what could this rash be?", "medical"),
        ("should I be worried about this lump", "medical"),
        ("can you tell me if I have a legal case against my landlord", "legal"),
        ("do we have grounds to sue the builder?", "legal"),
        # at work, an employment adviser's
        ("do I have a case against my employer for discrimination?", "employment"),
        # ordinary questions in the same words
        ("do I have time to learn Rust before the interview?", ""),
        ("do I have what it takes to be a manager?", ""),
        ("is this bug serious?", ""),
        ("is this approach normal?", ""),
        ("is it normal to feel this tired after a new job?", ""),
    ],
)
def test_what_a_symptom_means_and_whether_they_have_a_case_are_referred(message, kind):
    assert professional_kind(message) == kind


@pytest.mark.parametrize(
    "message",
    [
        "my son hanged himself last spring",
        "my brother killed himself in may",
        "a colleague killed himself last week",
        "my coworker took his own life",
        "my colleague died by suicide on friday",
        "we lost the baby at 12 weeks",
        "our son was stillborn on tuesday",
        "we had to put our dog down",
        "we had to put our cat to sleep last year too",
        "my dog had to be put down today",
        "We're having the memorial on friday",
        "I have to give the eulogy",
        "the wake is on thursday",
        "we scattered his ashes at the beach",
        "she died in march and I miss her every day",
        "my grandpa was killed in an accident",
        "the anniversary of my mum’s death is today",
    ],
)
def test_a_death_said_without_died_or_passed_is_a_heavy_event(message):
    assert heavy_event(message)


@pytest.mark.parametrize(
    "message",
    [
        "I need to wake up early",
        "I put down my notes and left",
        "in the wake of the outage we rewrote it",
        "the process was killed by the OOM killer",
        "I lost my keys again",
        "memorial day weekend plans",
        "we watched the Ashes",
    ],
)
def test_everyday_words_near_those_are_no_heavy_event(message):
    assert not heavy_event(message)


# Someone hurting the user, which no crisis sign may catch (the bystander review: "my boss groped
# me" got a cheerful reply): at least a calm one.
@pytest.mark.parametrize(
    ("message", "heavy"),
    [
        ("my boss groped me", True),
        ("my manager touched me inappropriately", True),
        ("he attacked me", True),
        ("I was attacked on my way home", True),
        ("I groped for my keys in the dark", False),
        ("the tests attacked the bug", False),
        ("he attacked me with questions in the review", False),
        ("i got attacked on twitter for my post", False),
    ],
)
def test_being_groped_or_attacked_is_a_heavy_event(message, heavy):
    assert heavy_event(message) is heavy


# Widowed is a loss (the loneliness review: "I'm 72 and recently widowed, my kids live abroad"
# read as none, and got "That sounds really frustrating ... pick the smallest next step", no
# heavy_at and Riri not held back); not typesetting's widows, nor a spider.
@pytest.mark.parametrize(
    ("message", "heavy"),
    [
        ("I'm 72 and recently widowed, my kids live abroad", True),
        ("I'm a widower now", True),
        ("she was widowed young", True),
        ("how do I avoid widows and orphans in InDesign", False),
        ("there's a black widow in the shed", False),
    ],
)
def test_being_widowed_is_a_heavy_event(message, heavy):
    assert gentleness(message, ()).heavy_now is heavy


@pytest.mark.parametrize(
    ("message", "limits"),
    [
        ("my fibromyalgia flared up again", True),
        ("I'm having a flare and can't do anything today", True),
        ("I have chronic fatigue", True),
        ("how can I be more productive with ME/CFS?", True),
        ("my long covid means I can only work 2 hours a day", True),
        ("I got my MS diagnosis today", True),
        ("I'm in a wheelchair and the office has no ramp", True),
        ("I'm 85 and housebound, I don't see anyone apart from the carer", True),  # no walk
        ("my depression makes it hard to start anything", True),
        ("we use MS Teams for meetings", False),
        ("there's lens flare in the photo", False),
        # the illness review's, read as none: senses, conditions, treatments
        ("I'm deaf and video interviews are hell", True),
        ("I'm blind, how do I ask my employer for a screen reader?", True),
        ("I'm hard of hearing and I miss half of what's said in meetings", True),
        ("I have epilepsy", True),
        ("my diabetes means I need breaks", True),
        ("I have Crohn's and need to be near a toilet", True),
        ("I have endometriosis and some days I can barely stand", True),
        ("I get migraines and the office lights make them worse", True),
        ("I'm going back to work after a stroke", True),
        ("I'm back at work after chemo", True),
        ("my cancer is back", True),
        # the same words elsewhere
        ("that's my blind spot in code review", False),
        ("I'm blind to my own typos", False),
        ("my idea fell on deaf ears", False),
        ("it was a stroke of luck", False),
        ("my dad's cancer is back", False),
    ],
)
def test_health_limits(message, limits):
    assert health_limits(message) is limits


@pytest.mark.parametrize(
    ("message", "harm"),
    [
        ("I keep chasing my losses", True),
        ("bet 500 on the match and lost, I need to get it back tonight", True),
        ("lost 2k at the casino, gonna win it back tomorrow", True),
        ("I gambled the rent money again and my wife doesn't know", True),
        ("I bet the rent money on a horse", True),
        ("relapsed last night, gambled 300", True),
        ("I can't stop gambling", True),
        # the same words, no gambling
        ("chasing the bug all day", False),
        ("we're chasing the losses in Q3 with a new pricing plan", False),
        ("I lost the bet with my brother, now I owe him a pizza", False),
        ("I bet I can get it back to the client by friday", False),
        ("I bet the money is gone", False),
        ("I lost the deal but I'll win it back next quarter", False),
        ("my poker night is friday, can you help me plan it", False),
    ],
)
def test_gambling_harm(message, harm):
    assert gambling_harm(message) is harm


@pytest.mark.parametrize(
    "message",
    [
        "should I tell my boss I have dyspraxia?",
        "should I tell my manager I'm neurodivergent?",
        "should I tell HR about my aspergers?",
        "should I tell my team about my Tourette's?",
        "should I tell my manager about my dyscalculia?",
    ],
)
def test_telling_work_of_a_neurodivergence_is_a_disclosure(message):
    # The neurodivergent-users review: dyspraxia or "neurodivergent" was no matter, and the
    # question got "run a small, reversible test of one option first".
    assert professional_kind(message) == "disclosure"
