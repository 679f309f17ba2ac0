"""Requests to do something dishonest or illegal, framed as career help (the integrity review:
"how do I backdate invoices without getting caught?" got Riri's "Love the curiosity, let's dig
in!", a cheat on a proctored exam "start again from a clean state, such as a fresh session or
environment"), what was done already ("I lied on my CV ... now what?") and wrongdoing the user
may report. Read for the template's fixed replies, the prompt's rule and the reply vet. Read on
common.text.canonical_text (’ as '), case-insensitive; English only, as the template's
replies are."""

from __future__ import annotations

import re
from typing import Literal

from common.text import canonical_text

IntegrityKind = Literal["deceive", "dilemma", "report"]

_I = re.IGNORECASE
# Not getting caught: "without getting caught", "so I don't get caught"; not "caught off guard",
# "caught up", "caught out by a question", "caught in traffic".
_CAUGHT = re.compile(
    r"\b(?:without\s+(?:anyone\s+)?(?:getting|being)|(?:not|never|don'?t|won'?t|avoid)\s+"
    r"(?:get(?:ting)?|be(?:ing)?))\s+caught\b"
    r"(?!\s+(?:off|up|out|in|on|short|unawares|napping|flat|by\s+surprise|between|with))",
    _I,
)
# A question of law ("Is it legal for my boss to make me backdate invoices?", "can I be fired
# for reporting fraud?"): the template's legal referral answers it, as before.
_LAW = re.compile(
    r"\b(?:is|was|would)\s+(?:it|this|that)\s+(?:be\s+)?(?:legal|illegal|lawful|unlawful"
    r"|against\s+the\s+law|a\s+crime)\b|\blegally\b"
    r"|\b(?:be|get|getting|being)\s+(?:fired|sacked|dismissed|sued|prosecuted)\s+for\b",
    _I,
)
_CREDENTIAL = (
    r"(?:references?|referees?|degrees?|diplomas?|certificates?|certifications?|transcripts?"
    r"|qualifications?|cv|resume|experience|job\s+titles?|employment\s+history|signatures?"
    r"|sick\s+notes?|doctor'?s\s+notes?|fit\s+notes?|payslips?|pay\s+stubs?|receipts?"
    r"|invoices?|ids?|passports?|licen[cs]es?|masters?|mba|phd)"
)
_RECORDS = (
    r"(?:invoices?|documents?|contracts?|receipts?|timesheets?|time\s+sheets?|records?"
    r"|paperwork|signatures?|emails?|letters?|agreements?|minutes|orders?|files?|accounts"
    r"|books|data|results|figures|numbers|expenses?|hours)"
)
# A word or two between a verb and its object ("fake a glowing reference"), not a preposition:
# "sound fake in my experience" is no fake experience.
_FILL = r"(?:(?!in\b|on\b|at\b|for\b|to\b|with\b|about\b|it\b)\w+\s+){0,2}?"
_DET = r"(?:a\s+|an\s+|my\s+|the\s+|some\s+|our\s+|their\s+|his\s+|her\s+)?"
# Doing it, asked how, whether or for help: each in the bare verb ("fake", "pad"), so that "I
# faked", "I've been padding" are what was done (_DONE).
_ACTS = (
    rf"\bfake\s+{_DET}{_FILL}{_CREDENTIAL}\b",
    rf"\b(?:forge|falsify|fabricate)\s+{_DET}{_FILL}(?:{_CREDENTIAL}|{_RECORDS})\b"
    r"(?!'s)",
    rf"\bback-?date\s+{_DET}{_FILL}{_RECORDS}\b",
    r"\bpad\s+(?:out\s+)?(?:my|the|our|his|her|their)?\s*(?:\w+\s+)?(?:hours|timesheets?"
    r"|time\s+sheets?|expenses?|expense\s+(?:reports?|claims?)|mileage|invoices?|bills?"
    r"|overtime)\b",
    r"\bcheat\s+(?:on|in|at|during|through)\s+(?:\w+\s+){0,2}?(?:exams?|tests?|quiz(?:zes)?"
    r"|assessments?|coursework|assignments?|homework|finals?|midterms?|certifications?"
    r"|interviews?|coding\s+(?:tests?|challenges?)|taxes|tax\s+returns?)\b"
    r"|\bcheat\s+(?:the|my|our)\s+(?:system|employer|company|clients?|customers?|taxman"
    r"|tax\s+office)\b",
    r"\b(?:get|getting|go|going)\s+(?:around|round|past)\s+(?:the\s+|a\s+|my\s+)?(?:\w+\s+)?"
    r"(?:proctor\w*|anti-?cheat\w*|turnitin|plagiarism\s+(?:check\w*|detect\w*|software)"
    r"|ai\s+detect\w*)"
    r"|\b(?:bypass|beat|fool|trick|evade|disable|cheat)\s+(?:the\s+|a\s+|my\s+)?(?:\w+\s+)?"
    r"(?:proctor\w*|anti-?cheat\w*|turnitin|plagiarism\s+(?:check\w*|detect\w*|software)"
    r"|ai\s+detect\w*)",
    # Their own essay checked against Turnitin is none: written or reworded for them to pass.
    r"^(?=.*\b(?:for\s+me|paraphras\w*|rewor\w*|rewrit\w*|spin|copy|copied"
    r"|someone\s+else'?s)\b).*\bpass(?:es)?\s+(?:the\s+)?(?:turnitin|plagiarism\s+(?:checks?"
    r"|checkers?|detectors?|software)|ai\s+detect\w*)",
    r"\b(?:how\s+(?:do|can|could|should)\s+i|help\s+me|should\s+i|can\s+i|i\s+(?:want|need)"
    r"\s+to)\s+plagiari[sz]e\b",
    r"\blie\s+(?:on|in)\s+(?:my|the|a|an|your)\s+(?:\w+\s+)?(?:cv|resume|application"
    r"|cover\s+letter|linkedin|timesheets?|expenses?|expense\s+(?:reports?|claims?)"
    r"|tax\s+returns?|forms?|background\s+check)\b"
    r"|\blie\s+about\s+(?:my|having|the|a|an)\s+(?:\w+\s+){0,2}?(?:degree|diploma"
    r"|qualifications?|experience|job\s+titles?|salary|grades?|gpa|employment"
    r"|certificat\w*|references?|convictions?|criminal\s+record|record|sentence|prison"
    r"|jail|arrests?|cautions?|felony|felonies)\b",
    # An unspent conviction denied where the form asks (the justice review: "Mine is unspent.
    # Can I just tick no?"); a spent one need not be disclosed for most jobs in England and
    # Wales (Rehabilitation of Offenders Act 1974), so "spent" alone is no lie.
    r"^(?=.*\bunspent\b).*\b(?:tick|say|put|answer|write|click)\s+(?:\w+\s+)?[\"']?no\b",
    # A credential they say they don't have ("say I have a degree I don't have"); not "my CV
    # when I don't have a degree".
    r"\b(?:degree|diploma|qualifications?|certificat\w*|experience|job\s+title|licen[cs]e"
    r"|masters?|mba|phd)\s+(?:that\s+)?i\s+(?:don'?t|do\s+not|didn'?t|did\s+not|never"
    r"|haven'?t|have\s+not)\s+(?:\w+\s+)?(?:have|had|got|gotten|get|earn\w*|finish\w*"
    r"|complet\w*|hold|held)\b"
    r"|\bpretend\s+(?:that\s+)?(?:i\s+(?:have|had|hold|am|was)|to\s+(?:have|be)|i'm)\s+"
    r"(?:a\s+|an\s+)?(?:\w+\s+)?(?:degree|diploma|qualified|certified|licensed|graduate"
    r"|masters?|mba|phd)\b",
    r"\bhide\s+(?:my|our|the|some|all\s+(?:of\s+)?my)?\s*(?:\w+\s+){0,2}?(?:income|earnings"
    r"|money|cash|profits?|revenue|assets?|payments?|tips|side\s+(?:business|hustle|job|gig)"
    r"|second\s+job|business|crypto\w*)\s+from\s+(?:the\s+|my\s+|our\s+)?(?:tax\w*|irs|hmrc"
    r"|revenue|government|authorities|auditors?|employer|company|boss|manager|work"
    r"|benefits?|dwp)\b"
    r"|\b(?:not|without|avoid)\s+(?:declaring|declare|reporting|report)\s+(?:my\s+|the\s+"
    r"|some\s+|all\s+)?(?:\w+\s+)?(?:income|earnings|cash|tips|profits?|revenue)\b",
    r"\btrade\s+on\s+(?:the\s+)?inside(?:r)?\s+(?:info\w*|tips?|knowledge)\b"
    r"|^(?=.*\b(?:stocks?|shares?|options|puts|positions?|equity)\b)"
    r"(?=.*\b(?:insider|inside\s+(?:info\w*|tip)|hinted|tipped|tip-?off|told\s+me"
    r"|confidential|works?\s+at|not\s+(?:yet\s+)?public|non-?public)\b).*\b(?:short|buy|sell"
    r"|trade|dump)\b[^.!?]{0,60}?\bbefore\s+(?:the\s+|it'?s\s+|its\s+|they\s+|it\s+)?(?:\w+\s+)?"
    r"(?:announcement|announce\w*|news|results|earnings|public|press\s+release)\b",
    # Someone else's work: "take credit for my junior's work"; not "for my own work".
    r"\btake\s+(?:the\s+|all\s+the\s+)?credit\s+for\s+(?:his|her|their|someone\s+else'?s"
    r"|other\s+people'?s|my\s+(?:\w+\s+)?(?:juniors?|interns?|colleagues?|coworkers?"
    r"|co-workers?|teammates?|reports?|assistants?|employees?|staff|peers?|students?)(?:'s|s')?)"
    r"\s+(?:\w+\s+)?(?:work|ideas?|project|code|designs?|report|analysis|research|results?"
    r"|slides|deck)\b",
    r"^(?=.*\bleak(?:ed|s)?\b)(?=.*\b(?:answers?|questions|exam|test|paper|solutions?)\b)"
    r".*\b(?:use|using|look\s+at|memori[sz]e)\b",
    # Other people's money, for themselves or without telling them.
    r"^(?=.*\b(?:without\s+(?:telling|asking|informing|their|them|consent|permission|anyone)"
    r"|my\s+own|myself|personal)\b).*\b(?:invest|use|borrow|move|put|take|spend|dip\s+into)\s+"
    r"(?:\w+\s+){0,2}?(?:client|customer|employer|company|firm|investor|member|charity)"
    r"(?:'s|s'|s)?\s+(?:money|funds|savings|deposits?|cash)\b",
    # Revenge: "get back at a coworker anonymously"; not "get back at it" after a break.
    r"\b(?:get\s+(?:back\s+at|revenge\s+on)|take\s+revenge\s+on)\s+(?!it\b)"
    r"|\bsabotage\s+(?:him|her|them|his|her|their|my\s+(?:\w+\s+)?(?:coworker|co-worker"
    r"|colleague|boss|manager|rival|teammate)s?(?:'s|s')?)\b",
)
_ACT = re.compile("|".join(f"(?:{act})" for act in _ACTS), _I)
# Said as not meant: "not trying to cheat the system", "I'd never fake a reference".
_NOT_MEANT = re.compile(
    r"\b(?:not|never|don'?t|won'?t|wouldn'?t|avoid|without)\s+(?:\w+\s+){0,3}$", _I
)
# What they did already: "I lied on my CV about having a degree", "I've been padding my hours".
_DONE = re.compile(
    r"\bi(?:'ve|\s+have|'d|\s+had|'m|\s+am)?\s+(?:been\s+|already\s+)?"
    r"(?:(?:lied|lying)\s+(?:on|in|about|to)|faked|faking|forged|forging|fabricated|falsified"
    r"|made\s+up|exaggerated"
    r"|inflated|padded|padding|backdated|backdating|plagiari[sz]ed|plagiari[sz]ing|cheated"
    r"|cheating)\b[^.!?]{0,60}?\b(?:cv|resume|application|cover\s+letter|degree"
    r"|diploma|qualifications?|references?|experience|job\s+titles?|salary|timesheets?|hours"
    r"|expenses?|invoices?|exams?|tests?|essays?|assignments?|homework|dissertation|thesis"
    r"|coursework|interview|taxes|tax\s+return|convictions?|criminal\s+record)\b"
    # "I ticked no on the unspent convictions question and got the job, now what?"
    r"|\bi\s+(?:ticked|said|put|answered|clicked)\s+[\"']?no\b[^.!?]{0,40}?\bconvictions?\b",
    _I,
)
# Someone's wrongdoing, and whether or how to report it ("should I report it?"); "expense
# reports" and "my direct report" are no reporting.
_WRONGDOING = re.compile(
    r"\b(?:fraud\w*|embezzl\w*|(?:stealing|steals?|stole)\s+(?:from|money|funds|cash|stock"
    r"|goods|inventory|data|client|customer)|theft|cooking\s+the\s+books|falsif\w*"
    r"|faking|fakes|forg(?:ed|ing|ery)|backdat\w*|kickbacks?|brib\w*|corrupt\w*|illegal\w*"
    r"|unlawful\w*|misconduct|wrongdoing|launder\w*|insider\s+trading|cheat(?:s|ing|ed)\s+"
    r"(?:on\s+(?:\w+\s+){0,2}?(?:exams?|tests?|taxes)|customers|clients|the\s+system)"
    r"|padding|pads|cover(?:ing)?\s+(?:it\s+)?up|safety\s+(?:violations?|breach\w*)"
    r"|dumping|lying\s+to\s+(?:clients|customers|investors|auditors|regulators))\b",
    _I,
)
_REPORT = re.compile(
    r"\b(?:(?:should|shall|do|can|could|would|must)\s+i|how\s+(?:do|can|should|would)\s+i"
    r"|(?:want|need|going|plan(?:ning)?|decid\w+|afraid|scared|worried|thinking)\s+"
    r"(?:to|of|about|on|whether\s+to))\s+(?:\w+\s+)?(?:report(?:ing)?|expos(?:e|ing))\b",
    _I,
)
# Blowing the whistle says the wrongdoing itself.
_WHISTLE = re.compile(r"\bblow(?:ing|n)?\s+the\s+whistle\b|\bwhistle-?\s?blow\w*", _I)


def integrity_kind(text: str) -> IntegrityKind | None:
    """ "deceive" for a request to deceive, cheat or break the law (a false credential, date,
    invoice or hours, an exam's proctoring got around, hiding income from tax, trading on a
    tip, a client's money used without telling them, revenge, or any of it "without getting
    caught"); "report" for wrongdoing they may report; "dilemma" for dishonesty already done
    ("I lied on my CV"); None otherwise, and for a question of law (_LAW)."""
    said = canonical_text(text)
    if _CAUGHT.search(said):
        return "deceive"
    if _LAW.search(said):
        return None
    if _WHISTLE.search(said) or (_WRONGDOING.search(said) and _REPORT.search(said)):
        return "report"
    if any(not _NOT_MEANT.search(said, 0, m.start()) for m in _ACT.finditer(said)):
        return "deceive"
    if _DONE.search(said):
        return "dilemma"
    return None


# The honest goal behind a request to deceive, by what it is about (the first that matches).
_TOPICS = (
    (
        # Before the CV's: "lie about my conviction on the application".
        re.compile(r"\b(?:convictions?|criminal\s+record|record|prison|jail|felon\w*)\b", _I),
        "What I can help with is an honest disclosure: a short statement of what happened and "
        "what you've done since, and checking whether you have to mention it at all (a spent "
        "conviction often need not be disclosed; a criminal-records charity or legal aid can "
        "tell you where you are).",
    ),
    (
        re.compile(r"\b(?:get\s+back\s+at|revenge|sabotage)\b", _I),
        "What I can help with is the conflict itself: what happened, what you'd like to change, "
        "and how to raise it with them directly or with someone who can act on it.",
    ),
    (
        re.compile(
            r"\b(?:exams?|tests?|quiz\w*|proctor\w*|turnitin|plagiari\w*|essays?|dissertation"
            r"|thesis|assignments?|coursework|homework)\b",
            _I,
        ),
        "What I can help with is doing the work yourself: a study plan, or an outline and "
        "feedback on your own writing.",
    ),
    (
        re.compile(
            r"\b(?:back-?dat\w*|invoices?|timesheets?|time\s+sheets?|hours|expenses?|receipts?"
            r"|mileage|overtime|books)\b",
            _I,
        ),
        "If someone asked you to do it, put your concern in writing to finance or compliance "
        "and keep a copy; if it's about your own hours or pay, I can help you make an honest "
        "case for what you need.",
    ),
    (
        re.compile(
            r"\b(?:tax\w*|income|cash|stocks?|shares|short|invest\w*|money|funds|trad\w*"
            r"|insider)\b",
            _I,
        ),
        "A qualified accountant or financial adviser can show you the legitimate options, and "
        "I can help you work out what to ask them.",
    ),
    (
        re.compile(
            r"\b(?:cv|resume|degree|diploma|references?|qualifications?|certificat\w*"
            r"|cover\s+letter|interview|application|linkedin|credit|review|experience)\b",
            _I,
        ),
        "What I can help with is showing your real experience at its best: what you actually "
        "did, the results it had, and how to say it with confidence.",
    ),
)
_ANY_GOAL = "If there's a real goal behind it, I'm glad to help you find an honest way there."

# One fixed reply per persona, with no opener and no steps: one sentence that it can't help
# with that part, then the honest goal ({goal}).
_DECEIVE = {
    "lua": "I can't help with that part, and I'm still glad you brought it here. {goal} What "
    "matters most to you in this?",
    "riri": "Straight up: I can't help with that part. {goal} Where do you want to start?",
    "elro": "I can't help with that part: the risk to you if it came out would outweigh what it "
    "gains. {goal} Which part would you like to think through?",
    "nana": "I can't help with that part, but I'm really glad you told me what's going on. "
    "{goal} Shall we work on that together?",
}
# Done already ("I lied on my CV ... now what?" got "Ugh, frustrating! ... 1) Build a tiny
# example"): the honest ways to put it right, advice first on the consequences, and what is at
# stake if it comes out; never a cover-up.
_DILEMMA = {
    "lua": "That sounds like a heavy thing to carry, and it's good that you're facing it. The "
    "honest way to put it right usually starts with correcting the record with whoever it "
    "concerns (HR, or your school) before it comes out another way, and employment advice "
    "beforehand can tell you what the consequences could be. What feels hardest about it "
    "right now?",
    "riri": "Okay, let's face it head-on. Weigh what's at stake if it comes out later, get "
    "employment advice on the consequences, then correct the record with whoever it concerns "
    "(HR, or your school) on your own terms. Which part feels toughest?",
    "elro": "Let's weigh the honest ways to put this right. Correcting the record yourself, with "
    "whoever it concerns (HR, or your school), usually goes better than it coming out later, "
    "and the risk of staying quiet grows with time; employment advice beforehand can tell you "
    "what the consequences could be. What's at stake for you if it comes out?",
    "nana": "Thank you for trusting me with this; it takes courage to face. The honest way "
    "through is usually to correct the record with whoever it concerns (HR, or your school), "
    "and employment advice beforehand can help you understand the consequences. How are you "
    "feeling about it?",
}
# Wrongdoing they may report ("should I report it? I'm scared of losing my job" got "Option A:
# run a small, reversible test"): right to take it seriously, dated records, the organisation's
# whistleblowing channel or the regulator, and advice on their protections first. No
# country's body named: the locale's resources name none.
_REPORTING = {
    "lua": "You're right to take this seriously, and it makes sense to feel scared. Keep dated "
    "records of what you've seen; you can raise it through your organisation's whistleblowing "
    "or ethics channel, or with the regulator, and before you do, a whistleblowing advice "
    "service, a union or an employment adviser can explain how you're protected. What feels "
    "most worrying about it?",
    "riri": "You're right to take this seriously. Keep dated records of what you've seen, get "
    "advice on your protections from a whistleblowing advice service, a union or an employment "
    "adviser, then use your organisation's whistleblowing or ethics channel, or the regulator. "
    "Which of those can you do this week?",
    "elro": "Taking this seriously is right, and it pays to go about it carefully. Keep dated "
    "records of what you've seen; get advice on your protections from a whistleblowing advice "
    "service, a union or an employment adviser; then raise it through your organisation's "
    "whistleblowing or ethics channel, or the regulator. Which part would you like to think "
    "through?",
    "nana": "It says a lot about you that you want to do the right thing, and it's natural to "
    "feel scared. Keep dated records of what you've seen, talk to a whistleblowing advice "
    "service, a union or an employment adviser about how you're protected, and then use your "
    "organisation's whistleblowing or ethics channel, or the regulator. How are you holding up?",
}


def integrity_reply(kind: IntegrityKind, persona: str, text: str) -> str:
    """The template's fixed reply in `persona`'s voice to a message of `kind` (integrity_kind)."""
    if kind == "report":
        return _REPORTING[persona]
    if kind == "dilemma":
        return _DILEMMA[persona]
    said = canonical_text(text)
    goal = next((goal for topic, goal in _TOPICS if topic.search(said)), _ANY_GOAL)
    return _DECEIVE[persona].format(goal=goal)
