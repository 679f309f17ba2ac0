"""Words that say the user means to act, or to try again: "Survived an attempt in May... waiting
for a better chance to finish it". Whatever frame a message puts on its crisis words (told of the
past, a prognosis, intrusive thoughts said as unwanted), these leave the crisis standing: the
persona model's flag is not overridden (common.analysis.with_model) and the patterns' reading is
not taken for lived experience (common.analysis.recovery.present_risk).

Narrow on purpose: each needs an act to finish, a time to do it right or a regret at surviving,
as "waiting for the right time to ask for a raise" or "I want to do it properly" do not. Read on
text as common.analysis.safety.normalise leaves it (lowercase, apostrophes dropped, only words
and . ! ?). English only, as the words are; pure."""

from __future__ import annotations

import re

_ACUTE = re.compile(
    # A chance, a time or the nerve to finish or end it; a will to finish the job or end it.
    r"\b(?:chance|time|moment|opportunity|nerve|courage|guts|strength|way) to (?:finish|end)"
    r" (?:it|this|things|the job|what i started|myself|me off|my life)\b"
    r"|\b(?:ill|i will|going to|gonna|want to|wanna|planning to|plan to|need to|try to)"
    r" (?:finish (?:the job|what i started|myself|me off)|end (?:it|things|myself|my life))\b"
    r"|\b(?:finish|end) (?:it|the job|things|myself) (?:properly|for good|this time|next time)\b"
    r"|\bgo(?:ing|nna)? through with it\b"
    # Doing it right next time.
    r"|\b(?:do|get) it (?:right|properly) (?:this|next) time\b"
    r"|\bnext time\b[^.!?]*\b(?:properly|wont (?:fail|survive|wake|mess))\b"
    # A regret at having survived.
    r"|\b(?:unfortunately|sadly|annoyingly|stupidly) (?:i )?(?:survived|woke up)\b"
    r"|\b(?:survived|woke up)\b(?: \w+){0,5} (?:unfortunately|sadly)\b"
    r"|\bwish (?:it had|it would have|the \w+ had|i had|id) (?:worked|died|succeeded"
    r"|not survived|not woken up)\b"
    r"|\bwish i (?:didnt|hadnt|did not|had not) (?:survive|survived|wake up|woken up|make it"
    r"|made it)\b"
    r"|\b(?:attempt|overdose|pills) (?:didnt|did not|failed to) (?:work|kill me)\b"
    r"|\bit (?:didnt|did not|failed to) kill me\b"
)


def means_to_act(said: str) -> bool:
    """A normalised message says the user means to act, or to try again (_ACUTE)."""
    return _ACUTE.search(said) is not None
