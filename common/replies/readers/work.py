"""Work and what one may be asked about, or choose to tell, there: a sensitive matter (health,
pregnancy, a criminal record...), someone at work, questions about rights at work, and whether
a health matter is the user's own (workplace adjustments) or one they care for (the carers'
reply)."""

from __future__ import annotations

import re

from common.replies.caring import caring
from common.replies.health_at_work import refused_at_work
from common.replies.readers.health import _HEALTH_LIMITS
from common.replies.readers.heavy import _DIAGNOSIS, _DISCRIMINATION
from common.text import canonical_text

# What a person may be asked about, or choose to tell, at work: health, pregnancy, disability,
# sexuality and gender identity, a criminal record, immigration status.
_MATTER = (
    rf"(?:pregnan\w*|miscarr\w*|ivf|fertility|{_DIAGNOSIS}"
    r"|cancer|chemo\w*|epilep\w*|diabet\w*|hiv"
    r"|crohn'?s|adhd|autis\w*|dyslexi\w*|bipolar|depression|ptsd|ocd"
    r"|neurodiver\w*|asperger'?s?|dyspraxi\w*|dyscalculi\w*|dysgraphi\w*|tourette'?s?"
    r"|anxiety\s+(?:disorder|meds|medication)|eating\s+disorder|mental\s+(?:health|illness)"
    r"|disabilit\w*|disabled|(?:medical|health|heart|chronic)\s+condition|(?:my|an)\s+illness"
    r"|medication|meds|antidepressants?|therapy|therapist|in\s+recovery|addiction|sobriety"
    r"|gay|lesbian|bisexual|queer|trans|transgender|transitioning|sexuality|sexual\s+orientation"
    # gender identity and its care (the LGBTQ+ review: "Earlier they tried: using my they/them
    # pronouns with my team. Topics: nonbinary, using, pronouns." went to Gemini); not a move
    # at work ("my transition to product")
    r"|non-?\s?binary|enby|they\s?/\s?them|pronouns?|dysphori\w*|deadnam\w*|outed"
    r"|my\s+(?:gender\s+)?transition(?!\s+(?:to|into|from|out|back|between)\b)"
    r"|genderqueer|genderfluid|pansexual|asexual|intersex|lgbt\w*|hrt|testosterone"
    r"|o?estrogen|top\s+surgery|gender\s+recognition\s+certificate"
    r"|gender\s+identity|criminal\s+(?:record|conviction|history)|convict(?:ion|ed)|arrest\w*"
    r"|dui|dwi|prison|jail|visa|immigration\s+status|undocumented)"
)
# Someone at work, or what only an employer does to them ("do I have any rights if they fired
# me for being pregnant?" was a lawyer's).
_EMPLOYER = re.compile(
    r"\b(?:employer|boss|manager|team\s*lead|team|hr|work|job|company|colleagues?|coworkers?"
    r"|co-workers?|interviewer|recruiter|fired|dismissed|paid)\b",
    re.IGNORECASE,
)
_MATTER_RE = re.compile(rf"\b{_MATTER}\b", re.IGNORECASE)
_ASKS = re.compile(
    r"\?|^\s*(?:can|could|do|does|is|am|are|will|would|should|must|what|how|whether)\b"
    r"|\b(?:should|can|could|do|must)\s+i\b|\bwhether\b",
    re.IGNORECASE,
)
# Employment-rights questions, for an employment adviser, a union or a legal advice service:
# whether they must tell (only with a matter above: "do I have to tell my manager I'm taking
# Friday off?" is an everyday question), whether they can be fired for something, and, asked
# about, discrimination, visa or immigration status, a criminal record (a background check with
# one). Not "my visa" or "background check" alone: the corpus's "my visa appointment was
# cancelled" and "background check STILL pending" are errands.
_OBLIGED = re.compile(
    r"\b(?:(?:have|need|got)\s+to|required\s+to|obliged\s+to|obligated\s+to|must\s+i)\s+"
    r"(?:tell|disclose|declare|mention|reveal|report|inform)\b",
    re.IGNORECASE,
)
_FIRED = re.compile(  # "will they fire me for complaining?" too
    r"\b(?:can|could|may|will|would)\s+(?:they|he|she|(?:my|the|an?|our)\s+(?:new\s+)?"
    r"(?:employer|boss|manager|company|firm|hr))\s+(?:legally\s+|just\s+)?"
    r"(?:fire|sack|dismiss|terminate|demote|let\s+(?:me\s+)?go|get\s+rid\s+of)\b"
    r"|\b(?:can|could)\s+i\s+(?:be|get)\s+(?:fired|sacked|dismissed|terminated|let\s+go)\b",
    re.IGNORECASE,
)
# Leave and flexible working asked about as a right, for a carer or a parent (the review of
# carers and new parents: "can I ask my employer for carer's leave" got study steps; UK: the
# right to request flexible working from the first day, carer's leave, maternity, paternity and
# shared parental leave; US: FMLA). Not "we have flexible working, how do I plan my week?".
_LEAVE = (
    r"(?:flexible\s+(?:working|hours)|carer'?s'?\s+leave|(?:maternity|paternity|parental"
    r"|shared\s+parental|adoption)\s+(?:leave|pay)|time\s+off\s+for\s+dependants|fmla)"
)
_RIGHTS_TOPIC = re.compile(
    rf"\b(?:{_DISCRIMINATION}|(?:visa|immigration)\s+(?:status|conditions)"
    r"|criminal\s+(?:record|conviction|history)"
    r"|(?:request|ask\s+(?:my\s+\w+\s+|them\s+|him\s+|her\s+)?for|apply\s+for|entitled\s+to"
    rf"|right\s+to|eligible\s+for|qualify\s+for|allowed)\s+(?:\w+\s+){{0,3}}?{_LEAVE}"
    rf"|{_LEAVE}\s+(?:\w+\s+){{0,4}}?(?:entitled|rights?|allowed|eligible|legal|law))\b",
    re.IGNORECASE,
)
# "Should I tell my employer about my epilepsy?": the choice is theirs, never "run a small,
# reversible test" (telling cannot be undone). Whether or how to tell, with someone at work and
# a matter above in the message ("I'm pregnant ... should I tell her before my review?").
_TELL = re.compile(
    r"\b(?:(?:should|shall|do|would|can)\s+i|whether\s+(?:to|i\s+should)|how\s+(?:do\s+i|to))\s+"
    r"(?:tell|inform|let\s+\w+\s+know|disclose|mention|share|reveal|bring\s+(?:it\s+)?up)\b"
    r"|\bkeep\s+it\s+(?:private|to\s+myself|quiet|secret)\b",
    re.IGNORECASE,
)


def sensitive_matter(text: str) -> bool:
    """The text names a matter one may be asked about, or choose to tell, at work (_MATTER_RE:
    health, pregnancy, disability, sexuality, a criminal record, immigration status)."""
    return _MATTER_RE.search(canonical_text(text)) is not None


def _employment_question(text: str) -> bool:
    """A question about their rights at work (_OBLIGED with a matter, _FIRED, _RIGHTS_TOPIC), or
    an adjustment refused or an offer withdrawn after telling (health_at_work.refused_at_work)."""
    if _OBLIGED.search(text) and _MATTER_RE.search(text):
        return True
    if _FIRED.search(text) or refused_at_work(text, about_health=_about_health(text)):
        return True
    about = _RIGHTS_TOPIC.search(text) or (
        re.search(r"\bbackground\s+check", text, re.IGNORECASE) and _MATTER_RE.search(text)
    )
    return bool(about) and _ASKS.search(text) is not None


def _about_health(text: str) -> bool:
    """The text names a matter one may tell at work (_MATTER_RE) or health limits, of the user's
    own: a carer's "my husband has cancer and I'm his carer, how do I keep my job" is the
    carers' reply's (flexible working, carer's leave), not workplace adjustments."""
    return bool(_MATTER_RE.search(text) or _HEALTH_LIMITS.search(text)) and not caring(text)
