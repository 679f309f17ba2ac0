"""What caring work exposes them to, and its toll (a crisis line, moderation, nursing): a
debrief, supervision, peer support, limits on exposure; not steps for a task."""

from __future__ import annotations

import re

from common.text import canonical_text

# What caring work exposes them to, weighing on them (the creative review: "I volunteer on a
# crisis line, any tips for not taking it home?" got "review your notes for five minutes", and
# no reply named a debrief, supervision, peer support or an employee assistance programme): a
# role that meets others' crises, what it brings them (calls, posts, patients, a shift), and
# its toll (coping, nightmares, numbness, taking it home). Not "how do I cope with my nursing
# exams?" (no calls, patients or shifts).
_CARING_ROLE = (
    r"\b(?:volunteer\w*|moderat(?:or|ors|e|es|ing)|nurs(?:e|es|ing)|paramedics?|dispatchers?"
    r"|counsell?or\w*|counsell?ing|social\s+workers?|first\s+responders?|hospice)\b"
)
_EXPOSED_TO = (
    r"\b(?:calls?|callers?|posts?|content|videos?|clients?|patients?|shifts?|cases?|deaths?"
    r"|crisis\s+line|helpline|hotline)\b"
)
_TOLL = (
    r"\b(?:cope|coping|nightmares?|numb|(?:taking|take|takes|bring|bringing)\s+it\s+home"
    r"|switch(?:ing)?\s+off|stuck\s+with\s+me|can'?t\s+stop\s+thinking|wearing\s+me\s+down"
    r"|burn(?:ed|t|ing)?\s*out|haunt\w*|compassion\s+fatigue|vicarious|secondary\s+trauma)\b"
)
_EXPOSURE = re.compile(
    rf"^(?=.*{_CARING_ROLE})(?=.*{_EXPOSED_TO})(?=.*{_TOLL})", re.IGNORECASE | re.DOTALL
)


def occupational_exposure(text: str) -> bool:
    """The message speaks of what caring work exposes them to, and its toll (_EXPOSURE): a
    debrief, supervision, peer support, limits on exposure; not steps for a task."""
    return _EXPOSURE.search(canonical_text(text)) is not None
