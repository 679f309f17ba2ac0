"""Sexual orientation and gender identity at work, asked about (the LGBTQ+ review: "can they
fire me for being gay?" got "punishing someone for raising harassment is unlawful in itself",
"do I have to tell my employer I'm trans?" "write down what happened", "I'm starting my
transition and need to tell HR about my name change" study steps, "I'm dating a colleague, he's
also a guy, should we tell HR?" "25 focused minutes on one official tutorial"): whether they
can be fired for it, whether they must tell, a transition at work, a relationship with a
colleague. General information with the locale's line to confirm it (ReplyRequest.support_lines),
never a push to tell. Mistreatment told in the message is workrights'. Read on
common.text.canonical_text, case-insensitive; English only, as the template's replies are.

Sources (2026-12-08): the Equality Act 2010 (legislation.gov.uk/ukpga/2010/15) protects sexual
orientation (s12) and gender reassignment (s7) in Great Britain; s7 covers a person
"proposing to undergo, is undergoing or has undergone a process (or part of a process)" and,
its explanatory notes say, no longer requires medical supervision (the EHRC: no medical
step and no Gender Recognition Certificate needed). Bostock v. Clayton County, 590 U.S. 644
(2020): an employer who fires someone for being gay or transgender violates Title VII."""

from __future__ import annotations

import re

from common.replies.workrights import IDENTITY, workplace_mistreatment
from common.support_lines import WorkHelp
from common.text import canonical_text

_IDENTITY = (
    rf"(?:{IDENTITY}|(?:in\s+)?a\s+same-?sex\s+relationship|my\s+sexuality"
    r"|my\s+sexual\s+orientation|my\s+gender\s+identity)"
)
_EMPLOYER = (
    r"(?:they|he|she|(?:my|the|an?|our)\s+(?:new\s+)?(?:employer|boss|manager|company|firm|hr"
    r"|work|job))"
)
# "can they fire me for being gay?", "can my employer fire me because I'm trans?"
_FIRED_FOR = re.compile(
    rf"\b(?:can|could|may|will|would|is\s+it\s+legal\s+for)\s+{_EMPLOYER}\s+(?:legally\s+|just\s+)?"
    r"(?:fire|sack|dismiss|terminate|let\s+(?:me\s+)?go|get\s+rid\s+of)\s+(?:me\s+)?"
    rf"(?:for\s+(?:being|coming\s+out\s+as)|because\s+(?:i'?m|i\s+am))\s+(?:an?\s+)?{_IDENTITY}\b"
    r"|\b(?:can|could)\s+i\s+(?:be|get)\s+(?:fired|sacked|dismissed|let\s+go)\s+"
    rf"(?:for\s+(?:being|coming\s+out\s+as)|because\s+(?:i'?m|i\s+am))\s+(?:an?\s+)?{_IDENTITY}\b",
    re.IGNORECASE,
)
# "do I have to tell my employer I'm trans?"
_MUST_TELL = re.compile(
    r"\b(?:(?:have|need|got)\s+to|required\s+to|obliged\s+to|obligated\s+to|must\s+i)\s+"
    r"(?:tell|disclose|declare|mention|reveal|inform)\b[^.!?]{0,40}?"
    rf"\b(?:i'?m|i\s+am|that\s+i'?m|about\s+(?:being|my))\s+(?:an?\s+)?{_IDENTITY}\b",
    re.IGNORECASE,
)
# Their own gender transition at work ("I'm starting my transition and need to tell HR about my
# name change"): not "my transition to management" nor "transitioning to a new role".
_TRANSITION = re.compile(
    r"\b(?:my|gender|social|medical)\s+transition\b(?!\s+(?:to|into|from|period|plan\s+to)\b)"
    r"|\btransition(?:ing)?\s+(?:at\s+work|in\s+the\s+workplace|socially|medically)\b"
    r"|\b(?:start\w*|begin\w*|going\s+to)\s+(?:my\s+)?transition(?:ing)?\b(?!\s+(?:to|into"
    r"|from)\b)"
    r"|\b(?:i'?m|i\s+am)\s+(?:a\s+)?trans(?:gender)?\b[^.!?]{0,60}?\b(?:name\s+change"
    r"|new\s+name|change\s+my\s+name|pronouns)\b",
    re.IGNORECASE,
)
_AT_WORK = re.compile(
    r"\b(?:work|job|hr|employer|boss|manager|team|colleagues?|co-?workers?|office|company)\b",
    re.IGNORECASE,
)
# A relationship with a colleague, asked about telling work ("I'm dating a colleague, he's also a
# guy, should we tell HR?"): as any workplace relationship is.
_COLLEAGUE_RELATIONSHIP = re.compile(
    r"^(?=[^.!?]*?\b(?:dating|seeing|going\s+out\s+with|in\s+a\s+relationship\s+with"
    r"|together\s+with|(?:boy|girl)friend\s+is)\s+(?:a\s+|my\s+)?(?:colleague|co-?worker"
    r"|someone\s+(?:at|from)\s+work|someone\s+i\s+work\s+with)\b)"
    r".*\b(?:tell|inform|declare|disclose)\s+(?:hr|our\s+(?:boss|manager)|my\s+(?:boss|manager)"
    r"|work|the\s+company|anyone\s+at\s+work)\b",
    re.IGNORECASE | re.DOTALL,
)


def identity_at_work(text: str) -> str:
    """ "fired" (can they fire me for being gay or trans?), "tell" (do I have to tell work?),
    "transition" (their transition at work) or "colleague" (a relationship with a colleague, and
    whether to tell work); "" for any other message, and for mistreatment told in it."""
    said = canonical_text(text)
    if _FIRED_FOR.search(said):  # "could I be fired for being bi?" reads as told there
        return "fired"
    if workplace_mistreatment(said):
        return ""
    if _MUST_TELL.search(said):
        return "tell"
    if _TRANSITION.search(said) and _AT_WORK.search(said):
        return "transition"
    return "colleague" if _COLLEAGUE_RELATIONSHIP.search(said) else ""


_LAW = (
    "In Great Britain, sexual orientation and gender reassignment are protected under the "
    "Equality Act 2010; in the US, the Supreme Court held in Bostock v. Clayton County (2020) "
    "that firing someone for being gay or transgender is sex discrimination under Title VII. "
    "Elsewhere the law differs"
)
_NO_LINES = "an employment adviser or a union"
_TEXTS = {
    "fired": (
        "As general information, not legal advice: in many places it's unlawful to dismiss "
        f"someone for being gay, bi or trans. {_LAW}, so check what applies where you work: "
        "{lines}. If something has already happened, keep a dated note of what was said and done "
        "and by whom."
    ),
    "tell": (
        "No: in general there's no duty to tell an employer your sexual orientation or that "
        "you're trans, and whether, when and whom to tell is your decision alone, at your own "
        "pace. If you'd like to know what applies to you, {lines} can help, confidentially."
    ),
    "transition": (
        "You can ask HR for a confidential transition plan: who is told, when, by whom and in "
        "what words, and the date your name, email, ID badge and records change. Your medical "
        "details are yours to keep private. In Great Britain, the Equality Act 2010 (s7) "
        "protects you from when you propose to transition, with no medical step needed; in the "
        "US, Bostock v. Clayton County (2020) covers being transgender under Title VII. "
        "Elsewhere the law differs: {lines} can tell you what applies where you work."
    ),
    "colleague": (
        "A relationship with a colleague is treated like any other workplace relationship, "
        "whoever it's with. Check the employer's policy: many only ask you to declare one where "
        "one of you manages the other or decides on their pay or work. Beyond that, whether to "
        "tell anyone at work is your and your partner's decision."
    ),
}
_NO_HELP = WorkHelp()
_OPEN = {
    "lua": "That's a fair question to ask.",
    "riri": "Good question, here's the straight answer.",
    "elro": "Here is how it generally works.",
    "nana": "I'm glad you asked.",
}
_CLOSE = {
    "lua": "How are you feeling about it?",
    "riri": "Anything else you want to check?",
    "elro": "Would it help to go through what to ask HR?",
    "nana": "How are you feeling about it all?",
}


def identity_at_work_reply(persona: str, kind: str, work_help: WorkHelp = _NO_HELP) -> str:
    """The reply to a question of `kind` (identity_at_work) in `persona`'s voice, naming the
    locale's line for discrimination at work (`work_help`), or an adviser in words."""
    lines = "; ".join(work_help.rights("discrimination")) or _NO_LINES
    body = _TEXTS[kind].format(lines=lines)
    return " ".join((_OPEN.get(persona, _OPEN["lua"]), body, _CLOSE.get(persona, _CLOSE["lua"])))


# Gemini's rule for them, as the template answers them: "Go for it! Tell your manager today" is
# no answer to whether they must tell.
_RULE = (
    "- They ask about sexual orientation or gender identity at work (whether they can be fired "
    "for it, whether they must tell, a transition at work, a relationship with a colleague): "
    "answer that question as general information, not legal advice (in Great Britain the "
    "Equality Act 2010 protects sexual orientation and gender reassignment, with no medical step "
    "needed; in the US, Bostock v. Clayton County (2020) under Title VII; elsewhere the law "
    "differs), name {lines} to confirm what applies, say that whether, when and whom to tell "
    "is their decision alone, and never press them to tell. For a transition, mention a "
    "confidential transition plan with HR (who is told, when and by whom; name, email and "
    "records). Give no steps toward telling, no dares and no pep talk."
)


def identity_at_work_rule(lines: str) -> str:
    """The prompt's rule for a question of identity_at_work's, naming `lines` (the locale's,
    as one line: prompt.resource_line) or an adviser in words."""
    named = f"these lines: {lines} (never any other number)" if lines else _NO_LINES
    return _RULE.format(lines=named)
