"""The lines a crisis reply lists for the request's locale (crisis resources, violence at home,
poisoning), the emergency line among them and the "call 911 now" said from it, and the order a
crisis's kinds put them in: the emergency number first when no one's thoughts are in it."""

from __future__ import annotations

import re
from collections.abc import Set

from common.analysis.safety import EMERGENCY, TAKEN
from common.safety.locales import entry_in, lines_in, lines_key
from common.safety.tables import _poison, _resources, _violence

_DIRECTORY = "findahelpline"  # the global directory of helplines by country, in "default"


def resources_for(
    locale: str | None, *, default_locale: str, language: str | None = None
) -> tuple[str, ...]:
    """The resources of the request's locale (lines_key, `language` its crisis's). The default
    locale only when the request names none (a user in Brazil or Mexico must not be given the
    US or Spain's numbers); then with the global helpline directory too, as nothing says the
    user lives there (native apps often send no Accept-Language)."""
    key = lines_key(locale, default_locale=default_locale, language=language)
    resources = _resources()[key]
    if locale is not None or any(_DIRECTORY in line for line in resources):
        return resources
    return resources + tuple(line for line in _resources()["default"] if _DIRECTORY in line)


def violence_key(
    locale: str | None, *, default_locale: str, language: str | None = None
) -> str | None:
    """The entry of the violence lines the request's locale reads (lines_key's rules, the
    default locale only when it names none); None when there is none for it."""
    return entry_in(_violence, locale, default_locale=default_locale, language=language)


def violence_resources_for(
    locale: str | None, *, default_locale: str, language: str | None = None
) -> tuple[str, ...]:
    """The lines for violence at home of the request's locale (violence_key); () when none."""
    return lines_in(_violence, locale, default_locale=default_locale, language=language)


def poison_key(
    locale: str | None, *, default_locale: str, language: str | None = None
) -> str | None:
    """The entry of the poison lines the request's locale reads (lines_key's rules, the default
    locale only when it names none); None when there is none for it."""
    return entry_in(_poison, locale, default_locale=default_locale, language=language)


def poison_resources_for(
    locale: str | None, *, default_locale: str, language: str | None = None
) -> tuple[str, ...]:
    """The lines for poisoning and urgent medical advice of the request's locale (poison_key);
    () when none."""
    return lines_in(_poison, locale, default_locale=default_locale, language=language)


# The line of a crisis entry that gives the emergency number, in each language of the
# resources ("If you are in immediate danger in the US, call 911", "Bei akuter Gefahr ...").
_EMERGENCY = re.compile(
    r"immediate danger|akuter Gefahr|danger immédiat|peligro inmediato|"
    r"perigo imediato|緊急"
)


def emergency_line(resources: tuple[str, ...]) -> str | None:
    """The line of `resources` that gives the emergency number (_EMERGENCY); None when none."""
    return next((line for line in resources if _EMERGENCY.search(line)), None)


def local_help(
    locale: str | None, *, default_locale: str, language: str | None = None
) -> tuple[str, ...]:
    """What any reply may tell the user to call now, for the request's locale: its emergency line
    (the global one's, "such as 112 in Europe or 911 in the US and Canada", when the locale's
    names no number: `en`), then its lines for poisoning and urgent care (NHS 111)."""
    line = emergency_line(resources_for(locale, default_locale=default_locale, language=language))
    if line is None or not re.search(r"\d", line):
        line = emergency_line(_resources()["default"])
    poison = poison_resources_for(locale, default_locale=default_locale, language=language)
    return (*((line,) if line else ()), *poison)


_OPEN, _CLOSE = "(（", ")）"


def _numbers_of(line: str) -> tuple[str | None, str | None]:
    """What an emergency line gives to call: its numbers ("911", "112 or 999", "192 (SAMU) ou
    190 (polícia)", "119（救急）または 110（警察）"), or, when it gives them only as examples in
    brackets ("your local emergency number (such as 112 in Europe ...)"), those examples, as
    (numbers, None) or (None, examples); (None, None) when it gives none."""
    first = re.search(r"\d", line)
    if first is None:
        return None, None
    before = line[: first.start()]
    if sum(ch in _OPEN for ch in before) > sum(ch in _CLOSE for ch in before):
        start = max(before.rfind(ch) for ch in _OPEN) + 1
        depth, end = 1, start
        while end < len(line) and depth:
            depth += (line[end] in _OPEN) - (line[end] in _CLOSE)
            end += 1
        return None, line[start : end - 1 if not depth else end].strip()
    span = re.search(r"\d.*[\d)）]", line[first.start() :]).group()  # type: ignore[union-attr]
    while span[-1] in _CLOSE and sum(c in _OPEN for c in span) < sum(c in _CLOSE for c in span):
        span = span[:-1].rstrip()  # the line's own bracket, not one of the numbers'
    return span, None


# "call 911 now" in each language of the crisis replies: {number}, the emergency line's numbers;
# with none but examples in brackets, the local number with them ({examples}); else alone.
_CALL_NOW: dict[str, tuple[str, str]] = {
    "en": ("call {number} now", "call your local emergency number{examples} now"),
    "de": ("ruf sofort den Notruf an ({number})", "ruf sofort den örtlichen Notruf an{examples}"),
    "fr": (
        "appelez tout de suite le {number}",
        "appelez tout de suite le numéro d'urgence local{examples}",
    ),
    "es": (
        "llama ahora mismo al {number}",
        "llama ahora mismo al número de emergencias local{examples}",
    ),
    "pt": ("ligue já para o {number}", "ligue já para o número de emergência local{examples}"),
    "ja": (
        "今すぐ{number}に電話してください",
        "今すぐ現地の緊急通報番号{examples}に電話してください",
    ),
}


def call_now(resources: tuple[str, ...], language: str = "en") -> str:
    """The clause that tells the user to call the emergency number of `resources` now, in
    `language` (English if there is none in it): "call 911 now", "call your local emergency
    number (such as 112 in Europe or 911 in the US and Canada) now" (the global line's examples
    when `resources` name no number)."""
    number, local = _CALL_NOW.get(language, _CALL_NOW["en"])
    found, examples = _numbers_of(emergency_line(resources) or "")
    if not (found or examples):  # `en` names none: the global line's examples
        found, examples = _numbers_of(emergency_line(_resources()["default"]) or "")
    if found:
        return number.format(number=found)
    aside = "" if not examples else f"（{examples}）" if language == "ja" else f" ({examples})"
    return local.format(examples=aside)


# The kinds that are no one's thoughts of suicide or self-harm: an emergency read with only these
# lists no crisis line (the emergency review: a heart attack was answered around 988); forced
# labour (exploitation) gets the emergency line first.
_NO_THOUGHTS = frozenset({EMERGENCY, "danger", "violence", "third_party_violence", "exploitation"})


def crisis_lines(
    resources: tuple[str, ...],
    *,
    kinds: Set[str],
    tags: Set[str] = frozenset(),
    poison: tuple[str, ...] = (),
    violence: tuple[str, ...] = (),
) -> tuple[str, ...]:
    """The crisis list as a crisis's pattern `kinds` and `tags` show it (with the locale's
    `poison` and `violence` lines): for an emergency, its emergency line, the poison lines when
    something was swallowed or taken, the lines for violence at home, and the rest only when
    thoughts of suicide or self-harm were read too; for something taken (an overdose, "took 20
    pills"), or danger with no one's thoughts in it ("someone is breaking in, I'm in danger"),
    the emergency line first (and the poison lines), then the rest (the review: 911 was listed
    after 988 and the text line); else with_violence_lines'."""
    listed = with_violence_lines(resources, violence)
    line = emergency_line(resources)
    first = (*((line,) if line else ()), *(poison if TAKEN in tags else ()))
    if EMERGENCY in kinds and not kinds - _NO_THOUGHTS:
        return tuple(dict.fromkeys((*first, *violence)))
    if TAKEN in tags or (kinds and kinds <= _NO_THOUGHTS):
        return tuple(dict.fromkeys((*first, *listed)))
    return listed


def with_violence_lines(resources: tuple[str, ...], violence: tuple[str, ...]) -> tuple[str, ...]:
    """The crisis list for someone hurt by another person: its emergency line, then the lines
    for violence at home, then the rest of it, each once; the list as it was when there are
    no violence lines."""
    if not violence:
        return resources
    emergency = tuple(line for line in resources if _EMERGENCY.search(line))[:1]
    return tuple(dict.fromkeys((*emergency, *violence, *resources)))
