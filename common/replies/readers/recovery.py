"""Recovery from alcohol or drugs: a relapse, the fear of one, a risky choice asked about while
sober, an opioid named (the tolerance is lower after a break), a sobriety milestone."""

from __future__ import annotations

import re
from collections.abc import Iterable

from common.replies.justice import RELEASED
from common.replies.readers.decision import _CUE
from common.text import canonical_text

# Recovery from alcohol or drugs (the recovery review: "8 months clean from heroin. should I go
# to my old dealer's birthday party?" got Elro's "ask yourself which option you'd regret not
# trying", "I relapsed on heroin last night" "check whether anything is blocking you"). A
# relapse or a slip (with sobriety, a substance, or said in the first person: "I relapsed
# last night", "I used again"), the fear of one, or a risky choice asked about while sober
# ("should I just have one drink at the party?"); sobriety earlier in the window counts ("I've
# been sober 8 months" ... "should I just have one to fit in?"). Not gambling (gambling_harm),
# self-harm or an eating disorder, nor an illness that relapses ("my MS relapsed").
_SOBER = re.compile(
    r"\b(?:sober|sobriety|clean\s+(?:for|since|from)|(?:\d+|a|an|one|two|three|four|five|six"
    r"|seven|eight|nine|ten|eleven|twelve|a\s+few|several)\s+(?:days?|weeks?|months?|years?)\s+"
    r"(?:clean|sober|dry)|in\s+recovery|recovering\s+(?:addict|alcoholic)|addicts?|alcoholics?"
    r"|sponsor|rehab|detox|(?-i:AA|NA)|(?:haven'?t|have\s+not)\s+(?:had\s+a\s+drink|drunk|used)"
    r"|without\s+a\s+drink)\b",
    re.IGNORECASE,
)
_SUBSTANCE = (
    r"alcohol|booze|drink(?:s|ing)?|drank|drunk|bottle|beers?|wine|vodka|whisk(?:e)?y|weed"
    r"|cannabis|cocaine|coke|crack|meth|ketamine|mdma|pills|drugs?|dealer'?s?|needle"
    r"|heroin|fentanyl|opioids?|opiates?|oxy(?:codone|contin|s)?|percocets?|percs|morphine"
    r"|methadone|smack"
)
_OPIOID = re.compile(
    r"\b(?:heroin|fentanyl|opioids?|opiates?|oxy(?:codone|contin|s)?|percocets?|percs|morphine"
    r"|methadone|smack)\b",
    re.IGNORECASE,
)
_NOT_AN_ILLNESS = r"(?<!\bms\s)(?<!cancer\s)(?<!lupus\s)(?<!crohns\s)(?<!crohn's\s)"
# A slip that happened ("relapsed", "used again"); "relapse" and "use again" may be ahead.
_SLIPPED = (
    rf"{_NOT_AN_ILLNESS}\brelapsed\b|\bslipped(?:\s+up)?\b|\bfell\s+off\s+the\s+wagon\b"
    r"|\bhad\s+a\s+relapse\b|\b(?:used|drank|drunk|smoked|took|drinking|using)\s+"
    r"(?:[\w'-]+\s+){0,2}?again\b|\bback\s+on\s+the\s+(?:drink|booze|bottle|drugs|gear)\b"
)
_RELAPSE = re.compile(
    rf"{_SLIPPED}|{_NOT_AN_ILLNESS}\brelaps(?:e|es|ing)\b|\b(?:use|drink)\s+again\b", re.IGNORECASE
)
_SLIPPED_RE = re.compile(_SLIPPED, re.IGNORECASE)
_MINE = re.compile(
    r"\bi(?:'?ve|\s+have|\s+had|\s+just)?\s+(?:relapsed|(?:[\w'-]+\s+){0,3}?(?:used|drank)\s+again"
    r"|started\s+(?:drinking|using)\s+again)\b|\bi(?:'?m|\s+am)?\s+(?:going\s+to|gonna"
    r"|about\s+to|will|want\s+to)\s+(?:use|drink)\s+again\b|\b(?:scared|afraid|worried|terrified)\s+"
    r"(?:that\s+)?(?:i'?ll|i\s+will|i\s+might|of)\s+relaps",
    re.IGNORECASE,
)
_SUBSTANCE_RE = re.compile(rf"\b(?:{_SUBSTANCE})\b", re.IGNORECASE)
# Used since a release from prison (the justice review: "I got out of prison 2 weeks ago and I
# used heroin last night" got "Ugh, frustrating!"): a relapse after a forced break.
_USED = re.compile(
    rf"\bi\s+(?:(?:have|'ve|just)\s+)?(?:used|took|smoked|did|shot\s+up|had)\s+(?:some\s+)?"
    rf"(?:{_SUBSTANCE})\b",
    re.IGNORECASE,
)
# A risky choice: drinking or using, or going where they would ("have one drink", "go to my
# old dealer's birthday party"), or a craving ("I still want to drink"); not "should I tell my
# team at the party" or take a medicine.
# "use" said of a drug: with nothing after it, or again, once, tonight ("should I use just
# once?", not "I want to use React").
_USE = (
    r"use(?=\s*(?:[.!?,;]|$)|\s+(?:again|(?:just\s+)?once|so\s+bad(?:ly)?|badly|tonight|today"
    r"|right\s+now)\b)"
)
_RISKY = re.compile(
    rf"{_CUE}(?:have|drink|try|{_USE})\b|{_CUE}(?:go|going|attend|show\s+up)\s+"
    r"(?:[\w'-]+\s+){0,4}?(?:party|parties|bar|pub|club|drinks|dealer\w*|birthday)\b"
    rf"|\b(?:want(?:s|ing)?|crav\w*|urges?|tempted)\s+(?:to\s+)?(?:drink|a\s+drink|{_USE})\b",
    re.IGNORECASE,
)
_NOT_SUBSTANCE = re.compile(
    r"\b(?:gambl\w*|bet(?:s|ting)?|self[\s-]?harm\w*|cutting|cut\s+myself|purg\w*|eating\s+disorder"
    r"|anorexi\w*|bulimi\w*|binge\s+eating)\b",
    re.IGNORECASE,
)


def substance_recovery(text: str, earlier: Iterable[str] = ()) -> bool:
    """A relapse, the fear of one, or a risky choice asked about, in recovery from alcohol or
    drugs (`earlier`: the window's messages, for sobriety said before): no steps, support."""
    said = canonical_text(text)
    if _NOT_SUBSTANCE.search(said):
        return False
    sober = _SOBER.search(said) is not None or any(
        _SOBER.search(e) or _RELAPSE.search(e) for e in map(canonical_text, earlier)
    )
    if _RELAPSE.search(said):
        return sober or bool(_SUBSTANCE_RE.search(said) or _MINE.search(said))
    if _used_since_release(said):
        return True
    return sober and _RISKY.search(said) is not None


def _used_since_release(said: str) -> bool:
    """A canonical message tells of using since a release from prison, a forced break after
    which the tolerance is lower (_USED, common.replies.justice.RELEASED)."""
    return bool(RELEASED.search(said) and _USED.search(said))


def relapsed(text: str) -> bool:
    """The message tells of a slip that happened ("I relapsed", "drank again", used since a
    release from prison), not one feared or a choice ahead."""
    said = canonical_text(text)
    return _SLIPPED_RE.search(said) is not None or _used_since_release(said)


def opioid_named(text: str) -> bool:
    """The message names an opioid (heroin, fentanyl, oxycodone...): after a break the
    tolerance is lower, and the old amount can kill."""
    return _OPIOID.search(canonical_text(text)) is not None


# A sobriety milestone, said and not asked about ("6 months sober today!", "I haven't had a
# drink in 100 days"): a celebration and a check-in, no steps (the review: "Nice and steady
# ... Start now and report back!").
_MILESTONE = re.compile(
    r"\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+"
    r"(?:days?|weeks?|months?|years?)\s+(?:sober|clean|dry|alcohol[\s-]free|drug[\s-]free)\b"
    r"|\b(?:sober|clean|dry)\s+(?:for\s+)?(?:\d+|a|an|one|two|three|four|five|six|seven|eight"
    r"|nine|ten|eleven|twelve)\s+(?:days?|weeks?|months?|years?)\b"
    r"|\b(?:haven'?t|have\s+not)\s+(?:had\s+a\s+drink|drunk|used|touched\s+a\s+drop)\s+"
    r"(?:in|for)\b|\bsobriety\s+(?:anniversary|birthday|milestone)\b",
    re.IGNORECASE,
)


def sobriety_milestone(text: str) -> bool:
    """The message marks a sobriety milestone and asks nothing (_MILESTONE, no "?")."""
    said = canonical_text(text)
    return "?" not in said and _MILESTONE.search(said) is not None and not _RELAPSE.search(said)
