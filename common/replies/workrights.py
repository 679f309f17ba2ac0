"""Mistreatment at work, for the template generator and the prompt (the work-rights review:
"my manager keeps touching my shoulder and commenting on my body" got "Plan around your
manager", "I haven't been paid for two months" "plan a short break", "I reported fraud and now
they're pushing me out" "Ugh, frustrating!"): what kind it is, and the reply that says it isn't
OK and may be unlawful, to keep a dated record, where to go, that a lawyer or legal aid can say
what applies and that time limits can be short. Each kind needs someone at work (_EMPLOYER,
_THEY, _SAYS_WHO) and an act; "my coworker keeps taking my stapler", "harsh but fair feedback"
and "I want a raise" are ordinary. Read on common.text.canonical_text, case-insensitive;
English only, as the template's replies are."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from common.replies.readers.minors import stated_minor
from common.replies.readers.work import _EMPLOYER
from common.safety import call_now
from common.support_lines import WorkHelp
from common.text import canonical_text

# Someone at work: the employment questions' words (readers.work._EMPLOYER) and "they", as
# mistreatment is told ("they cut my hours after I asked for a wheelchair ramp").
_THEY = re.compile(
    r"\b(?:they|them|they'?re|they'?ve|supervisor|director|ceo|owner|foreman|agency|workplace"
    r"|office|shift|lead)\b",
    re.IGNORECASE,
)
_INTIMATE = r"(?:breasts?|boobs|chest|bum|butt|ass|thighs?|crotch|groin|private\s+parts|legs?)"
_BODY = rf"(?:body|looks|figure|weight|appearance|{_INTIMATE}|lips|waist|hips|outfit|clothes|skirt)"
# Unwanted touching (as a habit, or of an intimate part: not "touched my arm to get my
# attention"), comments on their body, sexual messages or advances, being asked what they wear.
_SEXUAL = re.compile(
    r"\bsexual(?:ly)?\s+(?:harass\w*|assault\w*|comments?|jokes?|remarks?|messages?|texts?"
    r"|advances?|favou?rs?|innuendo)"
    r"|\b(?:keeps?|kept|always|constantly|won'?t\s+stop|started)\s+touching\s+(?:me|my)\b"
    rf"|\btouches\s+(?:me|my\s+(?:\w+\s+)?(?:shoulders?|arms?|back|hair|hands?|knees?|neck|face"
    rf"|{_BODY}))\b|\btouch(?:ed|es|ing)\s+my\s+{_INTIMATE}\b"
    r"|\btouch(?:ed|es|ing)\s+me\s+(?:\w+\s+)?(?:inappropriately|sexually|without)\b"
    rf"|\b(?:comment\w*|remarks?|jokes?)\s+(?:on|about)\s+my\s+{_BODY}\b"
    r"|\bgrop(?:ed|es|ing)\s+me\b"
    r"|\b(?:hits\s+on\s+me|(?:keeps?|kept|won'?t\s+stop|always)\s+hitting\s+on\s+me)\b"
    r"|\b(?:sends?|sent)\s+me\s+(?:\w+\s+)?(?:sexual|explicit|dirty|naked|nude)\b"
    r"|\b(?:keeps?|kept|won'?t\s+stop|always)\s+asking\s+me\s+out\b|\basked\s+me\s+out\s+again\b"
    r"|\b(?:asked|asks|asking)\s+me\s+(?:for\s+sex|to\s+sleep\s+with)\b"
    r"|\b(?:asks?|asked|asking|texts?|texted|texting|messag\w+)\s+(?:me\s+)?(?:asking\s+)?"
    r"['\"]?what\s+(?:i'?m|i\s+am|are\s+you|r\s+u|you'?re)\s+wearing\b",
    re.IGNORECASE,
)
# A promotion, a job or a shift for a date or sex ("he'd promote me if I went to dinner with
# him"), not "if I finished the project with her".
_FAVOUR = (
    r"(?:go|went|come|came)\s+(?:out|to\s+dinner|for\s+(?:dinner|drinks|a\s+drink)|on\s+a\s+date"
    r"|to\s+(?:his|her)\s+(?:place|room|hotel|flat|house))|(?:sleep|slept|hook\s+up|hooked\s+up)\s+"
    r"with|kiss(?:ed)?\s+(?:him|her)"
)
_QUID_PRO_QUO = re.compile(
    r"^(?=[^.!?]*\b(?:promot\w*|raise|job|contract|shifts?|hire|hired|bonus|reference|fire"
    rf"|career)\b)[^.!?]*\b(?:if\s+i\s+(?:\w+\s+)?{_FAVOUR}"
    r"|(?:sleep|slept|sex)\s+with\s+(?:him|her))\b",
    re.IGNORECASE | re.MULTILINE,
)
# Sexual orientation and gender identity, as said of oneself (identity_at_work and relocation
# read it too) ("I'm bi", "because I'm
# non-binary"): a whole word, so "transferred me" and "trans-atlantic" are no "trans" (the
# LGBTQ+ review: "they fired me after they transferred me" read as discrimination).
IDENTITY = (
    r"(?:gay|lesbian|bi|bisexual|queer|trans(?!-)|transgender|non-?binary|enby|genderqueer"
    r"|lgbt\w*|intersex)"
)
_PROTECTED = (
    r"(?:pregnan\w*|maternity(?!\s+cover)|disab\w*|wheelchair|ramp|adjustments?|accommodations?"
    r"|illness|sick\s+(?:leave|note)|diagnos\w*|cancer|religio\w*|hijab|my\s+race|racial|my\s+age"
    rf"|{IDENTITY}|sexuality|sexual\s+orientation|gender\s+identity"
    r"|my\s+(?:condition|health|autism|adhd|dyslexia|depression|anxiety))\b"
)
_HARMED = (
    r"(?:fired|sacked|dismissed|let\s+(?:me\s+)?go|laid\s+(?:me\s+)?off|demoted"
    r"|passed\s+(?:me\s+)?over|(?:cut|reduced|slashed)\s+my\s+(?:hours|pay|shifts|salary)|took\s+me\s+off"
    r"|(?:withdrew|rescinded|pulled)\s+(?:my|the)\s+(?:job\s+)?offer|pushing\s+me\s+out"
    r"|forc\w+\s+me\s+out|managing\s+me\s+out|froze\s+me\s+out|freezing\s+me\s+out"
    r"|written\s+up|disciplined|punish\w*|targeting\s+me)"
)
# Not a topic of work: "the anti-discrimination policy", "racism awareness training".
_TOPIC = (
    r"(?!\s+(?:and\s+\w+\s+)?(?:policy|policies|training|workshop|course|module|law|laws|act"
    r"|legislation|awareness|research|essay|thesis|lecture|seminar|talk|panel)\b)"
)
_DISCRIMINATION = re.compile(
    r"(?<!anti-)(?<!anti)\b(?:discriminat\w*|racis[mt]\w*|sexis[mt]\w*|homophob\w*|transphob\w*"
    rf"|ableis[mt]\w*|misogyn\w*|misgender\w*|biphob\w*"
    rf"|(?:racial|homophobic|transphobic|biphobic)\s+slurs?){_TOPIC}"
    rf"|\b{_HARMED}\b[^.!?]{{0,60}}?\b(?:after|because|since|when|for|once)\b[^.!?]{{0,40}}?"
    rf"\b{_PROTECTED}"
    rf"|\b{_PROTECTED}[^.!?]{{0,60}}?\b(?:and|then|now|so)\s+(?:\w+\s+){{0,3}}?{_HARMED}"
    r"|\b(?:won'?t|wont|refuses?\s+to|doesn'?t|does\s+not|will\s+not)\s+(?:hire|promote)\s+"
    r"(?:any\s+)?(?:women|mothers|mums|moms|men|older|black|asian|muslim|disabled|gay|trans)",
    re.IGNORECASE,
)
# Harassment for sexual orientation or gender identity (the LGBTQ+ review: "my manager called
# me a dyke in front of everyone", "my boss keeps deadnaming me", "a colleague outed me" got
# "Plan around your manager"): a slur said of them, slurs for who they are, deadnaming, "she"
# for a man, pronouns or a name refused, outing, "asked me if I'm gay" by someone at work, a
# bathroom barred to a trans person, jokes about it, a partner not to be mentioned as it
# "makes people uncomfortable". Not "my colleague outed the bug in standup". English only: the
# template's replies are (a German slur is not read).
_SLUR = (
    r"(?:f[a*@]g+(?:[o*]t)?s?|f\*+[a-z*]*|faggots?|dykes?|tranny|trannies|shemales?|poof(?:ter)?s?"
    r"|batty\s+boy|homos?|lezzas?|lesbos?|queers?)"
)
_WHO_AT_WORK = (
    r"(?:boss|manager|supervisor|team\s*lead|lead|hr|interviewer|recruiter|colleagues?"
    r"|co-?workers?|director|employer|they)"
)
_PRONOUN = r"(?:he|she|him|her|it|sir|ma'?am|miss|mr|mrs|ms|a\s+(?:man|woman|girl|guy|lady))"
_TRANS_SAID = re.compile(
    r"\b(?:trans(?!-)|transgender|transition\w*|non-?binary|enby|genderqueer)\b", re.IGNORECASE
)
_IDENTITY_HARASSMENT = re.compile(
    rf"\bcall(?:s|ed|ing)?\s+me\s+(?:an?\s+|the\s+)?(?:\w+\s+)?['\"]?{_SLUR}['\"]?"
    r"(?=\s+(?:in|at|and|to|on|behind|every|all|because|for|when|whenever|again)\b|[.!?,]|$)"
    rf"|\b(?:slurs?|names)\b[^.!?]{{0,40}}?\b(?:because|for\s+being|since)\b[^.!?]{{0,20}}?\b{IDENTITY}\b"
    r"|\bdead-?nam\w*"
    r"|\b(?:call\w*|us(?:es|ed|ing)|refer\w*\s+to)\s+(?:me\s+)?(?:by\s+)?my\s+(?:old|birth|dead"
    r"|former|previous)\s+name"
    rf"|\b(?:call\w*\s+me|refer\w*\s+to\s+me\s+as)\s+['\"]?{_PRONOUN}['\"]?\s+(?:\w+\s+){{0,3}}?"
    r"(?:even\s+though|although|when|after|though)\b"
    r"|\b(?:refus\w*\s+to|won'?t|wont|will\s+not|doesn'?t|don'?t|keeps?\s+(?:getting|using))\s+"
    r"(?:\w+\s+){0,2}?(?:my\s+)?(?:correct\s+|right\s+|wrong\s+)?pronouns\b"
    r"|\bout(?:ed|ing)\s+me\b"
    rf"|\b{_WHO_AT_WORK}\s+(?:\w+\s+){{0,3}}?ask\w*\s+(?:me\s+)?(?:if|whether)\s+(?:i'?m|i\s+am)"
    rf"\s+(?:gay|lesbian|bi|bisexual|queer|trans|straight|a\s+lesbian)\b"
    rf"|\b{IDENTITY}\b[^.!?]{{0,60}}?\b(?:jokes?\s+about\s+(?:it|me|that|us)|mock\w*\s+me"
    r"|laugh\w*\s+at\s+me|makes?\s+fun\s+of\s+me|making\s+fun\s+of\s+me)\b"
    r"|\b(?:mention|talk\s+about|bring\s+up|bring)\s+my\s+(?:wife|husband|partner|girlfriend"
    r"|boyfriend)\b[^.!?]{0,60}?\b(?:uncomfortable|awkward|inappropriate|unprofessional)\b",
    re.IGNORECASE,
)
# Said of a trans or non-binary person only ("my manager asked about my knee surgery" is
# ordinary): a bathroom or changing room barred, a name or pronouns not updated.
_TRANS_BARRED = re.compile(
    r"\b(?:won'?t|wont|doesn'?t|don'?t|refus\w*\s+to|not\s+allowed\s+to|banned\s+me\s+from"
    r"|told\s+me\s+(?:not\s+)?to|(?:make|made|makes|making)\s+me)\s+(?:let\s+me\s+)?(?:use|using)\s+"
    r"(?:the\s+)?(?:women'?s|men'?s|ladies'?|gents'?|female|male|disabled|accessible)\s+"
    r"(?:bathrooms?|toilets?|loos?|restrooms?|changing\s+rooms?|facilities|locker\s+rooms?)"
    r"|\b(?:refus\w*\s+to|won'?t|wont|will\s+not|doesn'?t|don'?t)\s+(?:\w+\s+){0,2}?"
    r"(?:update|change|correct|use)\s+my\s+(?:name|pronouns|gender|title|email)",
    re.IGNORECASE,
)
# Questions about genitals, or about surgery to a trans person, from someone at work: sexual
# harassment, as a comment on their body is (Equality Act 2010 s26(2) in Great Britain:
# unwanted conduct of a sexual nature).
_GENITALS = re.compile(
    r"\b(?:ask\w*|questions?|comment\w*|talk\w*)\b[^.!?]{0,40}?\b(?:genitals?|genitalia"
    r"|private\s+parts|what'?s\s+down\s+there|down\s+below)",
    re.IGNORECASE,
)
_SURGERY_ASKED = re.compile(
    r"\b(?:ask\w*|questions?)\b[^.!?]{0,40}?\b(?:surgery|surgeries|operation|op|bottom\s+surgery"
    r"|top\s+surgery)\b",
    re.IGNORECASE,
)


def _identity_harassment(said: str) -> bool:
    """Harassment or discrimination for sexual orientation or gender identity that the kinds'
    general words miss (_IDENTITY_HARASSMENT; _TRANS_BARRED with trans said)."""
    return bool(
        _IDENTITY_HARASSMENT.search(said)
        or (_TRANS_SAID.search(said) and _TRANS_BARRED.search(said))
    )


def _intrusive_question(said: str) -> bool:
    """Asked about their genitals, or, trans, about surgery (_GENITALS, _SURGERY_ASKED)."""
    return bool(
        _GENITALS.search(said) or (_TRANS_SAID.search(said) and _SURGERY_ASKED.search(said))
    )


_SPOKE_UP = (
    r"(?:reported\s+(?:\w+\s+){0,2}?(?:fraud|harassment|him|her|them|it|safety|misconduct|abuse"
    r"|discrimination|wrongdoing|bullying|racism|theft|my\s+(?:boss|manager|supervisor))"
    r"|complained|raised\s+(?:a\s+|my\s+)?(?:grievance|concern|complaint|it|this)"
    r"|blew\s+the\s+whistle|whistle-?blew|whistleblow\w*|spoke\s+up|filed\s+(?:a\s+)?(?:complaint"
    r"|grievance|claim)|went\s+to\s+hr|told\s+hr|joined\s+(?:a|the)\s+union)"
)
_RETALIATION = re.compile(
    r"\bretaliat\w*"
    # A threat to tell the authorities if they complain (the justice review: "he says he'll
    # call my parole officer if I complain about not getting paid overtime"; the ILO's
    # indicators of forced labour list threats of denunciation): punished speaking up, ahead.
    r"|\b(?:threaten\w*|says?|said|told\s+me)\s+(?:to\s+|(?:that\s+)?(?:he|she|they)"
    r"(?:'?ll|\s+will|'?d|\s+would)\s+)?(?:call|ring|phone|tell|report\s+me\s+to|contact)\s+"
    r"(?:my\s+)?(?:parole|probation)\s+(?:officer|worker)"
    rf"|\b{_SPOKE_UP}\b[^.!?]{{0,80}}?\b(?:now|since|and|then|after|so)\b[^.!?]{{0,40}}?"
    rf"\b(?:{_HARMED}|ignor\w*\s+me|threaten\w*\s+me|bad\s+review|making\s+my\s+life\s+hell)"
    rf"|\b{_HARMED}\s+(?:me\s+)?(?:because|since|after|for)\s+(?:i\s+)?(?:{_SPOKE_UP}|complaining"
    r"|reporting|whistleblowing|speaking\s+up|raising)",
    re.IGNORECASE,
)
_WAGES_HOURS = re.compile(
    r"\b(?:haven'?t|hasn'?t|have\s+not|has\s+not)\s+(?:been\s+)?paid\s+(?:me\s+|us\s+)?"
    r"(?:for|in|since|at\s+all)\b"
    r"|\b(?:not|never)\s+(?:been\s+)?paid\s+(?:for|me\s+for)\s+(?:\w+\s+)?(?:overtime|hours|weeks?"
    r"|months?|shifts?|work)\b"
    r"|\b(?:won'?t|wont|refus\w*\s+to|stopped|isn'?t|aren'?t|hasn'?t|haven'?t|didn'?t)\s+"
    r"(?:pay|paying|paid)\s+(?:me|us)\b(?!\s+(?:back|a\s+visit|attention|a\s+compliment))"
    # not a deduction for being late, nor "unpaid overtime" they mean to stop doing (the corpus)
    r"|\b(?:withh[oe]ld\w*|keep(?:s|ing)?|kept|stole|stealing|steals)\s+(?:\w+\s+)?(?:my|our)\s+"
    r"(?:wages?|pay|tips|salary|paycheck|paycheque|holiday\s+pay)\b"
    r"|\b(?:below|under|less\s+than)\s+(?:the\s+)?minimum\s+wage\b|\bunpaid\s+(?:wages"
    r"|trial\s+shifts?)\b"
    r"|\b(?:won'?t|wont|don'?t|doesn'?t|never)\s+let\s+(?:me|us)\s+take\s+(?:a\s+|any\s+|my\s+)?"
    r"(?:breaks?|lunch|days?\s+off|holidays?|leave|sick\s+(?:leave|days?))"
    r"|\b(?:won'?t|wont|don'?t|doesn'?t|never)\s+let\s+(?:me|us)\s+go\s+to\s+the\s+(?:toilet"
    r"|bathroom|loo)"
    r"|\bkeeps?\s+me\s+(?:at\s+work\s+|there\s+|late\s+)?(?:till|until|past|after)\s+"
    r"(?:midnight|\d{1,2}\s*(?:am|pm)?\b|late)",
    re.IGNORECASE,
)
_BULLYING = re.compile(
    rf"\b(?:bull(?:y|ies|ied|ying)|harass(?:ed|es|ing|ment)?)\b{_TOPIC}"
    # as a habit: not one shout ("boss yelled at me today", the corpus)
    r"|\b(?:screams|yells|shouts|swears)\s+at\s+me\b|\b(?:keeps?|kept|always|constantly)\s+"
    r"(?:screaming|yelling|shouting|swearing)\s+at\s+me\b"
    r"|\b(?:humiliates|belittles|keeps\s+(?:humiliating|belittling))\s+me\b",
    re.IGNORECASE,
)
_DOCUMENTS = r"(?:passports?|id|id\s+cards?|documents|papers|visa|work\s+permit|residence\s+permit)"
_EXPLOITATION = re.compile(
    r"\b(?:took|taken|takes|kept|keeps|keeping|holding|holds|held|confiscat\w*)\s+(?:away\s+)?"
    rf"my\s+{_DOCUMENTS}\b"
    r"|\bvisa\b[^.!?]{0,40}?\b(?:can'?t|cannot|afraid\s+to|scared\s+to)\s+(?:complain|leave|quit"
    r"|report|speak\s+up|say\s+(?:no|anything))"
    r"|\bthreaten\w*\s+(?:to\s+)?(?:report\s+me(?!\s+to\s+(?:my\s+)?(?:parole|probation))|cancel\s+my\s+(?:visa|permit|sponsorship)"
    r"|(?:get|have)\s+me\s+deported|deport\s+me|call\s+immigration)"
    r"|\bowe\s+(?:my|the)\s+(?:boss|employer|recruiter|agency|agent)\b[^.!?]{0,60}?\b(?:can'?t"
    r"|cannot|work\s+(?:it\s+)?off|won'?t\s+let)",
    re.IGNORECASE,
)
# In the order a reply chooses: a crime before the rest, a punished complaint before its topic.
_KINDS = (
    ("exploitation", _EXPLOITATION),
    ("sexual", _SEXUAL),
    ("sexual", _QUID_PRO_QUO),
    ("sexual", _intrusive_question),
    ("retaliation", _RETALIATION),
    ("discrimination", _DISCRIMINATION),
    ("discrimination", _identity_harassment),
    ("wages_hours", _WAGES_HOURS),
    ("bullying", _BULLYING),
)
# Unpaid wages and a boss who fires say who it is: "I haven't been paid for two months".
_SAYS_WHO = re.compile(
    r"\b(?:paid|pay|fired|sacked|dismissed|laid\s+off|demoted|promot\w+|passed\s+over|hired?)\b",
    re.IGNORECASE,
)
# Where a kind's words are said of someone who is no employer: a client's unpaid invoice,
# recruiters or debt collectors who keep calling, a passport kept by an embassy or a border.
_NOT_AN_EMPLOYER = {
    "wages_hours": re.compile(r"\b(?:clients?|invoices?|customers?|freelanc\w*)\b", re.I),
    "bullying": re.compile(
        r"\b(?:recruiters?|headhunters?|spam|telemarketers?|debt\s+collectors?|trolls?)\b", re.I
    ),
    "exploitation": re.compile(
        r"\b(?:embass(?:y|ies)|consulate|visa\s+(?:office|centre|center|application)|border"
        r"|airport|passport\s+office|immigration\s+office|police|renewal)\b",
        re.I,
    ),
}


def identity_harassment(text: str) -> bool:
    """The message tells of harassment for sexual orientation or gender identity that the
    general words miss (a slur, deadnaming, outing, a bathroom barred, questions about
    genitals or a trans person's surgery), from anyone: heavy, as "homophobic" is."""
    said = canonical_text(text)
    return _identity_harassment(said) or _intrusive_question(said)


def _reads(reads: re.Pattern[str] | Callable[[str], bool], said: str) -> bool:
    return bool(reads(said) if callable(reads) else reads.search(said))


def workplace_mistreatment(text: str) -> str:
    """ "exploitation", "sexual", "retaliation", "discrimination", "wages_hours" or "bullying"
    for a message that tells of that at work: someone at work (_EMPLOYER, "they") and an act
    of that kind; "" for any other message."""
    said = canonical_text(text)
    if not (_EMPLOYER.search(said) or _THEY.search(said) or _SAYS_WHO.search(said)):
        return ""
    kind = next((kind for kind, reads in _KINDS if _reads(reads, said)), "")
    other = _NOT_AN_EMPLOYER.get(kind)
    return "" if other and other.search(said) else kind


# What they ask once it was told earlier in the window ("should I go to HR?", "how do I write
# it up for HR?", "can they fire me for complaining?"): a question about where to go or what
# to do, not any later one ("how do I prepare for my interview?").
_NEXT = re.compile(
    r"\b(?:hr|human\s+resources|report\w*|complain\w*|grievance|tribunal|lawyer|solicitor"
    r"|attorney|union|police|sign|nda|write\s+(?:it\s+)?up|evidence|proof|record|quit|resign"
    r"|fire\s+me|fired|lose\s+my\s+job|who\s+(?:do|should|can)\s+i\s+(?:go|talk|speak|turn)\s+to"
    r"|what\s+(?:should|do|can)\s+i\s+do|what\s+now)\b",
    re.IGNORECASE,
)
_ASKS = re.compile(r"\?|^\s*(?:should|can|could|do|does|will|would|how|what|who|is)\b", re.I)


def mistreatment_at_work(message: str, earlier: Iterable[str] = ()) -> str:
    """The kind of mistreatment at work the message tells of (workplace_mistreatment), or, for
    a question about where to go or what to do (_NEXT), the latest one told in `earlier` (the
    window's messages, oldest first); "" otherwise."""
    if kind := workplace_mistreatment(message):
        return kind
    said = canonical_text(message)
    if not (_ASKS.search(said) and _NEXT.search(said)):
        return ""
    return next(filter(None, map(workplace_mistreatment, reversed(tuple(earlier)))), "")


# Sexual assault, the user's, as the crisis patterns read it at work or from a stranger ("my
# boss groped me at the christmas party"): its own line, not the one for violence at home
# (sexual_assault_resources.json). Not when the message names a partner or family.
_ASSAULTED = re.compile(
    r"\b(?:grop(?:ed|es|ing)|molest(?:ed|s|ing)|raped|rapes|sexually\s+(?:assaulted|abused))\b"
    r"|\btouch(?:ed|es|ing)\s+me\s+(?:\w+\s+)?(?:inappropriately|sexually"
    r"|without\s+(?:my\s+)?consent)"
    r"|\binappropriately\s+touch(?:ed|es|ing)\s+me\b",
    re.IGNORECASE,
)
_FAMILY = re.compile(
    r"\b(?:husband|wife|partner|boyfriend|girlfriend|bf|gf|ex|fianc[eé]e?|spouse|dad|father"
    r"|stepdad|stepfather|mum|mom|mother|stepmum|stepmom|parents?|brother|sister|uncle|aunt"
    r"|cousin|grand\w+|family|son|daughter)\b",
    re.IGNORECASE,
)


def sexual_assault_outside_home(*texts: str) -> bool:
    """One of `texts` tells of a sexual assault and none names a partner or family."""
    said = [canonical_text(text) for text in texts]
    return any(map(_ASSAULTED.search, said)) and not any(map(_FAMILY.search, said))


def at_work(*texts: str) -> bool:
    """One of `texts` names someone at work (readers.work._EMPLOYER)."""
    return any(_EMPLOYER.search(canonical_text(text)) for text in texts)


# The replies. No steps, options or "you can handle this": that it isn't OK and may be
# unlawful, a private dated record, where to go (HR in writing or someone senior who isn't
# involved, a union, the locale's line), a lawyer or legal aid, that time limits can be short.
_OPEN = {
    "lua": "I'm really sorry this is happening to you, and it isn't your fault.",
    "riri": "Straight up: this isn't on you.",
    "elro": "Let me be clear about one thing first: this isn't your fault.",
    "nana": "I'm so sorry you're going through this, and thank you for telling me.",
}
_CLOSE = {
    "lua": "How are you holding up with all of this?",
    "riri": "Want help putting the record together?",
    "elro": "Would it help to go through what to put in the record?",
    "nana": "How are you feeling about it all?",
}
_WHAT = {
    "sexual": "Unwanted touching, comments, advances or questions about your body from someone "
    "at work, or a favour asked in return for a promotion or a job, isn't OK, and it can be "
    "unlawful sexual harassment.",
    "discrimination": "Being treated worse or harassed at work because of a pregnancy, a "
    "disability, your race, your sexual orientation or gender identity, or another part of who "
    "you are isn't OK, and it can be unlawful discrimination.",
    "retaliation": "Being pushed out or punished for reporting wrongdoing or making a complaint "
    "isn't OK, and it can be unlawful in itself: whistleblowing and complaints are often "
    "protected.",
    "wages_hours": "Not being paid what you're owed, or being kept at work without breaks or "
    "rest, isn't OK, and it can be unlawful under the rules on pay and working time.",
    "bullying": "Being bullied or harassed at work isn't OK, and depending on what's behind it "
    "and where you are, it can be unlawful.",
    "exploitation": "An employer holding your passport or papers, or using your visa or a debt "
    "to stop you leaving or speaking up, isn't OK, and it can be a crime.",
}
_RECORD = (
    "It helps to write down each time it happens, privately: the date and time, what was said "
    "or done, any messages, and who saw it, with copies kept somewhere outside work systems."
)
_RECORD_PAY = (
    "It helps to write down the dates and hours you worked and what you were paid and when, and "
    "to keep payslips and messages, with copies somewhere outside work systems."
)
_ROUTE = (
    "You can raise it in writing with HR or someone senior you trust who isn't involved, with a "
    "union if you have one, or get free advice first: {lines}."
)
_NO_LINES = "an employment adviser or the labour regulator where you work"
_NO_EXPLOITATION_LINES = "the police, or an anti-trafficking or anti-slavery helpline where you are"
_LAWYER = (
    "A lawyer or a legal advice service (legal aid may be open to you) can tell you what "
    "applies where you work, and time limits for a claim can be short, so it's worth asking "
    "soon."
)
# Forced labour: no confronting them, the lines, the emergency number.
_EXPLOITED = (
    "Please don't confront them or try to take your documents back on your own. If you're in "
    "danger, {call}; these can help, confidentially: {lines}."
)
# Said once they are read in the message or the window.
_MINOR = (
    "As you're under 18, please tell a trusted adult what's happening (a parent, a carer or a "
    "teacher): in many places the law limits how late and how long young people may work."
)
_DREAD = re.compile(
    r"\b(?:dread\w*|can'?t\s+face|sick\s+(?:before|about)\s+going|cry(?:ing)?\s+(?:before|after)"
    r"|panic\w*|can'?t\s+sleep|anxious|breaking\s+down|falling\s+apart)\b",
    re.IGNORECASE,
)
_WELLBEING = (
    "And how are you coping? If going in is wearing you down, your GP, or an employee assistance "
    "programme if work has one, can help with that side of it."
)
# The question asked after it was told: answered first, in place of the kind's sentence.
_NDA = re.compile(
    r"\b(?:nda|non-?disclosure(?:\s+agreement)?|confidentiality\s+(?:agreement|clause)"
    r"|settlement\s+agreement|gag(?:ging)?\s+(?:order|clause))\b",
    re.IGNORECASE,
)
_FACETS = (
    (
        _NDA,
        "Don't sign it yet, and don't sign under pressure: get independent legal advice first, "
        "from a lawyer, a union or {lines}. In many places such an agreement can't stop you "
        "reporting harassment or a crime.",
    ),
    (
        re.compile(r"\b(?:fire\s+me|fired|lose\s+my\s+job|sack\s+me|retaliat\w*)\b", re.I),
        "In many places, punishing or firing someone for raising harassment, discrimination or "
        "unpaid wages is unlawful in itself, so keep a dated note of anything that changes "
        "after you speak up.",
    ),
    (
        re.compile(r"\b(?:write\s+(?:it\s+)?up|writ\w+|evidence|record)\b", re.IGNORECASE),
        "Keep it to the facts: what happened, the date, time and place, the words used if you "
        "remember them, who saw it, how it has affected you and what you'd like to happen; "
        "date it and keep a copy outside work systems.",
    ),
    (
        re.compile(r"\b(?:hr|human\s+resources|report\w*|complain\w*|grievance)\b", re.I),
        "Whether to report it is your choice. If you do, put it in writing (an email is fine), "
        "stick to the facts with dates, and keep a copy outside work systems; if HR is part of "
        "the problem, go to someone more senior, a union, or get advice first: {lines}.",
    ),
)


_NO_HELP = WorkHelp()


def workrights_reply(
    persona: str,
    kind: str,
    *,
    message: str,
    earlier: Iterable[str] = (),
    work_help: WorkHelp = _NO_HELP,
    local_help: tuple[str, ...] = (),
) -> str:
    """The reply to mistreatment at work of `kind` (mistreatment_at_work) in `persona`'s
    voice, naming the locale's lines for it (`work_help`; `local_help`'s emergency number for
    exploitation); a question asked after it was told gets its answer first."""
    earlier = tuple(earlier)
    said = canonical_text(message)
    missing = _NO_EXPLOITATION_LINES if kind == "exploitation" else _NO_LINES
    lines = "; ".join(work_help.rights(kind)) or missing
    told = bool(workplace_mistreatment(message))
    # the answer to a question asked after it was told (each says to keep a dated note), and
    # to an NDA's whenever; a question asked after it gets no second opener or record. Not for
    # forced labour: "should I report it?" is no question for HR then.
    asked = (not told or _NDA.search(said)) and kind != "exploitation"
    facet = next((text for pattern, text in _FACETS if pattern.search(said)), "") if asked else ""
    parts = [_OPEN.get(persona, _OPEN["lua"])] if told else []
    parts.append(facet.format(lines=lines) or _WHAT[kind])
    if any(map(stated_minor, (message, *earlier))):
        parts.append(_MINOR)
    if kind == "exploitation":
        parts.append(_EXPLOITED.format(call=call_now(local_help), lines=lines))
    if told or not facet:
        parts.append(_RECORD_PAY if kind == "wages_hours" else _RECORD)
    if not (kind == "exploitation" or "{lines}" in facet):  # each line named once
        parts.append(_ROUTE.format(lines=lines))
    parts.append(_LAWYER)
    dread = kind == "bullying" and _DREAD.search(said)
    parts.append(_WELLBEING if dread else _CLOSE.get(persona, _CLOSE["lua"]))
    return " ".join(parts)
