"""Running summary of the turns that have left the context window (pure)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from common.dictation import spoken_marks
from common.languages import ENGLISH_WORDS, GERMAN_WORDS, OTHER_WORDS
from common.plain_text import as_seen
from common.text import canonical_text

MAX_ITEMS = 12  # attempts (the template reads them all) and tones
# Names and topic words: only as many as the notes show (common.replies.prompt), none kept
# that no one reads.
MAX_ENTITIES = 6
MAX_TOPICS = 4

# What follows "tried" when it names nothing: "I tried that", "I already did it".
_NAMES_NOTHING = r"(?:that|it|this|those|them|everything|again)\b"
# "I already <verb> X" keeps the verb ("updated the drivers"), so what it names is read past the
# verb: "I already tried that", "I already did it", "I already know that" name nothing; nor does
# a bare "I already did" ("I already rebooted." names an attempt).
_ALREADY = (
    r"\bi\s+already(?!\s+[\w']+\s+"
    + _NAMES_NOTHING
    + r"|\s+(?:tried|did|done|know|knew)\s*(?:[.!?;,\n]|$))"
)

# "I tried X", "I've already tried X", "tried X, no luck", "I already restarted X".
_TRIED = re.compile(
    # a subject ("I tried"), or a clause that starts with the verb ("tried X, no luck")
    r"(?:(?:\bi(?:'ve| have)?\s+|^\s*|(?<=[.!?;,]\s))(?:already\s+|also\s+)?"
    r"(?:tried|been\s+trying)(?:\s+to)?|" + _ALREADY + r")\s+"
    r"(?!" + _NAMES_NOTHING + r")"
    r"(?P<what>[^.!?;\n]{3,80}?)"
    r"(?=\s+(?:but|and it|and that|which|yet|though)\b|[.!?;,\n]|$)",
    re.IGNORECASE,
)

# The same in German, French, Spanish and Portuguese: "Ich habe schon versucht, mit meinem Chef
# zu reden", "J'ai déjà essayé de lui écrire", "Ya intenté hablar con él", "Já tentei falar
# com ele" (not "Ich habe schon Yoga versucht": the object comes first).
_TRIED_ELSEWHERE = re.compile(
    r"(?:\b(?:habe|hab)(?:\s+\w+){0,3}?\s+(?:versucht|probiert),?\s+"
    r"|\bj'ai\s+(?:d[ée]j[àa]\s+|aussi\s+)?essayé(?:\s+de\s+|\s+d'|\s+)"
    r"|\b(?:intenté|probé|he\s+(?:intentado|probado)|tentei)\s+)"
    r"(?!(?:es|das|alles|ça|cela|tout|eso|esto|todo|isso|tudo|de\s+tudo|de\s+novo)\b)"
    r"(?P<what>[^.!?;\n…]{3,80}?)"
    r"(?=\s+(?:aber|doch|mais|pero|mas)\b|[.!?;,\n…]|$)",
    re.IGNORECASE,
)

# A fragment that only says when or how often names no attempt ("that's what I tried last
# week", "I tried yesterday", "I tried a few times").
_ONLY_WHEN = re.compile(
    r"(?:\W*\b(?:\d+|a|all|ago|again|already|an|and|couple|days?|during|each|earlier|evenings?"
    r"|every|few|fortnight|for|hours?|in|last|lately|many|minutes?|months?|more|mornings?"
    r"|nights?|now|of|on|once|one|other|over|past|recently|same|several|some|that|the|then"
    r"|this|times?|today|tonight|twice|weeks?|weekends?|while|years?|yesterday"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)days?)\b)+\W*",
    re.IGNORECASE,
)

# Ways of hurting oneself. A message that names one is not always flagged as a crisis ("I
# already tried cutting but it didn't help"), and it must never come back as a fix that failed
# ("Since cutting didn't resolve it...") or as a topic of the conversation. A "tried" item is
# dropped when it names a means (razor, pills, bleach), a method done to oneself or a bare one
# ("cutting", "cutting deeper"); not for an ordinary use ("cutting back on caffeine", "hanging
# out with friends", "burning calories").
_SELF_HARM = re.compile(
    r"\b(?:razors?|blades?|bleach|pills|tablets|overdos\w*|noose|self[\s-]?harm\w*)\b"
    r"|\b(?:cut|burn|hurt|harm|starv|hang|punish|slit|slash|stab|poison|strangl|suffocat|chok"
    r"|drown|carv)\w*\s+(?:on\s+|into\s+)?"
    r"(?:my\s*self|my\s+(?:wrists?|throat|neck|arms?|legs?|thighs?|skin|body))\b"
    r"|\bkill\w*\s+my\s*self\b|\b(?:end|take|taking)\w*\s+my\s+(?:own\s+)?life\b"
    r"|^(?:cutting|burning|starving)(?:\s+(?:again|deeper|more))?$|\bcutting\s+deeper\b"
    r"|\bjump\w*\s+off\s+(?:a|the)\s+(?:bridge|roof|building|balcony|cliff)\b",
    re.IGNORECASE,
)
# The other languages' ways of hurting oneself ("mich zu ritzen", "de me couper", "cortarme",
# "me matar", "Tabletten"), which their attempts may name too.
_SELF_HARM_ELSEWHERE = re.compile(
    r"\bmich\s+(?:\w+\s+){0,2}?(?:ritzen|schneiden|verletzen|umbringen|umzubringen|töten"
    r"|erhängen|vergiften)\b|\britzen\b|\bmir\s+das\s+leben\b|\bselbstmord|\bselbstverletz"
    r"|\b(?:me\s+|m')(?:couper|tuer|suicider|blesser|pendre|noyer|empoisonner|scarifier"
    r"|faire\s+du\s+mal)\b|\b(?:cortar|matar|suicidar|lastimar|herir|ahorcar|envenenar"
    r"|quitar)-?me\b|\bme\s+(?:cortar|matar|machucar|ferir|enforcar|envenenar)\b"
    r"|\btirar\s+(?:a\s+)?minha\s+(?:pr[óo]pria\s+)?vida\b|\bsuicid|\bsuizid"
    r"|\b(?:tabletten|pillen|cachets|comprimés|pastillas|p[íi]lulas|comprimidos|überdosis"
    r"|surdose|sobredosis|rasierklingen?|cuchillas?|l[âa]minas?)\b",
    re.IGNORECASE,
)
# A crisis line the user called or texted: never a fix that failed ("I hear that calling the
# hotline didn't help; let's try another way in"), whichever turn said it.
_HELPLINE = re.compile(
    r"\b(?:hot|help|crisis|life|suicide)[\s-]?lines?\b|\bcrisis\s+text\b|\bsamaritans\b"
    r"|(?<![\d-])(?:988|9-8-8|741741|116\s?123|024|3114)(?![\d-])|\b(?:telefon)?seelsorge\b"
    r"|\bl[íi]nea\s+(?:de\s+)?(?:ayuda|crisis|prevenci)|\bligne\s+d'(?:aide|écoute)"
    r"|\bsos\s+amiti|\bcvv\b",
    re.IGNORECASE,
)

# Treatment or support the user has or had (AA or NA meetings, a sponsor, rehab, detox,
# therapy, counselling, a meal plan, a clinic, medication): never a fix that failed either (the
# recovery review: Riri's "OK, the idea to ... (and AA meetings) didn't cut it, so scrap that:
# new angle", Elro's "... (and my meal plan from the clinic) didn't resolve it, let's rule that
# out", Gemini's notes "Earlier they tried: AA meetings and rehab before that"). A meeting or a
# programme only of a recovery kind: "I tried fewer meetings", "rewriting the program" are
# attempts at work.
_TREATMENT = re.compile(
    r"\b(?-i:AA|NA)\b|\b(?:aa|na|support|group|recovery|12[\s-]step|fellowship)\s+meetings?\b"
    r"|\b(?:sponsors?|rehab|detox|therap(?:y|ies|ists?)|counsell?(?:ing|ors?)|meal\s+plans?"
    r"|treatment|clinics?|medications?|meds|antidepressants?)\b"
    r"|\b(?:recovery|treatment|12[\s-]step|outpatient|inpatient|rehab|day|ed|eating\s+disorder)"
    r"\s+program(?:me)?s?\b",
    re.IGNORECASE,
)

# Words never made a topic of the conversation (keywords() keeps whole words only).
_SELF_HARM_WORDS = frozenset(
    [
        "cutting",
        "razor",
        "razors",
        "blade",
        "blades",
        "bleach",
        "pills",
        "tablets",
        "overdose",
        "overdosed",
        "overdoses",
        "overdosing",
        "noose",
        "wrist",
        "wrists",
        "slitting",
        "slashing",
        "stabbing",
        "poisoning",
        "strangling",
        "suffocating",
        "self-harm",
        "selfharm",
        "suicide",
        "suicidal",
    ]
)


@dataclass(frozen=True)
class SessionSummary:
    """What older turns told us: what the user tried, what they named, how they felt."""

    tried: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    tones: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    turns_folded: int = 0
    # When the oldest turn folded in was written: the retention job refolds a summary that
    # holds words from before the user's retention (None: folded before this was recorded).
    since: datetime | None = None
    # They asked not to bring up something they said (requests.asks_to_forget): what they
    # said before was left out, and the prompt asks the model not to bring it up either.
    asked_to_forget: bool = False
    # How they asked to be answered (requests.KEPT: "one step at a time", "no idioms", "stop
    # asking how I feel"), held until they say otherwise (requests.kept_requests): the window's
    # 5 turns forgot them, though the prompt promises "until they say otherwise".
    requests: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "tried": list(self.tried),
            "entities": list(self.entities),
            "tones": list(self.tones),
            "topics": list(self.topics),
            "turns_folded": self.turns_folded,
            "since": self.since,
            "asked_to_forget": self.asked_to_forget,
            "requests": list(self.requests),
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> SessionSummary:
        data = data or {}
        return cls(
            tried=tuple(data.get("tried", ())),
            entities=tuple(data.get("entities", ())),
            tones=tuple(data.get("tones", ())),
            topics=tuple(data.get("topics", ())),
            turns_folded=int(data.get("turns_folded", 0)),
            since=data.get("since"),
            asked_to_forget=bool(data.get("asked_to_forget", False)),  # False: stored before
            requests=tuple(data.get("requests", ())),  # none in summaries stored before
        )

    def forgetting(self) -> SessionSummary:
        """The summary once they asked not to bring up what they said: their words go, their
        tones stay (fixed labels)."""
        return replace(self, tried=(), entities=(), topics=(), asked_to_forget=True)


def extract_tried(message: str) -> list[str]:
    """The things a user says they already tried, in their words (trimmed), never a way of
    hurting oneself, a crisis line, treatment or support (_TREATMENT), nor only when they
    tried. Read with typographic apostrophes as ' (iOS sends "I’ve tried"), cut from the
    message as written: canonical_text swaps one character for another, so the spans are the
    same, and a fragment keeps the user's marks
    (`git reset` stays code that safe_fragment unquotes, not 'git reset'). Spoken marks are
    marks first ("restarting the computer period")."""
    message = spoken_marks(message)
    read = canonical_text(message)
    found = sorted(
        (m for p in (_TRIED, _TRIED_ELSEWHERE) for m in p.finditer(read)), key=lambda m: m.start()
    )
    return [
        what
        for m in found
        if (what := message[m.start("what") : m.end("what")].strip(" ,…"))
        and not any(
            p.search(what) for p in (_SELF_HARM, _SELF_HARM_ELSEWHERE, _HELPLINE, _TREATMENT)
        )
        and not _ONLY_WHEN.fullmatch(what)
    ]


def _merge(old: tuple[str, ...], new: list[str], keep: int = MAX_ITEMS) -> tuple[str, ...]:
    """`old` then `new`, the latest `keep`; one named again (in any case) moves to the end, as
    the most recent: kept in its first place, it was the first left out of the notes."""
    merged = {item.casefold(): item for item in old}
    for item in new:
        merged.pop(item.casefold(), None)
        merged[item.casefold()] = item
    return tuple(merged.values())[-keep:]


def fold_turn(
    summary: SessionSummary,
    *,
    message: str,
    tone: str,
    entities: tuple[str, ...],
    topics=(),
    at: datetime | None = None,
) -> SessionSummary:
    """The summary once one more turn (written `at`) has left the window."""
    return replace(
        summary,
        tried=_merge(summary.tried, extract_tried(message)),
        entities=_merge(summary.entities, list(entities), MAX_ENTITIES),
        tones=(summary.tones + (tone,))[-MAX_ITEMS:],
        topics=_merge(summary.topics, list(topics), MAX_TOPICS),
        turns_folded=summary.turns_folded + 1,
        # The first fold's date; a summary folded before dates were kept stays undated, and so
        # as old as its session (common.sessions.state.holds_before), until retention refolds it.
        since=summary.since if summary.turns_folded else at,
    )


# Scripts written without spaces between words: a run of their letters is a sentence, not a topic.
_NO_SPACES = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN")


def _words(text: str) -> Iterator[str]:
    """Whole words in any script: letters, marks (Devanagari's and Thai's vowel signs are
    combining marks, which regular expressions' \\w leaves out) and digits, with ' and - inside."""
    word: list[str] = []
    for ch in f"{text} ":
        if unicodedata.category(ch)[0] in "LMN" or (word and ch in "'-"):
            word.append(ch)
        elif word:
            yield "".join(word)
            word = []


_STOP = frozenset(
    [
        "about",
        "above",
        "after",
        "again",
        "against",
        "already",
        "always",
        "anything",
        "because",
        "before",
        "being",
        "below",
        "between",
        "bring",
        "cannot",
        "could",
        "every",
        "everything",
        "feeling",
        "feels",
        "first",
        "forget",
        "going",
        "gonna",
        "having",
        "hello",
        "ignore",
        "instruction",
        "instructions",
        "itself",
        "maybe",
        "mention",
        "mentioned",
        "might",
        "myself",
        "needs",
        "never",
        "nothing",
        "other",
        "please",
        "previous",
        "private",
        "prompt",
        "really",
        "remember",
        "reveal",
        "right",
        "should",
        "since",
        "something",
        "still",
        "system",
        "thank",
        "thanks",
        "their",
        "there",
        "these",
        "thing",
        "things",
        "think",
        "those",
        "though",
        "through",
        "today",
        "tomorrow",
        "tried",
        "trying",
        "under",
        "until",
        "wanna",
        "wants",
        "where",
        "which",
        "while",
        "without",
        "would",
        "yesterday",
        "yours",
        "yourself",
    ]
)


# Filler of German, French, Spanish and Portuguese: their function words (common.languages,
# but "comment", an English word too) and these ("Ich habe schon versucht, mit meinem Chef zu
# reden" gave the topics "schon", "versucht", "meinem"). None an English word.
_STOP_ELSEWHERE = (OTHER_WORDS - {"comment"}) | frozenset(
    # German
    "versucht versuche versuchen probiert wirklich eigentlich irgendwie vielleicht nochmal "  # noqa: SIM905
    "damit obwohl während zwischen gegen sollte sollten könnte würde würden hatte hatten waren "
    "worden wurde wurden welche welcher welches deshalb trotzdem alles andere anderen jemand "
    "niemand gestern selbst dabei darüber davon dafür darum einmal sagen gesagt machen gemacht "
    "gehen wissen glaube denke ziemlich bisschen manchmal seitdem bevor nachdem unsere unser "
    "ihren ihrem ihrer seinen seiner seinem deinen deiner meinst "
    # French
    "essayé essayer essaie vraiment quelque quelques choses comme alors avant après avoir "
    "était c'était j'étais puisque autre autres même peut-être juste aujourd'hui quelqu'un "
    "pourrais voudrais devrais seulement plutôt assez leurs celui celle celles avais avait "
    "sommes étaient serait pourrait devrait mieux moins "
    # Spanish
    "intenté intentado intentando intentar probé probado realmente entonces todavía tampoco "
    "nadie alguien cosas sobre antes había hacer podría debería estaban estamos están tenía "
    "tenemos pueden puede quiere quería aunque mientras además otros otras nuestra nuestro "
    "demasiado bastante luego solamente muchas "
    # Portuguese
    "tentei tentado tentando tentar então coisa coisas alguém ninguém estava estavam tinha "
    "depois poderia deveria muitos muitas nosso nossa outra outros outras embora "
    "enquanto demais mesmo".split()
)


# Contractions are filler too ("can't", "won't", "they're", "that's", "should've"), with the ' that
# canonical_text writes for every typographic apostrophe, or typed without one ("didnt",
# "youre"). Not a possessive: "mum's" and "company's" stay topics.
_CONTRACTION = re.compile(
    r"[a-z]+'(?:t|re|ve|ll|d|m)|(?:here|how|it|let|she|that|there|what|when|where|who|why)'s"
    r"|y'all|(?:did|does|is|are|was|were|has|have|had|could|would|should|must|need)nt"
    r"|(?:you|they)(?:re|ve|ll)|(?:that|what|there|here|where)s"
)


# An email, a URL or domain, a @handle: they name someone or somewhere, not a topic, and the
# summary's topics go to Gemini with every later turn of the session.
_ADDRESS = re.compile(r"\S*(?:@|://|www\.)\S*|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b(?:/\S*)?")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;:\n])\s+|\n")
# A capitalised word past a sentence's first is a name ("I'm Maria Lopez", "at Acme"), however
# short the message and however many names it holds, unless capitals say nothing of names: in
# German, which capitalises its nouns (told by its common words: the summary does not know the
# request's locale), or in a message in title case (this share of at least _TITLE_CASE_WORDS
# such words). German names are kept as topics ("Mein Chef Thomas Müller hat mich angeschrien"
# gives "thomas", "müller"): their capitals cannot tell them from nouns.
_TITLE_CASE_SHARE = 2 / 3
_TITLE_CASE_WORDS = 4


def _sentences(text: str) -> list[list[str]]:
    """The words of each sentence, addresses left out."""
    return [list(_words(s)) for s in _SENTENCE_BREAK.split(_ADDRESS.sub(" ", text))]


def keywords(message: str, limit: int = 3) -> list[str]:
    """A few salient words of a message (the first long words that are not filler), never a
    name or a word of an address (_ADDRESS, _TITLE_CASE_SHARE)."""
    # "didn’t" is "didn't", a contraction; "ｉｇｎｏｒｅ" and "ig\u200bnore" are "ignore", filler
    sentences = _sentences(spoken_marks(as_seen(message)))  # not "period" as a topic
    lowered = [w.lower() for words in sentences for w in words]
    german = sum(w in GERMAN_WORDS for w in lowered) > sum(w in ENGLISH_WORDS for w in lowered)
    inner = [w for words in sentences for w in words[1:] if w[0].isalpha() and w != "I"]
    capitals = sum(w[0].isupper() for w in inner)
    title_case = len(inner) >= _TITLE_CASE_WORDS and capitals >= _TITLE_CASE_SHARE * len(inner)
    names_told = not (german or title_case)
    found: list[str] = []
    for words in sentences:
        for position, word in enumerate(words):
            if names_told and position and word[0].isupper():
                continue
            word = word.lower().strip("'-")
            if not (5 <= len(word) <= 30 and unicodedata.category(word[0]).startswith("L")):
                continue
            if unicodedata.name(word[0], "").startswith(_NO_SPACES):
                continue
            if word in _STOP or word in _STOP_ELSEWHERE or _CONTRACTION.fullmatch(word):
                continue
            if word not in found and word not in _SELF_HARM_WORDS:
                found.append(word)
            if len(found) == limit:
                return found
    return found
