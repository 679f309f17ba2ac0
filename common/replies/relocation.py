"""A job or a move abroad for someone LGBTQ+ (the LGBTQ+ review: "I got a job offer in Dubai but
I'm gay, is it safe to take it?" got "Yes, that energy is great ... set yourself a date to
decide and stop researching after it", "I'm trans and my company wants to relocate me to Saudi
Arabia" "put the facts in writing", and Gemini's "accept and keep your private life discreet"
passed the vet): a question of their safety where being LGBTQ+ is criminalised, so no cheer
and no deadline; where to check the country's law, HR's mobility policy asked in confidence, a
partner's status, an adviser before signing, and that the decision is theirs. Said of a job,
an offer, a posting or a relocation abroad with their sexual orientation or gender identity
(or, later in the window, a partner, the law or safety asked about after it). Read on
common.text.canonical_text, case-insensitive; English only, as the template's replies are.

Sources (2026-12-08): the FCDO's "Lesbian, gay, bisexual and transgender foreign travel advice"
(gov.uk/guidance/lesbian-gay-bisexual-and-transgender-foreign-travel-advice: around 70
countries criminalise consensual same-sex activity; it points to each country's "Local laws and
customs" section and ILGA World's map); the ILGA World Database (database.ilga.org: laws on
sexual orientation and gender identity in 193 UN member States)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from common.replies.workrights import IDENTITY
from common.text import canonical_text

# Abroad, or a named place ("in Dubai", "to Saudi Arabia"): not "moving to a new flat".
_PLACE = (
    r"(?:abroad|overseas|(?:in|to)\s+(?:(?-i:[A-Z])[\w'-]+|another\s+country|a\s+different\s+country"
    r"|the\s+(?-i:[A-Z])\w+))"
)
_MOVE = re.compile(
    r"\b(?:job\s+offers?|offer(?:ed)?\s+(?:me\s+)?(?:a\s+)?(?:job|role|position|post|posting"
    r"|contract|transfer)|relocat\w+|move|moving|send|sending|post|posting|transfer\w*"
    rf"|secondment|assignment)(?:\s+(?:me|us))?\s+{_PLACE}|\bexpats?\b"
    r"|\bwork(?:ing)?\s+(?:abroad|overseas)\b",
    re.IGNORECASE,
)
# A move for work: not "moving to London with my boyfriend".
_WORK = re.compile(
    r"\b(?:job|offer\w*|company|employer|role|position|posting|contract|work|hr|boss"
    r"|manager|secondment|assignment|expats?)\b",
    re.IGNORECASE,
)
_LGBTQ = re.compile(
    rf"\b(?:i'?m|i\s+am|as\s+an?|being|we'?re|we\s+are)\s+(?:an?\s+)?{IDENTITY}\b"
    r"|\bsame-?sex\b|\bmy\s+(?:husband|boyfriend)\b[^.!?]{0,30}\b(?:i'?m|i\s+am)\s+a\s+(?:man|guy)"
    r"|\bmy\s+(?:wife|girlfriend)\b[^.!?]{0,30}\b(?:i'?m|i\s+am)\s+a\s+(?:woman|girl)",
    re.IGNORECASE,
)
# After it, what they add or ask: a partner coming too, the law, their safety, HR.
_FOLLOW_UP = re.compile(
    r"\b(?:partner|husband|wife|boyfriend|girlfriend|he'?s\s+a\s+(?:man|guy)"
    r"|she'?s\s+a\s+(?:woman|girl)|safe|safety|law|laws|legal|illegal|visa|hr|arrested|police"
    r"|prison|discreet|hide|closet)\b",
    re.IGNORECASE,
)


def _moving_as_lgbtq(text: str) -> bool:
    said = canonical_text(text)
    return bool(_MOVE.search(said) and _WORK.search(said) and _LGBTQ.search(said))


def relocation_risk(message: str, earlier: Iterable[str] = ()) -> bool:
    """The message tells of a job or move abroad with their sexual orientation or gender
    identity, or adds a partner, the law or safety after one in `earlier` (the window's
    messages)."""
    if _moving_as_lgbtq(message):
        return True
    return bool(_FOLLOW_UP.search(canonical_text(message))) and any(map(_moving_as_lgbtq, earlier))


_OPEN = {
    "lua": "This is a question about your safety, and it deserves a careful look, not a rush.",
    "riri": "Straight answer: this is about your safety first, so no rushing it.",
    "elro": "Let me be clear first: this is a question of your personal safety, not just a job.",
    "nana": "Thank you for telling me; your safety matters most here, so let's take it slowly.",
}
_BODY = (
    "In some countries same-sex relationships or a trans identity are criminalised, so check "
    "the law, and how it's enforced, before deciding: the UK Foreign Office's 'Lesbian, gay, "
    "bisexual and transgender foreign travel advice' and the 'Local laws and customs' section of "
    "that country's travel advice on gov.uk, and ILGA World's database (database.ilga.org). "
    "You can ask HR in confidence about their mobility policy: whether the move is voluntary, "
    "what support there is if something goes wrong, and whether saying no would affect your "
    "job. If a partner would come, check whether your relationship would be recognised for a "
    "visa or residence there, and what it would mean for them. An employment adviser can look "
    "at the contract before you sign."
)
_CLOSE = {
    "lua": "Whatever you decide is your decision, and turning it down is a valid answer.",
    "riri": "It's your call, and no is a perfectly good answer.",
    "elro": "The decision is yours, and declining is a legitimate option.",
    "nana": "Whatever you choose is your decision, and saying no is completely okay.",
}


def relocation_reply(persona: str) -> str:
    """The reply to a job or move abroad for someone LGBTQ+ (relocation_risk), in `persona`'s
    voice: no cheer and no deadline."""
    return " ".join((_OPEN.get(persona, _OPEN["lua"]), _BODY, _CLOSE.get(persona, _CLOSE["lua"])))


# Gemini's rule for it; the vet refuses advice to hide who they are (HIDING, unless said against).
RELOCATION_RULE = (
    "- They are weighing a job, posting or move abroad and are LGBTQ+ (in this message or an "
    "earlier one): treat it as a question of their personal safety, with no cheer, no deadline "
    "and no 'stop researching'. Say that some countries criminalise same-sex relationships or "
    "trans identities; suggest checking the law and how it is enforced (the UK FCDO's LGBT "
    "foreign travel advice and the country's 'Local laws and customs' page, ILGA World's "
    "database), asking HR in confidence about the mobility policy and support, whether a "
    "partner's relationship would be recognised for a visa, and an employment adviser before "
    "signing. The decision is theirs, and declining is a valid answer. Never advise them to "
    "hide who they are or to keep their private life discreet, and never weigh that as an "
    "option."
)
HIDING = re.compile(
    r"\bkeep(?:ing)?\s+(?:your\s+|their\s+|it\s+|things\s+)?(?:private\s+life|personal\s+life"
    r"|relationship|sexuality|identity|partner|orientation|it|things)?\s*(?:\w+\s+)?(?:very\s+)?"
    r"(?:discreet|quiet|hidden|secret|low-?key|under\s+wraps|to\s+yourself)\b"
    r"|\b(?:be|stay|staying|being)\s+(?:very\s+|extra\s+)?discreet\b|\bin\s+the\s+closet\b"
    r"|\b(?:hide|hiding|conceal\w*)\s+(?:your\s+|who\s+you\s+are|the\s+fact)(?:sexuality|identity"
    r"|relationship|partner|orientation)?",
    re.IGNORECASE,
)
