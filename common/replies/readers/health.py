"""Health limits: a chronic illness or disability that limits their energy or what they can
do, met with pacing, not a push to do more."""

from __future__ import annotations

import re

from common.text import canonical_text

# A chronic illness or disability that limits their energy or what they can do (the review:
# "my fibromyalgia flared up again" got "Ugh, frustrating! Let's turn that energy into action.",
# "I'm having a flare and can't do anything today" Riri's "cut it down to size, fast", ME/CFS
# "25 focused minutes"). "MS" only in capitals after a word that makes it the illness (not
# "MS Teams"); a flare not of a lens or the sun.
_HEALTH_LIMITS = re.compile(
    r"\b(?:(?<!lens\s)(?<!solar\s)flare(?:[sd]|-?ups?)?|flaring(?:\s+up)?"
    r"|chronic(?:ally)?\s+(?:pain|ill\w*|fatigue|condition|migraines?|tired)"
    r"|me\s*/\s*cfs|cfs|long\s+covid|fibro(?:myalgia)?|lupus|multiple\s+sclerosis"
    r"|(?:my|with|have|has|of)\s+(?-i:MS)|arthritis|wheelchairs?|disabled|disabilit(?:y|ies)"
    # "I'm 85 and housebound" got "Step outside for a ten-minute walk" (the loneliness review)
    r"|house-?bound|bed-?bound|bedridden"
    # The illness review: "I'm deaf and video interviews are hell", "my diabetes means I need
    # breaks, my manager says no" got "Ugh, frustrating!", "my cancer is back" a ten-minute walk.
    # Not "blind to", "blind spot", "fell on deaf ears", "a stroke of luck", "my dad's cancer".
    r"|(?:i'?m|i\s+am|being|partially|profoundly|registered|legally|severely|going)\s+"
    r"(?:deaf|blind)\b(?!\s+(?:spot|date|review|copy|to)\b)|deafness|hard\s+of\s+hearing"
    r"|hearing\s+(?:loss|aids?|impair\w*)|visually\s+impaired|sight\s+loss|low\s+vision"
    r"|epilep\w*|diabet\w*|crohn'?s|colitis|endometriosis|migraines?"
    r"|(?:a|my)\s+(?:mild\s+|minor\s+|major\s+|small\s+)?stroke\b(?!\s+(?:of|technique)\b)"
    r"|chemo(?:therapy)?|radiotherapy|my\s+(?:\w+\s+)?cancer"
    r"|i\s+(?:have|'ve\s+got|have\s+got)\s+(?:\w+\s+)?cancer|living\s+with\s+cancer"
    r"|my\s+(?:depression|anxiety|illness|condition|pain|fatigue)\s+(?:\w+\s+)?"
    r"(?:makes?|making|means?|stops?|leaves?))\b",
    re.IGNORECASE,
)


def health_limits(text: str) -> bool:
    """The message speaks of a chronic illness or disability that limits what they can do
    (_HEALTH_LIMITS): pacing, not a push to do more."""
    return _HEALTH_LIMITS.search(canonical_text(text)) is not None
