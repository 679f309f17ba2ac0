"""Lines for LGBTQ+ people (data/lgbtq_resources.json), listed with the crisis, violence and
care lines when a message names a sexuality or gender identity, named by the template's reply
to conversion practices and by Gemini's identity rule, and vouched for by the reply vet: the
locale's, read by the crisis lines' rules, or none."""

from __future__ import annotations

import re
from pathlib import Path

from common.locale_lines import locale_lines
from common.text import canonical_text

LGBTQ_FILE = Path(__file__).parent / "data" / "lgbtq_resources.json"

# A sexuality or gender identity named (the LGBTQ+ review: "my dad found out I'm gay and hit
# me" got no line that knows what that is). "bi" not before a hyphen ("bi-weekly"), "trans" a
# whole word ("transferred" is not), coming out only to someone or as something ("the results
# came out" is not).
_IDENTITY = re.compile(
    r"\b(?:gay|lesbian|bi(?!-)|bisexual|queer|pansexual|asexual|trans|transgender|non-?\s?binary"
    r"|enby|genderqueer|genderfluid|intersex|lgbt\w*|dysphori\w*|outed"
    r"|(?:my|her|his|their)\s+(?:sexuality|sexual\s+orientation|gender\s+identity)"
    r"|c(?:ame|oming)\s+out\s+(?:to\s+(?:my|our|his|her|their|the|them|him|everyone)|as))\b",
    re.IGNORECASE,
)


def names_identity(*texts: str) -> bool:
    """One of `texts` names a sexuality or gender identity (_IDENTITY)."""
    return any(_IDENTITY.search(canonical_text(text)) for text in texts)


def lgbtq_lines(locale: str | None, *, default_locale: str) -> tuple[str, ...]:
    """The request's locale's lines (lines_key's rules; the default locale when it names
    none); () when there are none for it."""
    return locale_lines(LGBTQ_FILE, locale, default_locale=default_locale)
