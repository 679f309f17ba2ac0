"""Conversion practices, or the threat of them (the LGBTQ+ review: "my parents say they'll send
me to get fixed because I'm gay" got Nana's "list what you've already tried", "my parents want
to send me to conversion therapy" Riri's "Pick one and go, you've got this!", "my church says
they can pray the gay away and my family is making me go to sessions" Elro's "Option A: pick
the smallest next step"). The reply: nothing about them needs fixing, health bodies reject the
practices (the UK's Memorandum of Understanding on Conversion Therapy, MoU2 of October 2017,
signed by NHS England, NHS Scotland, the British Psychological Society, the BACP, the Royal
College of GPs and others: conversion therapy about sexual orientation or gender identity is
"unethical, potentially harmful and is not supported by evidence"; bpc.org.uk/mou2conversiontherapy,
ncps.com), no session to keep the peace, and the locale's LGBTQ+ lines
(common.lgbtq_lines). Also what the reply vet refuses to a message about them, being kicked out
or hurt by family: going along with it, keeping the peace, apologising to be let back in."""

from __future__ import annotations

import re
from collections.abc import Iterable

from common.lgbtq_lines import names_identity
from common.replies.prompt import resource_line
from common.replies.types import ReplyRequest
from common.safety import call_now
from common.text import canonical_text
from common.tonight_lines import no_home

# Named as such, or a cure: not "conversion rate" or "conversion funnel".
_NAMED = re.compile(
    r"\b(?:conversion|reparative)\s+(?:therapy|therapies|practices?|camps?|programmes?|programs?"
    r"|sessions?|ministr\w+)\b|\bpray\s+(?:the\s+)?(?:gay|trans)\s+(?:away|out)\b"
    r"|\b(?:gay|trans)\s+(?:cure|conversion)\b",
    re.IGNORECASE,
)
# Being fixed or cured, only in a message that names a sexuality or gender identity ("they'll
# send me to get fixed because I'm gay"; not "my boss wants to fix my code").
_FIXED = re.compile(
    r"\b(?:get|be|being|getting)\s+(?:fixed|cured|straightened\s+out|made\s+straight)\b"
    r"|\b(?:fix|cure|change|straighten)\s+(?:me|my\s+(?:sexuality|gender|orientation))\b",
    re.IGNORECASE,
)

_REPLY = (
    "I'm really sorry you're facing this. Nothing about who you are needs fixing. So-called "
    "conversion practices, and being pressured into them, can do real harm: health bodies "
    "reject them, and in the UK the NHS and the main psychology and counselling bodies have "
    "signed a memorandum calling them unethical and potentially harmful. You don't have to "
    "agree to a session to keep the peace.{lines} If you're in danger at home, {call}."
)

# What a reply must not advise them there (the review: the vet passed "Maybe going along with a
# session or two could keep the peace at home", "Give your dad some time, he may come round;
# try to see it from his side", "Maybe try going home and apologising so they let you back in
# tonight").
_APPEASES = re.compile(
    r"\bgo(?:ing|es)?\s+along\s+with\b|\bkeep(?:ing)?\s+the\s+peace\b"
    r"|\b(?:try|attend|attending|do|doing|sit\s+through|give)\s+(?:a|one|the|their|it|that)\s+"
    r"(?:\w+\s+)?(?:session|programme|program|retreat|try|chance)\b"
    r"|\bapologi[sz](?:e|es|ed|ing)\b[^.!?]*\b(?:let\s+you\s+(?:back|home|in)|take\s+you\s+back)\b"
    r"|\b(?:go|going|head|heading)\s+(?:back\s+)?home\s+and\s+(?:say\s+sorry|apologi[sz])"
    r"|\b(?:he|she|they|your\s+\w+)\s+(?:may|might|will|could)\s+come\s+(?:round|around)\b"
    r"|\bsee\s+(?:it|things)\s+from\s+(?:his|her|their|your\s+\w+(?:'s)?)\s+(?:side|point\s+of\s+view"
    r"|perspective)\b|\bgive\s+(?:him|her|them|your\s+\w+)\s+(?:some\s+)?time\b",
    re.IGNORECASE,
)
# A sentence that says not to ("You don't have to go along with it").
_SAYS_NOT = re.compile(
    r"\b(?:don'?t|do\s+not|never|no\s+need\s+to|shouldn'?t|won'?t|not)\b", re.IGNORECASE
)
_SENTENCES = re.compile(r"(?<=[.!?;])\s+")
_FAMILY = re.compile(
    r"\b(?:mum|mom|mother|dad|father|parents?|family|brother|sister|stepdad|stepmum|stepmom"
    r"|church|pastor|priest)\b",
    re.IGNORECASE,
)


def conversion_practice(text: str) -> bool:
    """The message speaks of conversion practices, or of being fixed or cured of a sexuality or
    gender identity it names (_NAMED, _FIXED)."""
    said = canonical_text(text)
    return bool(_NAMED.search(said) or (_FIXED.search(said) and names_identity(said)))


def conversion_reply(req: ReplyRequest) -> str:
    """The reply to conversion practices: the same for every persona, no opener, no steps."""
    lgbtq = resource_line(req.lgbtq_lines)
    return _REPLY.format(
        lines=f" You can talk it through with people who understand: {lgbtq}." if lgbtq else "",
        call=call_now(req.local_help),
    )


def appeases_rejection(reply: str, said: Iterable[str]) -> bool:
    """`reply` advises going along, keeping the peace or apologising (_APPEASES, in a sentence
    that does not say not to) to someone whose messages (`said`) speak of conversion practices,
    of being kicked out, or of a family and a sexuality or gender identity."""
    said = tuple(said)
    at_stake = (
        any(map(conversion_practice, said))
        or no_home(*said)
        or (names_identity(*said) and any(_FAMILY.search(text) for text in said))
    )
    return at_stake and any(
        _APPEASES.search(sentence) and not _SAYS_NOT.search(sentence)
        for sentence in _SENTENCES.split(canonical_text(reply))
    )
