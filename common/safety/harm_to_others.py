"""Harm to others (kind harm_to_others: "I'm going to kill my wife tonight", "I shook the baby"):
its lines, its reply and its question, apart from the user's own crisis: the reply asks whether
anyone is in danger, not whether the user is safe."""

from __future__ import annotations

import re
from collections.abc import Set

from common.analysis.safety import normalise
from common.safety.helplines import _EMERGENCY, with_violence_lines
from common.safety.locales import lines_in
from common.safety.tables import _harm_child, _harm_own

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
    tables = (_harm_own, _harm_child) if child else (_harm_own,)
    return tuple(
        line
        for table in tables
        for line in lines_in(table, locale, default_locale=default_locale, language=language)
    )


def with_harm_lines(resources: tuple[str, ...], harm: tuple[str, ...]) -> tuple[str, ...]:
    """The crisis list for harm to others: its emergency line, then the lines for harm to
    others, then the rest of it, each once (with_violence_lines' order)."""
    return with_violence_lines(resources, harm)


def harm_sign_lines(resources: tuple[str, ...], harm: tuple[str, ...]) -> tuple[str, ...]:
    """For a message the harm patterns read below the crisis threshold: the emergency line of
    the crisis list `resources`, then the lines for harm to others, not the whole list."""
    emergency = tuple(line for line in resources if _EMERGENCY.search(line))[:1]
    return tuple(dict.fromkeys((*emergency, *harm)))


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
