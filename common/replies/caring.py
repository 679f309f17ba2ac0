"""Carers and new parents, for the template generator (the review of carers and new parents):
a carer's strain, low mood after a birth, a parent at the end of their tether with a crying
baby, and the plans of a family (parental leave, a toddler and a job, a parent's care). Study
steps, "a ten-minute walk" and "rate your energy from one to ten" met them all. Read on
common.text.canonical_text (’ as '), case-insensitive; English only, as the template's replies
are. A medicine the one they care for refuses is a question for a pharmacist or a GP
(common.replies.readers.professional.professional_kind)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from common.family_safety import baby_sign
from common.replies.types import ReplyRequest
from common.safety import call_now
from common.text import canonical_text

_RELATIVE = (
    r"(?:mum|mom|mother|dad|father|parents?|nan|nana|gran|granny|grandma|grandmother|grandad"
    r"|granddad|grandpa|grandfather|husband|wife|partner|son|daughter|child|brother|sister"
    r"|aunt|uncle)"
)
# The user cares for someone: they say they are a carer ("I'm my wife's full-time carer", not
# "my carer is late", someone who cares for them), or that they care for or look after a
# relative, or name a relative with dementia, a disability or in a care home ("my dad doesn't
# recognise me anymore", "he has dementia"); not "a thesis on dementia care", "I work in a care
# home", "take care of the invoices" or "look after yourself".
_CARER = re.compile(
    r"\b(?:(?:i'?m|i\s+am|as|being|become|became|been)\s+(?:\S+\s+){0,3}?(?:carer|caregiver)"
    rf"|(?:caring\s+for|look(?:s|ing|ed)?\s+after|care\s+for|take\s+care\s+of)\s+"
    rf"(?:(?:my|our|his|her)\s+(?:\w+\s+)?{_RELATIVE}|{_RELATIVE}|him|her(?!\s+(?:\w+\s+)?"
    r"(?:kids?|children|baby|dogs?|cats?|pets?|plants?|house|flat|garden|stuff|things|car)))"
    r"|(?:he|she|they)\s+(?:has|have|had|'s|is|got)\s+(?:got\s+)?(?:\w+\s+)?(?:dementia"
    r"|alzheimer'?s?|parkinson'?s))\b",
    re.IGNORECASE,
)
_A_RELATIVE = re.compile(rf"\b(?:my|our)\s+(?:\w+\s+)?{_RELATIVE}\b", re.IGNORECASE)
_THEIR_NEEDS = re.compile(
    r"\b(?:dementia|alzheimer'?s?|parkinson'?s|disabled|disability|care\s+home|nursing\s+home"
    r"|respite|24/7|round\s+the\s+clock|(?:doesn't|does\s+not|didn't|no\s+longer|can't)\s+"
    r"recogni[sz]e\s+me)\b",
    re.IGNORECASE,
)
# What caring costs them, or how they feel about it: exhaustion, not coping, no support,
# resentment, guilt, lost patience, grief, being hurt by the one they care for, a coping
# question; not a practical question alone ("how do I stop my dad wandering at night?").
_STRAIN = re.compile(
    r"\b(?:exhaust\w*|burn(?:ed|t)\s*out|burnout|can't\s+cope|cannot\s+cope|struggl\w*"
    r"|overwhelm\w*|drowning|no\s+(?:support|help|break)|(?:need|get|have|take)\s+a\s+break"
    r"|(?:so\s+)?tired\s+of"
    r"|end\s+of\s+my\s+(?:rope|tether)|breaking\s+point|can't\s+(?:do|take)\s+(?:this|it)"
    r"|resent\w*|guilt\w*|hate\s+myself|terrible\s+(?:daughter|son|wife|husband|person)"
    r"|(?:losing|lost)\s+my\s+(?:patience|temper)|shout(?:ed|ing)\s+at|snapp(?:ed|ing)\s+at"
    r"|grie(?:f|ve|ving)|heartbroken|doesn't\s+recogni[sz]e|wish\s+(?:it|this)\s+(?:was|were)"
    r"|wish\s+\w+\s+would|hits?\s+me|hit\s+me|lash(?:es|ed)?\s+out|aggressive|violent"
    r"|(?:how|where)\s+(?:do|can|should)\s+i\s+(?:even\s+)?(?:cope|get\s+(?:some\s+)?help"
    r"|get\s+support|find\s+support)|get\s+some\s+help|(?:any|some)\s+support)\b",
    re.IGNORECASE,
)
# Work named: their rights at work are part of the answer (flexible working, carer's leave).
_WORK = re.compile(
    r"\b(?:work(?:ing)?|job|employer|boss|manager|career|office|shifts?|flexible\s+(?:hours"
    r"|working)|carer'?s'?\s+leave|fmla)\b",
    re.IGNORECASE,
)
# A practical ask, for steps (when nothing of strain is said).
_PRACTICAL = re.compile(
    r"\b(?:how\s+(?:do|can|should)\s+i|what\s+(?:can|should)\s+i\s+do|tips?|plan|ideas?"
    r"|ways?\s+to)\b",
    re.IGNORECASE,
)

# A baby, or a birth, and low mood after it (postnatal depression: numbness, crying, not
# bonding); not tiredness alone ("I haven't slept in 3 days with the newborn").
_AFTER_A_BIRTH = re.compile(
    r"\b(?:bab(?:y|ies)|newborn|since\s+(?:giving\s+)?birth|gave\s+birth|giving\s+birth"
    r"|postnatal|post-natal|postpartum|\d+\s+(?:week|month)s?\s+old)\b"
    r"(?!\s+(?:brother|sister|shower|monitor)\b)",
    re.IGNORECASE,
)
_LOW_MOOD = re.compile(
    r"\b(?:(?:don't|do\s+not|can't)\s+feel\s+(?:anything|a\s+thing|any\s+love|close)"
    r"|feel(?:ing)?\s+(?:nothing|numb|empty|hollow|disconnected|detached)|just\s+numb"
    r"|(?:can't|cannot|couldn't|not|struggling\s+to)\s+bond\w*|(?:don't|do\s+not)\s+love\s+"
    r"(?:my|the|her|him)|(?:cry|crying|cried)\s+(?:all\s+the\s+time|every\s+day|constantly"
    r"|non-?stop)|(?:been\s+)?crying\s+all\s+the\s+time|drowning|regret\s+having"
    r"|not\s+(?:feeling\s+)?myself|so\s+low|no\s+joy|hopeless)\b",
    re.IGNORECASE,
)
# A crying baby, and a parent at the end of their tether with it (no harm named).
_CRYING = re.compile(r"\b(?:cry\w*|cries|scream\w*|wail\w*|colic\w*)\b", re.IGNORECASE)
_AT_THE_LIMIT = re.compile(
    r"\b(?:losing\s+(?:it|my\s+mind)|lose\s+it|about\s+to\s+snap|going\s+to\s+snap"
    r"|can't\s+(?:take|stand|cope\s+with)\s+(?:it|this|the)|can't\s+cope|end\s+of\s+my\s+(?:rope"
    r"|tether)|breaking\s+point|at\s+my\s+limit|so\s+angry|furious|rage)\b",
    re.IGNORECASE,
)
# How they feel, which a family's steps would pass over ("back to work after maternity leave
# and I feel like a failure").
_FEELING = re.compile(
    r"\b(?:feel(?:s|ing)?|failure|guilt\w*|awful|terrible|sad|anxious|scared|worried|afraid"
    r"|cry\w*|miserable|lonely|depressed)\b",
    re.IGNORECASE,
)
# A family's plans: parental leave, going back after it, childcare, a small child and a job.
_PARENTAL_LEAVE = re.compile(
    r"\b(?:parental|maternity|paternity|shared\s+parental|adoption)\s+leave\b", re.IGNORECASE
)
_FAMILY_PLAN = re.compile(
    r"\b(?:(?:parental|maternity|paternity|shared\s+parental|adoption)\s+leave"
    r"|childcare|nursery\s+(?:fees|place|hours)"
    r"|(?:toddler|baby|newborn|kids?|children)\b.*\b(?:job|work|promotion|career|shifts?)"
    r"|(?:job|work|promotion|career|shifts?)\b.*\b(?:toddler|baby|newborn|kids?|children))\b",
    re.IGNORECASE | re.DOTALL,
)


def _said(text: str) -> str:
    return canonical_text(text)


def _cares(text: str) -> bool:
    said = _said(text)
    return bool(_CARER.search(said) or (_A_RELATIVE.search(said) and _THEIR_NEEDS.search(said)))


def caring(text: str, earlier: Iterable[str] = ()) -> bool:
    """The message, or one before it (`earlier`), says the user cares for someone (_CARER, or
    a relative named with their needs)."""
    return any(map(_cares, (text, *earlier)))


def postnatal(text: str) -> bool:
    """The message speaks of low mood after a birth (_AFTER_A_BIRTH and _LOW_MOOD)."""
    said = _said(text)
    return bool(_AFTER_A_BIRTH.search(said) and _LOW_MOOD.search(said))


def crying_baby_at_the_limit(text: str) -> bool:
    """A crying baby and a parent at the end of their tether (_CRYING and _AT_THE_LIMIT)."""
    said = _said(text)
    return bool(_AFTER_A_BIRTH.search(said) and _CRYING.search(said) and _AT_THE_LIMIT.search(said))


# Carers (Carers UK, Family Caregiver Alliance): exhaustion, resentment, guilt and grief while
# the person is still alive are common and no failing; support for carers (the council's carer's
# assessment in the UK, breaks), the GP told they are a carer; at work, the right to request
# flexible working from the first day and carer's leave (UK: the Employment Relations (Flexible
# Working) Act 2023, the Carer's Leave Act 2023; US: FMLA), which an employment adviser knows.
_CARER_FEELINGS = (
    "Caring for someone you love can wear you down, and exhaustion, frustration, resentment, "
    "guilt and grief for how they used to be, even while they're still here, are common among "
    "carers: they don't make you a bad person."
)
_CARER_LOAD = "Caring for someone is a lot to hold alongside everything else."
_CARER_SUPPORT = (
    "You deserve support too: ask your council or local social services about support for "
    "carers, such as a carer's assessment and breaks (respite), and tell your GP that you're a "
    "carer."
)
_CARER_SUPPORT_AGAIN = (
    "The support for carers I mentioned, a carer's assessment, breaks and a carers' line, is "
    "there whenever you're ready, and it's worth asking for."
)
# A break asked for: respite through the council's carer's assessment, and specific asks of
# family and friends.
_BREAK = re.compile(
    r"\b(?:(?:get|have|take|need|find)\s+(?:a\s+)?(?:break|rest|time\s+off)|respite)\b",
    re.IGNORECASE,
)
_CARER_BREAK = (
    "Breaks can be arranged: a carer's assessment from the council or social services can "
    "lead to respite, such as a sitting service, day care or a short stay, and family or "
    "friends are more likely to help when asked for something specific, like one afternoon a "
    "week."
)
_BREAK_ASK = "Who could you ask to cover a few hours this week?"
_CARER_WORK = (
    " At work, you may have a right to ask for flexible working or to take carer's leave; an "
    "employment adviser or your union can tell you what applies where you are."
)
_CARER_ASK = "What would help most right now: a break, practical help, or someone to talk to?"
# Postnatal depression (NHS, PANDAS): common, not the parent's fault, treatable, partners too;
# the GP, midwife or health visitor; the emergency number if anyone might not be safe.
_POSTNATAL = (
    "Thank you for telling me. Feeling numb, crying a lot or not feeling close to your baby is "
    "common after a birth, and it isn't your fault or a sign you're a bad parent: it can be "
    "postnatal depression, which is treatable, and partners can have it too. Please tell your "
    "GP, midwife or health visitor how you've been feeling; they can help, and the sooner the "
    "better.{lines} If you ever feel that you or the baby might not be safe, {call}. Would you "
    "feel able to talk to one of them this week?"
)
# Carers' aside in the first crisis reply (the review: "sometimes I wish my dad would just die
# so this would end" got the suicide reply alone): said before its question, in English.
CARER_ASIDE = (
    "Caring for someone can bring exhaustion, resentment, guilt and grief, even while they're "
    "still here, and those feelings are common among carers; they don't make you a bad "
    "person.{lines}"
)

# Steps for a family's plans, and for a caring problem with nothing of strain said.
_LEAVE_STEPS = (
    "write down the dates that matter (the due date, when leave starts, when you'd go back) "
    "and what your employer needs to know by when",
    "ask HR or your manager for the parental leave and flexible working policies in writing",
    "list what needs handing over at work before you go, and to whom",
    "talk through with your partner, or someone close, who takes on what, and when",
)
_JUGGLE_STEPS = (
    "list what each week needs covering, such as childcare, drop-offs and appointments, and "
    "who could share it",
    "ask your manager what flexibility the role allows, such as hours or days from home",
    "talk through with your partner, or someone close, who takes on what, and when",
    "pick one thing to hand off or let go of this week",
    "protect one evening a week for family, and treat it like a meeting",
)
_CARING_STEPS = (
    "tell their GP or care team about it: pain, an infection or a medicine can be behind "
    "changes like this, and they can advise",
    "ask the council or social services for a needs assessment for them and a carer's "
    "assessment for you",
    "write down when it happens and what came before it, to show whoever helps",
    "ask a carers' line or group what has worked for other families",
    "list who could share some of the caring, even an hour a week",
)
_FRAMES = {
    "lua": "Let's take this one gentle step at a time: {0}. How does that sit with you?",
    "riri": "Let's get this moving: 1) {0}. 2) {1}. 3) {2}.",
    "elro": "Let's structure it. First, {0}. Second, {1}. Third, {2}. Which would you start with?",
    "nana": "You're juggling a lot, and you're doing it with care. How about we start small: "
    "{0}, and then {1}. Will you let me know how it goes?",
}


def _steps(persona: str, pool: tuple[str, ...], message: str) -> str:
    """Three steps of `pool`, rotated by a stable hash of `message`, in the persona's frame."""
    start = int(hashlib.sha256(message.encode()).hexdigest(), 16) % len(pool)
    steps = [*pool[start:], *pool[:start]][:3]
    if persona == "riri":  # each a sentence of its own
        steps = [step[:1].upper() + step[1:] for step in steps]
    return _FRAMES.get(persona, _FRAMES["lua"]).format(*steps)


def lines_named(lines: tuple[str, ...]) -> str:
    """Lines of the locale's data files (ours, not the user's words) as one line."""
    return "; ".join(lines)


def _lines(lines: tuple[str, ...]) -> str:
    listed = lines_named(lines)
    return f" {listed}." if listed else ""


def carer_aside(said: tuple[str, ...], lines: tuple[str, ...]) -> str:
    """The carers' aside for a crisis reply when the message, or one before it (`said`: the
    message first), says the user cares for someone (caring), naming the locale's carers'
    `lines`; "" otherwise."""
    return CARER_ASIDE.format(lines=_lines(lines)) if caring(said[0], said[1:]) else ""


def _for_a_carer(persona: str, req: ReplyRequest) -> str:
    """A carer's support: their feelings when strain is said (_CARER_FEELINGS), or the load
    (_CARER_LOAD); how to get a break when they ask for one (_CARER_BREAK), else support for
    carers (_CARER_SUPPORT), with the locale's carers' lines; their rights when work is named;
    steps for a practical question with neither strain nor work. Nothing the reply just before
    said word for word."""
    text = _said(req.message)
    strain, work = _STRAIN.search(text), _WORK.search(text)
    if not (strain or work) and _PRACTICAL.search(text):
        return _steps(persona, _CARING_STEPS, req.message)
    before = req.window[-1].reply if req.window else ""
    lead = _CARER_FEELINGS if strain else _CARER_LOAD
    if _BREAK.search(text) and _CARER_BREAK not in before:
        support, ask = _CARER_BREAK + _lines(req.support_lines.carers), _BREAK_ASK
    elif _CARER_SUPPORT in before:
        support, ask = _CARER_SUPPORT_AGAIN, _CARER_ASK
    else:
        support, ask = _CARER_SUPPORT + _lines(req.support_lines.carers), _CARER_ASK
    parts = ("" if lead in before else lead, support, _CARER_WORK.strip() if work else "", ask)
    return " ".join(part for part in parts if part)


def caring_reply(persona: str, req: ReplyRequest, earlier: Iterable[str]) -> str | None:
    """The template's reply to a carer or a new parent: the steps for a crying baby at the
    limit (baby_sign), the postnatal referral, a carer's support (feelings when strain is said,
    rights at work when work is), or a family's or a caring problem's steps; None for any other
    message. `earlier`: the window's messages a reply may recall ("he has dementia" before "how
    do I cope with that?")."""
    said = req.message
    if crying_baby_at_the_limit(said):
        listed = lines_named(req.support_lines.new_parents or req.local_help)
        return baby_sign("crying", listed, req.local_help)
    if postnatal(said):
        return _POSTNATAL.format(
            lines=_lines(req.support_lines.new_parents), call=call_now(req.local_help)
        )
    if caring(said, earlier):
        return _for_a_carer(persona, req)
    text = _said(said)
    if _FAMILY_PLAN.search(text) and not (_STRAIN.search(text) or _FEELING.search(text)):
        pool = _LEAVE_STEPS if _PARENTAL_LEAVE.search(text) else _JUGGLE_STEPS
        return _steps(persona, pool, said)
    return None
