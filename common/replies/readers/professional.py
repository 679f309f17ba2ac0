"""Which professional a question is for: a doctor or pharmacist, a lawyer, a bank's fraud
team, a debt adviser, a financial adviser, an employment adviser; workplace adjustments, or
whether to tell someone at work about a sensitive matter. Not a mentor's to answer."""

from __future__ import annotations

import re

from common.replies.health_at_work import (
    adjustments_asked,
    persistent_symptom,
    side_effect,
)
from common.replies.readers.decision import _CUE
from common.replies.readers.eating import _HEALTH_RISK
from common.replies.readers.medicine import (
    _CHANGE,
    _MEDICINE,
    _REFUSES_MEDICINE,
    _SYMPTOMS,
    names_medicine,
)
from common.replies.readers.work import (
    _EMPLOYER,
    _MATTER_RE,
    _TELL,
    _about_health,
    _employment_question,
)

# "Is it legal ...?": for a lawyer or a legal advice service (the referral's "legal").
_IS_IT_LEGAL = re.compile(
    r"\bis\s+(?:it|this|that)\s+(?:even\s+|actually\s+)?"
    r"(?:legal|illegal|lawful|unlawful|against\s+the\s+law)\b",
    re.IGNORECASE,
)
# A tenant's rights (the money review: "can my landlord evict me without notice?", "what do I do
# about the eviction notice, do I have any rights?" got steps): a lawyer's or a legal advice
# service's, as "is it legal ...?"; "do I have any rights" at work is an employment adviser's.
_TENANT_RIGHTS = re.compile(
    r"\b(?:can|could|may|is\s+it\s+legal\s+for)\s+(?:my|the|our|a)\s+(?:new\s+)?(?:landlord"
    r"|landlady|letting\s+agen(?:t|cy)|property\s+manager|housing\s+association)\s+"
    r"(?:legally\s+|just\s+|really\s+|even\s+)?(?:evict|kick|throw|change|keep|withhold|refuse"
    r"|raise|increase|put\s+up|enter|come\s+in|charge|take|make|force|sell|lock|cut|turn\s+off"
    r"|stop|ban|deduct|do\s+th(?:is|at))\b",
    re.IGNORECASE,
)
_ANY_RIGHTS = re.compile(r"\bdo\s+(?:i|we)\s+have\s+any\s+(?:legal\s+)?rights\b", re.IGNORECASE)

# For money, someone pressing them is the cue too: "my friend says I should put all my savings
# into his crypto fund, should I?" (not for a medicine: "my doctor says I should stop my meds").
_MONEY_CUE = (
    rf"(?:{_CUE}|\b(?:says|said|thinks|told\s+me|tells\s+me)\s+i\s+should\s+"
    r"(?:[\w'-]+\s+){0,4}?)"
)
# Questions for a doctor or pharmacist, a lawyer or a money adviser (the Gemini prompt's
# rule): "Should I stop taking my sertraline?" read as decision_making got "Pick one and go,
# you've got this!" and Elro's option A. Narrow on purpose: a decision cue ("should I", "whether
# to", "is it ok to") a few words before a change to a medicine, or a legal or money step, so
# "my contract ends in June, should I look for a new job?" or "should I quit medicine?" (the
# career) stay ordinary questions.
_NEEDS_PROFESSIONAL = {
    "medical": re.compile(rf"{_CUE}{_CHANGE}{_MEDICINE}", re.IGNORECASE),
    "legal": re.compile(
        rf"{_CUE}(?:sue\b|file\s+(?:a\s+)?lawsuit|take\s+(?:them|him|her|my\s+\w+)\s+to\s+court"
        r"|(?:file\s+for|declare)\s+(?:myself\s+)?bankrupt|(?:fight|file|apply)\s+for\s+custody)",
        re.IGNORECASE,
    ),
    # A fee to get back money already lost is the usual second scam: for the bank, not a plan.
    "fraud": re.compile(
        rf"{_MONEY_CUE}pay\s+(?:\w+\s+){{0,3}}?(?:release|recovery|unlock)\s+fees?\b", re.IGNORECASE
    ),
    # Borrowing and debts, for free debt advice ("should I take a payday loan to cover rent?"
    # got "ask yourself which option you'd regret not trying").
    "debt": re.compile(
        rf"{_MONEY_CUE}(?:(?:take|get)\s+(?:out\s+)?(?:a|another)\s+(?:[\w£$€]+\s+)?loan"
        r"|loan\s+apps?"
        r"|borrow\s+(?:from|against)\s+(?:my|our)\s+(?:401\s*k|pension|retirement)"
        r"|consolidate\s+(?:all\s+)?(?:my|our|the)\s+(?:\w+\s+)?(?:debts?|loans?|credit\s+cards?)"
        r"|co-?sign|(?:be|become)\s+(?:a|the|his|her|their)\s+guarantor"
        r"|sign\s+(?:\w+\s+){0,2}?guarantee"
        r"|stop\s+paying\s+(?:my|our|the)\s+(?:\w+\s+)?(?:credit\s+cards?|loans?|debts?))\b",
        re.IGNORECASE,
    ),
    # Savings, pensions, investments (only 4 of 28 such "should I ..." were referred: "should I
    # buy shares in Tesla?" got "run a small, reversible test").
    "money": re.compile(
        rf"{_MONEY_CUE}(?:invest\s+(?:all\s+)?(?:my|our)\s+(?:\w+\s+)?(?:savings|pension"
        r"|inheritance|bonus|money)"
        r"|(?:put|move|keep)\s+(?:all\s+)?(?:of\s+)?(?:my|our)\s+(?:life\s+)?"
        r"(?:savings|pension|money)\s+(?:in|into)"
        r"|(?:buy|invest\s+in)\s+(?:some\s+)?(?:crypto|bitcoin|shares"
        r"|stocks?(?!\s+(?:photos?|images?|footage|music))|gold)"
        r"|cash\s+(?:out|in)\s+(?:my|our)\s+(?:\w+\s+)?(?:pension|401\s*k|retirement|savings)"
        r"|lend\s+(?:my\s+)?\w+\s+(?:[£$€]?\d[\d,.]*\s*(?:k|grand)?|(?:the\s+|some\s+)?money)"
        r"|(?:take|get)\s+(?:out\s+)?(?:a|another)\s+(?:[\w£$€]+\s+)?mortgage|re-?mortgage)\b",
        re.IGNORECASE,
    ),
}


# Whether they have a legal case ("can you tell me if I have a legal case against my
# landlord"), a lawyer's or a legal advice service's question as "is it legal ...?" is.
_LEGAL_CASE = re.compile(
    r"\b(?:do|would|could|might|if|whether)\s+(?:i|we)\s+(?:have|'ve\s+got|have\s+got)\s+"
    r"(?:(?:a|any)\s+(?:(?:good|strong|real)\s+)?(?:legal\s+case|case\s+against|claim\s+against)"
    r"|(?:any\s+)?(?:legal\s+)?grounds\s+(?:to\s+sue|for\s+(?:a\s+)?(?:claim|lawsuit|suing)))\b",
    re.IGNORECASE,
)


def professional_kind(text: str) -> str:
    """ "medical", "legal", "fraud", "debt", "money" or "employment" for a question that is
    theirs to answer, "eating" for eating far too little (a doctor's, asked or not),
    "adjustments" for workplace adjustments (health_at_work.adjustments_asked), or
    "disclosure" for whether to tell someone at work about a sensitive matter ("" if none)."""
    if _HEALTH_RISK.search(text):
        return "eating"
    if kind := next((kind for kind, p in _NEEDS_PROFESSIONAL.items() if p.search(text)), ""):
        return kind
    # a symptom that lasts, or a medicine's side effect (the illness review): a GP's
    if _SYMPTOMS.search(text) or persistent_symptom(text) or _REFUSES_MEDICINE.search(text):
        return "medical"
    if side_effect(text) and names_medicine(text):
        return "medical"
    if _employment_question(text):
        return "employment"
    if adjustments_asked(text, about_health=_about_health(text)):
        return "adjustments"
    # After employment: "is it legal to fire me for my visa status?" is an employment adviser's.
    if _IS_IT_LEGAL.search(text) or _TENANT_RIGHTS.search(text) or _LEGAL_CASE.search(text):
        return "legal"
    if _ANY_RIGHTS.search(text):
        return "employment" if _EMPLOYER.search(text) else "legal"
    return "disclosure" if all(p.search(text) for p in (_TELL, _EMPLOYER, _MATTER_RE)) else ""
