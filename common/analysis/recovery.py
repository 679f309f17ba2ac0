"""A crisis told in the past or of recovery ("I used to cut myself but I've been clean for 2
years", "a year ago I tried to kill myself, today I got the job"): lived experience, not a
crisis now, unless the message says it is back ("I cut again last night after 2 years clean").

The recovery review: the patterns flagged 12 of its 16 such messages, and the user got the
acute crisis reply, "Are you safe right now?" and, after "no, it was a year ago", a day of
care. The regexes here read text as common.analysis.safety.normalise leaves it (lowercase,
apostrophes dropped, only words and . ! ?); common.analysis.safety.lived_experience applies
them. English only, as the words are."""

from __future__ import annotations

import re
from functools import cache

from common.analysis.acute import means_to_act

# How many: "2", "two", "a few", "over a".
_COUNT = (
    r"(?:(?:over|almost|nearly|about|more than|just over) )?(?:\d+|a|an|one|two|three|four|"
    r"five|six|seven|eight|nine|ten|eleven|twelve|a few|a couple(?: of)?|several|many)"
)
_LONG_AGO = rf"{_COUNT} (?:years?|yrs?|months?)"  # not days or hours: that is now
_TIME_CLEAN = rf"{_COUNT} (?:days?|weeks?|months?|years?|yrs?)"
# What a crisis was, in the words a frame says it is over ("not suicidal anymore").
_TOPIC = (
    r"(?:suicid\w*|self ?harm\w*|(?:cut|cutting|hurt|hurting|harm|harming|kill|killing|starv\w*)"
    r" myself|cut|cutting|overdos\w*|purg\w*|binge\w*|throw(?:ing)? up|making myself sick|"
    r"eating disorder|anorexi\w*|bulimi\w*|want(?:ed|ing)? to die|attempt\w*)"
)

# A past or recovery frame: what the clause tells is over. Past: "used to" (not "I'm used
# to"), N months or years ago (not days: that is now), last year (not "since" or "for the
# last year"), in 2019, back then, when I was a teen; N years since. Recovery: in recovery,
# my recovery, recovered from; N days clean or sober, clean since; a survivor; much better
# now, in a better place (not "better off"); not ... anymore, no longer, haven't ... in a year;
# working on it in therapy.
_FRAME = (
    r"(?<!im )(?<!i am )(?<!got )(?<!get )\bused to\b|"
    rf"\b(?:{_LONG_AGO}|years|months|ages) ago\b|"
    r"(?<!since )(?<!the )\blast (?:year|spring|summer|autumn|fall|winter)\b|"
    r"(?<!since )\bin (?:19|20)\d\d\b|\bback (?:then|in (?:the day|school|uni|college))\b|"
    r"\bwhen i was (?:younger|a (?:teen|teenager|kid|child|student)|\d+|in (?:high school|"
    r"school|college|uni|university)|at (?:school|uni|university))\b|"
    r"\bas a (?:teen|teenager)\b|\bin my (?:teens|teenage years|twenties|20s)\b|"
    rf"\b{_LONG_AGO} since\b|"
    r"\bin recovery\b|\b(?:my|our) recovery\b|\brecovery (?:anniversary|journey|milestone)\b|"
    rf"\brecover(?:ed|ing) from (?:my |an |a |the )?{_TOPIC}|"
    rf"\b{_TIME_CLEAN} (?:\w+ ){{0,2}}(?:clean|sober|free)\b|"
    rf"\b(?:clean|sober|free) (?:for|since) (?:{_TIME_CLEAN}|(?:19|20)\d\d)\b|"
    r"\bsurviv(?:or|ed)\b|"
    r"\b(?:im|i am|i feel|feeling|theyre|they are|things are|its|it is|ive been|doing|getting)"
    r" (?:\w+ )?(?:much|so much|a lot|way|far) better\b(?! (?:off|without|if))|"
    r"\b(?:im|i am) (?:now )?in a (?:much |way |far |so much )?better place\b|"
    rf"\b(?:not|dont|do not|never) (?:\w+ ){{0,2}}?{_TOPIC} (?:\w+ ){{0,3}}?(?:anymore|any more)\b|"
    rf"\bno longer (?:\w+ ){{0,2}}?{_TOPIC}|"
    rf"\b(?:havent|have not|hasnt) (?:\w+ ){{0,2}}?{_TOPIC} (?:\w+ ){{0,2}}?(?:in|for|since) "
    rf"(?:{_TIME_CLEAN}|ages|years|months|(?:19|20)\d\d)\b|"
    r"\b(?:working (?:on|through)|in therapy for|(?:getting|got) (?:help|treatment|support) "
    r"(?:for|with)|treatment for|therapy for) (?:my |the |these |those )?(?:\w+ )?"
    rf"(?:thoughts|{_TOPIC}|depression|addiction)"
)

# What says the crisis is now, or back, anywhere in the message: the patterns' reading
# stands. Again, urges, still, tonight, a relapse, worse, nothing has changed, "it's back",
# started cutting, scared I'll, want to or going to cut (not "used to want to die"), last
# night, days ago, "I've been cutting". Broad on purpose: a false alarm shows the lines, a miss
# does not.
PRESENT_RISK = (
    r"\b(?:again|urges?|still|tonight|relaps\w*|slip(?:ped)? up|worse|(?:cant|cannot) stop)\b|"
    # It has not passed: "... and honestly nothing has changed", "no better", "same as then".
    r"\b(?:nothing(?: has|s)? changed|(?:no|not (?:any|getting)) better|(?:hasnt|has not|havent|"
    r"have not) (?:got|gotten|been getting) (?:any )?better|"
    r"(?:the )?same as (?:then|before|back then))\b|"
    r"\b(?:are|is|its|theyre|came|comes|coming|come|creeping|crept|been|thoughts) back\b|"
    r"\bstart(?:ed|ing|s)? (?:again|to|cutting|purging|bingeing|binging|self|hurting|harming|"
    r"thinking|feeling|having|using|drinking)\b|"
    r"\b(?:scared|afraid|worried|terrified|frightened|fear)(?: that)? (?:ill|i will|i might|"
    r"i could|i would|im going to|i am going to|of (?:relaps\w*|cutting|doing it|going back|"
    r"hurting))\b|"
    r"(?<!used to )\b(?:want|wanting|wanna|feel like|thinking (?:about|of)|plan(?:ning)? to|"
    r"going to|gonna|tempted to|urge to) (?:\w+ ){0,2}?(?:die|dying|kill|cut|cutting|hurt|harm|"
    r"end|overdose|purge|purging|throw up|starve|use|drink|relapse|do it)\b|"
    r"\b(?:last night|yesterday|this (?:morning|afternoon|evening|week)|"
    r"(?:an hour|hours|minutes|days) ago)\b|"
    r"\bi(?:ve| have)? been (?:\w+ )?(?:cutting|purging|bingeing|binging|hurting myself|"
    r"harming myself|starving|throwing up)\b"
)

# Where a clause ends: a mark, or a word that turns to another one ("... but I've been clean").
_CLAUSE_END = r"([.!?;,:\n]+|\s+(?:but|and|though|although|however|yet|now|so|whereas)\b)"


@cache
def _compiled() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """_FRAME, PRESENT_RISK, _TOPIC and _CLAUSE_END, compiled when first needed."""
    return (
        re.compile(_FRAME),
        re.compile(PRESENT_RISK),
        re.compile(rf"\b{_TOPIC}\b"),
        re.compile(_CLAUSE_END, re.IGNORECASE),
    )


def framed(clause: str) -> bool:
    """A normalised clause is in a past or recovery frame (_FRAME)."""
    return _compiled()[0].search(clause) is not None


def present_risk(said: str) -> bool:
    """A normalised message says the crisis is now or back (PRESENT_RISK), or that the user
    means to act or to try again (common.analysis.acute)."""
    return _compiled()[1].search(said) is not None or means_to_act(said)


def crisis_topic(said: str) -> bool:
    """A normalised text names a crisis (suicide, self-harm, an eating disorder...)."""
    return _compiled()[2].search(said) is not None


def clauses(text: str) -> list[str]:
    """`text` cut into clauses and the marks or turning words between them, alternately
    (clause, end, clause, ...): joined again, the text as it was."""
    return _compiled()[3].split(text)
