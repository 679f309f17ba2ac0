"""The crisis reply, fixed text in each language both the crisis patterns and the resources
read: the first reply and its "Are you safe right now?", the follow-up to an answer, and in
their place the replies for someone else's crisis; never a language model's improvisation."""

from __future__ import annotations

from common.safety.care import TAKEN_BACK
from common.safety.helplines import call_now
from common.safety.someone_else import (
    _KEEP_SECRET,
    RESPONSIBLE_REPLIES,
    SOMEONE_ELSE_HURT_REPLIES,
    SOMEONE_ELSE_REPLIES,
)

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
