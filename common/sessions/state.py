"""A session as the chat service sees it, and how one more turn changes it (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from common.sessions.summary import SessionSummary, fold_turn, keywords

# After a no to "Are you safe right now?", care lasts until the session's latest crisis turn is
# this old: not for as long as the session does (each turn keeps it a day longer), so a user
# who says they are fine again, or a no misread, is not held in care while they keep coming.
NOT_SAFE_CARE = timedelta(hours=24)


@dataclass(frozen=True)
class WindowTurn:
    turn_id: str
    turn_index: int
    message: str
    reply: str
    persona: str
    created_at: datetime
    tone: str = "calm"
    entities: tuple[str, ...] = ()
    intent: str = ""
    crisis: bool = False  # answered with the crisis safety message, which no persona writes
    care: bool = False  # answered in care (or a crisis): its persona was care's, not a choice

    def to_dict(self) -> dict:
        return {
            "turn_id": self.turn_id,
            "turn_index": self.turn_index,
            "message": self.message,
            "reply": self.reply,
            "persona": self.persona,
            "created_at": self.created_at,
            "tone": self.tone,
            "entities": list(self.entities),
            "intent": self.intent,
            "crisis": self.crisis,
            "care": self.care,
        }

    @classmethod
    def from_dict(cls, d: dict) -> WindowTurn:
        return cls(
            turn_id=d["turn_id"],
            turn_index=int(d["turn_index"]),
            message=d["message"],
            reply=d["reply"],
            persona=d["persona"],
            created_at=d["created_at"],
            tone=d.get("tone", "calm"),
            entities=tuple(d.get("entities", ())),
            intent=d.get("intent", ""),
            crisis=bool(d.get("crisis", False)),  # False in windows stored before the flag
            care=bool(d.get("care", False)),  # likewise
        )


@dataclass(frozen=True)
class SessionState:
    session_id: str
    owner_uid: str
    created_at: datetime
    last_interaction_at: datetime
    expires_at: datetime
    turn_count: int = 0
    window: tuple[WindowTurn, ...] = ()
    summary: SessionSummary = field(default_factory=SessionSummary)
    current_persona: str | None = None
    persona_scores: dict[str, float] = field(default_factory=dict)
    care_until: int | None = None  # after a crisis, turns up to this index are taken with care
    # The session's latest crisis turn got the reply for a worried friend (someone else's
    # crisis: "my friend wants to kill herself"), and the user has not said it of themselves
    # since ("honestly same"): its care is a supporter's, whose questions about helping are
    # answered: "suicide" after the reply for a friend in danger, "hurt" after the one for
    # someone else hurt (SOMEONE_ELSE_HURT_REPLIES: its care keeps the violence lines). None
    # (False as stored before it was kept): the user's own crisis; True as stored before the
    # kinds were kept: "suicide".
    supporting: str | None = None
    # The session's latest crisis turn got the emergency reply ("I think I'm having a heart
    # attack"): its care turns check in with the emergency number (common.safety.
    # EMERGENCY_CHECK_IN), not with care's "no need to decide anything".
    emergency: bool = False
    # The user answered "Are you safe right now?" with no: the session is taken with care
    # until NOT_SAFE_CARE after its latest crisis turn, this time (a first crisis signal, maybe
    # a false alarm on ordinary words, gets care_until only). The user's activity record keeps
    # the latest of these, so that their other sessions are in care too (care_after_no).
    not_safe_until: datetime | None = None
    # The language of the session's latest crisis turn as its patterns told (Safety.language;
    # None: the locale's, as for sessions stored before it was kept): its care turns name the
    # lines, and say the care line, in the crisis reply's language, not the locale's.
    crisis_language: str | None = None
    # When the user last said in this session that they are all right ("i'm fine, it was a
    # joke": common.safety.says_all_right); None since a crisis turn of the session. After
    # their latest crisis turn (all_right_since), care (above) stands, but its turns answer
    # what they ask, calmly and with the resources' reminder, not care's no-help text.
    said_all_right_at: datetime | None = None
    # Some of its events went to analytics without the user key (the user anonymises): all
    # later ones do too, so that nothing links the session's keyed and anonymous rows. None:
    # stored before this was recorded (unknown).
    anonymous: bool | None = False
    # The persona the user asked for (the request's field or the message) on an earlier turn:
    # it answers the session's later turns too, until they ask for another or say no to it.
    requested_persona: str | None = None

    @property
    def said_not_safe(self) -> bool:
        return self.not_safe_until is not None

    def in_care(self, now: datetime) -> bool:
        """Is the next turn, at `now`, one of those that follow a crisis closely?"""
        not_safe_lately = self.not_safe_until is not None and now < self.not_safe_until
        return not_safe_lately or self.on_care_turns()

    def all_right_since(self, crisis_at: datetime | None) -> bool:
        """The user said they are all right in this session since their latest crisis turn in
        any (`crisis_at`, the activity record's; None: none known there)."""
        said = self.said_all_right_at
        return said is not None and (crisis_at is None or said > crisis_at)

    def on_care_turns(self) -> bool:
        """Is the next turn one of the care_until turns right after a crisis turn?"""
        return self.care_until is not None and self.turn_count <= self.care_until

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    def visible_to(self, uid: str, now: datetime) -> bool:
        """Another user's session and an expired one look the same to a client: not there."""
        return self.owner_uid == uid and not self.is_expired(now)

    def to_dict(self) -> dict:
        return {
            "session_id": self.session_id,
            "owner_uid": self.owner_uid,
            "created_at": self.created_at,
            "last_interaction_at": self.last_interaction_at,
            "expires_at": self.expires_at,
            "turn_count": self.turn_count,
            "context_window": [t.to_dict() for t in self.window],
            "summary": self.summary.to_dict(),
            "current_persona": self.current_persona,
            "persona_scores": self.persona_scores,
            "care_until": self.care_until,
            "supporting": self.supporting,
            "emergency": self.emergency,
            "not_safe_until": self.not_safe_until,
            "crisis_language": self.crisis_language,
            "said_all_right_at": self.said_all_right_at,
            "anonymous": self.anonymous,
            "requested_persona": self.requested_persona,
        }

    @classmethod
    def from_dict(cls, d: dict) -> SessionState:
        return cls(
            session_id=d["session_id"],
            owner_uid=d["owner_uid"],
            created_at=d["created_at"],
            last_interaction_at=d["last_interaction_at"],
            expires_at=d["expires_at"],
            turn_count=int(d.get("turn_count", 0)),
            window=tuple(WindowTurn.from_dict(t) for t in d.get("context_window", ())),
            summary=SessionSummary.from_dict(d.get("summary")),
            current_persona=d.get("current_persona"),
            persona_scores=dict(d.get("persona_scores") or {}),
            care_until=d.get("care_until"),
            supporting=_supporting(d.get("supporting")),
            emergency=bool(d.get("emergency")),  # False in sessions stored before it
            not_safe_until=d.get("not_safe_until"),
            crisis_language=d.get("crisis_language"),
            said_all_right_at=d.get("said_all_right_at"),
            anonymous=d.get("anonymous"),
            requested_persona=d.get("requested_persona"),  # None in sessions stored before it
        )


def _kept_requests(before: tuple[str, ...], message: str) -> tuple[str, ...]:
    """common.replies.requests.kept_requests, imported when first read (as _asks_to_forget)."""
    from common.replies.requests import kept_requests

    return kept_requests(before, message)


def _asks_to_forget(message: str) -> bool:
    """common.replies.requests.asks_to_forget, imported when first read: the common.replies
    package loads the reply stack and the crisis scanner, which the functions that only read
    preferences (profile, feedback) import this module without needing."""
    from common.replies.requests import asks_to_forget

    return asks_to_forget(message)


def new_session(*, session_id: str, owner_uid: str, now: datetime, ttl: timedelta) -> SessionState:
    return SessionState(
        session_id=session_id,
        owner_uid=owner_uid,
        created_at=now,
        last_interaction_at=now,
        expires_at=now + ttl,
    )


def _supporting(stored: object) -> str | None:
    """SessionState.supporting as stored: a bool before the kinds were kept."""
    if isinstance(stored, str):
        return stored
    return "suicide" if stored is True else None


def append_turn(
    state: SessionState,
    turn: WindowTurn,
    *,
    now: datetime,
    ttl: timedelta,
    window_size: int,
    persona_scores: dict[str, float],
    crisis: bool = False,
    care_turns: int = 0,
    someone_else: str | None = None,
    of_themselves: bool = False,
    emergency: bool = False,
    not_safe: bool = False,
    all_right: bool = False,
    crisis_language: str | None = None,
) -> SessionState:
    """The session after `turn` (whose index must be `state.turn_count`): the window keeps the
    last `window_size` turns and what falls out of it is folded into the summary. A crisis
    turn starts `care_turns` of care, a supporter's when it was answered with the reply for a
    worried friend (`someone_else`: "suicide", or "hurt" for someone else hurt) until a turn
    says it of the user themselves (`of_themselves`), or an emergency's (`emergency`: answered
    with the emergency reply); one that says no to "Are you safe right now?"
    (`not_safe`), care until NOT_SAFE_CARE after the session's latest crisis turn. `all_right`:
    the turn says the user is all right (said_all_right_at; a crisis turn that does not
    forgets it). A turn that asks to forget what they said clears the summary (_fold_all); one
    that asks how to be answered is kept in it until they say otherwise (SessionSummary.requests).
    `crisis_language`: a crisis turn's (Safety.language), kept for its care."""
    if turn.turn_index != state.turn_count:
        raise ValueError(f"turn index {turn.turn_index} != turn count {state.turn_count}")
    window = state.window + (turn,)
    summary = state.summary.forgetting() if _asks_to_forget(turn.message) else state.summary
    summary = replace(summary, requests=_kept_requests(summary.requests, turn.message))
    summary = _fold_all(summary, window[:-window_size], window[-window_size:])
    return replace(
        state,
        turn_count=state.turn_count + 1,
        window=window[-window_size:],
        summary=summary,
        current_persona=turn.persona,
        last_interaction_at=now,
        expires_at=now + ttl,
        persona_scores=persona_scores,
        care_until=turn.turn_index + care_turns if crisis else state.care_until,
        supporting=someone_else if crisis else None if of_themselves else state.supporting,
        emergency=emergency if crisis else state.emergency,
        not_safe_until=(
            now + NOT_SAFE_CARE
            if crisis and (not_safe or state.said_not_safe)
            else state.not_safe_until
        ),
        said_all_right_at=(now if all_right else None if crisis else state.said_all_right_at),
        crisis_language=crisis_language if crisis else state.crisis_language,
    )


def _fold_all(
    summary: SessionSummary, leaving: Iterable[WindowTurn], staying: Iterable[WindowTurn]
) -> SessionSummary:
    """`summary` with the turns `leaving` the window folded in, oldest first; `staying`: the
    turns after them. A turn that asks to forget what they said (asks_to_forget), and those
    before it, add only their tone, as care turns do: the request cleared the summary when it
    came (SessionSummary.forgetting), and the turns before it leave the window after it came."""
    leaving = tuple(leaving)
    turns = enumerate((*leaving, *staying))
    last_request = max((i for i, t in turns if _asks_to_forget(t.message)), default=-1)
    for i, turn in enumerate(leaving):
        summary = _fold(summary, turn, forgotten=i <= last_request)
    return summary


def _fold(summary: SessionSummary, turn: WindowTurn, *, forgotten: bool = False) -> SessionSummary:
    # Imported here: common.replies loads the reply generators (~0.2 s), which the functions
    # that read sessions without folding them (feedback, profile) do not need at cold start.
    from common.analysis.entities import is_money
    from common.replies.readers.work import sensitive_matter

    def kept(items) -> tuple[str, ...]:
        # Nothing that names a health, sexuality, criminal-record or immigration matter ("my
        # HIV medication", "HIV Clinic", "cancer"): the summary goes to Gemini with every later
        # turn of the session.
        return tuple(item for item in items if not sensitive_matter(item))

    # A turn answered with the crisis message, or in care after it, adds no "tried", topic or
    # name, only its tone: "I tried to overdose" would come back to the user, and to Gemini's
    # notes, as a fix that failed, and a care turn's "I have been stockpiling my medication"
    # as a topic once care and the hour after the crisis are over. Nor one they asked to forget.
    unsaid = turn.crisis or turn.care or forgotten
    said = "" if unsaid else turn.message
    # Nor an amount of money: "Mentioned: $52k, $43k." came with a question about remote days,
    # though the rules say not to bring up debt from earlier turns.
    names = () if unsaid else (name for name in turn.entities if not is_money(name))
    folded = fold_turn(
        summary,
        message=said,
        tone=turn.tone,
        entities=kept(names),
        topics=kept(keywords(said)),
        at=turn.created_at,
    )
    return replace(folded, tried=kept(folded.tried))


def holds_before(
    state: SessionState, cutoff: datetime, *, summary_grace: timedelta = timedelta(0)
) -> bool:
    """Whether the session document still holds what the user said before `cutoff`: a turn of
    its window, or one folded into its summary before `cutoff - summary_grace` (a summary
    without `since`, folded before it was recorded, is taken to be as old as the session).
    The grace is the retention job's: folding the summary again reads every turn that left the
    window, and a conversation in daily use has a turn pass the cutoff every hour."""
    if any(turn.created_at < cutoff for turn in state.window):
        return True
    summary = state.summary
    since = summary.since if summary.since is not None else state.created_at
    return summary.turns_folded > 0 and since < cutoff - summary_grace


def forget_before(
    state: SessionState, cutoff: datetime, folded: Iterable[WindowTurn]
) -> SessionState:
    """The session without what was said before `cutoff` (a user's retention): the window keeps
    its later turns, and the summary is folded again from `folded`, the stored turns that had
    left the window (oldest first), from `cutoff` on."""
    kept = [turn for turn in folded if turn.created_at >= cutoff]
    window = tuple(turn for turn in state.window if turn.created_at >= cutoff)
    summary = SessionSummary()
    if any(_asks_to_forget(turn.message) for turn in (*kept, *window)):
        summary = summary.forgetting()
    return replace(state, window=window, summary=_fold_all(summary, kept, window))
