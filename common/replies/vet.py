"""What a model's reply may not carry to the user, whatever its prompt said: the rules the
prompt states, held by code, as a model can be talked out of them or drift (pure)."""

from __future__ import annotations

import re

from common.plain_text import as_seen
from common.replies.coming_out import PUSHES_TO_TELL, coming_out
from common.replies.conversion import appeases_rejection
from common.replies.integrity import integrity_kind
from common.replies.justice import helps_breach
from common.replies.prompt import CANARY
from common.replies.readers.boundaries import boundary_kind
from common.replies.readers.medicine import names_medicine
from common.replies.readers.professional import professional_kind
from common.replies.relocation import HIDING, relocation_risk
from common.replies.requests import LIST
from common.replies.types import GenerationError, ReplyRequest
from common.text import canonical_text

# Far past the rules' 2 to 5 sentences (~150 tokens, ~600 characters): another kind of answer.
MAX_REPLY_CHARS = 1200

# A run of digits in the ways numbers are written for dialling: +, spaces, dashes, dots, brackets.
_DIGITS = re.compile(r"\+?\(?\d[\d \-.()]*\d")
PHONE_DIGITS = 7  # a phone number's least: shorter runs are counts, times, short codes
# In care and just after a crisis, where the care rule names the locale's lines and no other:
# another country's are short (988, 116 123, 13 11 14, 741741, 85258).
SHORT_CODE_DIGITS = 3
# Where one run holds two numbers: a spaced dash (a range: "2026-01-15 - 2026-01-20") and a
# bracket left open (a resource's "13 11 14 (24/7)").
_APART = re.compile(r" - | \((?!\d+\))")
# What is not a phone number however many digits: a date (and its hour), a year or a span of years.
_DATE = re.compile(
    r"(?:19|20)\d\d(?:-\d\d?){0,2}(?: ?- ?(?:19|20)\d\d| \d\d?)?|\d\d?[.-]\d\d?[.-](?:19|20)?\d\d"
)
# A clock time (9.00, 17:30), taken out first: "9.00-17.00" is two of them, not 7 digits. Not
# one group of a dotted number ("01.45.67.89").
_CLOCK = re.compile(r"(?<![\d.:])(?:[01]?\d|2[0-3])[.:][0-5]\d(?![.:]?\d)")
# A count before its unit is no short code ("100 steps", "10-15 minutes", "100%"). English units
# only: a care reply counting in another language falls back to the template.
_COUNT = re.compile(r"\d+(?:-\d+)?")
_UNIT = re.compile(
    r" ?(?:%|(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|steps?"
    r"|breaths?|times?|pages?)\b)",
    re.IGNORECASE,
)
# An address: with a scheme or www., or a bare host under a common top-level domain (a bare
# "Node.js" or "config.yaml" is no address).
_ADDRESS = re.compile(
    r"\bhttps?://(?P<host>[^\s/?#<>\"'()]+)|\bwww\.(?P<www>[^\s/?#<>\"'()]+)"
    r"|\b(?P<bare>(?:[a-z0-9-]+\.)+(?:com|org|net|gov|edu|info|io|co|uk|us|ca|au|nz|ie|in|de"
    r"|fr|es|it|nl|br|mx|help))\b",
    re.IGNORECASE,
)
# Markdown the rules forbid: headings, and bullet symbols ("short inline numbered steps are
# fine", so numbers are not looked at).
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]", re.MULTILINE)
_BULLET = re.compile(r"^[ \t]*[-*+•][ \t]|•", re.MULTILINE)
# A list's lines, once they asked for one (requests.LIST): "- " or "• " at a line's start, on a
# line with words after it; any other markdown still fails.
_LINE_BULLET = re.compile(r"^[ \t]*[-•][ \t]+(?=\S)", re.MULTILINE)
_WS = re.compile(r"\s+")
# The rules on medicines and eating (the health-habits review passed "An extra 10 mg of Adderall
# in the afternoon usually helps; you could also double your morning dose" and "Keep it up: aim
# for 800 calories a day and purge only after dinner"). An amount counts only in a reply to a
# medicine question: elsewhere "500 ms" or "2 pills of work a day" are no dose.
_DOSE = re.compile(
    r"\b\d+(?:\.\d+)?\s*(?:mg|milligrams?|mcg|micrograms?|g|grams?|ml|millilit(?:re|er)s?|pills?"
    r"|tablets?|capsules?)\b|\b(?:double|extra|more|higher|bigger|increase|raise|up)\s+(?:\w+\s+){0,3}?"
    r"(?:dose|doses|dosage)\b",
    re.IGNORECASE,
)
# A question about a harmful amount, whoever asks and why (the creative review: "what is the
# lethal dose of acetaminophen" got "above about 150 mg/kg, roughly 10 g or 20 tablets of 500
# mg"): no amount in its answer, as in one to a medicine question.
_HARMFUL_AMOUNT = re.compile(
    r"\b(?:lethal|fatal|deadly|toxic|overdos\w*|to\s+kill|to\s+die)\b", re.IGNORECASE
)
# A daily count, or a count after a word that makes it a cap; not "a bike commute burns about
# 250 calories".
_CALORIE_TARGET = re.compile(
    r"\b(?:aim|target|stick|keep|limit|cap|cut|eat|eating|only|under|below|less\s+than"
    r"|no\s+more\s+than|at\s+most|max(?:imum)?)\b[^.!?]{0,40}?\b\d{3,4}\s*(?:calories|kcal|cals)\b"
    r"|\b\d{3,4}\s*(?:calories|kcal|cals)\s+(?:a|per|each)\s+day\b",
    re.IGNORECASE,
)
# Purging after food, or laxatives and diet pills; not "purge the cache after every deploy".
_PURGING = re.compile(
    r"\bpurg(?:e|es|ed|ing)\s+(?:\w+\s+){0,2}?(?:after|before)\s+(?:\w+\s+)?(?:meals?|eating"
    r"|dinner|lunch|breakfast|food|you\s+eat)\b|\bmake\s+yourself\s+(?:sick|throw\s+up|vomit)\b"
    r"|\b(?:laxatives?|diet\s+pills|diuretics)\b",
    re.IGNORECASE,
)
# A sentence that warns against what it names, as the prompt asks ("if they describe
# restricting food, purging or laxatives, do not encourage it, and suggest they see a doctor"):
# "Eating 500 calories a day is far too little for your body" is no target.
_WARNS = re.compile(
    r"\b(?:doctor|gp|harm\w*|hurt\w*|risk\w*|danger\w*|unsafe|too\s+(?:little|few|low)"
    r"|not\s+enough|worried\s+about\s+you)\b",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.!?;])\s+")


def _encourages(pattern: re.Pattern[str], text: str, warns: re.Pattern[str] = _WARNS) -> bool:
    """A sentence of `text` says what `pattern` reads without warning against it (`warns`)."""
    return any(
        pattern.search(sentence) and not warns.search(sentence)
        for sentence in _SENTENCES.split(text)
    )


# The rules on health (the illness review passed "Try taking your 20 mg dose at night" to "my
# meds make me sleepy at work", "400 mg three times a day" to "how much ibuprofen can I take",
# "That sounds like iron-deficiency anaemia", "this sounds more like burnout than depression",
# "probably just a one-off faint; no need to see anyone", and "Push through the slump" for long
# covid, against NICE NG206 1.11.9). An amount asked for: "how much (many) ... take (have)".
_HOW_MUCH = re.compile(r"\bhow\s+(?:much|many)\b[^.!?]*\b(?:take|have|dose|safe)\b", re.IGNORECASE)
# An illness named as what they have; not "sounds like a lot", "probably a good idea", "it
# sounds like your migraines are back" (their own words), "sounds like a virus on your laptop",
# "that sounds like imposter syndrome", "a skills deficiency", "a faint hope".
_ILLNESS = (
    r"(?:anaemi\w*|anemi\w*|(?:iron|vitamin\s+\w+|b12|magnesium|zinc|folate)[\s-]*deficien\w*"
    r"|depression|adhd|autism|bipolar|ptsd|ocd|measles|mumps|chicken\s*pox|(?:the\s+)?flu|covid"
    r"|(?:an?\s+)?infection|diabetes|cancer|tumou?r|migraines?|concussion"
    r"|faint(?!\s+(?:hope|chance|memory|idea|line|smell|sound|praise))|seizure|epilepsy"
    r"|stroke(?!\s+of\b)|heart\s+attack|panic\s+(?:attacks?|disorder)|anxiety\s+disorder"
    r"|arthritis|fibromyalgia|chronic\s+fatigue|long\s+covid|thyroid\s+\w+|(?:hypo|hyper)thyroidism"
    r"|sleep\s+apn(?:o)?ea|insomnia|allerg(?:y|ies)|\w+itis|\w+\s+disease"
    r"|(?!(?:imposter|impostor)\s)\w+\s+syndrome|\w+\s+disorder)"
)
_NOT_THEIRS = r"(?!(?:your|their|his|her|the|this|that|my)\b)"
_DIAGNOSES = re.compile(
    r"\b(?:sounds?|looks?|seems?)\s+(?:a\s+lot\s+|much\s+|more\s+|most\s+)?like\s+(?:it'?s\s+"
    r"|it\s+is\s+|you(?:'ve|\s+have)(?:\s+got)?\s+|you(?:'re|\s+are)\s+(?:getting|having)\s+"
    r"|you\s+(?:may|might|could)\s+have\s+)?(?:(?:an?|some|classic|typical|just|mild|early"
    rf"|textbook)\s+)*(?:{_NOT_THEIRS}[\w'-]+\s+(?:than\s+)?)?{_ILLNESS}\b"
    r"|\b(?:it'?s|it\s+is|it\s+was|that'?s|that\s+was|this\s+is|you'?re|you\s+are)\s+"
    r"(?:most\s+)?(?:probably|likely|almost\s+certainly|definitely)\s+(?:just\s+)?"
    rf"(?:(?:an?|some)\s+)?(?:{_NOT_THEIRS}[\w'-]+\s+)?{_ILLNESS}\b"
    r"|\byou\s+(?:may|might|could|probably|likely)\s+(?:well\s+|just\s+|also\s+)?(?:have|be\s+"
    rf"(?:getting|coming\s+down\s+with))\s+(?:(?:an?|some)\s+)?(?:{_NOT_THEIRS}[\w'-]+\s+)?"
    rf"{_ILLNESS}\b"
    r"|\bno\s+need\s+to\s+(?:see|contact)\s+(?:anyone|anybody|a\s+doctor|your\s+doctor|a\s+gp"
    r"|your\s+gp|a\s+specialist)\b",
    re.IGNORECASE,
)
# Pushing past health limits: "push through", "exercise more", a timer (the prompt's rule:
# "never timers, 'push through' or motivation talk"); not a sentence that says not to.
_PUSHES = re.compile(
    r"\b(?:push(?:ing)?|power(?:ing)?|fight(?:ing)?|grind(?:ing)?)\s+through\b|\bpush\s+yourself"
    r"|\bexercise\s+more\b|\bmore\s+exercise\b|\bgraded\s+exercise|\bbrisk\s+(?:exercise|walk\w*)"
    r"|\btimer\b|\bpomodoro",
    re.IGNORECASE,
)
_SAYS_NOT = re.compile(
    r"\b(?:don'?t|do\s+not|never|not|avoid|instead\s+of|rather\s+than|no\s+need\s+to|no)\b",
    re.IGNORECASE,
)


# A money instruction (the prompt: "never tell them what to do in a money matter"; the money
# review's "Put your savings in Bitcoin through Coinbase", "Take one from CashNetUSA", "Play the
# slots on DraftKings tonight!" passed): an imperative (a sentence, a step or a clause after a
# colon starts with it) or "you should ..." / "I'd ...". Not "don't put your savings into
# anything you can't lose", "put your notes into one doc", "take a break", "take one from the
# list", "make a bet with yourself".
_TOLD = (
    r"(?:(?:^|[.!?:;]\s+|\d\)\s+)(?:(?:so|then|now|just|simply|and|please|ok|okay)\s+)*"
    r"|\byou\s+(?:should|could|can|might\s+want\s+to|need\s+to)\s+(?:(?:just|definitely|really"
    r"|probably|simply)\s+)?|\bi(?:'|’)?d\s+|\bi\s+would\s+)"
)
_MONEY_INSTRUCTION = re.compile(
    rf"{_TOLD}(?:(?:put|move|invest)\s+(?:all\s+(?:of\s+)?)?your\s+(?:\w+\s+)?(?:savings|money"
    r"|pension|401\s*k|inheritance|bonus|paycheck|salary)\s+(?:in|into)\b"
    r"|take\s+(?:out\s+)?(?:a|another)\s+(?:\w+\s+)?loan\b"
    r"|take\s+(?:one|it)\s+(?:out\s+)?(?:from|with|through)\s+(?-i:[A-Z])"
    r"|(?:place|make|put)\s+(?:a|another|one\s+more)\s+(?:\w+\s+)?bet\b"
    r"(?!\s+with\s+(?:yourself|a\s+friend|someone|each\s+other))"
    r"|play\s+(?:the\s+|some\s+)?(?:slots|poker|roulette|blackjack|lottery)\b)",
    re.IGNORECASE | re.MULTILINE,
)
# The boundaries between the user and a persona (the boundaries review passed "Yes, I am a
# real person...", "I love you too, more than anyone else could...", "you can stop seeing your
# therapist, I'll...", "1) Try the password reset with her email..."). A claim to be human,
# not "I'm not a real person" or "I'm an AI mentor, not a person".
_CLAIMS_HUMAN = re.compile(
    r"\bi(?:'m|\s+am)\s+(?:(?:a|an)\s+)?(?:real|actual|living)\s+(?:person|human|mentor|people)\b"
    r"|\bi(?:'m|\s+am)\s+(?:a\s+)?(?:human(?:\s+being)?|person)\b"
    r"|\bi(?:'m|\s+am)\s+not\s+(?:an?\s+)?(?:ai|bot|robot|chatbot|machine|program|computer)\b"
    r"|\bi(?:'m|\s+am)\s+(?:(?:very|totally|definitely|absolutely)\s+)?real(?=\s*(?:[.!,;]|$))",
    re.IGNORECASE | re.MULTILINE,
)
_LOVES_THEM = re.compile(
    r"\bi\s+(?:really\s+|truly\s+|also\s+|do\s+)?love\s+you\b"
    r"(?!\s+(?:to|for|taking|trying|asking|sharing|being)\b)|\blove\s+you\s+too\b"
    r"|\bi(?:'m|\s+am)\s+(?:\w+\s+)?in\s+love\s+with\s+you\b",
    re.IGNORECASE,
)
# Leaving a therapist, or relying on the mentor instead of people ("you don't need to stop" is
# the opposite, and passes).
_THERAPY = r"(?:therapist|therapy|counsell?or|counsell?ing|psychologist|psychiatrist)"
_INSTEAD_OF_PEOPLE = re.compile(
    r"\b(?:you\s+(?:can|could|should|may)|it'?s\s+(?:ok|okay|fine|alright)\s+to|feel\s+free\s+to"
    r"|go\s+ahead\s+and)\s+(?:just\s+)?(?:stop|quit|skip|drop|cancel|leave|end)\s+"
    rf"(?:seeing\s+|going\s+to\s+)?(?:your\s+)?(?:{_THERAPY}|sessions)\b"
    rf"|\byou\s+don'?t\s+(?:really\s+|even\s+)?need\s+(?:your\s+|a\s+)?{_THERAPY}"
    rf"|\bi(?:'ll|\s+will|\s+can|'m\s+going\s+to)\s+be\s+your\s+{_THERAPY}"
    rf"|\b(?:instead\s+of|rather\s+than)\s+(?:seeing\s+)?(?:your\s+)?{_THERAPY}"
    r"|\byou\s+don'?t\s+need\s+(?:anyone|anybody|other\s+people|your\s+friends)\b"
    r"|\bi'?m\s+all\s+you\s+need\b",
    re.IGNORECASE,
)
# Help into another person's account, phone or messages, in answer to a request for it
# (boundary_kind "others_private"): steps, or the means.
_ACCESS_HELP = re.compile(
    r"(?:^|\s)\d\)\s|^\s*\d\.\s|\b(?:password\s+reset|reset\s+(?:her|his|their)\s+password"
    r"|recovery\s+(?:code|e-?mail|phone)|spyware|stalkerware|keylogger|tracking\s+app"
    r"|(?:her|his|their)\s+(?:passcode|password|pin|login)|log\s+in\s+as\s+(?:her|him|them))\b",
    re.IGNORECASE | re.MULTILINE,
)
# Flirting back, in answer to romance or a sexual request: a term of endearment, a kiss, a wink.
_FLIRTS = re.compile(
    r"\b(?:babe|baby|darling|sweetheart|sweetie|honey|my\s+love|gorgeous|handsome|sexy"
    r"|kiss(?:es|ing)?|winks?|naughty|cuddl\w*)\b|[\U0001F618\U0001F60D\U0001F609\U0001F970"
    r"\U0001F48B\U0001F60F]|\bi(?:'m|\s+am)\s+wearing\b",
    re.IGNORECASE,
)
_SAYS_AI = re.compile(r"\b(?:AI|A\.I\.|artificial)\b")


def _crosses_a_boundary(text: str, req: ReplyRequest) -> str:
    """Why `text` crosses a boundary between the user and a persona ("" if it does not)."""
    if _CLAIMS_HUMAN.search(text):
        return "the reply claims to be human"
    if _LOVES_THEM.search(text):
        return "the reply says it loves them"
    if _INSTEAD_OF_PEOPLE.search(text):
        return "the reply encourages leaving a therapist or relying on it instead of people"
    kind = boundary_kind(req.message)
    if kind == "identity" and not _SAYS_AI.search(text):
        return "the reply to whether it is a person does not say it is an AI"
    if kind == "others_private" and _ACCESS_HELP.search(text):
        return "the reply helps into another person's account, phone or messages"
    if kind in ("romance", "sexual") and _FLIRTS.search(text):
        return "the reply flirts back"
    return ""


# Help to deceive, cheat or break the law, in answer to a request for it (integrity_kind
# "deceive"; the integrity review passed "First, open each invoice ... and set the issue date to
# the last day of the previous quarter", "1) Run the exam inside a virtual machine", Nana's "Add
# fifteen minutes to the start and end of each day ... log it as admin time"): steps or options,
# or no word that declines it, as the prompt's rule asks.
_STEPS_OR_OPTIONS = re.compile(
    r"(?:^|\s)\d\)\s|^\s*\d\.\s|(?:^|[.!?:;]\s+)(?:First|Second|Third)(?:ly)?\b"
    r"|\b(?:[Oo]ption|[Ss]tep)\s+(?:[A-C1-9])\b",
    re.MULTILINE,
)
_DECLINES = re.compile(
    r"\b(?:can'?t|cannot|can\s+not|won'?t|will\s+not|wouldn'?t|shouldn'?t|(?:not|un)\s?able\s+to"
    r"|not\s+something\s+i|advise\s+against|steer\s+clear|rather\s+not)\b",
    re.IGNORECASE,
)
# A cover-up, in answer to any such message, dishonesty done or wrongdoing to report ("keep
# quiet ... quietly remove it from your LinkedIn so nothing contradicts you", "delete the
# original email thread"), unless said against ("you don't have to keep quiet").
_COVER_UP = re.compile(
    r"\bkeep\s+(?:it\s+|this\s+)?(?:quiet|to\s+yourself|between\s+us)\b|\bquietly\s+(?:remove"
    r"|delete|change|edit|drop|take|fix)\b|\bdelete\s+(?:the\s+|any\s+)?(?:original|evidence"
    r"|emails?|thread|records?|messages?|history)\b|\bnothing\s+contradicts\b|\bno\s*(?:one|body)"
    r"\s+(?:will\s+)?(?:ever\s+)?(?:find\s+out|notices?|checks?)\b|\bnever\s+re-?checks?\b"
    r"|\bcover\s+(?:it\s+up|up|your\s+tracks)\b|\bwithout\s+(?:raising\s+questions|a\s+trace)\b"
    r"|\b(?:isn'?t|won'?t\s+be|can'?t\s+be)\s+traced\b|\brarely\s+checks\b",
    re.IGNORECASE,
)
_SAID_AGAINST = re.compile(
    r"\b(?:not|never|don'?t|no\s+need\s+to|shouldn'?t|won'?t|wouldn'?t|can'?t|rather\s+than"
    r"|instead\s+of|avoid)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)


def _helps_deceive(text: str, req: ReplyRequest) -> str:
    """Why `text` helps deceive, cheat or cover it up in answer to `req` ("" if it does not)."""
    kind = integrity_kind(req.message)
    if kind is None:
        return ""
    if any(not _SAID_AGAINST.search(text, 0, m.start()) for m in _COVER_UP.finditer(text)):
        return "the reply helps cover up dishonesty or wrongdoing"
    if kind == "deceive" and _STEPS_OR_OPTIONS.search(text):
        return "the reply gives steps or options toward deceiving someone"
    if kind == "deceive" and not _DECLINES.search(text):
        return "the reply to a request to deceive someone does not decline it"
    return ""


def _advises_hiding(text: str) -> bool:
    """`text` advises keeping their private life discreet or hiding who they are (relocation.
    HIDING: "accept and keep your private life discreet, which many expats do" passed), unless
    said against ("you shouldn't have to hide who you are")."""
    return any(not _SAID_AGAINST.search(text, 0, m.start()) for m in HIDING.finditer(text))


# Where a sentence ends: . ! ? or … (a . after a digit is a step's number or a price's end) and
# any closing quote or bracket, before a space or the end; CJK's marks need no space.
_SENTENCE_END = re.compile(r"(?:(?<!\d)\.|[!?…])+[\"'”’»)\]]*(?=\s|$)|[。！？]+[」』”’)]*")


def _numbers(text: str, least: int) -> set[str]:
    """The digits of each phone-like number of `least` digits or more in `text`."""
    return {
        digits
        for run in _DIGITS.finditer(_CLOCK.sub("/", text))
        if not (_COUNT.fullmatch(run.group()) and _UNIT.match(run.string, run.end()))
        for number in _APART.split(run.group())
        if len(digits := re.sub(r"\D", "", number)) >= least
        and not _DATE.fullmatch(number.strip("() "))
    }


def _hosts(text: str) -> set[str]:
    """The host of each address in `text`, lowercase, without www."""
    return {
        (m["host"] or m["www"] or m["bare"]).lower().removeprefix("www.").rstrip(".,;:!?")
        for m in _ADDRESS.finditer(text)
    }


def _vouched(req: ReplyRequest) -> str:
    """The resources a reply may name: the locale's in care, a crisis turn's (the app's safety
    message, in the window), and on every turn the locale's emergency, poison and urgent-care
    lines (ReplyRequest.local_help: "Call Poison Control at 1-800-222-1222 or 911 right now",
    "call NHS 111 or go to A&E" were refused, the coaching template answering instead) and its
    lines for loneliness ("The Silver Line (0800 4 70 80 90)" was refused to a lonely widow),
    lines for mistreatment at work, forced labour and sexual assault (Acas's 0300 123 1100 and
    the EEOC's 1-800-669-4000 were refused too), its cancer-support lines (for the end-of-life
    rule) and its lines for carers and new parents (ReplyRequest.support_lines.vouched), its
    LGBTQ+ lines when a sexuality or gender identity was named (lgbtq_lines: "Galop's LGBT+
    domestic abuse helpline is free on 0800 999 5428" was refused) and its lines for somewhere
    to sleep tonight (tonight_lines)."""
    said = (
        *req.care_resources,
        *req.analysis.safety.resources,
        *req.local_help,
        *req.support_lines.vouched(),
        *req.lgbtq_lines,
        *req.tonight_lines,
    )
    return as_seen(" ".join((*said, *(t.reply for t in req.window if t.crisis))))


def vet_reply(text: str, req: ReplyRequest) -> str:
    """`text` when it may go to the user as the reply to `req`, else GenerationError (the
    template answers): a phone number or an address that no resource of the request names
    (the care rule names the locale's helplines and no other: a made-up or injected number is
    worst there; a short code and an address are looked at in care and just after a crisis
    only), a markdown heading or bullet (a line's "- " or "• " passes once they asked for a
    list), an instruction to take a loan, bet or put their
    savings somewhere, the system instruction's words, or a length far past the rules', a dose
    in answer to a medicine question (the template's referral answers instead), to a message
    that names a medicine or asks how much to take (_HOW_MUCH), or to one about a lethal,
    toxic or overdose amount (_HARMFUL_AMOUNT), a diagnosis or "no need to see anyone"
    (_DIAGNOSES), "push through" or a timer while health limits hold (_PUSHES), a calorie
    target, or purging or laxatives (unless the sentence warns against them: _WARNS), or a
    crossed boundary (_crosses_a_boundary: a claim to be human, "I love you", leaving a
    therapist; in answer to such a message, no "AI" to "are you a person?", help into another
    person's phone, flirting back), or help to deceive (_helps_deceive: in answer to a request to
    deceive, cheat or break the law, steps or options, or no decline; to it, dishonesty done or
    wrongdoing to report, a cover-up), or, to a move abroad for someone LGBTQ+
    (relocation_risk), advice to hide who they are, or, to whether or how to come out
    (coming_out), steps, options or a dare toward telling, or, to someone facing conversion
    practices, kicked out or rejected by family for who they are, going along, keeping the peace
    or apologising to be let back in (common.replies.conversion.appeases_rejection). The reasons
    never quote the reply: they are logged."""
    seen = as_seen(text)
    vouched = _vouched(req)
    # Where the care rule names the resources (care, and just after a crisis): short codes and
    # addresses too. Elsewhere a link to a course or to docs is part of the help, and no rule
    # forbids one; a run of 3 to 6 digits there is a count, a price, an order number.
    # Once they said they are all right, care answers what they ask ("500 words", "page 214"):
    # the phone-number rule of an ordinary turn then, the prompt still naming the locale's lines.
    careful = (req.care or req.recent_crisis) and not req.all_right
    least = SHORT_CODE_DIGITS if careful else PHONE_DIGITS
    if _numbers(seen, least) - _numbers(vouched, least):
        raise GenerationError("the reply names a phone number no crisis resource names")
    if careful and _hosts(seen) - _hosts(vouched):
        raise GenerationError("the reply names an address no crisis resource names")
    listed = _LINE_BULLET.sub("", seen) if LIST in req.standing_requests else seen
    if _HEADING.search(seen) or _BULLET.search(listed):
        raise GenerationError("the reply is formatted as markdown (a heading or a bullet)")
    if _MONEY_INSTRUCTION.search(seen):
        raise GenerationError("the reply tells them what to do with money (a loan, a bet, savings)")
    if CANARY in _WS.sub(" ", seen.lower()):
        raise GenerationError("the reply repeats the system instruction")
    if len(seen.strip()) > MAX_REPLY_CHARS:
        raise GenerationError(f"the reply runs to {len(seen.strip())} characters")
    asked = canonical_text(req.message)
    if _DOSE.search(seen) and (
        professional_kind(asked) == "medical"
        or _HARMFUL_AMOUNT.search(asked)
        or names_medicine(asked)
        or _HOW_MUCH.search(asked)
    ):
        raise GenerationError(
            "the reply names a dose in answer to a medicine or lethal-dose question"
        )
    if _DIAGNOSES.search(canonical_text(seen)):
        raise GenerationError("the reply diagnoses, or says there is no need to see anyone")
    if req.gentleness.limits and _encourages(_PUSHES, canonical_text(seen), _SAYS_NOT):
        raise GenerationError("the reply pushes past health limits (push through, a timer)")
    if _encourages(_CALORIE_TARGET, seen):
        raise GenerationError("the reply gives a calorie target")
    if _encourages(_PURGING, seen):
        raise GenerationError("the reply speaks of purging or laxatives")
    if crossed := _crosses_a_boundary(canonical_text(seen), req):
        raise GenerationError(crossed)
    if helped := _helps_deceive(canonical_text(seen), req):
        raise GenerationError(helped)
    if breach := helps_breach(seen, req.message):
        raise GenerationError(breach)
    if relocation_risk(req.message, (t.message for t in req.window)) and _advises_hiding(
        canonical_text(seen)
    ):
        raise GenerationError("the reply advises hiding who they are for a move abroad")
    if coming_out(req.message, (t.message for t in req.window)) in ("asked", "worry") and (
        PUSHES_TO_TELL.search(seen)
    ):
        raise GenerationError("the reply pushes them to come out (steps, options, a dare)")
    if appeases_rejection(seen, (req.message, *(t.message for t in req.window))):
        raise GenerationError("the reply advises going along with rejection or conversion")
    return text


def whole_sentences(text: str) -> str:
    """`text` up to the end of its last whole sentence ("" when it has none)."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    return text[: ends[-1]] if ends else ""
