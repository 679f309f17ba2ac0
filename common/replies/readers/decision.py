"""A decision asked about ("should I", "whether to", "is it ok to"): the cue before a step that
is a professional's to weigh in on (readers.professional) or a risk in recovery
(readers.recovery)."""

from __future__ import annotations

# A few words may come between the cue and the step ("should I just stop taking my meds").
_CUE = (
    r"\b(?:(?:should|shall|can|could|do|must)\s+i|whether\s+(?:to|i\s+should)"
    r"|is\s+it\s+(?:ok|okay|safe|fine|bad|wise|smart|a\s+good\s+idea)\s+(?:to|if\s+i)"
    r"|thinking\s+(?:of|about)|i\s+(?:want|plan)\s+to)\s+(?:[\w'-]+\s+){0,4}?"
)
