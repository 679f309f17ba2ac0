"""What the product does for a user in crisis: resources for their locale and one calm reply
that does not depend on the persona (and never on a language model's improvisation)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Set
from functools import cache
from pathlib import Path
from typing import Literal

from common.analysis.recovery import PRESENT_RISK
from common.analysis.safety import (
    ABOUT_OTHERS,
    EMERGENCY,
    HIDE,
    LEAVE,
    TAKEN,
    assess_safety,
    crisis_kinds,
    lived_experience,
    load_rules,
    normalise,
    only_about_others,
    says_it_of_themselves,
)

RESOURCES_FILE = Path(__file__).parent / "data" / "crisis_resources.json"
# The lines for violence at home, read by the same rules (resource_key), for a crisis turn
# whose patterns say someone hurts the user (kind "violence").
VIOLENCE_FILE = Path(__file__).parent / "data" / "violence_resources.json"
# The lines for poisoning and urgent medical advice (NHS 111), read by the same rules, for an
# emergency or a crisis whose patterns say something was swallowed or taken (tag "taken").
POISON_FILE = Path(__file__).parent / "data" / "poison_resources.json"

Table = dict[str, tuple[str, ...]]


def _read(path: Path) -> Table:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {k.lower(): tuple(v) for k, v in raw.items() if not k.startswith("_")}


@cache
def _resources() -> Table:
    return _read(RESOURCES_FILE)


@cache
def _violence() -> Table:
    return _read(VIOLENCE_FILE)


@cache
def _poison() -> Table:
    return _read(POISON_FILE)


@cache
def resources_version() -> str:
    """The resources file's version as a crisis event records it (the first 12 hex digits of
    its sha256): with resource_key it names the lines a user was shown, whatever the file
    says since."""
    return hashlib.sha256(RESOURCES_FILE.read_bytes()).hexdigest()[:12]


@cache
def violence_version() -> str:
    """The violence lines' file's version, as resources_version."""
    return hashlib.sha256(VIOLENCE_FILE.read_bytes()).hexdigest()[:12]


UNDETERMINED = "und"  # BCP 47's tag for "a language was named, but not one we can read"


# A q of 0 in Accept-Language means "not acceptable" (RFC 9110 12.4.2): no locale of theirs.
_REFUSED = re.compile(r";\s*q\s*=\s*0(?:\.0{0,3})?\s*(?:;|$)", re.IGNORECASE)


def parse_locale(accept_language: str | None) -> str | None:
    """The first usable language tag of an Accept-Language header ("en-GB,en;q=0.8" ->
    "en-GB"), also as apps write it ("en_GB", "en_GB.UTF-8"); None when there is no header, and
    UNDETERMINED when there is one but no tag in it can be read ("*"): that user must not be
    taken for one in the default locale. A tag with q=0 is refused, not theirs. When the first
    names no country, a later tag of the same language that does is taken: browsers send the
    UI language first ("fr,fr-FR;q=0.8" -> "fr-FR"), and only the country has its helplines;
    another language's country is not the user's ("de,en-US" stays "de")."""
    if not accept_language or not accept_language.strip():
        return None
    tags = []
    for item in accept_language.split(","):
        if _REFUSED.search(item):
            continue
        tag = item.split(";")[0].strip().replace("_", "-").split(".")[0].split("@")[0]
        if 1 < len(tag) <= 35 and tag.replace("-", "").isalnum():
            tags.append(tag)
    if not tags:
        return UNDETERMINED
    first = tags[0]
    if _region(first) is None:
        language = first.split("-")[0].lower()
        for later in tags[1:]:
            if later.split("-")[0].lower() == language and _region(later):
                return later
    return first


def _region(locale: str) -> str | None:
    """The region subtag of a language tag: "en-Latn-GB" -> "gb", "es-419" -> "419"."""
    for part in locale.lower().split("-")[1:]:
        if len(part) == 1:  # an extension or private use ("-u-ca-gregory") follows
            return None
        if (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            return part
    return None


@cache
def _by_region(table: Callable[[], Table]) -> Table:
    """A table's keys by their region subtag ("gb": ("en-gb",)), once."""
    keys: dict[str, list[str]] = {}
    for key in sorted(table()):
        if region := _region(key):
            keys.setdefault(region, []).append(key)
    return {region: tuple(found) for region, found in keys.items()}


def resource_key(locale: str, table: Callable[[], Table] = _resources) -> str:
    """The entry of the resources (or of another table of lines, such as _violence) a locale
    reads: the exact locale; then another language's entry for the same country (a Spanish
    speaker in the US is better served by 988 than by a line for Spanish speakers in general);
    then the language; then "default", the global one."""
    entries = table()  # keyed in lowercase
    locale = locale.lower()
    language, region = locale.split("-")[0], _region(locale)
    same_country = _by_region(table).get(region, ()) if region else ()
    for candidate in (locale, f"{language}-{region}", *same_country, language):
        if candidate in entries:
            return candidate
    return "default"


_DIRECTORY = "findahelpline"  # the global directory of helplines by country, in "default"


def lines_key(
    locale: str | None,
    *,
    default_locale: str,
    language: str | None = None,
    table: Callable[[], Table] = _resources,
) -> str:
    """The entry of the resources (or of _violence) a request reads: resource_key of its
    locale, the default locale only when it names none. `language`, a crisis's as its patterns
    tell (Safety.language), comes first in the locale's country ("Quiero morir." under en-US:
    es-US, 988 in Spanish); then, where the request names a country, the locale's entries as
    ever (fr-CA's before en-CA's for Spanish in Canada); else the language's own (死にたい with
    no header: ja, not the default locale's en-US, whose country nothing says is theirs)."""
    own = locale or default_locale
    if language is None:
        return resource_key(own, table)
    region = _region(own)
    if region and f"{language}-{region}" in table():
        return f"{language}-{region}"
    if locale is not None and region:
        return resource_key(locale, table)
    return resource_key(language, table)


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
    key = lines_key(locale, default_locale=default_locale, language=language, table=_violence)
    return key if key in _violence() else None


def violence_resources_for(
    locale: str | None, *, default_locale: str, language: str | None = None
) -> tuple[str, ...]:
    """The lines for violence at home of the request's locale (violence_key); () when none."""
    key = violence_key(locale, default_locale=default_locale, language=language)
    return _violence()[key] if key else ()


def poison_key(
    locale: str | None, *, default_locale: str, language: str | None = None
) -> str | None:
    """The entry of the poison lines the request's locale reads (lines_key's rules, the default
    locale only when it names none); None when there is none for it."""
    key = lines_key(locale, default_locale=default_locale, language=language, table=_poison)
    return key if key in _poison() else None


def poison_resources_for(
    locale: str | None, *, default_locale: str, language: str | None = None
) -> tuple[str, ...]:
    """The lines for poisoning and urgent medical advice of the request's locale (poison_key);
    () when none."""
    key = poison_key(locale, default_locale=default_locale, language=language)
    return _poison()[key] if key else ()


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


def _sentence(clause: str, language: str) -> str:
    return clause + "。" if language == "ja" else clause[:1].upper() + clause[1:] + "."


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


# Harm to others (kind harm_to_others: "I'm going to kill my wife tonight", "I shook the baby"):
# its lines, its reply and its question, apart from the user's own crisis.
HARM_FILE = Path(__file__).parent / "data" / "harm_to_others_resources.json"


def _harm_section(name: str) -> Table:
    raw = json.loads(HARM_FILE.read_text(encoding="utf-8"))[name]
    return {k.lower(): tuple(v) for k, v in raw.items()}


@cache
def _harm_own() -> Table:
    return _harm_section("own_behaviour")


@cache
def _harm_child() -> Table:
    return _harm_section("child")


# A child named in the message, in each language of the crisis patterns: the child line is
# listed then. The German "Kind" only after a determiner ("kind of" is English).
_CHILD = re.compile(
    r"\b(?:bab(?:y|ies)|newborn|infant|toddler|sons?|daughters?|kids?|child(?:ren)?|stepson"
    r"|stepdaughter|little one|\d+ (?:year|month|week) old|(?:mein|meine|das|unser|unsere) "
    r"(?:\w+ )?kind(?:er)?|sohn|tochter|s[äa]ugling|b[ée]b[ée]s?|enfants?|fils|filles?"
    r"|nourrisson|hij[oa]s?|ni[ñn][oa]s?|beb[eê]s?|filh[oa]s?|crian[çc]as?|nen[ée]m)\b"
    r"|赤ちゃん|子ども|子供|息子|娘"
)


def involves_child(*texts: str) -> bool:
    """One of the texts names a child ("the baby", "my son", "mein Kind"): the harm lines then
    list the locale's child-protection line."""
    return any(_CHILD.search(normalise(text)) for text in texts)


def harm_resources_for(
    locale: str | None, *, default_locale: str, language: str | None = None, child: bool = False
) -> tuple[str, ...]:
    """The lines for harm to others of the request's locale (lines_key's rules): for people
    worried about their own behaviour, then, when a `child` is involved, the child-protection
    line; () when there is none for it."""
    lines: list[str] = []
    for table in (_harm_own, _harm_child) if child else (_harm_own,):
        key = lines_key(locale, default_locale=default_locale, language=language, table=table)
        lines.extend(table().get(key, ()))
    return tuple(lines)


def with_harm_lines(resources: tuple[str, ...], harm: tuple[str, ...]) -> tuple[str, ...]:
    """The crisis list for harm to others: its emergency line, then the lines for harm to
    others, then the rest of it, each once (with_violence_lines' order)."""
    return with_violence_lines(resources, harm)


def harm_sign_lines(resources: tuple[str, ...], harm: tuple[str, ...]) -> tuple[str, ...]:
    """For a message the harm patterns read below the crisis threshold: the emergency line of
    the crisis list `resources`, then the lines for harm to others, not the whole list."""
    emergency = tuple(line for line in resources if _EMERGENCY.search(line))[:1]
    return tuple(dict.fromkeys((*emergency, *harm)))


# The crisis reply in each language that both the crisis patterns and the resources read
# (common/analysis/safety_phrases.json, data/crisis_resources.json): a user who wrote "ich will
# nicht mehr leben" is answered in German around German lines, not in English. Any other
# language gets English. Each has the first reply, the one for a no to its question, and the
# question the first one ends with; {resources} is the list. The follow-up says they may not
# be safe, not that they are not: answers_not_safe reads "not sure" and "help" as a no too.
CRISIS_REPLIES: dict[str, tuple[str, str, str]] = {
    "en": (
        "I'm really glad you told me, and I'm taking what you said seriously. What you're "
        "carrying sounds very heavy, and you deserve support from a person right now, not only "
        "from an app.\n{resources}\nIf you can, reach out to someone you trust and let them know "
        "how you're feeling. I'm here with you, and we can keep talking.",
        "Thank you for answering me. I'm still here with you, and your safety matters most to "
        "me right now.\n{resources}\nSince you may not be safe right now, please contact one of "
        "them now, or someone you trust nearby. If you might act on these thoughts, call your "
        "local emergency number now. Would you like to tell me a little more about how you're "
        "doing?",
        "Are you safe right now?",
    ),
    "de": (
        "Ich bin wirklich froh, dass du es mir erzählt hast, und ich nehme ernst, was du sagst. "
        "Was du gerade mit dir herumträgst, klingt sehr schwer, und du verdienst jetzt "
        "Unterstützung von einem Menschen, nicht nur von einer App.\n{resources}\nWenn du "
        "kannst, wende dich an "
        "jemanden, dem du vertraust, und erzähl, wie es dir geht. Ich bin für dich da, und wir "
        "können weiterreden.",
        "Danke, dass du mir geantwortet hast. Ich bin immer noch für dich da, und deine "
        "Sicherheit ist mir gerade das Wichtigste.\n{resources}\nWeil du gerade vielleicht nicht "
        "in Sicherheit bist, melde dich bitte jetzt bei einer dieser Stellen oder bei jemandem in "
        "deiner Nähe, dem du vertraust. Wenn du fürchtest, diesen Gedanken nachzugeben, ruf "
        "sofort den Notruf an (112). Magst du mir ein bisschen mehr erzählen, wie es dir geht?",
        "Bist du gerade in Sicherheit?",
    ),
    "fr": (
        "Merci de m'en avoir parlé : je prends ce que vous dites très au sérieux. Ce que vous "
        "portez semble très lourd, et vous méritez maintenant le soutien d'une personne, pas "
        "seulement d'une application.\n{resources}\nSi vous le pouvez, contactez une personne "
        "de confiance et dites-lui ce que vous ressentez. Je suis là avec vous, et nous pouvons "
        "continuer à parler.",
        "Merci de m'avoir répondu. Je suis toujours là avec vous, et votre sécurité compte plus "
        "que tout pour moi en ce moment.\n{resources}\nComme vous n'êtes peut-être pas en "
        "sécurité en ce moment, contactez l'un de ces services dès maintenant, ou une personne "
        "de confiance près de vous. Si vous risquez de passer à l'acte, appelez tout de suite le "
        "numéro d'urgence local. Voulez-vous m'en dire un peu plus sur ce que vous vivez ?",
        "Êtes-vous en sécurité en ce moment ?",
    ),
    "es": (
        "Me alegra mucho que me lo hayas contado, y me tomo en serio lo que dices. Lo que estás "
        "cargando suena muy pesado, y mereces el apoyo de una persona ahora mismo, no solo de "
        "una aplicación.\n{resources}\nSi puedes, habla con alguien de confianza y cuéntale cómo "
        "te sientes. Estoy aquí contigo y podemos seguir hablando.",
        "Gracias por responderme. Sigo aquí contigo, y ahora mismo lo que más me importa es tu "
        "seguridad.\n{resources}\nComo puede que ahora mismo no estés a salvo, por favor "
        "comunícate ahora con una de estas líneas o con alguien de confianza que tengas cerca. "
        "Si sientes que podrías hacerte daño, llama de inmediato al número de emergencias local. "
        "¿Quieres contarme un poco más sobre cómo estás?",
        "¿Estás a salvo ahora mismo?",
    ),
    "ja": (
        "話してくれて本当にありがとうございます。あなたの言葉を真剣に受け止めています。"
        "とても重いものを抱えているように感じます。今はアプリだけでなく、人からの支えを"
        "受けてほしいです。\n{resources}\nできれば、信頼できる人に連絡して、今の気持ちを"
        "伝えてみてください。私はここにいますし、話を続けることもできます。",
        "答えてくれてありがとうございます。今もここにいます。今は何よりもあなたの安全が"
        "大切です。\n{resources}\n今は安全ではないかもしれないので、今すぐこれらの窓口か、"
        "近くにいる信頼できる人に連絡してください。もしその考えを実行に移してしまいそうなら、"
        "すぐに119番（日本国外では現地の緊急通報番号）に電話してください。"
        "今どんな様子か、もう少し教えてもらえますか？",
        "今、安全ですか？",
    ),
    "pt": (  # neither Brazil's nor Portugal's alone ("você", "aplicativo"): both read it
        "Ainda bem que me contou, e levo muito a sério o que disse. Parece ser um peso muito "
        "grande, e merece o apoio de uma pessoa agora, não só de uma app.\n{resources}\nSe "
        "puder, fale com alguém de confiança e conte como se sente. Estou aqui, e podemos "
        "continuar esta conversa.",
        "Obrigado por responder. Continuo aqui, e a sua segurança é o que mais importa para mim "
        "agora.\n{resources}\nComo pode não estar em segurança agora, ligue já para um destes "
        "serviços, ou fale com alguém de confiança que esteja por perto. Se sentir que pode agir "
        "de acordo com esses pensamentos, ligue imediatamente para o número de emergência local. "
        "Quer contar um pouco mais sobre como está?",
        "Está em segurança agora?",
    ),
}
_SAFETY_QUESTIONS = tuple(question for _, _, question in CRISIS_REPLIES.values())

# The follow-up's sentence about acting on one's thoughts, and what it says instead when the
# crisis that asked was someone hurting the user or danger, not their own thoughts (the minors
# review: "my stepdad hits me", a no, then "If you might act on these thoughts"). Japan's line
# for danger from someone is the police's 110, not the ambulance's 119.
_IN_DANGER: dict[str, tuple[str, str]] = {
    "en": (
        "If you might act on these thoughts, call your local emergency number now.",
        "If you are in danger right now, call your local emergency number.",
    ),
    "de": (
        "Wenn du fürchtest, diesen Gedanken nachzugeben, ruf sofort den Notruf an (112).",
        "Wenn du gerade in Gefahr bist, ruf sofort den Notruf an (112).",
    ),
    "fr": (
        "Si vous risquez de passer à l'acte, appelez tout de suite le numéro d'urgence local.",
        "Si vous êtes en danger en ce moment, appelez tout de suite le numéro d'urgence local.",
    ),
    "es": (
        "Si sientes que podrías hacerte daño, llama de inmediato al número de emergencias local.",
        "Si estás en peligro ahora mismo, llama de inmediato al número de emergencias local.",
    ),
    "ja": (
        "もしその考えを実行に移してしまいそうなら、すぐに119番（日本国外では現地の緊急通報番号）"
        "に電話してください。",
        "今危険な状態にあるなら、すぐに110番（日本国外では現地の緊急通報番号）に電話してください。",
    ),
    "pt": (
        "Se sentir que pode agir de acordo com esses pensamentos, ligue imediatamente para o "
        "número de emergência local.",
        "Se estiver em perigo agora, ligue imediatamente para o número de emergência local.",
    ),
}

# The reply to a physical emergency now (kind EMERGENCY: "I think I'm having a heart attack", "my
# friend collapsed", "there's a fire in my building"), in each language of the crisis replies: the
# emergency number first (call_now), then the lines for poisoning when something was swallowed,
# then one line of what to do while waiting for help, chosen by the patterns' tags (LEAVE: fire or
# gas; HIDE: someone breaking in; else stay with them, unlock the door), then, only when thoughts
# of suicide or self-harm were read too, the crisis lines. No question about feelings, no steps:
# the emergency review got Riri's "Fast track ... you've got this!" to a heart attack. Owed: a
# native check of the de, fr, es, pt and ja.
_WHILE_WAITING: dict[str, dict[str, str]] = {
    "en": {
        "": "While you wait: unlock the door if you can, and keep someone with you, or stay with "
        "the person who needs help.",
        LEAVE: "Get everyone out and stay out until help comes; if you smell gas, don't switch "
        "anything on or off.",
        HIDE: "If you can, get into a room you can lock, stay quiet and stay on the line.",
    },
    "de": {
        "": "Bis Hilfe kommt: Schließ die Tür auf, wenn du kannst, und hol jemanden zu dir oder "
        "bleib bei der Person, die Hilfe braucht.",
        LEAVE: "Bring alle nach draußen und bleib draußen, bis Hilfe da ist; bei Gasgeruch keine "
        "Schalter betätigen.",
        HIDE: "Wenn du kannst, geh in einen Raum, den du abschließen kannst, sei leise und bleib "
        "am Telefon.",
    },
    "fr": {
        "": "En attendant les secours : déverrouillez la porte si vous le pouvez, et gardez "
        "quelqu'un près de vous, ou restez auprès de la personne qui a besoin d'aide.",
        LEAVE: "Faites sortir tout le monde et restez dehors jusqu'à l'arrivée des secours ; en "
        "cas d'odeur de gaz, ne touchez à aucun interrupteur.",
        HIDE: "Si vous le pouvez, enfermez-vous dans une pièce qui ferme à clé, restez silencieux "
        "et gardez la ligne.",
    },
    "es": {
        "": "Mientras llega la ayuda: deja la puerta sin llave si puedes, y pide a alguien que se "
        "quede contigo, o quédate con la persona que necesita ayuda.",
        LEAVE: "Saca a todos afuera y quédate fuera hasta que llegue la ayuda; si huele a gas, no "
        "toques ningún interruptor.",
        HIDE: "Si puedes, enciérrate en una habitación con llave, no hagas ruido y no cuelgues.",
    },
    "pt": {
        "": "Enquanto a ajuda não chega: destranque a porta, se puder, e peça a alguém que fique "
        "por perto, ou fique com a pessoa que precisa de ajuda.",
        LEAVE: "Tire todos para fora e fique lá fora até a ajuda chegar; se sentir cheiro de gás, "
        "não mexa em nenhum interruptor.",
        HIDE: "Se puder, tranque-se num lugar fechado à chave, fique em silêncio e não desligue.",
    },
    "ja": {
        "": "助けが来るまで、できれば玄関の鍵を開けておき、誰かにそばにいてもらうか、"
        "助けが必要な人のそばにいてください。",
        LEAVE: "全員で外に出て、助けが来るまで中に戻らないでください。ガスのにおいがするときは、"
        "スイッチに触れないでください。",
        HIDE: "できれば鍵のかかる部屋に入り、静かにして、電話を切らないでください。",
    },
}
# Before the crisis lines in the emergency reply, when thoughts of suicide or self-harm were read
# too ("I overdosed by mistake": kinds emergency and suicide).
_ALSO_LINES: dict[str, str] = {
    "en": "These lines can help too, now or later:",
    "de": "Auch diese Stellen können helfen, jetzt oder später:",
    "fr": "Ces services peuvent aussi aider, maintenant ou plus tard :",
    "es": "Estas líneas también pueden ayudar, ahora o más adelante:",
    "pt": "Estas linhas também podem ajudar, agora ou mais tarde:",
    "ja": "こちらの窓口も、今でも後でも力になります：",
}
# The first crisis reply's first sentence when its patterns say something was taken (tag TAKEN:
# "took 20 pills", "I overdosed"): the emergency number came last, after 988 and the text line.
_TAKEN_FIRST: dict[str, str] = {
    "en": "If you have already taken something, {call}.",
    "de": "Wenn du schon etwas eingenommen hast, {call}.",
    "fr": "Si vous avez déjà pris quelque chose, {call}.",
    "es": "Si ya has tomado algo, {call}.",
    "pt": "Se já tomou alguma coisa, {call}.",
    "ja": "すでに何かを飲んでしまったなら、{call}。",
}


def emergency_reply(
    resources: tuple[str, ...],
    *,
    poison: tuple[str, ...] = (),
    tags: Set[str] = frozenset(),
    language: str = "en",
) -> str:
    """The reply to an emergency in `language` (English if there is none in it), around
    `resources` as crisis_lines shows them: the call to the emergency number, the `poison` lines
    among them, what to do while waiting (by `tags`), then any other line (the crisis lines, the
    lines for violence at home) after _ALSO_LINES."""
    language = language if language in _WHILE_WAITING else "en"
    bullets = "\n".join  # a list as the other replies list theirs
    first = [f"• {line}" for line in resources if line in poison]
    rest = [f"• {line}" for line in resources if line not in poison and not _EMERGENCY.search(line)]
    waiting = _WHILE_WAITING[language]
    wait = waiting[LEAVE if LEAVE in tags else HIDE if HIDE in tags else ""]
    parts = [_sentence(call_now(resources, language), language), *first, wait]
    if rest:
        parts += [_ALSO_LINES[language], *rest]
    return bullets(parts)


# The crisis reply for a user worried about someone else ("my friend wants to kill herself":
# only patterns about another person matched, common.analysis.safety.about_someone_else), in
# the same languages. It asks nothing: a "no" after it is not the user's own answer to "Are you
# safe right now?", and it says the lines are for the user too, should the thoughts be theirs.
# It says telling a trusted adult is right even after a promise to keep it secret: a young
# user is often made to promise ("she made me promise not to tell"), and to call the emergency
# number now if they have already taken something or hurt themselves (the bystander review:
# "my mum took all her pills" was told nothing of the kind). Owed: a native check of those
# sentences in de, fr, es, ja and pt.
SOMEONE_ELSE_REPLIES: dict[str, str] = {
    "en": "Thank you for caring about them, and for telling me. What they said must be taken "
    "seriously. Telling a trusted adult or someone who can help is the right thing to do, even if "
    "you promised to keep it secret. If they might act on it now, call your local emergency "
    "number, and stay with them if it is safe for you to do so. If they have already taken "
    "something or hurt themselves, call your local emergency number now. The lines below can "
    "help them, "
    "and you too, as the one supporting them:\n{resources}\nIf you are having thoughts like these "
    "yourself, these lines are there for you too. I'm here with you, and we can keep talking.",
    "de": "Danke, dass du dich um diese Person sorgst und es mir erzählst. Was sie gesagt hat, "
    "muss ernst genommen werden. Es ist richtig, einem Erwachsenen, dem du vertraust, oder "
    "jemandem, der helfen kann, davon zu erzählen, auch wenn du versprochen hast, es geheim zu "
    "halten. Wenn sie es jetzt tun könnte, wähle den Notruf und bleib bei ihr, wenn das für dich "
    "sicher ist. Wenn sie schon etwas eingenommen oder sich verletzt hat, ruf sofort den Notruf "
    "an (112). Die Stellen unten können ihr helfen und auch dir, während du sie "
    "unterstützt:\n{resources}\nWenn du selbst solche Gedanken hast, sind diese Stellen auch für "
    "dich da. Ich bin für dich da, und wir können weiterreden.",
    "fr": "Merci de vous soucier de cette personne et de m'en parler. Ce qu'elle a dit doit être "
    "pris au sérieux. En parler à un adulte de confiance ou à quelqu'un qui peut aider, c'est la "
    "bonne chose à faire, même si vous avez promis de garder le secret. Si elle risque de passer "
    "à l'acte maintenant, appelez le numéro d'urgence et restez auprès d'elle si vous pouvez le "
    "faire sans danger pour vous. Si elle a déjà pris quelque chose ou s'est fait du mal, "
    "appelez tout de suite le numéro d'urgence. Les services ci-dessous peuvent l'aider, et vous "
    "aider aussi, "
    "vous qui la soutenez :\n{resources}\nSi vous avez vous-même des pensées de ce genre, ces "
    "services sont là pour vous aussi. Je suis là avec vous, et nous pouvons continuer à parler.",
    "es": "Gracias por preocuparte por esa persona y por contármelo. Lo que dijo hay que tomarlo "
    "en serio. Contárselo a un adulto de confianza o a alguien que pueda ayudar es lo correcto, "
    "aunque hayas prometido guardar el secreto. Si crees que podría hacerlo ahora mismo, llama al "
    "número de emergencias y quédate con ella si puedes hacerlo sin ponerte en peligro. Si ya "
    "ha tomado algo o se ha hecho daño, llama ahora mismo al número de emergencias. Las "
    "líneas de abajo pueden ayudarla a ella, y también a ti, que la estás "
    "apoyando:\n{resources}\nSi tú también tienes pensamientos como estos, estas líneas también "
    "son para ti. Estoy aquí contigo y podemos seguir hablando.",
    "ja": "その人のことを大切に思い、話してくれてありがとうございます。その人が言ったことは、"
    "真剣に受け止める必要があります。秘密にすると約束していても、"
    "信頼できる大人や助けになれる人に伝えることは正しいことです。"
    "もしその人が今すぐ実行に移すおそれがあるなら、緊急通報番号に電話し、"
    "あなた自身の安全が保てる範囲で、その人のそばにいてください。"
    "もしその人がすでに何かを飲んだり、自分を傷つけたりしているなら、"
    "今すぐ緊急通報番号に電話してください。下の窓口は、"
    "その人だけでなく、支えているあなたの助けにもなります。\n{resources}\n"
    "もしあなた自身にも同じような気持ちがあるなら、これらの窓口はあなたのためにもあります。"
    "私はここにいますし、話を続けることもできます。",
    "pt": "Obrigado por se preocupar com essa pessoa e por me contar. O que ela disse deve ser "
    "levado a sério. Contar a um adulto de confiança ou a alguém que possa ajudar é o certo a "
    "fazer, mesmo que tenha prometido guardar segredo. Se houver risco de ela fazer isso agora, "
    "ligue para o número de emergência local e fique com ela, se for seguro fazê-lo. Se ela já "
    "tiver tomado alguma coisa ou já estiver ferida, ligue imediatamente para o número de "
    "emergência local. As linhas "
    "abaixo podem ajudá-la, e estes serviços também existem para quem apoia:\n{resources}\nSe "
    "também tiver pensamentos como esses, pode recorrer a eles. Estou aqui, e podemos continuar "
    "esta conversa.",
}

# The reply for a user worried about someone else who is hurt ("my friend's boyfriend beats
# her": kind third_party_violence), whose list has the lines for violence at home (the
# bystander review: they were told "If they might act on it now ... If you are having thoughts
# like these yourself" around suicide lines alone). It says to believe them, to call the
# emergency number if they are in danger now, that telling is right despite a promise, and that
# lines for violence at home advise friends and family too (gov.uk of the UK's: "someone you
# know"). Owed: a native check in de, fr, es, ja and pt.
SOMEONE_ELSE_HURT_REPLIES: dict[str, str] = {
    "en": "Thank you for caring about them, and for telling me. If they told you about it, "
    "believe them: what is being done to them is not their fault. If they are in danger right "
    "now, call your local emergency number. Telling a trusted adult or someone who can help is "
    "the right thing to do, even if you promised to keep it secret. Lines for violence at home "
    "also advise friends and family who are worried about someone, and the other lines below "
    "can help you too, as the one supporting them:\n{resources}\nI'm here with you, and we can "
    "keep talking.",
    "de": "Danke, dass du dich um diese Person sorgst und es mir erzählst. Wenn sie es dir "
    "anvertraut hat, glaub ihr: Was ihr angetan wird, ist nicht ihre Schuld. Wenn sie gerade in "
    "Gefahr ist, ruf sofort den Notruf an (112). Es ist richtig, einem Erwachsenen, dem du "
    "vertraust, oder jemandem, der helfen kann, davon zu erzählen, auch wenn du versprochen "
    "hast, es geheim zu halten. Stellen gegen Gewalt beraten auch Angehörige und Freunde, und "
    "die anderen Stellen unten können auch dir helfen, während du sie "
    "unterstützt:\n{resources}\nIch bin für dich da, und wir können weiterreden.",
    "fr": "Merci de vous soucier de cette personne et de m'en parler. Si elle vous l'a confié, "
    "croyez-la : ce qu'elle subit n'est pas de sa faute. Si elle est en danger en ce moment, "
    "appelez tout de suite le numéro d'urgence. En parler à un adulte de confiance ou à "
    "quelqu'un qui peut aider, c'est la bonne chose à faire, même si vous avez promis de garder "
    "le secret. Les lignes contre les violences conseillent aussi les proches, et les autres "
    "services ci-dessous peuvent vous aider aussi, vous qui la soutenez :\n{resources}\nJe suis "
    "là avec vous, et nous pouvons continuer à parler.",
    "es": "Gracias por preocuparte por esa persona y por contármelo. Si te lo contó, créele: lo "
    "que le están haciendo no es culpa suya. Si está en peligro ahora mismo, llama de inmediato "
    "al número de emergencias. Contárselo a un adulto de confianza o a alguien que pueda ayudar "
    "es lo correcto, aunque hayas prometido guardar el secreto. Las líneas contra la violencia "
    "también orientan a familiares y amistades, y las demás líneas de abajo pueden ayudarte "
    "también a ti, que la estás apoyando:\n{resources}\nEstoy aquí contigo y podemos seguir "
    "hablando.",
    "ja": "その人のことを大切に思い、話してくれてありがとうございます。"
    "その人が打ち明けてくれたのなら、信じてあげてください。その人がされていることは、"
    "その人のせいではありません。今その人が危険な状態にあるなら、すぐに110番"
    "（日本国外では現地の緊急通報番号）に電話してください。秘密にすると約束していても、"
    "信頼できる大人や助けになれる人に伝えることは正しいことです。"
    "暴力の相談窓口は、家族や友人からの相談も受け付けています。下のほかの窓口も、"
    "支えているあなたの助けになります。\n{resources}\n"
    "私はここにいますし、話を続けることもできます。",
    "pt": "Obrigado por se preocupar com essa pessoa e por me contar. Se ela lhe contou, "
    "acredite nela: a culpa não é dela. Se ela estiver em perigo agora, ligue imediatamente para "
    "o número de emergência local. Contar a um adulto de confiança ou a alguém que possa ajudar "
    "é o certo a fazer, mesmo que tenha prometido guardar segredo. As linhas contra a violência "
    "também orientam familiares e amigos, e os outros serviços abaixo também existem para quem "
    "apoia:\n{resources}\nEstou aqui, e podemos continuar esta conversa.",
}
# The hurt reply's sentence on telling despite a promise, left out for one the user answers
# for (responsible_for: "my daughter told me her boyfriend hits her"): it is for the young.
_KEEP_SECRET: dict[str, str] = {
    "en": "Telling a trusted adult or someone who can help is the right thing to do, even if you "
    "promised to keep it secret. ",
    "de": "Es ist richtig, einem Erwachsenen, dem du vertraust, oder jemandem, der helfen kann, "
    "davon zu erzählen, auch wenn du versprochen hast, es geheim zu halten. ",
    "fr": "En parler à un adulte de confiance ou à quelqu'un qui peut aider, c'est la bonne chose "
    "à faire, même si vous avez promis de garder le secret. ",
    "es": "Contárselo a un adulto de confianza o a alguien que pueda ayudar es lo correcto, "
    "aunque hayas prometido guardar el secreto. ",
    "ja": "秘密にすると約束していても、"
    "信頼できる大人や助けになれる人に伝えることは正しいことです。",
    "pt": "Contar a um adulto de confiança ou a alguém que possa ajudar é o certo a fazer, mesmo "
    "que tenha prometido guardar segredo. ",
}


# The reply for a worried friend when the person is one the user answers for, at work or at
# home ("my report told me he wants to die", "my son said he wants to die", "my wife"):
# "telling a trusted adult ... even if you promised to keep it secret" is for the young. It
# says instead what the one responsible can do: ask directly, stay with them or keep in touch,
# help them reach a line or a doctor, remove the means if safe. In each language whose
# relations the crisis patterns read (not Japanese: none there, and a Japanese reply keeps its
# own). It opens with the emergency number ({call}: call_now) for one who has taken something,
# is unconscious or not breathing (the emergency review: "my husband took a bunch of pills and
# won't wake up" was told first to ask him whether he thinks of suicide). Owed, as above: a
# native check of the de, fr, es and pt.
RESPONSIBLE_REPLIES: dict[str, str] = {
    "en": "If they have already taken something, are unconscious or not breathing, {call}. Thank "
    "you for caring about them, and for telling me. What they said must be taken "
    "seriously. Ask them directly whether they are thinking of suicide: asking does not put the "
    "idea in their head. If they might act on it now, call your local emergency number and stay "
    "with them; otherwise stay with them or keep in touch, and help them reach a line below or "
    "a doctor. If it is safe to do so, remove or lock away what they could use to harm "
    "themselves. The lines below can help them, and you too, as the one supporting "
    "them:\n{resources}\nIf you are having thoughts like these yourself, these lines are there "
    "for you too. I'm here with you, and we can keep talking.",
    "de": "Wenn sie schon etwas eingenommen hat, bewusstlos ist oder nicht atmet, {call}. Danke, "
    "dass du dich um diese Person sorgst und es mir erzählst. Was sie gesagt hat, "
    "muss ernst genommen werden. Frag sie direkt, ob sie daran denkt, sich das Leben zu nehmen: "
    "Die Frage bringt sie nicht erst auf diesen Gedanken. Wenn sie es jetzt tun könnte, wähle "
    "den Notruf und bleib bei ihr; sonst bleib bei ihr oder in Kontakt und hilf ihr, eine der "
    "Stellen unten oder einen Arzt zu erreichen. Wenn es gefahrlos geht, entferne oder "
    "verschließe, womit sie sich etwas antun könnte. Die Stellen unten können ihr helfen und "
    "auch dir, während du sie unterstützt:\n{resources}\nWenn du selbst solche Gedanken hast, "
    "sind diese Stellen auch für dich da. Ich bin für dich da, und wir können weiterreden.",
    "fr": "Si elle a déjà pris quelque chose, est inconsciente ou ne respire pas, {call}. Merci "
    "de vous soucier de cette personne et de m'en parler. Ce qu'elle a dit doit être "
    "pris au sérieux. Demandez-lui directement si elle pense au suicide : poser la question ne "
    "lui en donne pas l'idée. Si elle risque de passer à l'acte maintenant, appelez le numéro "
    "d'urgence et restez auprès d'elle ; sinon, restez auprès d'elle ou gardez le contact, et "
    "aidez-la à joindre l'un des services ci-dessous ou un médecin. Si vous pouvez le faire sans "
    "danger, éloignez ou mettez sous clé ce qu'elle pourrait utiliser pour se faire du mal. Les "
    "services ci-dessous peuvent l'aider, et vous aider aussi, vous qui la soutenez :"
    "\n{resources}\nSi vous avez vous-même des pensées de ce genre, ces services sont là pour "
    "vous aussi. Je suis là avec vous, et nous pouvons continuer à parler.",
    "es": "Si ya ha tomado algo, está inconsciente o no respira, {call}. Gracias por preocuparte "
    "por esa persona y por contármelo. Lo que dijo hay que tomarlo "
    "en serio. Pregúntale directamente si está pensando en suicidarse: preguntarlo no le da la "
    "idea. Si crees que podría hacerlo ahora mismo, llama al número de emergencias y quédate con "
    "ella; si no, quédate con ella o mantente en contacto, y ayúdala a llamar a una de las "
    "líneas de abajo o a un médico. Si puedes hacerlo sin peligro, aparta o guarda bajo llave lo "
    "que podría usar para hacerse daño. Las líneas de abajo pueden ayudarla a ella, y también a "
    "ti, que la estás apoyando:\n{resources}\nSi tú también tienes pensamientos como estos, "
    "estas líneas también son para ti. Estoy aquí contigo y podemos seguir hablando.",
    "pt": "Se ela já tomou alguma coisa, está inconsciente ou não respira, {call}. Obrigado por "
    "se preocupar com essa pessoa e por me contar. O que ela disse deve ser "
    "levado a sério. Pergunte diretamente se ela pensa em suicídio: perguntar não lhe dá essa "
    "ideia. Se houver risco de ela fazer isso agora, ligue para o número de emergência local e "
    "fique com ela; se não, fique com ela ou não deixe de falar com ela, e ajude-a a procurar "
    "uma das linhas abaixo ou um médico. Se puder fazê-lo em segurança, afaste ou tranque o que "
    "ela possa usar para se ferir. As linhas abaixo podem ajudá-la, e estes serviços também "
    "existem para quem apoia:\n{resources}\nSe também tiver pensamentos como esses, pode "
    "recorrer a eles. Estou aqui, e podemos continuar esta conversa.",
}

# Whom the user answers for (RESPONSIBLE_REPLIES), after each language's possessives and up to
# two words ("my direct report", "my eldest son"), read as normalise leaves the message. Not a
# boyfriend or girlfriend, whom the young have too, nor "my kid brother", nor in English one
# after a possessive ("my friends son", as normalise leaves "my friend's son": someone else's).
# In their care at work too, a nurse's, a counsellor's, a teacher's or a crisis volunteer's (the
# creative review: "I'm a nurse and a patient overdosed on my shift" was told to tell "a trusted
# adult ... even if you promised to keep it secret"): a patient, client or caller also after
# "a" (_IN_THEIR_CARE), no student after it ("a student" is as often the user).
_RESPONSIBLE_FOR = {
    "en": (
        r"my|our",
        r"reports?|employees?|mentees?|(?:step)?(?:sons?|daughters?|child(?:ren)?)|"
        r"kids?(?! (?:brother|sister))|partner|husband|wife|spouse|"
        r"patients?|clients?|callers?|students?|pupils?",
    ),
    "de": (
        r"(?:mein|unser)(?:e[mnrs]?)?",
        r"sohn|tochter|kind(?:er)?|mann|frau|ehemann|ehefrau|partner(?:in)?|"
        r"mitarbeiter(?:in)?|mentee",
    ),
    "fr": (
        r"mon|ma|mes|notre|nos",
        r"fils|filles?|enfants?|mari|femme|conjointe?|partenaire|employ[ée]e?s?",
    ),
    "es": (r"mis?|nuestr[oa]s?", r"hij[oa]s?|espos[oa]|marido|mujer|pareja|emplead[oa]s?"),
    "pt": (
        r"(?:(?:o|a|os|as|do|da) )?(?:meus?|minhas?|noss[oa]s?)",
        r"filh[oa]s?|marido|espos[oa]|mulher|parceir[oa]|companheir[oa]|funcion[áa]ri[oa]s?",
    ),
}


_IN_THEIR_CARE = ("a", r"patient|client|caller")


@cache
def _responsible_for() -> re.Pattern[str]:
    """_RESPONSIBLE_FOR and _IN_THEIR_CARE as one pattern, compiled when first needed, as
    _not_safe()."""
    any_two, no_possessive = r"(?:\w+ ){0,2}", r"(?:(?!\w+s )\w+ ){0,2}"  # "friends", "sisters"
    gaps = {"en": no_possessive}
    said = "|".join(
        rf"(?:{mine}) {gaps.get(language, any_two)}(?:{whom})"
        for language, (mine, whom) in (*_RESPONSIBLE_FOR.items(), ("en", _IN_THEIR_CARE))
    )
    return re.compile(rf"\b(?:{said})\b")


# A parent or grandparent the user cares for (the review of carers and new parents: "my dad with
# dementia keeps saying he wants to end it all" got "telling a trusted adult ... even if you
# promised to keep it secret"): one they answer for too, said with care, dementia, old age or a
# care home in the message. English, as the review's words; not for a user under 18 (`minor`),
# whose trusted adult comes first.
_PARENT = re.compile(
    r"\b(?:my|our)\s+(?:\w+\s+)?(?:mum|mom|mother|dad|father|parents?|nan|nana|gran|granny"
    r"|grandma|grandmother|grandad|granddad|grandpa|grandfather|grandparents?)\b"
)
_CARED_FOR = re.compile(
    r"\b(?:carer|caregiver|caring\s+for|care\s+for|look(?:ing|s)?\s+after|looked\s+after"
    r"|dementia|alzheimers?|elderly|care\s+home|nursing\s+home)\b"
)


def responsible_for(message: str, *, minor: bool = False) -> bool:
    """The message names someone the user answers for, at work or at home ("my report", "my
    son", "meine Frau"), or a parent they care for (_PARENT and _CARED_FOR), unless the user
    is a `minor`: a worried user is told what the one responsible can do."""
    said = normalise(message)
    if _responsible_for().search(said):
        return True
    return not minor and bool(_PARENT.search(said) and _CARED_FOR.search(said))


# Why the care persona answers a crisis turn and the care turns after it (the response's
# persona.reasons, its only one), in the crisis reply's language: not an English line under a
# German crisis reply.
CARE_REASONS: dict[str, str] = {
    "en": "Staying gentle after what you shared.",
    "de": "Behutsam bleiben nach dem, was du mir erzählt hast.",
    "fr": "Avancer en douceur après ce que vous m'avez confié.",
    "es": "Con calma y cuidado, después de lo que me contaste.",
    "ja": "打ち明けてくれたことを受けて、穏やかに寄り添います。",
    "pt": "Com calma e cuidado, depois do que me contou.",
}


def care_reason(language: str) -> str:
    """The care line in `language` (reply_language's), English if there is none in it."""
    return CARE_REASONS.get(language, CARE_REASONS["en"])


def reply_language(locale: str | None, *, default_locale: str, language: str | None = None) -> str:
    """The language of the crisis reply: `language`, the crisis's as its patterns tell
    (Safety.language), when there is a reply in it; else that of the request's locale (read as
    resources_for reads it) when there is one in it; else English."""
    if language is not None and language in CRISIS_REPLIES:
        return language
    own = (locale or default_locale).lower().split("-")[0]
    return own if own in CRISIS_REPLIES else "en"


def crisis_reply(
    resources: tuple[str, ...],
    *,
    again: bool = False,
    someone_else: bool = False,
    in_danger: bool = False,
    taken_back: bool = False,
    responsible: bool = False,
    hurt: bool = False,
    taken: bool = False,
    language: str = "en",
) -> str:
    """The crisis message in `language` (English if there is none in it); `again` when the
    message answers the safety question it ends with: the follow-up, which thanks them for
    answering and asks nothing to answer yes or no to (`in_danger`: the crisis that asked was
    someone hurting them or danger, not their thoughts: _IN_DANGER); else, `someone_else` when
    the user is worried about another person: the reply for them, which asks nothing either
    (`responsible`: for one the user answers for, RESPONSIBLE_REPLIES, where there is one in
    `language`; `hurt`: someone else hurt and no other crisis of theirs, SOMEONE_ELSE_HURT_REPLIES',
    without _KEEP_SECRET when `responsible`); `taken_back`: TAKEN_BACK, in English. `taken`:
    the patterns say something was taken: the first reply opens with the emergency number
    (_TAKEN_FIRST). The emergency number said (call_now) is the one `resources` list."""
    listed = "\n".join(f"• {r}" for r in resources)
    if taken_back:
        return TAKEN_BACK.format(resources=listed)
    if language not in CRISIS_REPLIES:
        language = "en"
    first, second, question = CRISIS_REPLIES[language]
    if again:
        follow_up = second.replace(*_IN_DANGER[language]) if in_danger else second
        return follow_up.format(resources=listed)
    if someone_else:
        if hurt:
            said = SOMEONE_ELSE_HURT_REPLIES[language]
            said = said.replace(_KEEP_SECRET[language], "") if responsible else said
        else:
            replies = RESPONSIBLE_REPLIES if responsible else {}
            said = replies.get(language) or SOMEONE_ELSE_REPLIES[language]
        return said.format(resources=listed, call=call_now(resources, language))
    space = "" if language == "ja" else " "
    lead = (
        _TAKEN_FIRST[language].format(call=call_now(resources, language)) + space if taken else ""
    )
    return lead + first.format(resources=listed) + space + question


# The crisis reply for a user who may hurt, or has hurt, someone else (kind harm_to_others and
# no suicide or self-harm of their own: "I'm going to kill my wife tonight, I have the knife",
# "I shook the baby"), in the crisis replies' languages: the suicide reply's "let them know how
# you're feeling ... Are you safe right now?" was aimed at the wrong person. It says to call the
# emergency number now if anyone is hurt or in danger, to put distance between themselves and
# that person and anything they could use as a weapon, that the lines (one for people worried
# about their own behaviour, a child-protection line when a child is named) and a doctor help
# without judging, and asks whether anyone is in danger (HARM_QUESTIONS), not whether the user
# is safe. Owed: a native check of the de, fr, es, ja and pt.
HARM_OTHERS_REPLIES: dict[str, tuple[str, str]] = {
    "en": (
        "Thank you for telling me. I'm taking what you said seriously. If anyone is hurt or "
        "could be in danger right now, call your local emergency number now. Put distance "
        "between yourself and them, and between yourself and anything you could use as a "
        "weapon, until you feel calmer. You don't have to handle this alone: the lines below "
        "can help without judging you, and so can your doctor.\n{resources}\nI'm here, and we "
        "can keep talking.",
        "Is anyone in danger right now?",
    ),
    "de": (
        "Danke, dass du es mir erzählst. Ich nehme ernst, was du geschrieben hast. Wenn jemand "
        "verletzt ist oder gerade in Gefahr sein könnte, ruf sofort den Notruf an (112). Geh "
        "auf Abstand zu dieser Person und zu allem, was du als Waffe benutzen könntest, bis du "
        "ruhiger bist. Du musst das nicht allein bewältigen: Die Stellen unten helfen, ohne "
        "dich zu verurteilen, und auch deine Ärztin oder dein Arzt.\n{resources}\nIch bin für "
        "dich da, und wir können weiterreden.",
        "Ist gerade jemand in Gefahr?",
    ),
    "fr": (
        "Merci de me l'avoir dit. Je prends ce que vous avez écrit au sérieux. Si quelqu'un est "
        "blessé ou peut être en danger en ce moment, appelez tout de suite le numéro d'urgence "
        "local. Mettez de la distance entre vous et cette personne, et entre vous et tout ce "
        "qui pourrait servir d'arme, le temps de retrouver votre calme. Vous n'avez pas à "
        "affronter cela sans aide : les services ci-dessous peuvent vous aider sans vous juger, "
        "tout comme votre médecin.\n{resources}\nJe suis là, et nous pouvons continuer à parler.",
        "Quelqu'un est-il en danger en ce moment ?",
    ),
    "es": (
        "Gracias por contármelo. Me tomo en serio lo que has escrito. Si alguien está herido o "
        "podría estar en peligro ahora mismo, llama de inmediato al número de emergencias "
        "local. Pon distancia entre tú y esa persona, y entre tú y cualquier cosa que pudieras "
        "usar como arma, hasta que te calmes. No tienes que afrontarlo sin ayuda: las líneas de "
        "abajo pueden ayudarte sin juzgarte, y también tu médico.\n{resources}\nEstoy aquí "
        "contigo y podemos seguir hablando.",
        "¿Hay alguien en peligro ahora mismo?",
    ),
    "ja": (
        "話してくれてありがとうございます。あなたの言葉を真剣に受け止めています。"
        "けがをしている人や、今危険な状態にある人がいるなら、すぐに110番か119番"
        "（日本国外では現地の緊急通報番号）に電話してください。気持ちが落ち着くまで、"
        "その人からも、凶器になりうるものからも離れてください。ひとりで抱え込まなくて"
        "大丈夫です。下の窓口やかかりつけの医師は、あなたを責めずに相談にのってくれます。"
        "\n{resources}\n私はここにいますし、話を続けることもできます。",
        "今、危険な状態にある人はいますか？",
    ),
    "pt": (
        "Obrigado por me contar. Levo a sério o que escreveu. Se alguém estiver ferido ou puder "
        "estar em perigo agora, ligue imediatamente para o número de emergência local. "
        "Afaste-se dessa pessoa e de tudo o que possa usar como arma, até se acalmar. Não "
        "precisa de enfrentar isto sem ajuda: os serviços abaixo podem ajudar sem julgamentos, "
        "e o seu médico também.\n{resources}\nEstou aqui, e podemos continuar esta conversa.",
        "Há alguém em perigo agora?",
    ),
}
HARM_QUESTIONS = tuple(question for _, question in HARM_OTHERS_REPLIES.values())


def harm_to_others_reply(resources: tuple[str, ...], *, language: str = "en") -> str:
    """The reply for harm to others (HARM_OTHERS_REPLIES) in `language`, English if there is
    none in it, around `resources` (with_harm_lines')."""
    first, question = HARM_OTHERS_REPLIES.get(language) or HARM_OTHERS_REPLIES["en"]
    listed = "\n".join(f"• {r}" for r in resources)
    return first.format(resources=listed) + ("" if language == "ja" else " ") + question


def asked_if_anyone_in_danger(reply: str | None) -> bool:
    """`reply` is the one for harm to others: it ends with its question (any language)."""
    return reply is not None and reply.rstrip().endswith(HARM_QUESTIONS)


def harm_reply_due(kinds: Set[str]) -> bool:
    """The crisis's pattern kinds say the user may hurt someone else, and nothing of their own
    suicide or self-harm ("I want to hurt him and then myself" gets the suicide reply, the
    lines for harm to others listed after its emergency line)."""
    return "harm_to_others" in kinds and not kinds & {"suicide", "self_harm"}


# Whole answers to it that say no, or cannot say yes (normalised: lowercase, no apostrophes or
# commas), one or several, each maybe saying when ("no. not safe.", "nope, not safe", "honestly
# no", "im not safe right now", "not at the moment", "not really tbh"), in each language the
# question is asked in ("nein, nicht wirklich", "pas vraiment", "no estoy a salvo",
# "いいえ、安全じゃない", "não to bem"). "No, estoy bien" reads as "no estoy bien" (not fine) once
# its comma is gone, as "não, estou bem" does: the safer reading.
# Each answer is spelled one way only ("not at all" is "not" + " at all"), so that a message
# can be read in one way only: overlapping spellings of a repeated answer are tried in every
# combination, exponentially. A whole answer is short; a longer message is not read as one.
_NO_IN_OTHER_LANGUAGES = (
    # German
    r"nein|nee|nö|nicht wirklich|nicht sicher|nicht so gut|nicht gut|nicht ok(?:ay)?|"
    r"eher nicht|gar nicht|überhaupt nicht|keine ahnung|(?:ich )?glaube? nicht|"
    r"(?:gerade|grade|im moment|momentan|jetzt) nicht|bin ich nicht|"
    r"(?:ich )?wei(?:ß|ss) (?:es )?nicht|ich wei(?:ß|ss) nicht(?: mehr)? was ich (?:tun|machen) "
    r"soll|ich bin (?:mir )?nicht sicher|ich bin nicht ok(?:ay)?|ich bin (?:gerade )?nicht in "
    r"sicherheit|ich fühle? mich nicht sicher|mir geht(?:s| es) nicht gut|"
    # French (also typed without accents)
    r"non|pas vraiment|pas du tout|pas s[uû]re?|pas trop|pas bien|jamais|"
    r"pas (?:en ce moment|maintenant)|je (?:ne )?le suis pas|je (?:ne )?(?:crois|pense) pas|"
    r"je (?:ne )?sais pas(?: quoi faire)?|je (?:ne )?(?:suis|me sens) pas en s[eé]curit[eé]|"
    r"[cç]a va pas|je (?:ne )?vais pas bien|"
    # Spanish
    r"no realmente|no (?:estoy )?(?:a salvo|segur[oa]|bien)|no me siento (?:a salvo|segur[oa])|"
    r"no lo estoy|no (?:lo )?s[eé](?: qu[eé] hacer)?|no creo|creo que no|ahora(?: mismo)? no|"
    r"la verdad (?:es que )?no|nunca|para nada|"
    # Portuguese (also typed without accents, and "naum" or "ñ" for não, as Brazilians text it)
    r"n(?:ão|ao)|naum|ñ|n(?:ão|ao) (?:muito|mesmo|exatamente)|(?:acho|creio) que n(?:ão|ao)|"
    r"(?:eu )?n(?:ão|ao) sei(?: o que fazer)?|agora(?: mesmo)? n(?:ão|ao)|nem um pouco|nem tanto|"
    r"de jeito nenhum|na verdade n(?:ão|ao)|(?:eu )?n(?:ão|ao) (?:estou|to|tô|me sinto)"
    r"(?: (?:bem|segur[oa]|em seguran[çc]a|a salvo))?|n(?:ão|ao) (?:tá|ta|está|esta) tudo bem|"
    r"(?:estou|to|tô) mal|"
    # Japanese (the answer may follow いいえ with no space)
    r"いいえ|いえ|ううん|いや|(?:いいえ|いえ)?(?:今は?)?(?:安全|大丈夫)"
    r"(?:じゃない(?:です)?|ではない(?:です)?|じゃありません|ではありません)|"
    r"(?:わから|分から)ない(?:です)?|(?:わかり|分かり)ません"
)
_WHEN = (  # " right now" and the like, in each language; "no ahora mismo no" is read one way
    r" right now| now| at the moment| tonight| today| at all| anymore| tbh| honestly|"
    r" gerade| im moment| jetzt| en ce moment| maintenant| ahora mismo(?! no)| en este momento|"
    r" agora(?: mesmo)?(?! n(?:ão|ao))| no momento| nesse momento| neste momento"
)
_NO = (
    r"(?:no+|nope|nah|not(?: really| (?:really |very )?safe| sure)?|"
    r"unsure|idk|(?:i )?dont know(?: what to do)?|i dont think so|never|hardly|"
    r"(?:i )?dont feel safe|"
    r"(?:im|i am) (?:really )?not(?: (?:really |very )?safe| okay| ok| fine| really| sure)?|"
    r"probably not|(?:please )?help(?: me)?(?: please)?|"
    rf"{_NO_IN_OTHER_LANGUAGES})(?:{_WHEN})?"
)


# What may come before the no and leave it a no: "honestly no", and laughter, "lol no", "haha
# no", "omg no", as after it ("no lol" is a no; a reassurance after it is read as after any no).
_BEFORE_NO = r"(?:honestly|lo+l|lmf?ao|(?:ha)+|omg)"


@cache
def _not_safe() -> re.Pattern[str]:
    """Compiled when first needed (~3 ms), not at the chat function's import: only a turn right
    after the crisis reply asks."""
    return re.compile(rf"(?:{_BEFORE_NO}[.!?]* )?{_NO}(?:[.!?]* {_NO})*")


_LONGEST_ANSWER = 80  # characters

# A no that says more ("no. i have the pills next to me", "no, he's here", "not ok"): an answer
# that starts with no is read as no whatever follows, unless what follows at once reassures
# ("no i'm fine", "nah im good", "no thanks", "no worries im ok", "not now, im fine"), maybe
# after fillers or the no again ("no no, i'm fine", "no lol im ok", "no sorry, I meant the
# sprint"); a filler alone ("no lol", "no sorry") reassures no one. Taking back the words the
# crisis reply answered reassures too ("no, I'm not suicidal", "no, it was a joke", "no, I
# didn't mean it literally", "nah, wrong read", "no, it was about work"), and so does a bare
# "jk", "joke", "joking" or "kidding" after the no and fillers ("no jk", "nope, joke", "no lol
# jk"), or "not literally" with or without the no ("no, not literally", "not literally lol"),
# as long as nothing but a few harmless words follows (_HARMLESS: "no jk i want to die",
# "no jk lol im done" stay a no); not "no joke" or "no kidding" (intensifiers: "no joke, i have
# pills", and "no kidding" said for "obviously not"), nor "no, I mean" (as often a pause before
# more), nor "no, why?" (asking why takes nothing back). A take-back that could lead into a
# restated no ("no I meant it", "no, you misunderstood, I'm not safe", "no, I didn't mean to
# scare you but...") counts only whole or with what it means ("I meant the sprint",
# "misunderstood, I'm fine"), and no reassurance counts when what follows it says not safe
# again (_STILL_NOT_SAFE: "no im ok but i dont want to live"). "not really, just tired" is read
# as no: "not really" answers the question and tiredness does not take it back. Read in English
# (and the Spanish "no"); one match at the start and one after it: linear, so a longer message
# than a whole answer is read so, up to _LONGEST_NO_THEN.
_INTENSIFIER = r"no+[.!? ]+(?:joke|kidding)"  # "no joke", "no kidding": a no, never a take-back
_NO_FIRST = (
    rf"(?:{_BEFORE_NO}[.!? ]*)?(?:{_INTENSIFIER}|no+|nope|nah|not(?! (?:too |that |so )?bad\b))\b"
    r"[.!? ]*(?P<rest>.*)"
)
_FINE = (
    r"(?:im|i am|i feel|feeling|its|it is|all) (?:really |totally |completely |perfectly )?"
    r"(?:fine|ok|okay|good|safe|alright|all right|better)"
)
_OR_FINE_THEN_END = rf"(?:[.!? ]+(?:{_FINE}|all good))?$"  # "misunderstood, i'm fine" and no more
# What a whole reassurance may say after it ("i'm ok now i think", "thanks, that helps"), and
# nothing else: a few words of any kind could be a farewell ("i'm fine. goodbye everyone",
# "thank you for everything", "i'm fine. tonight's the night"). Whole words, one way each.
_HARMLESS = (
    r"(?:[ .!?]*\b(?:now|i think|i guess|i promise|promise|really|honestly|seriously|actually|"
    r"tbh|for now|for real|thanks|thank you|thx|that helps|it helps|just tired|lol|haha|again|"
    r"already|dont worry|no worries|today)\b)*[ .!?]*"
)
# Recovered, or it was long ago (the recovery review: "no I'm not in crisis", "no, it was a
# year ago", "nope, all in the past", "no, I'm doing well now", "no no, I'm in recovery",
# "no, I'm 2 years clean", "No. I said they are much better" each began a day of care). Long
# ago or in recovery, not when the message says it is now or back after all
# (common.analysis.recovery.PRESENT_RISK: "no, it was a year ago but the urges are back");
# "not anymore" alone stays a no.
_COUNT = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple of|several)"
_RECOVERED = (
    r"(?:im |i am )?not in (?:a )?crisis|"
    r"(?:(?:im|i am|ive been|i have been) )?doing (?:really |very |so |much |so much |a lot "
    r"|way )?(?:ok|okay|fine|well|good|better|great|alright)|"
    r"(?:i said )?(?:they are|theyre|things are|im|i am|its|it is) (?:so |very )?(?:much|a lot"
    r"|way|far) better|"
    rf"(?!.*(?:{PRESENT_RISK}))"
    r"(?:(?:it|that|this)(?: all)? (?:was|happened) (?:(?:about|over|almost|more than) )?"
    rf"(?:{_COUNT} (?:years?|months?)|years|months|a long time|ages) ago|"
    r"(?:it|that|this)(?: all)? (?:was|happened) (?:back )?(?:in (?:19|20)\d\d|last year)|"
    r"(?:(?:its|it is|thats|that is|it was|that was|all|its all|thats all) )?(?:all )?"
    r"(?:in the past|behind me)|"
    r"(?:(?:im|i am|ive been|i have been) )?(?:in recovery|(?:over |almost |about )?"
    rf"{_COUNT} (?:days?|weeks?|months?|years?) (?:clean|sober)|(?:clean|sober) (?:for|since) "
    rf"(?:(?:over |almost |about )?{_COUNT} (?:days?|weeks?|months?|years?)|(?:19|20)\d\d)))"
)
_REASSURED = (
    # each filler a whole word: one way to read the run of them, so no backtracking blow-up
    # laughter as _BEFORE_NO reads it: "omg no im fine" reassures as "lol no im fine" does;
    # "yes" before a reassurance ("yes I'm safe, that was 2 years ago") as "no" before one
    rf"(?:(?:(?!{_INTENSIFIER}\b)no+|nah|nope|yes|yeah|yep|yup|{_BEFORE_NO}|sorry|but|now|"
    r"right now|actually|need)\b[.!? ]*)*"
    rf"(?:{_FINE}|{_RECOVERED}|all good|thanks|thank you|thx|worries|problem|dont worry|gracias|"
    r"everything(?:s| is) (?:fine|ok|okay|good|alright)|"
    # "not going to kill myself": the words the crisis reply answered, taken back
    r"(?:im |i am )?not (?:suicidal|in danger|(?:going to|gonna) (?:(?:kill|hurt) myself|kms))|"
    r"i (?:wont|will not|would never) (?:kill|hurt) myself|"
    r"(?:im |i am |i was |its |it is |it was |just )(?:just |only )?(?:a )?"
    r"(?:jok(?:e|ing)|kidding)|"
    # bare ("no jk", "nope, joke"), with at most "i'm fine" and harmless words after it
    rf"(?:jk|joke|joking|kidding)(?:[.!? ]+{_FINE})?(?={_HARMLESS}$)|"
    # "not literally", as "i didnt mean it literally" says it, on the same terms as a bare jk
    rf"not literally(?:[.!? ]+{_FINE})?(?={_HARMLESS}$)|"
    r"(?:it was|its|it is|i was talking) about|"
    r"i (?:just |only )?meant (?:the|my|work|school)|"
    rf"i (?:didnt|did not) mean (?:it|that)(?: literally| like that| that way)?{_OR_FINE_THEN_END}|"
    rf"(?:you )?misunderstood(?: me)?{_OR_FINE_THEN_END}|wrong read)\b"
)
# What, said after a reassurance, says not safe again ("no, I'm fine but I have the pills"):
# the reassurance does not count. Each word a whole word; "not" before it takes it back ("i'm
# fine, not going to hurt myself").
_STILL_NOT_SAFE = (
    r"\b(?:not (?:really |very )?(?:safe|ok|okay|fine|alright)|(?:cant|cannot) go on|help me|"
    r"(?:not really|i (?:really )?mean(?:t)? it(?: though)?)(?=[.!?]|$)|"
    r"(?<!for the )(?<!for your )(?<!thanks for )help|scared|afraid|(?<!not )suicidal|"
    r"(?<!not )(?<!not going to )(?<!not gonna )(?<!dont want to )(?<!never )(?<!wont )"
    r"(?:kill|hurt|die|end it)|"
    r"(?:dont|do not) want to (?:live|be alive|be here|wake up)|pills|knife|gun|overdose|"
    # the same signs in the crisis reply's other languages: pills, a knife, help, fear
    r"tabletten|pillen|messer|[üu]berdosis|hilf mir|hilfe|(?<!keine )angst|"
    r"cachets|comprim[ée]s|pilules|couteau|surdose|aidez? moi|au secours|(?<!pas )peur|"
    r"pastillas|cuchillo|sobredosis|ay[úu]dame|(?<!por la )(?<!por tu )ayuda|(?<!no tengo )miedo|"
    r"comprimidos|p[íi]lulas|faca|socorro|me ajud[ae]|(?<!pela )(?<!pela sua )ajuda|"
    r"(?<!n[ãa]o tenho )medo)\b"
)
_LONGEST_NO_THEN = 200  # characters

# The words the crisis reply answered were fiction, study or work (the creative review: "no,
# it's for my novel", "lol no it's just the song title, I'm fine", "no I'm a nurse", "no, not
# me, my character" were read as a no, or as someone else's crisis, and a screenplay writer was
# held in care for 25 h): all right, as "no, I'm fine" is, maybe after a no, laughter or a
# reassurance. A piece of work may be named alone ("it's a poem"); a course of study only after
# for, in, from or about ("it's for my thesis": "it's my class" may be why they are not safe).
# Whatever they ask after it is about that work, a request for help with it too ("can you help
# me with the chorus?"); a sign said after it still says not safe (_STILL_NOT_SAFE).
_PIECE = (
    r"(?:fiction(?:al)?|stor(?:y|ies)|novel|book|screenplay|script|character|song|lyrics?|poem|"
    r"video game|title|line)"
)
_STUDY = r"(?:thesis|essay|dissertation|lecture|class|course|game)"
_ROLE = r"(?:nurse|doctor|counsell?or|moderator|volunteer|teacher|researcher|writer)"
_OF_A = r"(?:(?:a|an|the|my|our) )?(?:(?!last |final )\w+ )?"  # "my", "the song", "a video"
_IT_WAS = r"(?:its|it is|it was|thats|that is|that was|this is) (?:just |only )?"
_WORK_TAKE_BACK = (
    rf"(?:(?:no+|nah|nope|{_BEFORE_NO}|sorry|{_FINE})\b[.!? ]*)*"
    rf"(?:(?:{_IT_WAS}|not (?:about )?me[.!? ]+(?:{_IT_WAS})?)"
    rf"(?:(?:for|about|in|from) {_OF_A}(?:{_PIECE}|{_STUDY})|{_OF_A}{_PIECE})|"
    rf"i(?:m| am) (?:(?:a|an|the) )?(?:\w+ ){{0,2}}?{_ROLE}|"
    rf"i(?:m| am) (?:writing|drafting) {_OF_A}(?:{_PIECE}|{_STUDY}))\b"
)
_HELP_WITH = re.compile(r"\bhelp(?: me)? with (?:the|my|a|an|this|his|her|their)\b")


@cache
def _work_take_back() -> re.Pattern[str]:
    """_WORK_TAKE_BACK compiled when first needed, as _not_safe()."""
    return re.compile(_WORK_TAKE_BACK)


def _taken_back_as_work(text: str) -> bool:
    """`text` (read as normalise leaves it) says at its start that the crisis words were
    fiction, study or work (_WORK_TAKE_BACK), and nothing after it says not safe again."""
    said = _work_take_back().match(text) if len(text) <= _LONGEST_NO_THEN else None
    rest = _HELP_WITH.sub(" ", text[said.end() :]) if said else ""
    return bool(said) and not _no_then()[2].search(rest)


# An answer that says the crisis is another person's ("No, it's not me, it's my colleague", "no,
# not me, my coworker", "No, I'm asking for a colleague", "no, this is about someone else"):
# not the user's no. Said outright ("not me", "asking for a friend", "it's about my sister") it
# may stand alone; naming someone ("no, my coworker", "no, it's my friend") needs the no first,
# as "my friend is here with me" answers the question otherwise. In each language of the
# crisis reply ("Nein, nicht ich, es geht um meinen Kollegen", "Non, ce n'est pas moi, c'est
# mon collègue", "no, no soy yo, es mi compañera", "Não, não sou eu, é o meu colega", "ich
# frage für einen Freund", "pour un ami", "para um amigo"; in Japanese only "not me",
# 私ではなく...). The people (%relation%) are the relations of
# common/analysis/safety_phrases.json, after each language's own determiners (so that the
# German "mein Kind" does not make "my kind of day" a person); the English ones are also the
# English third_party crisis pattern's, but for "report" ("no, it was about my report": a
# document as often; "my direct report" and "one of my reports" are people) and "ex" ("no, my
# ex": as often the one the user is not safe from). The Spanish "no" is English's.
_NOT_A_RELATION_HERE = ("report", "ex")
_DETERMINERS = {
    "en": r"a|my|our",
    "es": r"mi|un|una",
    "de": r"(?:mein|ein|unser)(?:e[mnr]?)?",
    "fr": r"mon|ma|un|une|notre",
    "pt": r"(?:(?:o|a|do|da) )?(?:meu|minha|um|uma|nosso|nossa)",  # "é o meu", "falo da minha"
}
_OTHER = (
    r"(?:%relation%|(?:someone|somebody) else|otra persona|alguien m[aá]s|"
    r"jemand(?:en|em)? ander(?:s|es|en)|quelquun dautre|outra pessoa|algu[eé]m mais)\b"
)
_IT_IS = r"(?:its|it is|it was|this is|thats|that is|that was|es|es ist|das ist|cest|é|e)"
_NO_WORD = r"(?:no+|nope|nah|nein|nee|non|n(?:ão|ao)|naum)\b[.!? ]*"
_SOMEONE_ELSE = (
    rf"(?:honestly )?(?:{_NO_WORD}|sorry\b[.!? ]*)*"
    rf"(?:(?:{_IT_IS} )?not (?:about |for )?me\b|(?:im|i am|i was) not (?:asking|talking) "
    rf"(?:for|about) me\b|(?:(?:im|i am|i was) )?(?:asking|talking) (?:for|about) {_OTHER}|"
    rf"{_IT_IS} (?:about|for) {_OTHER}|"
    # Spanish
    rf"no soy yo\b|(?:hablo de|pregunto por) {_OTHER}|"
    # German
    r"(?:das bin |es ist )?nicht ich\b|(?:es geht |das ist )?nicht (?:um|für|über) mich\b|"
    rf"(?:ich )?(?:frage|rede|spreche) (?:für|von|über|wegen) {_OTHER}|"
    rf"(?:es geht um|(?:es|das) ist für|für) {_OTHER}|"
    # French
    r"(?:ce nest |cest |il ne sagit )?pas (?:pour |de )?moi\b|"
    rf"(?:je )?(?:demande|parle) (?:pour|de) {_OTHER}|(?:cest )?pour {_OTHER}|"
    rf"(?:il sagit|cest (?:à|a) propos) de {_OTHER}|"
    # Portuguese
    r"n(?:ão|ao) sou eu\b|n(?:ão|ao) (?:é|e) (?:comigo|(?:sobre|para|pra|por) mim)\b|"
    r"(?:(?:estou|to|tô|eu) )?(?:perguntando|pergunto|falando|falo) "
    rf"(?:(?:por|para|pra|sobre|de|pelo|pela) )?{_OTHER}|(?:(?:é|e) )?(?:para|pra|sobre) {_OTHER}|"
    # Japanese: "not me" (the no may follow いいえ with no space)
    r"(?:いいえ|いえ|ううん)? ?(?:私|わたし|僕|ぼく|俺|おれ|自分)(?:のこと)?(?:では|じゃ)"
    r"(?:なく|ない|ありません))"
    # naming someone, after a no
    rf"|(?:honestly )?(?:{_NO_WORD})+(?:sorry\b[.!? ]*)?(?:(?:{_IT_IS}|i meant) )?{_OTHER}"
)


@cache
def _no_then() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """_NO_FIRST, _REASSURED and _STILL_NOT_SAFE compiled when first needed, as _not_safe()."""
    return re.compile(_NO_FIRST), re.compile(_REASSURED), re.compile(_STILL_NOT_SAFE)


@cache
def _someone_else() -> re.Pattern[str]:
    """_SOMEONE_ELSE, with the relations of the phrase data, compiled when first needed, as
    _not_safe()."""
    relations = load_rules().relations
    people = "|".join(
        rf"(?:{_DETERMINERS[language]}) (?:\w+ )?"
        f"(?:{'|'.join(word for word in words if word not in _NOT_A_RELATION_HERE)})"
        for language, words in relations.items()
    )
    # "one of my reports", "one of our students": the English ones in the plural, a report too
    plural = "|".join(f"{word}s" for word in relations["en"] if word != "ex")
    people += rf"|one of (?:my|our) (?:\w+ )?(?:{plural})"
    return re.compile(_SOMEONE_ELSE.replace("%relation%", people))


def _asks_if_safe(previous_reply: str | None) -> bool:
    """The reply before ends with the crisis reply's "Are you safe right now?" (any language)."""
    return bool(previous_reply and previous_reply.rstrip().endswith(_SAFETY_QUESTIONS))


# Someone is with the user, or coming: "no, my husband is here" says why they are not safe, not
# that the crisis is his (a person the user fears is named as a worried user names a friend).
_WITH_THEM = re.compile(
    r"\s*(?:(?:is|s|are|was|just|has\s+just|ist|est|esta|está|e|é)\s+)*"
    r"(?:here|outside|home|back|coming|on\s+(?:his|her|their|the)\s+way|at\s+the\s+door"
    r"|in\s+the\s+(?:house|room|flat|apartment|next\s+room)|with\s+me|next\s+to\s+me"
    r"|came\s+(?:home|back)|got\s+(?:home|back)|found\s+me"
    r"|hier|da|draußen|draussen|zu\s*hause|zurück|zuruck|unterwegs|bei\s+mir|kommt"
    r"|là|la|ici|dehors|à\s+la\s+maison|a\s+la\s+maison|rentrée?|avec\s+moi|arrive"
    r"|aquí|aqui|afuera|fuera|en\s+casa|conmigo|de\s+camino|viene|llegó|llego"
    r"|lá\s+fora|la\s+fora|em\s+casa|comigo|a\s+caminho|vindo|chegou)\b"
)


def _said_of_someone_else(answer: str) -> SafetyAnswer | None:
    """How an `answer` (normalised) that starts by saying the crisis is another person's reads:
    "someone_else" when nothing in it is a sign of the user's own; "not_safe" when something is: a
    crisis pattern about the user ("no, my husband hits me", "nicht ich, ich will sterben"),
    the same said of themselves after it ("... and honestly same", "... ich auch"), or not safe
    again after it (_STILL_NOT_SAFE: "no, not me, I have the pills", "nein, nicht ich, ich habe
    die Tabletten") unless only the crisis patterns about others read it ("it's my friend, she
    wants to die"), or the one named is with them or coming (_WITH_THEM: "no, my husband is
    here"); None when it does not start so."""
    said = _someone_else().match(answer) if len(answer) <= _LONGEST_NO_THEN else None
    if not said:
        return None
    rest = answer[said.end() :]
    if says_it_of_themselves(rest) or _WITH_THEM.match(rest) or crisis_kinds(answer) - ABOUT_OTHERS:
        return "not_safe"
    if _no_then()[2].search(rest) and not only_about_others(crisis_kinds(rest)):
        return "not_safe"
    return "someone_else"


# How a message answers the crisis reply's "Are you safe right now?" (safety_answer).
SafetyAnswer = Literal["not_safe", "someone_else"]


def safety_answer(previous_reply: str | None, message: str) -> SafetyAnswer | None:
    """How the message answers the crisis reply's safety question (in any of its languages):
    "someone_else" when it says the crisis is another person's ("No, it's not me, it's my
    colleague": they get the reply for a worried friend); "not_safe" for a no (or "not sure",
    or a plea for help), whole ("no", "not really", "I'm not safe") or saying more ("no. i have
    the pills", "not really, just tired"): the user is still in crisis, however little the
    detectors make of a bare "no"; None when it is neither (a no that takes the crisis words
    back as fiction, study or work, "no, it's for my novel", is neither: _taken_back_as_work),
    or the reply before asked nothing."""
    if not _asks_if_safe(previous_reply):
        return None
    answer = normalise(message).strip(" .!?")
    if said := _said_of_someone_else(answer):
        # "no, not me, my character": no one else's crisis, their fiction's
        return None if said == "someone_else" and _taken_back_as_work(answer) else said
    if _taken_back_as_work(answer):  # "no, it's for my novel"
        return None
    if reassures(answer):  # "not literally", "not suicidal": no "not" that says no
        return None
    if corrects_the_reading(answer):  # "no, I mean my essay": not a no to being safe
        return None
    if len(answer) <= _LONGEST_ANSWER and _not_safe().fullmatch(answer):
        return "not_safe"
    if len(answer) > _LONGEST_NO_THEN:
        return None
    no = _no_then()[0].fullmatch(answer)
    if not no or _reassured(no.group("rest")) is not None:
        return None
    # "no, I used to cut myself but I've been clean for 2 years": told of the past
    return None if lived_experience(no.group("rest")) else "not_safe"


def answers_for_someone_else(previous_reply: str | None, message: str) -> bool:
    """safety_answer says the crisis is another person's."""
    return safety_answer(previous_reply, message) == "someone_else"


def answers_not_safe(previous_reply: str | None, message: str) -> bool:
    """safety_answer says no (not a no that says it is someone else's)."""
    return safety_answer(previous_reply, message) == "not_safe"


def _reassured(text: str) -> str | None:
    """What follows a reassurance at the start of `text` (read as normalise leaves it), when
    nothing after it says not safe again; None when `text` does not start with one."""
    _, reassurance, still_not_safe = _no_then()
    reassured = reassurance.match(text)
    if not reassured or still_not_safe.search(text, reassured.end()):
        return None
    return text[reassured.end() :]


_HARMLESS_TAIL = re.compile(_HARMLESS)


_MORE_REASSURANCES = 3  # "i'm fine, it was a joke, i'm not suicidal": each read once


def reassures(message: str) -> bool:
    """The whole message says the user is all right ("i'm ok now i think", "thanks", "i'm not
    suicidal", "im fine it was a joke"): a reassurance as a no followed by one reads
    (_REASSURED), maybe a few in a row, with nothing after them but a few harmless words
    (_HARMLESS_TAIL) and none that says not safe again."""
    said = normalise(message).strip(" .!?")
    if len(said) > _LONGEST_NO_THEN:
        return False
    rest = _reassured(said)
    for _ in range(_MORE_REASSURANCES):
        if rest is None or _HARMLESS_TAIL.fullmatch(rest):
            break
        rest = _reassured(rest.lstrip(" .!?"))
    return rest is not None and _HARMLESS_TAIL.fullmatch(rest) is not None


# Politeness, which says nothing of how the user is: "thanks" or "no worries" to a care reply.
_POLITE = re.compile(r"\b(?:thanks|thank you|thx|gracias|(?:no )?worries|(?:no )?problem)\b")


def says_all_right(message: str) -> bool:
    """reassures(), by more than politeness ("i'm fine, it was a joke", "thanks, i'm ok now";
    not "thanks" or "no worries" alone), or the crisis words taken back as fiction, study or
    work, whatever is asked after it ("no, it's for my novel. how do I end the scene?":
    _taken_back_as_work), or safe_then_more(): in care, the user's requests are answered from
    then on (common.chat.service)."""
    said = normalise(message)
    return (
        reassures(_POLITE.sub(" ", said))
        or _taken_back_as_work(said.strip(" .!?"))
        or safe_then_more(message)
    )


# Literal corrections (the neurodivergent-users review): a user who meant the words literally
# answers the safety question by saying what they meant ("no, I mean my essay. what should I
# do first?"), or says they are safe and goes on to what they need ("I am safe. I just need the
# first step", "I'm not suicidal, I'm autistic"). Both were read as not safe, or as not all
# right, and got a day of care they could not talk their way out of. Neither counts when what
# follows carries a crisis sign of its own (assess_safety, or _STILL_NOT_SAFE's words: "no, I
# mean I want to die", "I'm safe but I have the pills"); "i mean it" is never a correction.
_FILLERS = r"(?:(?:no+|nope|nah|sorry|wait|oh|ah|um|lol)\b[.!? ]*)*"
_CORRECTION = re.compile(
    rf"(?:(?:{_BEFORE_NO}[.!? ]*)?(?:no+|nope|nah)\b[.!? ]*{_FILLERS}"
    r"(?:i (?:just |only )?mean(?:t)?(?! (?:it|that|what i said|every word)\b)|"
    r"(?:you )?(?:misunderstood|misread|got it wrong)(?: me)?|wrong read|"
    rf"(?:im|i am|i was) (?:just |only )?(?:talking|asking) about)|{_FILLERS}not like that)"
    r"\b(?P<rest>.*)"
)
_SAFE_FIRST = re.compile(
    r"(?:(?:honestly|yes|yeah|ok|okay)\b[.!? ]*)*"
    r"(?:im|i am) (?:totally |completely |perfectly )?(?:safe|not suicidal)\b[.!? ]*(?P<rest>.*)"
)
# "help" asked with something ("help with the essay") is no plea: _STILL_NOT_SAFE reads "help".
_HELP_WITH = re.compile(r"\bhelp (?:me )?(?:with|on|to (?:start|begin|write|finish|plan))\b")
# Words of a farewell or a safety taken back, which no pattern reads as a crisis ("im safe.
# tonight is the night", "I am safe, just not from myself"): the reading does not count. "last"
# not of a time gone by ("I'm safe, it was last week. should I report it to HR?" stayed in
# care), but "this is my last night" still.
_FAREWELL = re.compile(
    r"\b(?:goodbye|bye|farewell|tonight|the night|forever|anymore|any more|not from|myself"
    r"|last(?! (?:week|month|year|night|weekend|time|monday|tuesday|wednesday|thursday|friday"
    r"|saturday|sunday)\b)|my last night)\b"
)


def _nothing_unsafe(rest: str) -> bool:
    """`rest` (normalised) says something, and nothing in it is a crisis sign."""
    words = _HELP_WITH.sub(" ", rest)
    return bool(rest.strip(" .!?")) and not (
        assess_safety(rest).crisis or _no_then()[2].search(words) or _FAREWELL.search(rest)
    )


def corrects_the_reading(answer: str) -> bool:
    """A no that says what was meant ("no, I mean my essay", "no you misunderstood, I meant my
    essay"), with no crisis sign in what was meant."""
    said = _CORRECTION.match(normalise(answer)) if len(answer) <= _LONGEST_NO_THEN else None
    return said is not None and _nothing_unsafe(said.group("rest"))


def safe_then_more(message: str) -> bool:
    """ "I'm safe" or "I'm not suicidal" first, then something with no crisis sign ("I am safe.
    I just need the first step for the essay", "im safe, its just sensory overload")."""
    said = normalise(message).strip(" .!?")
    first = _SAFE_FIRST.match(said) if len(said) <= _LONGEST_NO_THEN else None
    return first is not None and _nothing_unsafe(first.group("rest"))


CARE_QUESTION = "Before anything else: how are you holding up since earlier?"
# The first care reply of a session begun in care, with no resources to name (see below).
CARE_CHECK_IN = (
    f"{CARE_QUESTION} If things feel heavy again, the resources I shared are there for you any "
    "time."
)
# The first of a session begun in care (after a no in another one): no reply of this session
# shared any resources, so this one names them ({listed}: the locale's crisis resources). Not
# "any time": not every line listed is open all hours (ja-JP's TELL: 9-23 h).
CARE_CHECK_IN_NAMED = (
    f"{CARE_QUESTION} If things feel heavy again, these are there for you: {{listed}}."
)
# The first care reply when the crisis reply is the one just above (the next turn, often an
# answer to its question): "how are you holding up since earlier? If things feel heavy
# again" read as if time had passed, and asked again what that reply had just asked.
CARE_JUST_AFTER = (
    "Thank you for telling me. The resources I shared are there for you any time, and we can "
    "go as slowly as you need."
)
# The crisis reply to a message that takes back, right after a crisis reply, the very words it
# answered ("i'm not going to kill myself, it was a joke": a crisis the patterns read, which
# reassures()): the resources again, but not the question, which it got each time before. In
# English, as the care texts (reassures() reads English).
TAKEN_BACK = CARE_JUST_AFTER + "\n{resources}"
# The later turns of care: the check-in once is caring, the same words every turn are not.
CARE_REMINDER = "(The resources I shared earlier are still there for you, any time.)"
# In care, to a message that says the user is all right (says_all_right: "im fine it was a
# joke"): it asks nothing, and their next requests are answered (ReplyRequest.all_right).
CARE_ALL_RIGHT = (
    "Thank you for letting me know. I'm here for whatever you'd like to talk about or work on next."
)
# A 429 in care (the hour's limit still holds): calm, with the locale's resources ({listed})
# instead of the plain wording of a burst (common.chat.service._limit).
CARE_LIMITED = (
    "I'm still here. Give me a moment to catch up, then write again. If you need someone right "
    "now: {listed}."
)
# The care turns after the emergency reply (SessionState.emergency): a check-in that gives the
# emergency number again ({call}: call_now's "call 911 now"), not care's "There's no need to fix
# or decide anything right now". In English, as the care texts.
EMERGENCY_CHECK_IN = (
    "Checking in: is help with you, or on its way? If not, or if anything gets worse, {call}."
)
EMERGENCY_STILL_HERE = (
    "I'm still here with you. If help hasn't come yet, or anything gets worse, {call}."
)
# A question whether to get urgent medical help ("it was an accident, should I go to A&E?": care
# answered "There's no need to fix or decide anything right now"), in care or not: yes, now.
URGENT_CARE = (
    "Yes, please don't wait: {call}, or go to the nearest emergency department (A&E, the ER) "
    "straight away. Even if you feel fine for now, some harm doesn't show at first."
)
