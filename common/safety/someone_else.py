"""The crisis replies for a user worried about someone else: a friend's thoughts of suicide,
someone else hurt, and one the user answers for (a report, a child, a partner, a parent they
care for), who is told what the one responsible can do rather than to tell a trusted adult."""

from __future__ import annotations

import re
from functools import cache

from common.analysis.safety import normalise

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
