"""Value types and the port of reply generation (pure: no cloud client)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from common.analysis.types import Analysis
from common.personas import Persona
from common.replies.readers.gentleness import Gentleness, gentleness
from common.replies.requests import kept_requests
from common.sessions.summary import SessionSummary
from common.support_lines import SupportLines


@dataclass(frozen=True)
class ContextTurn:
    """One earlier turn of the session, as the context window keeps it."""

    turn_index: int
    message: str
    reply: str
    persona: str
    tone: str
    crisis: bool = False  # answered with the crisis message: its words are no topic or attempt


@dataclass(frozen=True)
class ReplyRequest:
    """Everything a generator needs to answer one message.

    `window` holds the last (up to 5) earlier turns, oldest first; `summary` covers the turns
    that have left the window.
    """

    persona: Persona
    message: str
    analysis: Analysis
    window: tuple[ContextTurn, ...] = ()
    summary: SessionSummary = field(default_factory=SessionSummary)
    care: bool = False  # a recent turn showed signs of crisis: check in gently first
    # In care, the locale's crisis resources: the care rule reminds of these (a care turn's
    # analysis carries none, and the response's safety.resources stay empty off a crisis); off
    # care, those for harm to others when it applies (harm_to_others).
    care_resources: tuple[str, ...] = ()
    # In care, the user said since the crisis that they are all right ("i'm fine, it was a
    # joke"): what they ask is answered as after care (recent_crisis), with the reminder of
    # the resources, not with care's no-help text.
    all_right: bool = False
    # In care, the user is supporting someone else in crisis (SessionState.supporting): their
    # questions about helping that person are answered, not met with care's no-help text;
    # "suicide" or "hurt" (someone else hurt: the advice for violence, not for suicide).
    supporting: str | None = None
    # The user may hurt someone else: care after the reply for it (harm_to_others_reply), or a
    # message the harm patterns read below the crisis threshold ("I'm so angry I could actually
    # hurt my son"). The reply speaks of keeping others safe; care_resources then hold the
    # emergency line and the lines for harm to others, which the harm rule names.
    harm_to_others: bool = False

    # In care after the emergency reply (SessionState.emergency): check in with the emergency
    # number, and answer questions about getting help; not care's no-help text.
    after_emergency: bool = False
    # On every turn, what the reply may tell them to call now for the request's locale: its
    # emergency line, then its lines for poisoning and urgent care (common.safety.local_help).
    # The prompt names them for an emergency, the reply vet lets them through, the template's
    # urgent-care answer and emergency care say the number.
    local_help: tuple[str, ...] = ()
    # The first generator withheld its reply for safety (WithheldForSafety): the fallback
    # answers with care's words, though the turn is no crisis (a block is not a disclosure).
    withheld: bool = False
    # Within the hour after the user's latest crisis turn (in any session), as the activity
    # record tells: the turn may no longer be in the window. Read recent_crisis, not this.
    after_crisis: bool = False
    # The locale's lines for recovery, loneliness, mistreatment at work, cancer support, carers
    # and new parents (common.support_lines), read once per turn: the template and the prompt's
    # rules name them, the reply vet lets all but the recovery lines through on every turn.
    support_lines: SupportLines = field(default_factory=SupportLines)
    # The locale's LGBTQ+ lines (common.lgbtq_lines) when the message or window names a
    # sexuality or gender identity, else (): the reply to conversion practices and the prompt's
    # identity rule name them, the vet lets them through.
    lgbtq_lines: tuple[str, ...] = ()
    # The locale's lines for somewhere to sleep tonight (common.tonight_lines): the answer to
    # "where do I go tonight?" after being kicked out names them, in care too, as the prompt's
    # rule for it does; the vet lets them through on every turn; () where there are none.
    tonight_lines: tuple[str, ...] = ()
    # What the message and window say of heavy events and health limits: take_turn's, which
    # ranked the personas; read from them when not given (a request built elsewhere). None
    # only until __post_init__ sets it: readers always see a Gentleness, hence the ignore.
    gentleness: Gentleness = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.gentleness is None:
            said = gentleness(self.message, (turn.message for turn in self.window))
            object.__setattr__(self, "gentleness", said)

    @property
    def recent_crisis(self) -> bool:
        """Care has ended but a crisis was recent: within the hour (after_crisis), or one is
        still in the window. Replies stay calm and recall nothing from before it ("the idea to
        set a 25-minute timer didn't cut it ... report back!" four minutes after the crisis
        reply, the timer advice given before it)."""
        return self.after_crisis or self.all_right or any(turn.crisis for turn in self.window)

    @property
    def standing_requests(self) -> frozenset[str]:
        """How they asked to be answered that holds for this reply (requests.KEPT): what the
        session kept (SessionSummary.requests), then the window's messages and this one read in
        order, so that a request built without the session's (the legacy endpoint's) reads
        its window's."""
        held = self.summary.requests
        for message in (*(turn.message for turn in self.window), self.message):
            held = kept_requests(held, message)
        return frozenset(held)


class Restart(str):
    """A streamed chunk that starts the reply over: the chunks before it are not the reply
    (a reply cut at the token cap, shown as it came, then kept to its whole sentences)."""


class GenerationError(Exception):
    """A generator could not produce a reply; callers fall back to the template."""


class WithheldForSafety(GenerationError):
    """The model withheld its reply, or refused the prompt, for safety: what the user wrote
    may be distress that the crisis detectors missed, so the fallback must not answer with an
    ordinary reply's plans and steps."""


@runtime_checkable
class ResponseGenerator(Protocol):
    """Port: turns a ReplyRequest into the persona's reply, whole or streamed."""

    # Each reply costs money (a billed model call): the chat service makes one only for a turn
    # it has reserved a place for in the user's activity record, so that turns sent at once
    # cannot each pay for a reply the limits then refuse to store (common/chat/service.py).
    costly: bool

    def generate(self, req: ReplyRequest) -> str:
        """Return the whole reply."""
        ...

    def stream(self, req: ReplyRequest) -> Iterator[str]:
        """Yield the reply in chunks whose concatenation is the whole reply; a Restart chunk
        begins it again."""
        ...
