"""How a message answers the crisis reply's "Are you safe right now?": a no (or not sure, or a
plea), the crisis said to be someone else's, or the words taken back (a reassurance, fiction or
work, a literal correction), and whether a message in care says the user is all right."""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from common.analysis.recovery import PRESENT_RISK
from common.analysis.safety import (
    ABOUT_OTHERS,
    assess_safety,
    crisis_kinds,
    lived_experience,
    load_rules,
    normalise,
    only_about_others,
    says_it_of_themselves,
)
from common.safety.crisis_reply import _SAFETY_QUESTIONS

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
# A safety hedged in time (the LGBTQ+ review: "yes I'm safe for now", minutes after "my
# dysphoria is so bad I don't want to be alive anymore", ended care and the next turn got
# decision steps): safe for a while is not all right, so care goes on.
_HEDGED = re.compile(r"\b(?:for now|for the moment|for the time being|for tonight|at the moment)\b")


def says_all_right(message: str) -> bool:
    """reassures(), by more than politeness ("i'm fine, it was a joke", "thanks, i'm ok now";
    not "thanks" or "no worries" alone), or safe_then_more(), either not hedged in time
    (_HEDGED: "i'm safe for now"); or the crisis words taken back as fiction, study or work,
    whatever is asked after it ("no, it's for my novel. how do I end the scene?":
    _taken_back_as_work): in care, the user's requests are answered from
    then on (common.chat.service)."""
    said = normalise(message)
    if _taken_back_as_work(said.strip(" .!?")):
        return True
    if _HEDGED.search(said):
        return False
    return reassures(_POLITE.sub(" ", said)) or safe_then_more(message)


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
