"""A persona asked for, or said no to, in the message itself ("can I talk to Elro?", "not Riri
again"): the legacy endpoint has no persona field, so typing is its clients' only way (pure).

Only request wording counts: "I want to learn Lua", "my nana" or "a Lua script" name no
persona. English, and the common German, French, Spanish and Portuguese phrasings."""

from __future__ import annotations

import re

from common.personas import PERSONAS
from common.plain_text import as_seen

# Each persona's name and id, as the user may type them ("Elro", "elro").
_NAMES = {name.lower(): p.id for p in PERSONAS.values() for name in (p.name, p.id)}
_NAME = "(?P<name>" + "|".join(map(re.escape, sorted(_NAMES, key=len, reverse=True))) + r")\b"
_PLEASE = r"(?:please|pls|plz|bitte|por\s+favor|s'il\s+(?:te|vous)\s+pla[iî]t)"
# What may follow the name up to the end of the clause: "Riri please", "Lua back", "Elro?",
# "Riri, she's too pushy"; not "Lua script", "Lua 5.4", "Nana's house", "Lua for modding".
_FOLLOW = (
    rf"{_PLEASE}|again|instead(?:\s+of\s+\w+)?|back|now|today|this\s+time|anymore|any\s+more"
    r"|for\s+(?:now|a\s+(?:bit|while)|this\s+one)|wieder|nochmal|mehr|encore|de\s+nuevo"
    r"|otra\s+vez|de\s+novo|outra\s+vez"
)
_CLAUSE_END = r"(?:$|\.(?!\w)|[^\w\s'\-/.])"  # the end, a full stop, a comma, "?", an emoji...
_AFTER = rf"(?=\s*(?:(?:{_FOLLOW})\b\s*)*{_CLAUSE_END})"
_CLAUSE_START = r"(?:^|(?<=[.,!?;:\n]))\s*(?:(?:ok(?:ay)?|so|hey|hi|and|just)\b[\s,]*)?"

# {N}: the name. Each pattern must be followed by _AFTER.
_WANTED = (
    r"\b(?:talk|speak|chat)\s+(?:to|with)\s+{N}",
    r"\b(?:switch|change|swap|move|go)\s+(?:back\s+)?(?:over\s+)?to\s+{N}",
    r"\b(?:can|could|may)\s+(?:i|we)\s+(?:have|get|try)\s+{N}",
    r"\bi\s+(?:want|wanna|prefer|need)\s+{N}",  # not "I like Lua": a language
    r"\b(?:i'd|i\s+would)\s+(?:like|prefer|rather(?:\s+have)?)\s+{N}",
    r"\b(?:give\s+me|let\s+me\s+have|bring(?:\s+back)?)\s+{N}",
    rf"\b{_PLEASE},?\s+{{N}}",
    rf"{_CLAUSE_START}{{N}},?\s*{_PLEASE}",  # "Riri please", "ok, Lua bitte"
    r"\b(?:mit|zu)\s+{N}\s+(?:sprechen|reden|wechseln)",
    r"\bich\s+(?:will|möchte|moechte|hätte\s+gern|haette\s+gern)\s+(?:mit\s+)?{N}",
    r"\bgib\s+mir\s+{N}",
    r"\bparler\s+(?:à|a|avec)\s+{N}",
    r"\bje\s+(?:veux|voudrais|préfère|prefere)\s+{N}",
    r"\bpasse[rz]?[\s-]*moi\s+{N}",
    r"\b(?:hablar|falar)\s+co[nm]\s+(?:(?:a|o)\s+)?{N}",
    r"\b(?:quiero|quero|dame)\s+(?:(?:a|o)\s+)?{N}",
)
_REFUSED = (
    r"\bnot\s+(?:again\s+)?{N}",  # "not Riri again", "not again, Riri"
    r"\bno\s+more\s+{N}",
    r"\benough\s+(?:of\s+)?{N}",
    r"\b(?:don't|dont|do\s+not)\s+want\s+{N}",
    r"\bnicht\s+(?:schon\s+)?(?:wieder\s+)?(?:mit\s+)?{N}",
    r"\bkein(?:e|en)?\s+{N}\s+mehr",
    r"\b(?:pas|plus\s+de)\s+(?:encore\s+)?{N}",
    r"\bno\s+(?:quiero|más|mas)\s+(?:(?:a|o)\s+)?{N}",
    r"\bnão\s+(?:quero\s+)?(?:mais\s+)?(?:(?:a|o)\s+)?{N}",
    r"\bchega\s+de\s+{N}",
)


def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p.replace("{N}", _NAME) + _AFTER, re.IGNORECASE) for p in patterns)


_WANTED_RES, _REFUSED_RES = _compiled(_WANTED), _compiled(_REFUSED)


def _named(patterns: tuple[re.Pattern[str], ...], text: str) -> list[tuple[int, str]]:
    """Where each match names a persona, and which: earliest first."""
    found = {
        (m.start("name"), _NAMES[m["name"].lower()]) for p in patterns for m in p.finditer(text)
    }
    return sorted(found)


def persona_request(text: str) -> tuple[str | None, str | None]:
    """(the persona the message asks for, the one it says no to): persona ids or None, the
    first named of each. "not Riri again. can I talk to Elro?" is ("elro", "riri"); a persona
    both asked for and refused is refused only."""
    text = as_seen(text)
    refused = next((pid for _, pid in _named(_REFUSED_RES, text)), None)
    wanted = next((pid for _, pid in _named(_WANTED_RES, text) if pid != refused), None)
    return wanted, refused
