"""The reply to a physical emergency now (a heart attack, a fire, someone breaking in), in the
crisis replies' languages: the emergency number first, then what to do while help comes; no
question about feelings and no steps, which a coaching persona would give."""

from __future__ import annotations

from collections.abc import Set

from common.analysis.safety import HIDE, LEAVE
from common.safety.helplines import _EMERGENCY, call_now


def _sentence(clause: str, language: str) -> str:
    return clause + "。" if language == "ja" else clause[:1].upper() + clause[1:] + "."


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
