"""The reply to a crisis told in the past or of recovery ("I used to cut myself but I've been
clean for 2 years": common.analysis.safety.lived_experience): fixed and persona-independent,
as the crisis reply is, but no crisis reply. It recognises how far they have come and names
the lines should it get heavy again; it asks no "Are you safe right now?", and no care follows.

In each language of the crisis reply but Japanese (the frames are read in English only, so a
Japanese crisis is never one told in the past): English for any other. Owed, as for the
crisis replies: a native check of the de, fr, es and pt."""

from __future__ import annotations

LIVED_EXPERIENCE_REPLIES: dict[str, str] = {
    "en": "Thank you for telling me. It sounds like you've come a long way, and that deserves "
    "to be recognised. If it ever gets heavy again, these are there for you:\n{resources}\n"
    "I'm here for whatever you'd like to talk about or work on.",
    "de": "Danke, dass du mir das erzählst. Es klingt, als hättest du einen langen Weg hinter "
    "dir, und das verdient Anerkennung. Falls es irgendwann wieder schwer wird, sind diese "
    "Stellen für dich da:\n{resources}\nIch bin für alles da, worüber du sprechen oder woran du "
    "arbeiten möchtest.",
    "fr": "Merci de m'en avoir parlé. On dirait que vous avez parcouru un long chemin, et cela "
    "mérite d'être reconnu. Si cela redevient lourd un jour, ces services sont là pour vous :"
    "\n{resources}\nJe suis là pour parler de ce que vous voulez, ou pour avancer sur ce qui "
    "compte pour vous.",
    "es": "Gracias por contármelo. Parece que has recorrido un largo camino, y eso merece "
    "reconocimiento. Si alguna vez vuelve a pesarte, estas líneas están ahí para ti:"
    "\n{resources}\nEstoy aquí para hablar de lo que quieras o para trabajar en lo que necesites.",
    "pt": "Obrigado por me contar. Parece que já percorreu um longo caminho, e isso merece ser "
    "reconhecido. Se algum dia voltar a pesar, estes serviços existem para ajudar:\n{resources}"
    "\nEstou aqui para conversar sobre o que quiser ou para trabalhar no que precisar.",
}


def lived_experience_reply(resources: tuple[str, ...], *, language: str = "en") -> str:
    """The reply in `language` (English if there is none in it), listing `resources`."""
    listed = "\n".join(f"• {r}" for r in resources)
    said = LIVED_EXPERIENCE_REPLIES.get(language, LIVED_EXPERIENCE_REPLIES["en"])
    return said.format(resources=listed)
