"""Common words that tell a message's language without a model: the template's replies
(English only), the persona ranking (the model reads English only) and the summary's topics
(German capitalises its nouns) all need to know (pure)."""

import re
from collections.abc import Collection

ENGLISH_WORDS = frozenset(
    "the a an and or to of in on is are was i you my me it this that what how why should can "  # noqa: SIM905
    "do don't not no with for have just".split()
)
# none that is an English word too or part of one
GERMAN_WORDS = frozenset(
    "der das und ich nicht ist mit mein meine meinen wie kann soll auf für sich".split()  # noqa: SIM905
)


def _words(written: str) -> frozenset[str]:
    return frozenset(written.split()) - ENGLISH_WORDS


# Function words of German, French, Spanish and Portuguese, by language; none that is an
# English word too or part of one (Portuguese "do", "a", "as", "em"; "com" of "booking.com"; "e"
# of "e-mail"; German "den", "hat", "will"; French "son", "ta", "aux"; Spanish "sin", "ya", "sus",
# "dos"; "ai", "todo", "hay", "ton", "encore", "nada"), save a few of the template's first list
# ("mon" of "mon/wed/fri", "comment", "yo"): one alone is no sign (not_english). A word two of
# them write alike is in each ("de", "que", "para"): it tells them from English, not from each
# other (language_among).
LANGUAGE_WORDS: dict[str, frozenset[str]] = {
    "de": GERMAN_WORDS
    | _words(
        "du dich dir mich mir ein eine einen einem einer dem des zu zum zur von vom bei "
        "nach aus auch noch schon nur sehr aber oder wenn weil dass wir ihr sie bist sind habe "
        "hab hast haben wird werden kein keine nichts jetzt heute immer wieder mehr hier wegen "
        "meiner meinem dein deine warum wann ob nein danke bitte über können kannst möchte muss "
        "gibt geht gerade einfach etwas viel ganz morgen diese dieser dieses diesen ihm ihn uns "
        "euch dann denn doch weiß"
    ),
    "fr": _words(
        "le la les et je ne pas est mon ma mes avec pour une des que comment puis tu toi moi "
        "il elle nous vous ils elles ce cette ces du au dans sur mais où qui quoi très tres "
        "bien suis sont avez avons fait faire été être ça c'est j'ai n'ai m'a d'un qu'il qu'est "
        "aussi toujours jamais rien peux veux dois sais vais notre votre leur pourquoi quand "
        "parce depuis sans chez hier demain trop beaucoup tout tous toute tes merci lui sa ses "
        "un vos de se te en"
    ),
    "es": _words(
        "el los las y yo es mi mis con para una cómo puedo por del muy estoy estás soy eres "
        "tengo tiene tienes pero porque qué también le se su al desde hasta cuando "
        "donde esta este esto eso esa ese algo todos mucho muchos mucha ahora hoy mañana ayer "
        "quiero puedes necesito siento nos mí tú usted gracias hola sí otra otro vez después "
        "estaba fue unos unas ella ellos ellas contigo conmigo nunca siempre mismo cuándo dónde "
        "de en te ti que la les un tu como"
    ),
    "pt": _words(
        "eu não nao estou está meu minha seu sua você voce muito isso mas também como posso "
        "tenho sou uma às ao pra tô tá é uns umas na num numa ele ela eles elas nós vocês meus "
        "minhas seus suas essa esse isto aqui já ainda sempre onde quem qual tudo bem mais "
        "menos muita pouco fazer faz vou vai vamos tava foi ter tem queria preciso obrigado "
        "obrigada valeu olá né mim sem quando quer fico ficar dessa desse disso nisso nessa "
        "nesse pelo pela de que para se te ti tu nos porque esta este todos vez por"
    ),
}
OTHER_WORDS = frozenset().union(*LANGUAGE_WORDS.values())
# English words as common in Spanish and Portuguese ("no me digas", "vou me matar"): they
# count for neither side.
_SHARED = frozenset({"me", "no"})
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_LETTER = re.compile(r"[^\W\d_]")
_NON_LATIN = re.compile(r"[^\W\d_a-zA-Z\u00c0-\u024f]")  # a letter outside Latin scripts
_ACCENTED = re.compile(r"[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")  # é, ñ, ß, ç, œ...


def not_english(message: str) -> bool:
    """Clearly another language: mostly non-Latin letters; or, with at least one of OTHER_WORDS,
    more signs of German, French, Spanish or Portuguese than English words, two at least
    ("Python" or "merci" alone is no sign). The signs: those words, a ¿ or ¡, and words with an
    accent, but no more of these than of the words: café, naïve or résumé in an English
    sentence leave it English ("I had a café con leche")."""
    plain = message.isascii()  # most messages: no letter to look at twice
    if not plain and len(_NON_LATIN.findall(message)) > len(_LETTER.findall(message)) / 2:
        return True
    words = _WORD.findall(message.lower())
    other = sum(w in OTHER_WORDS for w in words)
    if not other:
        return False
    signs = other
    if not plain:
        accented = sum(w not in OTHER_WORDS and _ACCENTED.search(w) is not None for w in words)
        signs += min(accented, other) + ("¿" in message) + ("¡" in message)
    english = sum(w in ENGLISH_WORDS and w not in _SHARED for w in words)
    return signs >= 2 and signs > english


def language_among(message: str, languages: Collection[str]) -> str | None:
    """The one of `languages` (en, de, fr, es, pt) whose common words (ENGLISH_WORDS but
    _SHARED, LANGUAGE_WORDS) the message has the most of: "je pense au suicide" is French,
    not English. None when none of them is there, or two tie ("suicidio" alone)."""
    words = _WORD.findall(message.lower())
    known = {"en": ENGLISH_WORDS - _SHARED, **LANGUAGE_WORDS}
    counts = {lang: sum(w in known[lang] for w in words) for lang in languages if lang in known}
    most = max(counts.values(), default=0)
    found = [lang for lang, count in counts.items() if count == most]
    return found[0] if most and len(found) == 1 else None
