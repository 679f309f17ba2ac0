"""Medicines and symptoms, questions for a doctor or a pharmacist: a medicine named and what
a change to one looks like, what a symptom means or whether it is serious, a medicine the one
they care for refuses."""

from __future__ import annotations

import re

from common.replies.health_at_work import persistent_symptom
from common.text import canonical_text

_DRUGS = (
    r"antidepressants?|ssris?|sertraline|fluoxetine|citalopram|escitalopram|lexapro|zoloft"
    r"|prozac|adderall|ritalin|vyvanse|xanax|lithium|melatonin|insulin|birth\s+control"
    r"|ibuprofen|paracetamol"
)
# A medicine: named, or a word for one after my, the... or someone's ("my friend's adderall");
# pills, meds and doses also alone ("an extra sleeping pill"; the health-habits review).
_MEDICINE = (
    rf"(?:(?:my|the|these|those|this|his|her|their|your|[\w-]+'s)\s+(?:[\w-]+\s+)?(?:{_DRUGS}"
    r"|medications?|medicines?(?!\s+(?:degree|course|school|students?|career|exams?|rotation"
    r"|placements?|module|programme|program|finals|interview))|meds|pills?|tablets"
    rf"|prescriptions?|doses?|dosage)|{_DRUGS}|medications?|meds|pills?|tablets?|doses?)\b"
)
# A change to a medicine: more or less of it ("take two extra"), someone else's ("take my
# friend's"), or alcohol with it ("drink on my antidepressants").
_CHANGE = (
    r"(?:stop|quit|skip|start|double(?!-)|increase|decrease|reduce|lower|raise|up|change"
    r"|switch|come\s+off|coming\s+off|get\s+off|taper|cut\s+down(?:\s+on)?|mix"
    r"|take\s+(?:(?:an?|one|two|three|four|\d+|a\s+few|a\s+couple(?:\s+of)?|some)\s+)?"
    r"(?:more|less|fewer|extra|double)|take(?=\s+(?:(?:my|a|his|her|their|our)\s+)?[\w-]+'s\s)"
    r"|drink(?:ing)?(?:\s+(?:alcohol|wine|beer))?\s+(?:on|with|while\s+(?:on|taking)))"
    r"\w*\s+(?:[\w'-]+\s+){0,2}?"
)

_MEDICINE_RE = re.compile(rf"\b{_MEDICINE}", re.IGNORECASE)


def names_medicine(text: str) -> bool:
    """The text names a medicine (_MEDICINE: a named one, "my meds", pills, a dose)."""
    return _MEDICINE_RE.search(canonical_text(text)) is not None


# Questions for a doctor that no decision cue carries: whether a symptom means an illness, or
# is serious (the boundaries review: "I have a rash and fever, do I have measles?" and "is this
# chest pain serious" got study steps). An emergency is the crisis patterns' to catch
# (common/analysis/safety*), before any reply; these are referred, with when to get help now.
_ILLNESS = (
    r"(?:measles|mumps|chicken\s*pox|covid(?:-19)?|(?:the\s+)?flu|strep(?:\s+throat)?|cancer"
    r"|diabetes|an?\s+infection|infection|an?\s+std|an?\s+sti|std|sti|hiv|an?\s+tumou?r"
    r"|tumou?r|appendicitis|tonsillitis|shingles|scabies|lyme|an?\s+concussion|concussion"
    r"|an?\s+ulcer|(?:an?\s+)?(?:broken|fractured|sprained)\s+\w+|\w+itis|an?\s+\w+\s+disease"
    r"|an?\s+(?:\w+\s+)?(?:disorder|syndrome)|adhd|autism|bipolar|depression|ocd|an?\s+allergy)"
)
_SYMPTOM = (
    r"(?:pain|pains|rash|lump|fever|cough|headaches?|migraines?|swelling|bleeding|mole|symptoms?"
    r"|bruises?|spots?|discharge|dizziness|numbness|ache|aches)"
)
_SYMPTOMS = re.compile(
    r"\b(?:do|could|might|can|would|if|whether)\s+i\s+(?:have|have\s+got|'ve\s+got|be\s+getting"
    rf"|be\s+coming\s+down\s+with)\s+{_ILLNESS}\b"
    rf"|\bis\s+(?:this|it|that|my)\s+(?:\w+\s+){{0,3}}?{_SYMPTOM}\s+(?:serious|dangerous|normal"
    r"|bad|worrying|a\s+sign|cancer|contagious|something\s+serious)\b"
    rf"|\bwhat\s+(?:could|might|does|do)\s+(?:this|these|it|my)\s+(?:\w+\s+){{0,2}}?{_SYMPTOM}\s+"
    r"(?:be|mean)\b"
    r"|\bshould\s+i\s+(?:be\s+worried|worry)\s+about\s+(?:this|my|a|the)\s+(?:\w+\s+){0,2}?"
    rf"{_SYMPTOM}\b",
    re.IGNORECASE,
)
# A medicine the one they care for refuses ("get my mum with dementia to take her meds, she
# refuses every morning"): a pharmacist's or a GP's question (professional_kind "medical"; the
# review of carers and new parents), not Riri's "Separate the part you can control".
_REFUSES_MEDICINE = re.compile(
    r"^(?=.*\b(?:meds|medicines?|medications?|tablets|pills|insulin|inhaler)\b)"
    r"(?=.*\b(?:refus\w*|won't\s+(?:take|swallow)|will\s+not\s+take|spits?\s+(?:them|it)\s+out"
    r"|hides?\s+(?:them|her\s+\w+|his\s+\w+)|(?:get|make)\s+(?:my|her|him|them)\s+(?:\w+\s+){0,4}?"
    r"(?:to\s+)?take)\b)",
    re.IGNORECASE | re.DOTALL,
)


def symptoms_question(text: str) -> bool:
    """The message asks what a symptom means, or whether it is serious (_SYMPTOMS), or tells
    of one that lasts (health_at_work.persistent_symptom)."""
    return _SYMPTOMS.search(canonical_text(text)) is not None or persistent_symptom(text)
