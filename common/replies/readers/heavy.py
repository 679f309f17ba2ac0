"""Heavy life events, after which a cheerful or study-shaped reply is tone-deaf: a loss, a
diagnosis or a prognosis, harassment, an assault, coming out, a stay in treatment for an eating
disorder, a relapse."""

from __future__ import annotations

import functools
import re

from common.analysis.prognosis import HEAVY_WORDS, stated_prognosis
from common.replies.coming_out import WENT_WELL
from common.replies.readers.eating import _EATING_DISORDER_STAY
from common.replies.readers.recovery import relapsed, substance_recovery
from common.text import canonical_text

# Heavy life events (the sensitive-disclosures review: "I had a miscarriage last week" got "It's
# lovely to hear you sounding so settled", "I was diagnosed with cancer on Monday" a tutorial,
# "The person harassing me IS the HR manager" "Pick one and go, you've got this!"). Each in a
# form everyday talk at work does not use: "diagnosed with" or "my diagnosis", not "diagnosed
# the bug"; a person who died, not "the build died", and who "passed" with nothing after it, not
# "my dad passed his toolbox on to me"; "came out to my parents", not "the release came out";
# "I'm undocumented", not "an undocumented API"; "grieving", not "a grievance".
_PERSON = (
    r"(?:mom|mum|mother|dad|father|parents?|brother|sister|sibling|son|daughter|baby|child|kid"
    r"|husband|wife|partner|boyfriend|girlfriend|fianc[eé]e?|grand(?:ma|pa|mother|father|parent)"
    r"|grandad|granddad|nan|gran|aunt|uncle|cousin|niece|nephew|friend|colleague|coworker"
    r"|co-worker|boss|manager|mentor|teacher|neighbou?r|dog|cat|pet)"
)
_DIED = (
    r"(?:died|passed(?=\s*(?:[.,;!?]|$)|\s+(?:in|last|this|suddenly|recently|yesterday|today"
    r"|earlier|away|on\s+\w+day)\b))"
)
# A diagnosis, as both a heavy event and a matter one may be asked about at work.
_DIAGNOSIS = r"(?:diagnosed\s+with|(?:my|her|his|their|a|the)\s+(?:\w+\s+)?diagnosis)"
_DISCRIMINATION = r"discriminat(?:e|ed|es|ing|ion|ory)"
_PET = r"(?:dog|cat|pet|puppy|kitten|horse|rabbit|bunny|hamster)"
# Deaths not said with "died" (the grief review: "my son hanged himself", "we lost the baby",
# "had to put our dog down" got upbeat openers): each in a form work talk does not use, not
# "wake up", "put down my notes", "in the wake of the outage" or "the Ashes"; someone who
# overdosed, not "Overdosed on coffee before my viva... I PASSED!!!" (the health-habits review).
# A suicide only as someone's ("his suicide", "my brother's suicide", "the suicide of my
# friend", "lost my dad to suicide"): not a thesis on suicide prevention or an essay on suicide
# rates (the creative review: a lit-review question got "tell someone close to you how you're
# really feeling", and the next one, "what databases should I search?", slow breaths).
_SUICIDE_OF = (
    r"(?:(?:(?:my|our|his|her|their|a)\s+(?:\w+\s+)?)?\w+'s|his|her|their)\s+suicide"
    r"(?!\s+(?:rates?|prevention|risk|research|statistics|data|awareness))"
    r"|suicide\s+of\s+(?:my|our|his|her|their|a)\s|lost\s+(?:\w+\s+){1,3}?to\s+suicide"
    r"|died\s+(?:by|of|from)\s+suicide|committed\s+suicide"
)
_LOSS = (
    r"(?:hanged|killed|shot|drowned)\s+(?:him|her|them)sel(?:f|ves)"
    rf"|took\s+(?:his|her|their)\s+(?:own\s+)?life|{_SUICIDE_OF}"
    rf"|(?:{_PERSON}|he|she|they|someone)\s+(?:\w+\s+)?overdosed"
    rf"|(?:{_PERSON}|he|she|they)\s+(?:was|were|got|(?:had|has|have)\s+been)\s+killed"
    r"|(?:he|she|they)\s+(?:\w+\s+)?died"
    rf"|lost\s+(?:the|our|my|her|his|their)\s+(?:\w+\s+)?{_PERSON}(?!\s+(?:at|in)\s+the)"
    rf"|put\s+(?:our|my|the|her|his|their)\s+(?:\w+\s+)?{_PET}\s+(?:down|to\s+sleep)"
    rf"|{_PET}\s+(?:had\s+to\s+be|was|were|got|is\s+being)\s+put\s+(?:down|to\s+sleep)"
    r"|memorial(?!\s+day)|eulog(?:y|ies|ise|ize)|(?:scatter\w*|spread\w*)\s+(?:\w+\s+)?ashes"
    r"|(?:his|her|their)\s+ashes|(?:the|his|her|their)\s+wake(?!\s+(?:of|up|word))"
    r"|(?:(?:my|our)\s+\w+'s|his|her|their)\s+death"
)
_HEAVY_EVENT = re.compile(
    r"\b(?:miscarr(?:y|ied|iage|iages)|stillb(?:irth|orn)|pregnancy\s+loss"
    rf"|{_DIAGNOSIS}"
    r"|(?:was|were|been|got|get|being|newly|recently)\s+diagnosed"
    r"|cancer|chemo(?:therapy)?|radiotherapy|tumou?rs?|terminal(?:ly)?\s+ill"
    # a prognosis (the illness review: "it's palliative now" got "put the facts in writing")
    rf"|{HEAVY_WORDS}"
    r"|passed\s+away|funerals?|bereave\w*|griev(?:e|es|ed|ing)|grief"
    # widowed ("I'm 72 and recently widowed" read as no loss); not typesetting's widows and
    # orphans, nor the black widow
    r"|(?<!black\s)widow(?:ed|ers?|s)?\b(?!\s*(?:and|&|/)\s*orphans?|\s+(?:lines?|control))"
    rf"|{_LOSS}"
    rf"|(?:my|our|her|his|their)\s+(?:\w+\s+)?{_PERSON}\s+(?:\w+\s+)?{_DIED}"
    rf"|harass\w*|{_DISCRIMINATION}|assault\w*|raped?|molest\w*"
    # someone hurting them that no crisis sign may catch (the bystander review: "my boss groped
    # me" got a cheerful reply); not "groped for my keys", "attacked the bug", "attacked me with
    # questions"
    r"|grop(?:ed|es|ing)\s+(?:me|her|him|them)|(?:was|were|got|been|being)\s+groped"
    r"|touched\s+me\s+inappropriately|inappropriately\s+touched"
    r"|(?:attacked\s+me|(?:was|were|got|been|being)\s+(?:physically\s+|violently\s+)?attacked)"
    r"(?!\s+(?:with|about|for|online|on\s+(?:twitter|x|linkedin|reddit|slack|social|facebook"
    r"|instagram|tiktok|the\s+internet)|in\s+(?:the\s+)?(?:code\s+)?review"
    r"|by\s+(?:the\s+)?(?:trolls?|bots?|reviewers?))\b)"
    r"|(?:being|been|was|were|is|are|getting)\s+abused|abusive"
    r"|misgender\w*|homophob\w*|transphob\w*|racis[mt]"
    # dysphoria, and hating one's body said by a trans or non-binary user (the LGBTQ+ review:
    # "every day I look in the mirror and hate this body ... as a trans girl" got "Oh, that
    # sounds so frustrating"); not "I hate my body after the holidays"
    r"|dysphori\w*|hate\s+(?:this|my(?:\s+own)?)\s+body(?=.*\b(?:trans|transgender|non-?\s?binary"
    r"|enby|genderqueer)\b)|(?:trans|transgender|non-?\s?binary|enby|genderqueer)\b(?=.*"
    r"\bhate\s+(?:this|my(?:\s+own)?)\s+body)"
    # a coming out, unless told that it went well ("they were amazing!!" got "what you're
    # carrying": the LGBTQ+ review)
    rf"|c(?:ame|oming)\s+out\s+(?:to\s+(?:my|our|his|her|their|the)|as)(?![^.!?]*?{WENT_WELL})"
    r"|(?:i'?m|i\s+am|we'?re|we\s+are|being|as\s+an?)\s+undocumented"
    r"|undocumented\s+(?:immigrants?|workers?|status)|deport(?:ed|ation|ing)?)\b",
    re.IGNORECASE,
)


# gentleness reads each message of the window again on every turn of a session: kept for the
# few hundred texts read last.
@functools.lru_cache(maxsize=256)
def heavy_event(text: str) -> bool:
    """The message speaks of a heavy life event (_HEAVY_EVENT), a terminal prognosis of theirs
    (common.analysis.prognosis), a stay in hospital or treatment for an eating disorder, or
    a relapse in recovery ("I relapsed last night":
    the next turn, "what do I do now?", got a tutorial to follow), or harassment for sexual
    orientation or gender identity (workrights.identity_harassment: a slur, deadnaming, outing,
    as "homophobic" and "misgendering" here are)."""
    from common.replies.workrights import identity_harassment  # it imports this module

    said = canonical_text(text)
    if _HEAVY_EVENT.search(said) or _EATING_DISORDER_STAY.search(said) or stated_prognosis(text):
        return True
    if identity_harassment(text):
        return True
    return relapsed(text) and substance_recovery(text)
