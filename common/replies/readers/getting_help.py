"""Whether to get help: to see someone about it (a doctor, a therapist), or urgent medical help
now. Care answers both (the care exceptions), where it otherwise gives no advice."""

from __future__ import annotations

import re

from common.text import canonical_text

# Whether to see someone about it ("should I see someone?", "do I need therapy?"): in care,
# the care rule's "no advice" must not answer it (common.replies.template's care exception).
_SEE_SOMEONE = re.compile(
    r"\b(?:should|shall|can|could|do|must)\s+i\s+(?:go\s+(?:and\s+)?|try\s+(?:to\s+)?)?"
    r"(?:see|talk\s+to|speak\s+to|get|find|book|go\s+to)\s+"
    r"(?:a\s+|an\s+|my\s+|the\s+|some\s+|professional\s+)?(?:someone|somebody|professional"
    r"|therapist|counsell?or|psychologist|psychiatrist|doctor|gp|therapy|counsell?ing)\b"
    r"|\b(?:should|shall|can|could|do|must)\s+i\s+(?:get|find|seek)\s+(?:professional\s+)?help\b"
    r"(?!\s+(?:with|on|from\s+you)\b)"
    r"|\b(?:is\s+it\s+worth|would\s+it\s+help)\s+(?:to\s+)?(?:see(?:ing)?|talk(?:ing)?\s+to)\s+"
    r"(?:a\s+|an\s+|my\s+|someone\b|somebody\b)"
    r"|\bdo\s+i\s+need\s+(?:therapy|help|a\s+therapist|a\s+doctor|to\s+see\s+someone)\b",
    re.IGNORECASE,
)


def asks_to_see_someone(text: str) -> bool:
    """The message asks whether to see a doctor, a therapist or someone (_SEE_SOMEONE)."""
    return _SEE_SOMEONE.search(canonical_text(text)) is not None


# Whether to get urgent medical help now (the emergency review: "it was an accident, should I go
# to A&E?" got care's "There's no need to fix or decide anything right now", and outside care a
# step to "write the best and worst realistic outcome of each option"): going to A&E, the ER, a
# hospital or urgent care, calling an ambulance, an emergency number or poison control, whether
# it is an emergency. Not a GP or a doctor's appointment, which the medical referral answers, nor
# a visit or a shift at the hospital.
_CARE_PLACE = (
    r"(?:a\s*(?:&|and|n)\s*e|er|e\.r\.?|emergency(?:\s+(?:room|department|dept))?|hospital"
    r"|urgent\s+care|casualty)"
)
_URGENT_CARE = re.compile(
    r"\b(?:should|shall|do|must|can|could|would)\s+(?:i|we|he|she|they|you)\s+"
    r"(?:(?:really|still|just|maybe|probably|actually)\s+)?(?:(?:need\s+to|have\s+to|better)\s+)?"
    r"(?:go|get|head|take\s+(?:him|her|them|me|my\s+\w+))\s+(?:(?:to|into)\s+)?(?:the\s+|an\s+|a\s+)?"
    rf"{_CARE_PLACE}\b"
    r"(?!\s+(?:to\s+(?:visit|see)|for\s+(?:my|his|her|the|a)\s+(?:appointment|shift|scan|check\s*up"
    r"|job|interview|meeting|visit)|tomorrow|next\s+(?:week|month)|later)\b)"
    r"|\b(?:should|shall|do|must|can)\s+(?:i|we)\s+(?:(?:really|still|just|maybe|actually)\s+)?"
    r"(?:(?:need\s+to|have\s+to)\s+)?call\s+(?:an\s+ambulance|911|999|112|000|111|nhs\s*111"
    r"|poison\s+(?:control|help)|emergency\s+services|the\s+emergency\s+number)\b"
    r"|\bdo\s+(?:i|we|you\s+think\s+(?:i|we|he|she|they))\s+need\s+(?:an\s+ambulance"
    rf"|to\s+go\s+to\s+(?:the\s+|a\s+)?{_CARE_PLACE})\b"
    r"|\bis\s+(?:this|it|that)\s+an\s+emergency\b",
    re.IGNORECASE,
)


def asks_urgent_care(text: str) -> bool:
    """The message asks whether to get urgent medical help now (_URGENT_CARE): yes, now."""
    return _URGENT_CARE.search(canonical_text(text)) is not None
