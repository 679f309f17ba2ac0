"""Health at work (the illness review): symptoms that last and a medicine's side effects go to a
doctor or pharmacist (common.replies.health_at_work, read by
common.replies.readers.professional.professional_kind)."""

from __future__ import annotations

import pytest

from common.analysis.baseline import analyze_baseline
from common.personas import PERSONAS
from common.replies import ReplyRequest, TemplateGenerator
from common.replies.readers.professional import professional_kind
from common.text import canonical_text

GEN = TemplateGenerator()


def reply(message: str, persona: str) -> str:
    return GEN.generate(ReplyRequest(PERSONAS[persona], message, analyze_baseline(message)))


# Each got "put the facts ... in writing" or "rate your energy ... I'm proud of you".
LASTING_OR_SIDE_EFFECT = [
    "I'm tired all the time, been like this for 2 months",
    "I've had a cough for 6 weeks and I'm worried",
    "I've been tired for weeks even after sleeping 9 hours",
    "my back pain won't go away",
    "my meds make me sleepy at work",
    "my antidepressants make me tired in the mornings",
    "I started new medication and I'm more tired than usual",
    "my pharmacist changed my meds and now I feel sluggish",
]
# The same words with no lasting symptom and no medicine's effect.
NOT_FOR_A_DOCTOR = [
    "is it normal to feel this tired after a new job?",
    "I'm exhausted from working on this bug for weeks",
    "I'm tired of my boss all the time",
    "he's a pain all the time",
    "the meetings make me sleepy",
    "my meds make me feel like myself again",
    "I started a new job and I'm so tired",
]


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("message", LASTING_OR_SIDE_EFFECT)
def test_a_lasting_symptom_or_a_side_effect_is_for_a_doctor(persona, message):
    assert professional_kind(canonical_text(message)) == "medical"
    text = reply(message, persona)
    assert "doctor" in text, text
    assert not any(w in text for w in ("in writing", "one to ten", "proud of you")), text


@pytest.mark.parametrize("message", NOT_FOR_A_DOCTOR)
def test_tiredness_at_work_in_passing_is_no_medical_question(message):
    assert professional_kind(canonical_text(message)) == ""


# Each got study or momentum steps, and none of them a word of the employer's duty.
ADJUSTMENTS = [
    "I have ADHD, how do I ask for adjustments at work?",
    "I have dyslexia, how do I ask for adjustments",
    "I'm blind, how do I ask my employer for a screen reader?",
    "I have Crohn's and need to be near a toilet, how do I ask to work from home",
    "I have ME/CFS, how do I ask for a phased return?",
    "HR wants me to see occupational health, what does that mean?",
    "I just got diagnosed with MS and I don't know if I can keep my job",
]
# Refused, or an offer withdrawn after telling: an employment adviser's ("pick one small thing...
# momentum", "ask yourself which option you'd regret not trying").
REFUSED = [
    "my manager refused my request for reasonable adjustments",
    "they withdrew my job offer after I told them about my epilepsy",
    "my diabetes means I need breaks, my manager says no",
    "I got fired after I told them about my cancer",
]
NOT_ABOUT_ADJUSTMENTS = [
    "I need to make some adjustments to the budget",
    "can I work from home tomorrow?",
    "my manager won't let me work from home",
    "the client rejected my adjustments to the design",
]
STEPS = ("tutorial", "your notes", "tiny example", "momentum", "regret not trying", "milestones")


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("message", ADJUSTMENTS)
def test_adjustments_asked_about_are_explained(persona, message):
    assert professional_kind(canonical_text(message)) == "adjustments"
    text = reply(message, persona)
    assert "reasonable adjustments" in text and "your choice" in text, text
    assert "Equality Act" in text and "ADA" in text and "your union" in text, text
    assert not any(w in text for w in STEPS), text


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("message", REFUSED)
def test_an_adjustment_refused_or_an_offer_withdrawn_is_for_an_employment_adviser(persona, message):
    assert professional_kind(canonical_text(message)) == "employment"
    text = reply(message, persona)
    assert "employment adviser" in text, text
    assert not any(w in text for w in STEPS), text


@pytest.mark.parametrize("message", NOT_ABOUT_ADJUSTMENTS)
def test_adjustments_and_working_from_home_with_no_health_matter_are_ordinary(message):
    assert professional_kind(canonical_text(message)) == ""
