"""The reply to a terminal prognosis the user states of themselves (common.analysis.prognosis:
"I've been given 6 months to live, what do I do with my career" got "Option A: run a small,
reversible test", "it's palliative now" "put the facts ... in writing"): fixed and
persona-independent, as the lived experience reply is. It acknowledges, gives no steps, names
the palliative care team and the locale's cancer-support line for work and money where there
is one (common.support_lines), and says once, gently, that the crisis lines are
there: listed when the model alone flagged the message (common.analysis.with_model), said
otherwise. English only, as the prognosis is read."""

from __future__ import annotations

_ACKNOWLEDGE = (
    "I'm so sorry. That is an enormous thing to be living with, and whatever you're feeling "
    "about it is okay. Your palliative care team is there for much more than symptoms: for "
    "planning, for practical and money worries, and for the people close to you too."
)
_LINES = " If it ever feels like too much to carry, these lines are there for you, any time:\n"
_LINE = " If it ever feels like too much to carry, a crisis line is there for you, any time."
_HERE = "I'm here whenever you want to talk, about any of it, work included, at your own pace."


def end_of_life_reply(support: tuple[str, ...], resources: tuple[str, ...] = ()) -> str:
    """The reply, with the `support` lines (SupportLines.cancer) and the crisis `resources`
    listed, if any (else the crisis lines named once)."""
    said = _ACKNOWLEDGE + "".join(f" {line}" for line in support)
    if not resources:
        return f"{said}{_LINE} {_HERE}"
    listed = "\n".join(f"• {r}" for r in resources)
    return f"{said}{_LINES}{listed}\n{_HERE}"
