"""Health at work (the illness review), for the template's referrals
(common.replies.readers.professional.professional_kind): a symptom that persists and a
medicine's side effect, a doctor's or a pharmacist's; workplace adjustments asked about; one
refused, or an offer withdrawn after telling, an employment adviser's. Read on
common.text.canonical_text (' for ’), case-insensitive; English only, as the template's replies
are."""

from __future__ import annotations

import re

from common.text import canonical_text

# A symptom said to last ("I'm tired all the time, been like this for 2 months", "I've had a
# cough for 6 weeks" got "put the facts in writing"): no diagnosis, no dose, a GP. The duration
# within a few words of the symptom: not "I'm exhausted from working on this bug for weeks",
# "tired of my boss all the time", "he's a pain all the time".
_SYMPTOM = (
    r"(?:tired(?!\s+of\b)|exhausted(?!\s+(?:by|from|of)\b)|fatigued?|(?<!\ba\s)pain(?!\s+in\s+the)"
    r"|aches?|headaches?|migraines?|cough(?:ing)?|dizz(?:y|iness)|nause(?:a|ous)|breathless\w*"
    r"|short\s+of\s+breath|rash|fever|sore\s+throat|lump|swelling|bleeding|numbness|insomnia"
    r"|can'?t\s+sleep|diarrh(?:o)?ea|vomiting|heartburn|palpitations|tingling)"
)
_LASTING = (
    r"(?:for\s+(?:(?:about|over|nearly|almost|more\s+than|the\s+(?:last|past))\s+)?(?:\d+|a\s+few"
    r"|a\s+couple\s+of|several|two|three|four|five|six|seven|eight|nine|ten|many)\s+(?:weeks|months"
    r"|years)|for\s+(?:weeks|months|ages|a\s+month|a\s+year)|all\s+the\s+time"
    r"|every\s+(?:single\s+)?day|(?:won'?t|doesn'?t|don'?t|never)\s+go(?:es)?\s+away"
    r"|keeps?\s+coming\s+back)"
)
_PERSISTENT = re.compile(rf"\b{_SYMPTOM}\b(?:\s+[\w',]+){{0,3}}?\s+{_LASTING}\b", re.IGNORECASE)

# What a medicine does to them ("my meds make me sleepy at work" got "rate your energy ... I'm
# proud of you"), in a message that names one (common.replies.readers.medicine.names_medicine): not
# "my meds make me feel like myself again".
_EFFECT = (
    r"(?:sleepy|drowsy|tired|exhausted|dizzy|sick|nauseous|queasy|foggy|groggy|shaky|jittery"
    r"|anxious|sluggish|numb|flat|wired|restless|sweaty|spaced\s+out|awful|rough|terrible|weird"
    r"|strange|off|like\s+a\s+zombie|headaches?|migraines?|nausea|insomnia|rash(?:es)?"
    r"|brain\s+fog|stomach\s+(?:aches?|problems|issues|cramps)|the\s+shakes)"
)
_SIDE_EFFECT = re.compile(
    r"\b(?:make|makes|made|making|is\s+making|are\s+making)\s+me\s+(?:feel\s+)?(?:so\s+|really\s+"
    rf"|very\s+|more\s+|a\s+bit\s+|super\s+|too\s+|kind\s+of\s+|kinda\s+)?{_EFFECT}\b"
    rf"|\b(?:give|gives|gave|giving|is\s+giving|are\s+giving)\s+me\s+(?:\w+\s+)?{_EFFECT}\b"
    r"|\bside[\s-]effects?\b"
    r"|\b(?:started|starting|changed|switched|new)\b[^.!?]{0,40}?\b(?:(?:now\s+)?i'?m|i\s+am"
    r"|(?:now\s+)?i\s+feel|i'?ve\s+been|feeling)\s+(?:so\s+|really\s+|more\s+|very\s+|a\s+bit\s+)?"
    rf"{_EFFECT}\b",
    re.IGNORECASE,
)


def persistent_symptom(text: str) -> bool:
    """The message tells of a symptom that lasts (_PERSISTENT): for a GP, never a diagnosis."""
    return _PERSISTENT.search(canonical_text(text)) is not None


def side_effect(text: str) -> bool:
    """The message tells what something does to them, as a medicine's side effects are told
    (_SIDE_EFFECT); with a medicine named, for a doctor or pharmacist."""
    return _SIDE_EFFECT.search(canonical_text(text)) is not None


# Workplace adjustments (the illness review: "I have ADHD, how do I ask for adjustments at
# work?" got "explain what you learned", "I'm blind, how do I ask my employer for a screen
# reader?" study steps, "I just got diagnosed with MS and I don't know if I can keep my job" no
# word of their rights): named as such, or, with a health matter (`about_health`), asked for,
# or the job feared lost. Not "adjustments to the budget" nor "can I work from home tomorrow?".
_ADJUSTMENT = r"(?:adjustments?|accommodations?)"
_NAMED = re.compile(
    rf"\breasonable\s+{_ADJUSTMENT}|\b(?:workplace|work|job)\s+{_ADJUSTMENT}"
    rf"|\b{_ADJUSTMENT}\s+(?:at|for|in)\s+(?:work|my\s+job|the\s+office)\b"
    r"|\bphased\s+return|\boccupational\s+health\b|\baccess\s+to\s+work\b",
    re.IGNORECASE,
)
_ADJUSTMENT_RE = re.compile(rf"\b{_ADJUSTMENT}\b", re.IGNORECASE)
# What an adjustment often is.
_AIDS = (
    r"(?:screen\s*readers?|work(?:ing)?\s+from\s+home|wfh|work(?:ing)?\s+remotely|remote\s+work"
    r"|flexible\s+(?:hours|working|start)|(?:rest\s+|more\s+|extra\s+|regular\s+|short\s+)?breaks"
    r"|time\s+off\s+for\s+(?:appointments|treatment|therapy)|reduced\s+hours|part[\s-]time"
    r"|(?:quiet|rest)\s+(?:room|space)|noise[\s-]cancell\w+|hearing\s+loops?|captions"
    r"|(?:standing|adjustable|sit[\s-]stand)\s+desk|ergonomic\s+\w+|parking\s+space|ramp|lift"
    r"|(?:near|close\s+to)\s+(?:a|the)\s+(?:toilet|bathroom|loo)|interpreter)"
)
_ASKS_FOR = re.compile(
    r"\b(?:how\s+(?:do|can|should|would)\s+i|how\s+to|can\s+i|could\s+i|should\s+i"
    r"|am\s+i\s+(?:allowed|entitled)\s+to|do\s+i\s+have\s+(?:a\s+|the\s+)?right\s+to"
    r"|i\s+(?:want|need|'d\s+like|would\s+like)\s+to)\s+(?:[\w'-]+\s+){0,6}?"
    rf"(?:{_ADJUSTMENT}|{_AIDS})\b",
    re.IGNORECASE,
)
_JOB_AT_RISK = re.compile(
    r"\b(?:keep|lose|losing|lost)\s+my\s+job\b"
    r"|\b(?:will|would|could|can)\s+(?:they|my\s+(?:employer|boss|manager|company))\s+"
    r"(?:still\s+)?(?:keep|want)\s+me\b",
    re.IGNORECASE,
)
# An adjustment refused ("my manager refused my request for reasonable adjustments", "my
# diabetes means I need breaks, my manager says no"), or an offer withdrawn or a job lost after
# telling ("they withdrew my job offer after I told them about my epilepsy"): an employment
# adviser's, as discrimination is.
_REFUSED = re.compile(
    r"\b(?:refus\w*|reject\w*|turn(?:s|ed|ing)?\s+(?:it\s+|me\s+)?down|den(?:y|ies|ied|ying)"
    r"|declin\w*|(?:say|says|said|saying)\s+no|(?:won'?t|wouldn'?t)\s+(?:give|allow|let|agree"
    r"|approve|consider|make)|(?:isn'?t|wasn'?t|aren'?t|is\s+not|was\s+not)\s+allow\w*|ignor\w*)\b",
    re.IGNORECASE,
)
_AID_RE = re.compile(rf"\b{_AIDS}\b", re.IGNORECASE)
_LOST_IT = re.compile(
    r"\b(?:withdr[ae]w\w*|pulled|rescinded|revoked|took\s+back|cancell?ed|retracted)\s+(?:my|the"
    r"|their)\s+(?:job\s+)?offer\b|\b(?:fired|sacked|dismissed|let\s+(?:me\s+)?go|demoted"
    r"|managed\s+(?:me\s+)?out|passed\s+(?:me\s+)?over)\b",
    re.IGNORECASE,
)
_AFTER_TELLING = re.compile(
    r"\b(?:after|because|since|when|once)\s+(?:i\s+(?:told|mentioned|disclosed|said|shared"
    r"|asked)|they\s+(?:found\s+out|learned|learnt|heard)|of\s+my)\b",
    re.IGNORECASE,
)


def adjustments_asked(text: str, *, about_health: bool) -> bool:
    """The message asks about workplace adjustments (_NAMED), or, about a health matter, asks
    for one (_ASKS_FOR, an adjustment named) or fears for the job (_JOB_AT_RISK): what the law
    asks of an employer, what to share, who can help."""
    said = canonical_text(text)
    if _NAMED.search(said):
        return True
    return about_health and any(p.search(said) for p in (_ASKS_FOR, _ADJUSTMENT_RE, _JOB_AT_RISK))


def refused_at_work(text: str, *, about_health: bool) -> bool:
    """An adjustment refused (_REFUSED, with one named or, about a health matter, an aid), or
    an offer withdrawn or a job lost after telling of a health matter (_LOST_IT)."""
    said = canonical_text(text)
    if _REFUSED.search(said) and (
        _NAMED.search(said)
        or (about_health and (_ADJUSTMENT_RE.search(said) or _AID_RE.search(said)))
    ):
        return True
    return about_health and bool(_LOST_IT.search(said) and _AFTER_TELLING.search(said))
