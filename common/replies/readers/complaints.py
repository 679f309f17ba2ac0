"""A complaint about the reply before, or an insult to the mentor: met calmly, with no mood read
into it, and counted as disapproval, not approval."""

from __future__ import annotations

import re

from common.text import canonical_text

# A message that disparages the reply before, or insults the mentor (the boundaries review:
# "you're useless", "this is garbage advice, shut up" counted as approval, "shut up bitch" got
# "you've clearly put in real effort"). Aimed at "you" or at the advice; "I feel useless", "my
# code is garbage", "he told me to shut up", "I asked for 15% more, shut up and waited" (the
# corpus) and "you're not stupid" are none. A short message that is only a verdict ("useless",
# "this isn't helping") is read whole.
_BAD = (
    r"(?:useless|stupid|dumb|idiot(?:ic)?|worthless|pathetic|garbage|trash|rubbish|junk|crap"
    r"|crappy|shit|shitty|terrible|awful|hopeless|moron(?:ic)?|bitch|annoying|pointless"
    r"|no\s+help|(?:not|never)\s+(?:helping|helpful|any\s+help))"
)
_ADVICE = r"(?:advice|answers?|repl(?:y|ies)|responses?|suggestions?|ideas?|help|tips?)"
_COMPLAINT = re.compile(
    r"\b(?:you'?re|you\s+are|ur|u\s+r|you)\s+(?:so\s+|really\s+|completely\s+|totally\s+"
    rf"|fucking\s+|such\s+an?\s+|an?\s+|just\s+an?\s+|absolutely\s+)?{_BAD}\b"
    r"|\b(?:you|u)\s+(?:suck|are\s+not\s+helping|aren'?t\s+helping|don'?t\s+help|never\s+help)\b"
    r"|\b(?:stupid|useless|dumb|worthless)\s+(?:bot|ai|app|machine)\b"
    r"|\bf(?:uck|\*+k|ck)\s+(?:you|u|off)\b|\bscrew\s+you\b|\bstfu\b"
    r"|(?:^|[.!?,;]\s*)(?:just\s+|please\s+|oh\s+)?shut\s+up\b(?!\s+and\b)"
    rf"|\b(?:this|that|it)(?:'s|\s+is|\s+was)\s+(?:such\s+|just\s+|more\s+|really\s+)?(?:an?\s+)?"
    rf"(?:{_BAD}|bad|lame|generic)\s+{_ADVICE}\b"
    rf"|\b(?:your|ur|this|that)\s+{_ADVICE}\s+(?:is|are|was|were|'s|sucks?)\s+"
    rf"(?:so\s+|really\s+|completely\s+|totally\s+|just\s+)?(?:{_BAD}|bad|lame|generic|wrong)\b"
    rf"|\b(?:worst|most\s+useless)\s+{_ADVICE}\b",
    re.IGNORECASE,
)
_VERDICT = re.compile(
    r"\s*(?:(?:(?:this|that|it)(?:'s|\s+is|\s+was)\s+)?(?:so\s+|totally\s+|completely\s+"
    r"|absolutely\s+)?(?:useless|garbage|trash|rubbish|pointless|worthless|unhelpful"
    r"|not\s+helpful|not\s+helping|no\s+help)"
    r"|(?:this|that|it)\s+(?:isn'?t|is\s+not|wasn'?t|was\s+not)\s+(?:helping|helpful|any\s+help))"
    r"(?:\s+at\s+all)?[\s.!?]*",
    re.IGNORECASE,
)


def complaint(text: str) -> bool:
    """The message disparages the reply before or insults the mentor (_COMPLAINT), or is only
    a verdict on it (_VERDICT)."""
    said = canonical_text(text)
    return bool(_COMPLAINT.search(said) or _VERDICT.fullmatch(said))
