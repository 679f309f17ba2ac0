"""A terminal prognosis the user states of themselves (the illness review: "I've been given 6
months to live, what do I do with my career" got "Option A: run a small, reversible test", "I'm
going to die soon, the doctors say months" the suicide reply on the model's flag at 0.94).
English only, read on common.text.canonical_text (' for ’), case-insensitive; pure."""

from __future__ import annotations

import re

from common.text import canonical_text

# "I don't have long", "I haven't got long".
_NOT_LONG = r"(?:(?:don'?t|do\s+not)\s+have|(?:haven'?t|have\s+not)(?:\s+got)?)\s+(?:very\s+)?long"
# An illness that ends a life, as said after "dying of" and the like.
_FATAL = (
    r"(?:cancer|tumou?rs?|disease|illness|als|mnd|(?:heart|kidney|liver|organ)\s+failure"
    r"|leuka?emia|lymphoma|sarcoma|glioblastoma|copd)"
)
# Prognosis wording for the heavy events (common.replies.readers.heavy._HEAVY_EVENT), whoever it is
# said of and however hedged: a calm reply with no steps. Not "dying of boredom", "stage 4 of the
# rollout", "the rumour has spread", "I don't have long left on my contract".
HEAVY_WORDS = (
    r"terminal(?:ly)?\s+(?:diagnosis|prognosis|cancer|illness|condition|disease)"
    r"|(?:months?|weeks?|days|a\s+year)\s+(?:left\s+)?to\s+live|palliative"
    r"|hospice\s+care|(?:going|moving|admitted|moved|transferred)\s+(?:in)?to\s+(?:a\s+|the\s+)?"
    r"hospice|end[\s-]of[\s-]life\s+care|end\s+of\s+(?:my|his|her|their)\s+life"
    rf"|dying\s+(?:of|from)\s+(?:[\w'-]+\s+){{0,2}}?{_FATAL}"
    r"|(?:i'?ve\s+got|i\s+have|i'?m|my)\s+stage\s+(?:4|iv|four)"
    r"|stage\s+(?:4|iv|four)\s+(?:[\w-]+\s+)?(?:cancer|tumou?r|disease|melanoma|lymphoma|sarcoma"
    r"|carcinoma)|metasta\w*|(?:cancer|tumou?r)\s+(?:has\s+|is\s+)?spread(?:ing)?"
    r"|(?:i'?m|i\s+am)\s+dying(?=\s*(?:[.;!?]|$)|\s+(?:and|but|so)\b)"
    r"|(?:i'?m|i\s+am)\s+going\s+to\s+die\s+(?:soon|within|in\s+(?:a\s+few\s+)?(?:weeks|months))"
    r"(?![^.!?]*\b(?:if|unless)\b)"
    rf"|{_NOT_LONG}\s+(?:left|to\s+live)"
    r"(?!\s+(?:on|in|of|at|before|until|till|to\s+(?!live)|for))"
)

# Said of themselves and plainly terminal: the end-of-life reply (common.end_of_life). Those
# after _CUE only with an illness or work's plans for it named: "I won't be here next year"
# alone is a crisis sign, "I'll be dead by Christmas if my boss keeps this up" hyperbole.
_PROGNOSIS = re.compile(
    r"\b(?:i'?m|i\s+am)\s+(?:now\s+)?terminal(?:ly\s+ill)?\b"
    r"|(?:^|\bi\s+(?:have|got|received|was\s+given|have\s+got)\s+|\bi'?ve\s+(?:got|been\s+given"
    r"|had)\s+|\bmy\s+)(?:a\s+)?terminal\s+(?:diagnosis|prognosis|cancer|illness|condition"
    r"|disease)\b"
    r"|\bmy\s+(?:[\w'-]+\s+){0,2}?(?:cancer|illness|condition|disease|tumou?r)\s+is\s+(?:now\s+)?"
    r"(?:terminal|incurable|untreatable|inoperable)\b"
    r"|(?:\bi(?:'ve|\s+have|\s+was|\s+am|'m)?\s+(?:been\s+)?(?:given|got|have|getting)|\bgave\s+me"
    r"|\bgive\s+me|\bgiven\s+me)\s+(?:only\s+|maybe\s+|about\s+|around\s+|less\s+than\s+)?"
    r"(?:[\w-]+\s+){0,2}?(?:months?|weeks?|days|years?)\s+(?:left\s+)?to\s+live\b"
    r"|\b(?:doctors?|oncologist|consultant|specialist|they)\s+(?:say|says|said|told\s+me|gave\s+me"
    r"|give\s+me|think|reckon)\s+(?:(?:that\s+)?i\s+(?:have|'ve\s+got|only\s+have|might\s+have"
    r"|have\s+got)\s+|only\s+|maybe\s+)?(?:(?:a\s+)?(?:few|couple\s+of)\s+|[\w-]+\s+)?(?:months"
    r"|weeks)\b(?!\s+(?:of|off|until|till|recovery|rest|physio|sick|leave|before|after"
    r"|to\s+(?!live)))"
    rf"|\b{_NOT_LONG}\s+(?:left\s+)?to\s+live\b"
    rf"|\b(?:i'?m|i\s+am)\s+dying\s+(?:of|from)\s+(?:[\w'-]+\s+){{0,2}}?{_FATAL}\b"
    r"|\b(?:my\s+(?:care|treatment)\s+is|it'?s|it\s+is)\s+(?:now\s+|all\s+|just\s+)?palliative\b"
    r"|\b(?:i'?m|i\s+am|i'?ve\s+been|i\s+have\s+been|i\s+was)\s+(?:now\s+)?(?:on|in|under"
    r"|receiving|getting|starting|(?:moved|referred|put|moving|going)\s+(?:on)?to)\s+"
    r"(?:a\s+|the\s+)?(?:palliative|hospice|end[\s-]of[\s-]life)\s+(?:care|chemo\w*"
    r"|radiotherapy|treatment)\b"
    r"|\bi(?:'m|\s+am|'ll\s+be|\s+will\s+be|'ve\s+been|\s+have\s+been|\s+was)?\s+(?:now\s+)?"
    r"(?:moving|going|moved|admitted|transferred|being\s+(?:moved|admitted|transferred))\s+"
    r"(?:in)?to\s+(?:a\s+|the\s+)?hospice\b"
    r"|\b(?:i'?m|i\s+am)\s+(?:near(?:ing)?|at|coming\s+to)\s+the\s+end\s+of\s+my\s+life\b"
    rf"|\b{_FATAL}\s+(?:takes|will\s+take|kills|will\s+kill|gets)\s+me\b"
    r"|\b(?:good|quality|better)\s+(?:months|weeks|days|time)\s+(?:rather\s+)?(?:than|over"
    r"|instead\s+of)\s+(?:more|longer|extra)\b",
    re.IGNORECASE,
)
# An illness, or what it means for work ("I don't have long left, how do I tell my team" got
# "25 focused minutes on one official tutorial"): not family, to whom a goodbye may be a crisis.
_CUE = re.compile(
    r"\b(?:cancer|tumou?rs?|terminal|oncologist|consultant|palliative|hospice|prognosis"
    r"|chemo\w*|metasta\w*|scan\s+results?"
    r"|tell\s+(?:my|the|our)\s+(?:team|boss|manager|colleagues|co-?workers|employer|hr|work)"
    r"|(?:keep|stop|quit)\s+working|quit\s+my\s+job|my\s+career)\b",
    re.IGNORECASE,
)
_CUED = re.compile(
    r"\bi\s+(?:won'?t|will\s+not)\s+(?:be\s+(?:here|around|alive)|make\s+it\s+to|see)\s+"
    r"(?:by|for|next|much|at|in|this|christmas|my)\b"
    r"|\bi(?:'ll|\s+will)\s+be\s+(?:dead|gone)\s+(?:by|within|before|in)\b"
    r"(?![^.!?]*\b(?:if|unless)\b)"
    r"|\bi(?:'m|\s+am)\s+going\s+to\s+die\s+(?:soon|within|in|before|this|next)\b"
    r"(?![^.!?]*\b(?:if|unless)\b)"
    r"|\bi(?:'m|\s+am)\s+dying\b(?!\s+(?:to|for|of\s+(?:boredom|laughter|embarrassment)))"
    rf"|\b{_NOT_LONG}\s+left\b"
    r"|\b(?:there'?s|there\s+is|with)\s+no\s+(?:cure|treatment\s+left|more\s+treatment)\b"
    r"|\bnothing\s+(?:more|else)\s+(?:they|the\s+doctors?|doctors|anyone)\s+can\s+do\b",
    re.IGNORECASE,
)
# A plan or a means, or a wish to hasten it: with these, the model's flag stands (a crisis),
# whatever prognosis is told with them ("I'm dying of cancer and I've saved up my morphine").
_PLAN_OR_MEANS = re.compile(
    r"\b(?:end|ending)\s+(?:it|my\s+life|things|everything|it\s+all)\b"
    r"|\btake\s+my\s+(?:own\s+)?life|\bkill\s+myself"
    r"|\b(?:saved|saving|stockpil\w*|hoard\w*|stash\w*|collect\w*|kept|keeping)\b"
    r"[^.!?]*\b(?:pills|tablets|meds|morphine|oxy\w*|fentanyl|opioids|painkillers|insulin)\b"
    r"|\benough\s+(?:[\w-]+\s+)?(?:pills|tablets|meds|morphine|painkillers|insulin)\b|\boverdos\w*"
    r"|\bassisted\s+(?:dying|suicide)|\beuthanas\w*|\bdignitas\b|\bon\s+my\s+own\s+terms\b"
    r"|\b(?:want|ready|wish)\s+(?:to\s+)?(?:die|be\s+dead|it\s+(?:over|done))\b"
    r"|\bbefore\s+it\s+gets\s+worse\b|\b(?:speed|hurry)\s+(?:it|things)\s+(?:up|along)\b"
    r"|\b(?:don'?t|do\s+not)\s+want\s+to\s+wait\b",
    re.IGNORECASE,
)


def stated_prognosis(text: str) -> bool:
    """The message says the user is dying: a terminal prognosis of theirs (_PROGNOSIS), or in
    a message about an illness (_CUE), that they will not live long (_CUED)."""
    said = canonical_text(text)
    return bool(_PROGNOSIS.search(said) or (_CUED.search(said) and _CUE.search(said)))


def prognosis_without_plan(text: str) -> bool:
    """A stated prognosis, with no plan, means or wish to hasten death (_PLAN_OR_MEANS)."""
    return stated_prognosis(text) and _PLAN_OR_MEANS.search(canonical_text(text)) is None
