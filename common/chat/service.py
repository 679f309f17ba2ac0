"""The chat-turn service: read the message, choose a persona, reply, and store the turn once.

Keyword-only functions that take their ports as arguments; no Google SDK in here."""

from __future__ import annotations

import contextvars
import functools
import hashlib
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Set
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NoReturn, Protocol
from zoneinfo import ZoneInfo

from common import logs
from common.analysis.intrusive import intrusive_thoughts
from common.analysis.safety import (
    ABOUT_OTHERS,
    EMERGENCY,
    TAKEN,
    about_someone_else,
    assess_safety,
    crisis_kinds,
    crisis_language,
    crisis_tags,
    says_it_of_themselves,
    scanned_once,
)
from common.analysis.types import Analysis
from common.chat.limits import (
    LEANING_KINDS,
    activity_doc,
    anomaly_thresholds,
    as_salted,
    care_after_no,
    care_language,
    last_crisis,
    last_heavy,
    last_leaning,
    message_hash,
    new_salt,
    recent_activity,
    repeat_counted,
    salt_of,
    shortly_after_crisis,
)
from common.chat.models import SessionOut, TurnCreate, TurnOut, TurnPage
from common.chat.persona_ask import persona_ask
from common.chat.records import (
    crisis_event_data,
    crisis_shown,
    turn_doc,
    turn_event_data,
    turn_response,
)
from common.config import Settings
from common.end_of_life import end_of_life_reply
from common.errors import ApiError, Conflict, ErasureInProgress, NotFound, RateLimited, Unavailable
from common.events import Event, EventPublisher, keyless, user_key
from common.experiments import assign_running
from common.family_safety import baby_harm, baby_harm_reply, family_emergency_reply
from common.lgbtq_lines import lgbtq_lines, names_identity
from common.lived_experience import lived_experience_reply
from common.locale_lines import locale_lines
from common.model_client import PersonaModelClient, longest_wait
from common.outbox import deliver_now
from common.personalization.anomaly import Verdict
from common.personalization.anomaly import check as check_activity
from common.personalization.context import context_keys, in_context
from common.personas import PERSONAS
from common.plain_text import as_read
from common.ports import OutboxStore, SessionStore, TurnContext, TurnWrite
from common.profile.erasure import erased_at, refuse_while_erasing
from common.profile.service import settings_of, timezone_set
from common.profile.updater import profile_from_doc
from common.replies import (
    ContextTurn,
    GenerationError,
    ReplyRequest,
    ResponseGenerator,
    Restart,
    WithheldForSafety,
)
from common.replies.caring import carer_aside
from common.replies.conversion import conversion_practice
from common.replies.prompt import render_summary, resource_line
from common.replies.readers.boundaries import boundary_kind
from common.replies.readers.gentleness import Gentleness, gentleness
from common.replies.readers.minors import stated_minor
from common.replies.workrights import at_work, sexual_assault_outside_home
from common.routing.ensemble import Conversation, Ranking
from common.safety import (
    CARE_LIMITED,
    CRISIS_REPLIES,
    SafetyAnswer,
    asked_if_anyone_in_danger,
    crisis_lines,
    crisis_reply,
    emergency_reply,
    harm_reply_due,
    harm_resources_for,
    harm_sign_lines,
    harm_to_others_reply,
    involves_child,
    local_help,
    poison_resources_for,
    reassures,
    reply_language,
    resources_for,
    responsible_for,
    safety_answer,
    says_all_right,
    violence_resources_for,
    with_harm_lines,
    with_violence_lines,
)
from common.sessions.state import SessionState, WindowTurn, append_turn, new_session
from common.sessions.summary import SessionSummary
from common.support_lines import CARER_FILE, support_lines, work_help
from common.timing import phase
from common.tonight_lines import no_home, tonight_lines

log = logging.getLogger(__name__)

# Lines a user (a script) can repeat as fast as they send: one per user per minute per instance
# with their count (logs.Throttle), as the request budget's refusals (common.edge).
_AT_CAP = logs.Throttle(logs.REFUSAL_LOG_SECONDS)
_CRISIS_PACE = logs.Throttle(logs.REFUSAL_LOG_SECONDS)
_CRISIS_PAST_BUDGET = logs.Throttle(logs.REFUSAL_LOG_SECONDS)
_CRISIS_UNSTORED = logs.Throttle(logs.REFUSAL_LOG_SECONDS)
# A crisis turn answered, not stored, whose event Pub/Sub did not take (it has no outbox).
_UNSTORED_EVENT_FAILED = logs.Throttle(logs.FAILURE_LOG_SECONDS)
# A script's crisis turns not stored (past its request budget, or past crisis_turns_minute_max a
# minute): their line (CRISIS_TURN, with its count) and their event, per user, at most one a
# minute each, as their WARNINGs: one a request would cost what the pace's limit saves.
_SCRIPTED_CRISIS = logs.Throttle(logs.REFUSAL_LOG_SECONDS)
# A generator outage (Gemini) fails every turn: one line per instance per 30 s with the count.
_GENERATOR_FAILED = logs.Throttle(logs.FAILURE_LOG_SECONDS)

SESSION_GONE = "This session does not exist or has expired; start a new one."
# In a turn's "degraded": the turn was answered but not stored (a crisis turn at a script's
# pace, past the request budget, or while storage is down or the user's erasure runs).
NOT_STORED = "not_stored"
# The INFO line of each crisis turn answered, stored or not (_log_crisis_turn): the monitoring
# module counts them by what detected the crisis (terraform/modules/monitoring/logs.tf).
CRISIS_TURN = "crisis turn"
# Analyses (model calls) running on this instance. A turn that ends early (a replay, a refusal,
# a session that is not there) leaves its analysis running, so turns could start them faster
# than they finish: past these caps a turn reads the baseline alone instead. In all: the model
# client's workers, so that no analysis waits for one and times out (a deployed instance serves
# 4 turns at a time, 8 locally). Per user: so that one user's refused turns take no one else's.
# A thread per slot: an analysis starts at once, never queued (nothing to cancel at an early exit).
ANALYSES_MAX = PersonaModelClient.WORKERS
ANALYSES_PER_USER = 2
_ANALYSIS = ThreadPoolExecutor(max_workers=ANALYSES_MAX, thread_name_prefix="analysis")


class _Slots:
    """Work in flight (analyses, turns), in all and per user."""

    def __init__(self, total: float, per_user: int) -> None:
        self._total, self._per_user = total, per_user
        self._held: Counter[str] = Counter()
        self._lock = threading.Lock()

    def take(self, who: str) -> bool:
        with self._lock:
            if self._held.total() >= self._total or self._held[who] >= self._per_user:
                return False
            self._held[who] += 1
            return True

    def give_back(self, who: str) -> None:
        with self._lock:
            self._held[who] -= 1
            if self._held[who] <= 0:
                del self._held[who]


_SLOTS = _Slots(ANALYSES_MAX, ANALYSES_PER_USER)
# Turns of one user in flight on this instance at once. The app waits for each reply (a retry
# makes two); a script sending 30 at once would otherwise have every one pass the limits, which
# count only committed turns, and generate a reply before the commit refuses all but a few.
# Instances do not share this count: a reply that costs money is reserved for too (reserve).
TURNS_PER_USER = 3
_TURNS = _Slots(float("inf"), TURNS_PER_USER)
# Tries to reserve a turn's place in the user's activity record before a costly reply: each
# lost race is another turn's reservation or commit, and past the burst limit (8 a minute) the
# record read again refuses the turn; one that loses this many answers 503, with no reply made.
RESERVE_ATTEMPTS = 16


def _few_in_flight_per_user(
    take: Callable[..., tuple[dict, bool]],
) -> Callable[..., tuple[dict, bool]]:
    """`take` refused with 429 while TURNS_PER_USER of the user's turns run on this instance,
    unless the crisis patterns flag the message: its reply is then the fixed crisis message.
    Not a bare "no" (its session is not read yet): 30 at once would each have a reply
    generated, and a user who has read the crisis reply has no other turn in flight."""

    @functools.wraps(take)
    @scanned_once()  # the turn's own scan of its message, for the cap as for the rest
    def capped(*, uid: str, **kw) -> tuple[dict, bool]:
        if not _TURNS.take(uid):
            if patterns_say_crisis(kw["body"].message):
                return take(uid=uid, **kw)
            _AT_CAP.warning(log, uid, "a user's turns in flight at their cap: this one is refused")
            raise RateLimited(
                "Your earlier messages are still being answered; try again in a moment.",
                retry_after=1,
            )
        try:
            return take(uid=uid, **kw)
        finally:
            _TURNS.give_back(uid)

    return capped


def patterns_say_crisis(message: str) -> bool:
    """The crisis patterns' verdict on `message`, read as its analysis reads it: within
    scanned_once (a turn), the one scan of it the analysis also uses."""
    return assess_safety(as_read(message)).crisis


def turn_key(uid: str, client_turn_id: str) -> str:
    """The idempotency key of a turn: one per user and client_turn_id."""
    return hashlib.sha256(f"{uid}\x00{client_turn_id}".encode()).hexdigest()


def _fingerprint(body: TurnCreate) -> str:
    parts = (body.session_id or "", body.message, body.persona or "")
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


@_few_in_flight_per_user
def take_turn(
    *,
    uid: str,
    body: TurnCreate,
    store: SessionStore,
    outbox: OutboxStore,
    publisher: EventPublisher,
    analyze: Callable[[str], tuple[Analysis, list[str]]],
    baseline: Callable[[str], tuple[Analysis, list[str]]],
    rank: Callable[..., Ranking],
    generator: ResponseGenerator,
    fallback: ResponseGenerator,
    settings: Settings,
    now: datetime,
    locale: str | None = None,
    client: str = "v2",
    sink: ReplySink | None = None,
    replay_for: timedelta | None = None,
    after_answer: Callable[[Callable[[], object]], None] | None = None,
) -> tuple[dict, bool]:
    """Take one turn; returns (the response object, whether it is a replay of a stored turn).
    With a `sink`, the reply's text goes to it as it is generated, before the turn is stored.
    `baseline` reads a message past the analysis caps, without the model. `replay_for`: how
    long a turn stored under this client_turn_id answers a retry (None: while its key is
    kept); a later turn with it is a new one. `after_answer(work)`: runs `work` once the
    answer has gone out; the stored turn's events are published so (None: before returning),
    the outbox holding them for the relay. A crisis turn not stored sends its one event inline
    (_unstored_event): no outbox has it."""
    started = time.perf_counter()
    key = turn_key(uid, body.client_turn_id)
    replay_after = now - replay_for if replay_for is not None else None
    fingerprint = _fingerprint(body)
    hmac_key = settings.analytics_hmac_key()
    ukey = user_key(uid, hmac_key)
    # The message's analysis (a model call) needs nothing stored, so it runs while the context
    # is read: the turn waits for the slower of the two instead of both. A turn that ends before
    # it needs the analysis (a replay, a refusal) does not wait for it. None: no slot for it.
    analysis_done = _start_analysis(uid, analyze, body.message)

    def answers_the_question(session: SessionState | None) -> SafetyAnswer | None:
        """How the message answers the crisis reply's "Are you safe right now?": a no, or that
        the crisis is another person's ("No, it's not me, it's my colleague"); None: neither."""
        last = session.window[-1] if session and session.window else None
        return safety_answer(last.reply, body.message) if last is not None else None

    def said_in_crisis(session: SessionState | None) -> bool:
        """Whether this turn will be answered as a crisis, asked before its analysis is used
        (a limited turn, at the start or at the commit, or one to a session that is gone): the
        patterns, an answer to "Are you safe right now?", or the model's reading, waited for a
        moment (a hung one does not hold the turn)."""
        if patterns_say_crisis(body.message) or answers_the_question(session):
            return True
        try:
            wait = longest_wait(settings.model_timeout_seconds) + 0.2  # past the client's own
            return bool(analysis_done and analysis_done.result(wait)[0].safety.crisis)
        except TimeoutError:
            return False

    def refuse_unless_crisis(refused: ApiError, crisis: bool) -> None:
        """A turn that cannot be stored (storage down, the user's erasure running) is refused
        with `refused`, unless it is answered as a crisis: no failure of ours keeps the
        resources from a user in crisis, so it gets the crisis reply all the same, not stored."""
        if not crisis:
            raise refused
        with logs.unkeyed():  # a crisis line names no one (_log_crisis_turn)
            _CRISIS_UNSTORED.warning(
                log,
                uid,
                "a crisis turn that cannot be stored (%s): answered, not stored",
                refused.code,
            )

    def unstored_event(anonymous: bool) -> Callable[[str, dict], None]:
        """How this turn, if answered as a crisis and not stored, sends its event."""
        return _unstored_event(
            uid=uid,
            anonymous=anonymous,
            publisher=publisher,
            settings=settings,
            now=now,
        )

    def crisis_unread(refused: ApiError, session: SessionState | None) -> tuple[dict, bool]:
        """`refused`, or the crisis reply to a turn refused before its session is used."""
        refuse_unless_crisis(refused, said_in_crisis(session))
        analysis, degraded = analysis_done.result() if analysis_done else baseline(body.message)
        # The user's settings are not read: the event goes out without their key, as for a
        # user who anonymised analytics.
        publish = unstored_event(anonymous=True) if not _erasure(refused) else None
        return _unread_crisis(
            publish=publish,
            body=body,
            analysis=analysis,
            degraded=degraded,
            rank=rank,
            settings=settings,
            now=now,
            locale=locale,
            sink=sink,
        )

    with phase("context"):
        try:
            context = store.read_turn_context(
                key=key, session_id=body.session_id, uid=uid, ukey=ukey, replay_after=replay_after
            )
        except Unavailable as down:
            return crisis_unread(down, None)
    if context.keyed_turn is not None:
        return _replay(context.keyed_turn, fingerprint), True
    try:
        refuse_while_erasing(context.activity)
    except ErasureInProgress as erasing:
        return crisis_unread(erasing, context.session)
    user_settings = settings_of(context.user)
    zone = ZoneInfo(user_settings.timezone)
    local_now = now.astimezone(zone)
    # The user's hour only if they set their zone: the default "UTC" is no one's clock, and its
    # hour would rank by a wrong time of day, fill their hourly activity with UTC hours and
    # call the turn's hour unusual.
    user_clock = local_now if timezone_set(context.user) else None
    local_hour = user_clock.hour if user_clock else None
    profile = profile_from_doc(
        context.preferences, personalization=user_settings.personalization, now=now
    )

    def user_event(
        type_: str,
        session: str | None,
        data: dict,
        *,
        anonymous: bool = user_settings.anonymize_analytics,
        private: bool = False,
    ) -> Event:
        """One of this turn's events. Anonymous ones carry no user key for analytics, and
        anonymous session and turn ids (common.events.keyless); the subject (a message
        attribute) still lets the profile updater learn for them."""
        key = None if anonymous else ukey
        event = Event(type_, now, key, session, data, subject=ukey, private=private)
        return keyless(event, hmac_key)

    thresholds = anomaly_thresholds(settings)

    # This turn's entry in the user's activity record. Reserved before a costly reply is made
    # (reserve, below), the record may hold it already: it is then counted once, as this turn.
    # Two turns with the same message at the same microsecond hold one entry each: either may
    # count either, and the record keeps as many as there are. Its hash is keyed with the salt
    # of the record as read (a concurrent first turn may have made it), or this one, the first.
    fresh_salt = new_salt()
    reserved = False
    short = not repeat_counted(body.message)  # "ok" again is no bot (REPEAT_MIN_CHARS)

    def judge(read: TurnContext) -> tuple[list[tuple[datetime, str | None]], Verdict]:
        """This turn judged with the user's activity as `read` holds it. It runs again at the
        commit, whose precondition makes concurrent turns of the user count each other."""
        salt = salt_of(read.activity, fresh_salt)
        entry = (local_now, message_hash(body.message, salt))
        recent = as_salted(recent_activity(read.activity, zone), body.message, salt)
        if reserved and entry in recent:
            recent.remove(entry)
        activity = [*recent, entry]
        verdict = check_activity(
            activity,
            local_now,
            profile.hourly,
            thresholds,
            # here too, not only below: a crisis turn keeps this verdict, and a short message
            # said again is no repeat to report (tests/unit/test_crisis_pace.py)
            repeats_expected=short,
            hour_known=local_hour is not None,
        )
        if not verdict.limited:
            return activity, verdict
        # No limit stands between a user in crisis and the resources: a crisis gets the fixed
        # crisis reply however fast or often it comes: the anomaly is reported, not refused,
        # once a spell as refusals are (the verdict keeps Retry-After: when the spell ends).
        if said_in_crisis(read.session):
            return activity, replace(verdict, limited=False)
        # Nor do the per-minute limits (a burst, the same message again) refuse a user in the
        # hour after their crisis, or on the few care turns right after one: the hour's limit
        # still holds. For the rest of care after a no (a day) only the same message again is
        # spared: a repeated "no" or "help" is what distress sounds like, and a script gains
        # little by it; sparing the burst for a day would spare a script too.
        care_turn = bool(read.session and read.session.on_care_turns())
        verdict = check_activity(
            activity,
            local_now,
            profile.hourly,
            thresholds,
            after_crisis=care_turn or shortly_after_crisis(read.activity, now),
            repeats_expected=short or care_after_no(read.activity, now) is not None,
            hour_known=local_hour is not None,
        )
        return activity, verdict

    def in_care(state: SessionState | None, activity: dict | None) -> bool:
        """The turn follows a crisis closely: in its session (its care turns, or a day after a
        no), or in another of the user's sessions after a no (the activity record's)."""
        return bool(state and state.in_care(now)) or care_after_no(activity, now) is not None

    def spoken_in_care(state: SessionState | None, activity: dict | None) -> str | None:
        """The language of the crisis whose care the turn is in (Safety.language, None: the
        locale's): its lines and care line stay in the crisis reply's language ("Quiero
        morir." under en-US: the Spanish lines, not 988 in English). The session's own while it
        is in care, else the one the activity record keeps with care after a no."""
        if state and state.in_care(now):
            return state.crisis_language
        return care_language(activity, now)

    def limit(read: TurnContext, activity: list, verdict: Verdict) -> NoReturn:
        # A user in care is refused calmly, and with the resources: a bare "wait a moment"
        # leaves someone in distress with nothing. (Not for another user's session.)
        session = read.session if read.session and read.session.visible_to(uid, now) else None
        care = in_care(session, read.activity)
        _limit(
            uid=uid,
            user_event=user_event,
            verdict=verdict,
            context=read,
            activity=activity[:-1],
            session_id=body.session_id,
            store=store,
            outbox=outbox,
            publisher=publisher,
            now=now,
            care_resources=(
                _resources(locale, settings, spoken_in_care(session, read.activity))
                if care
                else None
            ),
        )

    judged = activity, verdict = judge(context)
    if verdict.limited:
        limit(context, activity, verdict)

    state, continuing = context.session, body.session_id
    if continuing and (state is None or not state.visible_to(uid, now)):
        if not said_in_crisis(None):
            raise NotFound(SESSION_GONE, code="session_not_found")
        # Written into a session that has expired (an app resumed yesterday's): a user in crisis
        # gets the resources in a new session, not a 404.
        state, continuing = None, None
    session_id = continuing or uuid.uuid4().hex
    turn_id = uuid.uuid4().hex
    # The A/B variant the user is in while an experiment runs: it names the ranking policy.
    # A user whose rows go out anonymous (as build decides below) is in none: anyone can
    # recompute a variant from a user_key, and the variant shows in the row (its policy, the
    # persona's source and propensity), which would link it to the user's keyed rows.
    anonymous_rows = user_settings.anonymize_analytics or bool(state and state.anonymous)
    assignment = None if anonymous_rows else assign_running(settings.experiments, ukey, now)
    policy_name = (assignment.policy if assignment else None) or settings.personalization_policy

    # The persona asked for (the request's field, typed: "can I talk to Elro?", or on an
    # earlier turn of the session) and the one said no to ("not Riri again"); care still comes
    # first (ensemble.rank).
    kept = state.requested_persona if state else None
    ask = persona_ask(field=body.persona, message=body.message, kept=kept)

    with phase("analyze"):  # what is left of it once the context is read
        analysis, degraded = analysis_done.result() if analysis_done else baseline(body.message)
    crisis = analysis.safety.crisis
    # The user says they are all right, and no detector reads a crisis in it: from this turn on
    # the session's care answers what they ask (SessionState.all_right_since).
    all_right = not crisis and says_all_right(body.message)
    # "honestly same": whatever care follows is the user's own, not a supporter's.
    of_themselves = says_it_of_themselves(as_read(body.message))
    if (
        crisis
        and analysis.safety.detected_by == ("model",)
        and in_care(state, context.activity)
        and reassures(body.message)
    ):
        # In care, "i'm ok now i think" is what care hopes to hear, not a new crisis: the model
        # alone flags such words now and then, and the whole crisis reply again ("I'm really
        # glad you told me...") answered them. The turn stays a care turn. What the patterns
        # catch, and anything else the model flags in care ("please"), stays a crisis.
        analysis = replace(analysis, safety=replace(analysis.safety, crisis=False, detected_by=()))
        crisis = False
    # A no to "Are you safe right now?", or "No, it's not me, it's my colleague": someone else's
    # crisis, answered as one (the reply for a worried friend), with no day of care as after
    # the user's own no.
    answered = answers_the_question(state)
    if not crisis and answered:
        # An answer to the crisis reply's safety question: still a crisis.
        crisis = True
        said = replace(analysis.safety, crisis=True, detected_by=("safety_answer",))
        analysis = replace(analysis, safety=said)
    # The words the crisis reply just answered, taken back ("i'm not going to kill myself, it was
    # a joke"): still a crisis (the patterns read them), but not asked about again, which got the
    # same reply and question each time.
    taken_back = (
        crisis
        and answered is None
        and bool(state and state.window and state.window[-1].crisis)
        and reassures(body.message)
    )
    # A crisis told in the past or of recovery, nothing saying it is back ("I used to cut
    # myself but I've been clean for 2 years": Safety.lived_experience): no crisis, no care.
    lived = analysis.safety.lived_experience and not crisis
    # A terminal prognosis of theirs that the model alone read as a crisis (Safety.end_of_life):
    # the end-of-life reply with the lines, no care.
    end_of_life = analysis.safety.end_of_life and not crisis
    kinds: set[str] = set()
    tags: set[str] = set()
    if crisis:
        # What the crisis is about, for its lines and its follow-up: a no to "Are you safe right
        # now?" is about the message that was asked after ("my stepdad hits me"), as well. Any
        # answer to it is in that message's language too ("no" after "Quiero morir.").
        asked = state.window[-1].message if answered and state else None
        kinds = _crisis_kinds(body.message, asked if answered == "not_safe" else None)
        tags = _crisis_tags(body.message, asked if answered == "not_safe" else None)
        language = _crisis_language(body.message, locale, asked)
        child = involves_child(body.message, asked or "")
        analysis = _with_resources(
            analysis,
            locale,
            settings,
            kinds=kinds,
            tags=tags,
            language=language,
            child=child,
            said=(body.message, asked or ""),
            baby=bool(baby_harm(body.message, asked or "")),
        )
    # What this user liked in messages like this one (tone and intent), plus a share of the rest.
    profile = in_context(
        profile,
        (context.preferences or {}).get("ctx"),
        context_keys(analysis.tone.label, analysis.intent.label),
    )

    def told_in(session: SessionState | None) -> Gentleness:
        """What the message and the session's window say of heavy events, health limits and
        eating far too little."""
        return gentleness(body.message, (t.message for t in (session.window if session else ())))

    # Read once for the ranking, the reply and the activity record (heavy_at); again only for a
    # turn answered again for a session read since (build).
    told, told_for = told_in(state), state

    def said_all_right(state: SessionState | None, activity: dict | None) -> bool:
        """The user said in the session that they are all right since their latest crisis."""
        return bool(state and state.all_right_since(last_crisis(activity, now)))

    def answer(state: SessionState | None, activity: dict | None) -> _Answer:
        """The turn answered for the session and the activity record as `state` and
        `activity` hold them."""
        care = in_care(state, activity)
        spoken = analysis.safety.language if crisis else spoken_in_care(state, activity)
        said = told if state is told_for else told_in(state)
        # Care after the reply for a worried friend is a supporter's; not after a no to "Are you
        # safe right now?" (the user's own, in this session or another one).
        supporting = (
            state.supporting
            if care
            and state
            and not state.said_not_safe
            and care_after_no(activity, now) is None
            and not of_themselves
            else None
        )
        # Care after the reply for harm to others, or a message the harm patterns read below
        # the crisis threshold ("I'm so angry I could actually hurt my son"): the reply speaks
        # of keeping others safe and names their lines (which the vet then vouches for).
        harm_said = _harm_crisis_message(state) if care else None
        # Not for intrusive thoughts said as such ("I'm scared I'll hurt the baby, I can't stop
        # crying"), which the harm patterns may read too: the calm referral answers them.
        harm = not crisis and (
            harm_said is not None
            or (
                "harm_to_others" in _crisis_kinds(body.message)
                and not intrusive_thoughts(body.message)
            )
        )
        child = harm and involves_child(body.message, harm_said or "")
        baby = harm and bool(baby_harm(body.message, harm_said or ""))
        with phase("rank"):
            last = state.window[-1] if state and state.window else None
            ranking = rank(
                analysis=analysis,
                convo=Conversation(
                    current_persona=state.current_persona if state else None,
                    previous_tone=last.tone if last else None,
                    previous_intent=last.intent if last else None,
                    care=crisis or care,
                    gentle=said.gentle,
                    refused=ask.refused,
                    local_hour=local_hour,
                    language=_language(locale, settings, spoken),
                ),
                requested=ask.to_rank(gentle=said.gentle),
                seed=turn_id,
                profile=profile,
                policy_name=policy_name,
            )
        # A sexuality or gender identity, or conversion practices, named here or in the window:
        # the locale's LGBTQ+ lines, with the care lines and for the vet (the LGBTQ+ review).
        named = (body.message, *_earlier_messages(state))
        lgbtq = (
            lgbtq_lines(locale, default_locale=settings.safety_default_locale)
            if names_identity(*named) or any(map(conversion_practice, named))
            else ()
        )
        request = ReplyRequest(
            persona=PERSONAS[ranking.chosen.id],
            message=body.message,
            analysis=analysis,
            window=tuple(
                ContextTurn(t.turn_index, t.message, t.reply, t.persona, t.tone, t.crisis)
                for t in (state.window if state else ())
            ),
            summary=state.summary if state else SessionSummary(),
            care=care,
            care_resources=(
                _then(
                    _lines(
                        locale,
                        settings,
                        spoken,
                        hurt=supporting == "hurt",
                        harm=harm,
                        child=child,
                        baby=baby,
                    ),
                    lgbtq,
                )
                if care
                else harm_sign_lines(
                    _resources(locale, settings), _harm_lines(locale, settings, None, child, baby)
                )
                if harm
                else ()
            ),
            all_right=care and (all_right or said_all_right(state, activity)),
            supporting=supporting,
            harm_to_others=harm,
            after_emergency=care and bool(state and state.emergency) and not supporting,
            local_help=local_help(
                locale, default_locale=settings.safety_default_locale, language=spoken
            ),
            # Care over, a crisis in the hour (this session's or another's): a calm reply.
            after_crisis=shortly_after_crisis(activity, now),
            gentleness=said,
            support_lines=support_lines(locale, default_locale=settings.safety_default_locale),
            lgbtq_lines=lgbtq,
            tonight_lines=tonight_lines(locale, default_locale=settings.safety_default_locale),
        )
        with phase("reply"):
            if crisis:
                return _crisis_answer(
                    ranking,
                    analysis,
                    locale,
                    settings,
                    sink,
                    message=body.message,
                    answered=answered,
                    kinds=kinds,
                    tags=tags,
                    taken_back=taken_back,
                    earlier=_earlier_messages(state),
                )
            if lived and not care:  # in care, care's words answer it
                return _lived_answer(ranking, locale, settings, sink, message=body.message)
            if end_of_life and not care:
                return _end_of_life_answer(ranking, request, locale, settings, sink)
            failed: list[str] = []
            reply, generator_name = _generate(request, generator, fallback, failed, sink)
            return _Answer(ranking, reply, generator_name, tuple(failed), care=care)

    def refuse_if_erased(read: TurnContext) -> None:
        if (asked := erased_at(read.activity)) is not None and asked > now:
            # The user asked to have everything erased after sending this: it is not stored.
            raise Conflict(
                "Your data was erased while this message was being answered, so it was not "
                "kept. Send it again to start afresh.",
                code="profile_erased",
            )
        refuse_while_erasing(read.activity)

    def activity_kept(
        read: TurnContext,
        activity: list[tuple[datetime, str | None]],
        limited_until: datetime | None = None,
        session_not_safe_until: datetime | None = None,
    ) -> dict:
        """The user's activity record as this turn leaves it (reserved, then committed): care
        after a no lasts until the latest end of it in any of the user's sessions, so a turn of
        another session (a crisis without a no, say) never ends it sooner."""
        crisis_at = now if crisis else last_crisis(read.activity, now)
        heavy_at = now if told.heavy_now else last_heavy(read.activity, now)
        kind = boundary_kind(body.message)  # leaning on the mentor: no nudge pulls them back
        leaning = (now, kind) if kind in LEANING_KINDS else last_leaning(read.activity, now)
        ends = (care_after_no(read.activity, now), session_not_safe_until)
        not_safe_until = max((end for end in ends if end is not None and end > now), default=None)
        # the latest crisis's language, for the care it extends or starts
        spoken = analysis.safety.language if crisis else care_language(read.activity, now)
        return activity_doc(
            activity,
            limited_until=limited_until,
            crisis_at=crisis_at,
            not_safe_until=not_safe_until,
            heavy_at=heavy_at,
            crisis_language=spoken,
            leaning=leaning,
            salt=salt_of(read.activity, fresh_salt),  # the one judge(read) hashed with
        )

    def reserve() -> None:
        """This turn's entry in the user's activity record, written before a costly reply is
        made, on the precondition the commit writes it on: concurrent turns of the user, on any
        instance, each count the others, and those past the limits are refused (429) before
        they cost a reply. A turn that fails after this keeps its entry: an attempt counts."""
        nonlocal context, judged, reserved
        read = context
        for _ in range(RESERVE_ATTEMPTS):
            refuse_if_erased(read)
            activity, verdict = judged if read is context else judge(read)
            if verdict.limited:
                limit(read, activity, verdict)
            doc = activity_kept(read, activity)
            reserved = True  # sent: applied, perhaps, even if its answer is lost
            version = store.reserve_turn(uid=uid, activity=doc, version=read.activity_version)
            if version is not None:
                # The commit's precondition is the record as reserved; the rest as first read.
                activity_now = {**(read.activity or {}), **doc}
                context = replace(context, activity=activity_now, activity_version=version)
                judged = activity, verdict
                return
            # Another turn of the user (or an erasure) wrote the record first: read it again.
            read = store.read_turn_context(
                key=key, session_id=continuing, uid=uid, ukey=ukey, replay_after=replay_after
            )
        raise Unavailable(
            "This conversation is busy; try again.", code="session_busy", retry_after=1
        )

    # Only a reply that costs money waits for the round trip of a reservation: the template
    # generator's turns (and crisis replies) are judged again at the commit alone.
    if not crisis and generator.costly:
        with phase("reserve"):
            reserve()
    # The answers made for this turn, the last one stored: build, called again on each commit
    # attempt, answers once more if care began in the session since the last was made.
    answers = [answer(state, context.activity)]

    def unstored(scripted: bool = False, erasure: bool = False) -> tuple[dict, bool]:
        """This crisis turn answered with the reply made for it, not stored: its turn_id and a
        new session's id name nothing (a rating or a GET of them is a 404). `scripted`: at a
        script's pace; `erasure`: refused for the user's erasure (no event then)."""
        publish = None if erasure else unstored_event(anonymous_rows)
        return _not_stored(
            publish=publish,
            session_id=session_id,
            turn_id=turn_id,
            turn_index=state.turn_count if state else 0,
            kept=answers[-1],
            analysis=analysis,
            degraded=degraded,
            locale=locale,
            settings=settings,
            scripted_by=uid if scripted else None,
        )

    if crisis and _turns_this_minute(judged[0], now) > settings.crisis_turns_minute_max:
        # A crisis is never refused, but at this pace it is a script, not a person typing:
        # each stored turn wrote ~10 documents and 3 events. Answered, not stored.
        with logs.unkeyed():  # a crisis line names no one (_log_crisis_turn)
            _CRISIS_PACE.warning(
                log,
                uid,
                "crisis turns past %d a minute: answered, not stored",
                settings.crisis_turns_minute_max,
            )
        return unstored(scripted=True)
    ttl = timedelta(hours=settings.session_ttl_hours)

    def build(read: TurnContext) -> TurnWrite:
        """The turn's write, for what `read` holds; commit_turn calls it again on each retry."""
        refuse_if_erased(read)
        activity, verdict = judged if read is context else judge(read)  # re-read: judge again
        if verdict.limited:  # turns of this user committed while this one was answered
            raise _LimitedAtCommit(read, activity, verdict)
        current = read.session
        if not crisis and not answers[-1].care and in_care(current, read.activity):
            # A crisis turn (from another device) committed while this one was answered: it is
            # answered again, with care, as it would have been had it come a moment later.
            if sink:
                sink.reset()
            answers.append(answer(current, read.activity))
        kept = answers[-1]
        if continuing:
            if current is None or not current.visible_to(uid, now):
                raise NotFound(SESSION_GONE, code="session_not_found")
            base = current
        else:
            base = new_session(session_id=session_id, owner_uid=uid, now=now, ttl=ttl)
        index = base.turn_count
        # Once a session's events went out anonymous, the rest do too. The first anonymous turn
        # of a session that was keyed so far reaches the profile updater only: its row would
        # link the two (turn_index, previous_persona, tone and intent match the keyed rows).
        anonymous = user_settings.anonymize_analytics or bool(base.anonymous)
        switched = anonymous and index > 0 and base.anonymous is False  # not when unknown
        # Nor does a session gone anonymous since it was read (a turn of the user's committed
        # meanwhile) name a variant, on the turn's row or its rating's (see `assignment`).
        assigned = None if anonymous else assignment
        response = turn_response(
            session_id=session_id,
            turn_id=turn_id,
            turn_index=index,
            ranking=kept.ranking,
            reply=kept.reply,
            analysis=analysis,
            degraded=list(dict.fromkeys([*degraded, *kept.degraded])),
        )
        turn = WindowTurn(
            turn_id=turn_id,
            turn_index=index,
            message=body.message,
            reply=kept.reply,
            persona=kept.ranking.chosen.id,
            created_at=now,
            tone=analysis.tone.label,
            entities=tuple(e.text for e in analysis.entities),
            intent=analysis.intent.label,
            crisis=crisis,
            care=kept.care,
        )
        new_state = append_turn(
            base,
            turn,
            now=now,
            ttl=ttl,
            window_size=settings.context_window_turns,
            persona_scores=kept.ranking.scores,
            crisis=crisis,
            care_turns=settings.care_turns_after_crisis,
            someone_else=kept.supporting,
            of_themselves=of_themselves,
            emergency=kept.crisis_reply == "emergency",
            # Any no keeps the session in care for a day, the most alarming ones most of all
            # ("no, i have a knife"); a no that reassures ("no no, i'm fine") is none. A crisis
            # turn within a day of a no in another session extends it as one in that session.
            not_safe=answered == "not_safe" or care_after_no(read.activity, now) is not None,
            all_right=all_right,
            crisis_language=analysis.safety.language,
        )
        new_state = replace(new_state, anonymous=anonymous, requested_persona=ask.persona)

        def event(type_: str, data: dict, private: bool = False) -> Event:
            return user_event(type_, session_id, data, anonymous=anonymous, private=private)

        events = [event("session.started", {"client": client})] if index == 0 else []
        data = turn_event_data(
            response,
            ranking=kept.ranking,
            analysis=analysis,
            generator=kept.generator,
            client=client,
            message=body.message,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
            policy=policy_name,
            assignment=assigned,
            previous=base.window[-1] if base.window else None,
            local_now=user_clock,
            locale=locale,
            now=now,
            # Not for an anonymised user: the profile changes a little with each turn, so it
            # would link their keyless rows to each other and to their earlier keyed ones.
            profile=None if anonymous else profile,
            ask=ask,
        )
        events.append(event("chat.turn.completed", data, private=switched))
        if crisis:
            events.append(
                event(
                    "safety.crisis_detected",
                    crisis_event_data(
                        response,
                        analysis=analysis,
                        locale=locale,
                        default_locale=settings.safety_default_locale,
                        reply=kept.crisis_reply,
                        kinds=kept.kinds,
                    ),
                )
            )
        # A crisis answered past the limits (judge) is reported once per spell of them, as
        # refused turns are, and keeps the spell in the record as a refusal does: a script
        # sending crisis words 100 times made 97 anomaly events.
        spell, limited_until = _spell(read.activity, now), None
        if verdict.limits():
            limited_until = spell or now + timedelta(seconds=verdict.retry_after or 0)
        if verdict.reasons and not (verdict.limits() and spell):
            # not limited: unusual (an hour the user never writes at), or a crisis past them
            data = {"reasons": list(verdict.reasons), "limited": False}
            events.append(event("anomaly.detected", data))
        return TurnWrite(
            state=new_state,
            turn_doc=turn_doc(
                turn,
                response=response,
                ranking=kept.ranking,
                session_id=session_id,
                uid=uid,
                client_turn_id=body.client_turn_id,
                fingerprint=fingerprint,
                keyed=not anonymous,
                expires_at=new_state.expires_at,
                assignment=assigned,
                locale=locale,
            ),
            events=events,
            activity=activity_kept(
                read, activity, limited_until, session_not_safe_until=new_state.not_safe_until
            ),
        )

    with phase("commit"):
        try:
            outcome = store.commit_turn(
                key=key,
                key_doc={"owner_uid": uid, "fingerprint": fingerprint},
                session_id=session_id,
                is_new=continuing is None,
                build=build,
                context=context,
                ukey=ukey,
                replay_after=replay_after,
            )
        except _LimitedAtCommit as late:
            limit(late.read, late.activity, late.verdict)
        # Storage down (or busy), or the user's erasure (refuse_if_erased): a crisis keeps the
        # reply already made for it (and streamed).
        except (Unavailable, Conflict) as refused:
            refuse_unless_crisis(refused, crisis)
            return unstored(erasure=_erasure(refused))
    if outcome.replayed:
        return _replay(outcome.turn_doc, fingerprint), True
    if crisis:
        _log_crisis_turn(answers[-1], analysis, stored=True, locale=locale, settings=settings)
    # Committed with the turn, the events are in the outbox: the user need not wait for their
    # delivery, and what does not go out soon the relay publishes.
    deliver = functools.partial(
        deliver_now, outcome.events, publisher=publisher, outbox=outbox, now=now
    )
    if after_answer is not None:
        after_answer(deliver)
    else:
        with phase("publish"):
            deliver()
    return outcome.turn_doc["response"], False


def _resources(
    locale: str | None, settings: Settings, language: str | None = None
) -> tuple[str, ...]:
    """The helplines for the request's locale (and a crisis's `language`: resources_for)."""
    return resources_for(locale, default_locale=settings.safety_default_locale, language=language)


def _language(locale: str | None, settings: Settings, language: str | None = None) -> str:
    """The crisis reply's language for the request's locale and a crisis's `language`
    (Safety.language), also the care line's."""
    return reply_language(locale, default_locale=settings.safety_default_locale, language=language)


def _crisis_kinds(message: str, asked_after: str | None = None) -> set[str]:
    """The crisis patterns' kinds in the message and, for a no to the safety question, in the
    message the question was asked after."""
    return crisis_kinds(as_read(message)) | (
        crisis_kinds(as_read(asked_after)) if asked_after else set()
    )


def _crisis_tags(message: str, asked_after: str | None = None) -> set[str]:
    """The crisis patterns' tags (common.analysis.safety.TAGS), read as _crisis_kinds reads the
    kinds: "no" after "I took 20 pills" keeps the emergency line first."""
    return crisis_tags(as_read(message)) | (
        crisis_tags(as_read(asked_after)) if asked_after else set()
    )


def _crisis_language(
    message: str, locale: str | None, asked_after: str | None = None
) -> str | None:
    """The crisis's language as its patterns tell (crisis_language; the request's `locale`
    chooses among those of a word written alike), read as _crisis_kinds reads the message:
    "no" to the question asked after "Quiero morir." is Spanish too."""
    texts = (message, asked_after) if asked_after else (message,)
    return crisis_language(*map(as_read, texts), locale=locale)


def _lines(
    locale: str | None,
    settings: Settings,
    language: str | None,
    *,
    hurt: bool,
    harm: bool = False,
    child: bool = False,
    baby: bool = False,
) -> tuple[str, ...]:
    """The helplines (_resources), with the lines for violence at home after the emergency
    line when someone is `hurt`, and those for `harm` to others (_harm_lines) when the user may
    hurt someone."""
    resources = _resources(locale, settings, language)
    if harm:
        lines = _harm_lines(locale, settings, language, child, baby)
        resources = with_harm_lines(resources, lines)
    if not hurt:
        return resources
    violence = violence_resources_for(
        locale, default_locale=settings.safety_default_locale, language=language
    )
    return with_violence_lines(resources, violence)


def _then(resources: tuple[str, ...], more: tuple[str, ...]) -> tuple[str, ...]:
    """`resources`, then those of `more` not among them."""
    return (*resources, *(line for line in more if line not in resources))


def _poison(locale: str | None, settings: Settings, language: str | None) -> tuple[str, ...]:
    """The lines for poisoning and urgent care of the request's locale (and a crisis's
    `language`)."""
    return poison_resources_for(
        locale, default_locale=settings.safety_default_locale, language=language
    )


def _with_resources(
    analysis: Analysis,
    locale: str | None,
    settings: Settings,
    *,
    kinds: Set[str],
    tags: Set[str] = frozenset(),
    language: str | None,
    child: bool = False,
    said: tuple[str, ...] = (),
    baby: bool = False,
) -> Analysis:
    """A crisis's analysis, with its `language` (_crisis_language) and the helplines for the
    request's locale and that language, as the crisis's `kinds` (_crisis_kinds) and `tags`
    (_crisis_tags) show them (common.safety.crisis_lines): the lines for violence at home after
    the emergency line when someone hurts the user or someone else ("my friend's dad hits her":
    those lines advise friends and family too), or, when what was `said` (the message and the
    one a no answers) tells of a sexual assault outside the family, the locale's line for it
    and, at work, its line for mistreatment at work (_assault_lines); the emergency line first
    and the poison lines after it when something was taken, the emergency line alone (and
    those) for an emergency; those for harm to others when the user may hurt someone (a
    `child` named: its line too; a `baby` shaken or feared to be: its line alone,
    _harm_lines); and for forced labour (kind exploitation) its line after the emergency
    line."""
    hurt = bool(kinds & {"violence", "third_party_violence"})
    harm = "harm_to_others" in kinds
    violence = (
        violence_resources_for(
            locale, default_locale=settings.safety_default_locale, language=language
        )
        if hurt
        else ()
    )
    work = work_help(locale, default_locale=settings.safety_default_locale, language=language)
    if "violence" in kinds and sexual_assault_outside_home(*said) and work.sexual_assault:
        violence = (*work.sexual_assault, *(work.treatment if at_work(*said) else ()))
    resources = crisis_lines(
        _resources(locale, settings, language),
        kinds=kinds,
        tags=tags,
        poison=_poison(locale, settings, language) if TAKEN in tags else (),
        violence=violence,
    )
    if harm:
        lines = _harm_lines(locale, settings, language, child, baby)
        resources = with_harm_lines(resources, lines)
    if "exploitation" in kinds:  # "my employer took my passport and I can't leave"
        resources = with_violence_lines(resources, work.exploitation)
    default_locale = settings.safety_default_locale
    if "danger" in kinds and no_home(*said):  # kicked out: where to sleep tonight, under 18 too
        resources = _then(resources, tonight_lines(locale, default_locale=default_locale))
    if names_identity(*said):  # "my dad found out I'm gay and hit me"
        resources = _then(resources, lgbtq_lines(locale, default_locale=default_locale))
    safety = replace(analysis.safety, resources=resources, language=language)
    return replace(analysis, safety=safety)


def _someone_hurt(
    kinds: Set[str], locale: str | None, settings: Settings, language: str | None
) -> bool:
    """The crisis's `kinds` say someone else is hurt and nothing else of theirs ("... wants to
    kill herself and her ex hits her" gets the suicide advice, the violence lines listed), in a
    locale with lines for violence at home (the reply points to them)."""
    lines = violence_resources_for(
        locale, default_locale=settings.safety_default_locale, language=language
    )
    return kinds & ABOUT_OTHERS == {"third_party_violence"} and bool(lines)


def _harm_lines(
    locale: str | None, settings: Settings, language: str | None, child: bool, baby: bool = False
) -> tuple[str, ...]:
    """The locale's lines for harm to others (harm_resources_for; its child line if a `child`
    is named). A `baby` shaken, or a parent afraid of shaking one (common.family_safety.
    baby_harm): the child line alone, which supports parents; not the line for people worried
    about how they treat a partner (the review of carers and new parents)."""
    default = settings.safety_default_locale
    lines = harm_resources_for(locale, default_locale=default, language=language, child=child)
    if not baby:
        return lines
    own = harm_resources_for(locale, default_locale=default, language=language)
    child_lines = harm_resources_for(locale, default_locale=default, language=language, child=True)
    return tuple(line for line in child_lines if line not in own)


def _earlier_messages(state: SessionState | None) -> tuple[str, ...]:
    """The messages of the session's window ("I'm 15" said a turn before)."""
    return tuple(turn.message for turn in state.window) if state else ()


def _harm_crisis_message(state: SessionState | None) -> str | None:
    """The message of the session's latest crisis turn, when it got the reply for harm to
    others: the care turns after it keep to that (asked_if_anyone_in_danger)."""
    latest = next((t for t in reversed(state.window) if t.crisis), None) if state else None
    return latest.message if latest and asked_if_anyone_in_danger(latest.reply) else None


def _harm_answer(
    ranking: Ranking, analysis: Analysis, language: str, sink: ReplySink | None, *, baby: str = ""
) -> _Answer:
    """The crisis answer for harm to others (harm_to_others_reply), around the crisis's
    resources (its lines after the emergency line: _with_resources); for a `baby` shaken or
    feared to be (baby_harm's kind), the reply for that, in English (baby_harm_reply)."""
    resources = analysis.safety.resources
    reply = baby_harm_reply(resources, kind=baby, language=language) or harm_to_others_reply(
        resources, language=language
    )
    if sink:
        sink.token(reply)
    return _Answer(ranking, reply, "safety", (), care=True, crisis_reply="harm_to_others")


def _crisis_answer(
    ranking: Ranking,
    analysis: Analysis,
    locale: str | None,
    settings: Settings,
    sink: ReplySink | None,
    *,
    message: str,
    answered: SafetyAnswer | None = None,
    kinds: Set[str] = frozenset(),
    tags: Set[str] = frozenset(),
    taken_back: bool = False,
    earlier: tuple[str, ...] = (),
) -> _Answer:
    """One calm, persona-independent answer to a crisis; never a model's improvisation.
    `answered`: how the message answers the crisis reply's safety question: a no gets the
    follow-up that thanks them for answering; a `message` only about another person in danger
    ("my friend wants to kill herself"), or an answer that says so, the reply for someone
    worried about them (for one who answers for that person, "my report", "my son": the
    adult's, responsible_for); any other crisis turn, even right after one ("i took all my pills"
    after that no), the first reply. `kinds`: the crisis's (_crisis_kinds, its resources'
    too): when they say someone hurts the user or danger, and nothing of their own thoughts,
    the follow-up does not speak of acting on them; when they say the user may hurt someone
    else and nothing of their own suicide (harm_reply_due), the reply for harm to others.
    `taken_back`: the message takes back, right after a crisis reply, the words it answered:
    the resources, not the question again. An emergency among the `kinds` ("I think I'm having
    a heart attack", "no, he's not breathing") comes before all of these: the emergency reply,
    by the patterns' `tags`. `earlier`: the window's messages, where the user may have said
    they are under 18 (a parent they care for is no one they answer for then:
    responsible_for) or whom they care for (the carers' aside: _with_carer_aside)."""
    language = _language(locale, settings, analysis.safety.language)
    if EMERGENCY in kinds:
        poison = _poison(locale, settings, analysis.safety.language)
        resources = analysis.safety.resources
        # postpartum psychosis, a person with dementia missing: their own words
        reply = family_emergency_reply(resources, tags=tags, language=language) or emergency_reply(
            resources, poison=poison, tags=tags, language=language
        )
        if sink:
            sink.token(reply)
        return _Answer(
            ranking, reply, "safety", (), care=True, crisis_reply="emergency", kinds=tuple(kinds)
        )
    if answered is None and not taken_back and harm_reply_due(kinds):
        return _harm_answer(ranking, analysis, language, sink, baby=baby_harm(message))
    again = answered == "not_safe"
    in_danger = again and bool(kinds) and kinds <= {"violence", "danger", "exploitation"}
    someone_else = answered == "someone_else" or (
        answered is None and about_someone_else(as_read(message))
    )
    hurt = _someone_hurt(kinds, locale, settings, analysis.safety.language)
    reply = crisis_reply(
        analysis.safety.resources,
        again=again,
        someone_else=someone_else,
        responsible=someone_else
        and responsible_for(message, minor=any(map(stated_minor, (message, *earlier)))),
        hurt=hurt,
        in_danger=in_danger,
        taken_back=taken_back,
        taken=TAKEN in tags,
        language=language,
    )
    if not (again or someone_else or taken_back) and language == "en":
        reply = _with_carer_aside(reply, (message, *earlier), locale, settings)
    if sink:
        sink.token(reply)
    if taken_back:
        kind = "taken_back"
    else:
        kind = "again" if again else "someone_else" if someone_else else "first"
    supporting = ("hurt" if hurt else "suicide") if kind == "someone_else" else None
    return _Answer(
        ranking,
        reply,
        "safety",
        (),
        care=True,
        crisis_reply=kind,
        supporting=supporting,
        kinds=tuple(kinds),
    )


def _with_carer_aside(
    reply: str, said: tuple[str, ...], locale: str | None, settings: Settings
) -> str:
    """The first crisis reply in English with, before its question, the carers' aside when the
    message or the window (`said`) says the user cares for someone (the review of carers and new
    parents: "sometimes I wish my dad would just die so this would end" got the suicide reply
    alone): their feelings are common, with the locale's carers' line (caring.carer_aside)."""
    question = CRISIS_REPLIES["en"][2]
    lines = locale_lines(
        CARER_FILE, locale, default_locale=settings.safety_default_locale, section="carers"
    )
    aside = carer_aside(said, lines)
    if not aside or not reply.endswith(question):
        return reply
    return f"{reply.removesuffix(question)}{aside} {question}"


def _lived_answer(
    ranking: Ranking,
    locale: str | None,
    settings: Settings,
    sink: ReplySink | None,
    *,
    message: str,
) -> _Answer:
    """The fixed reply to a crisis told in the past or of recovery (common.lived_experience),
    with the locale's lines, in the language and for the lines the crisis reply would use."""
    language = _crisis_language(message, locale)
    reply = lived_experience_reply(
        _resources(locale, settings, language), language=_language(locale, settings, language)
    )
    if sink:
        sink.token(reply)
    return _Answer(ranking, reply, "safety", ())


def _end_of_life_answer(
    ranking: Ranking,
    request: ReplyRequest,
    locale: str | None,
    settings: Settings,
    sink: ReplySink | None,
) -> _Answer:
    """The fixed reply to a terminal prognosis the model alone flagged (common.end_of_life),
    with the locale's crisis lines listed, as the lived experience reply lists them."""
    reply = end_of_life_reply(request.support_lines.cancer, _resources(locale, settings))
    if sink:
        sink.token(reply)
    return _Answer(ranking, reply, "safety", ())


def _log_crisis_turn(
    kept: _Answer,
    analysis: Analysis,
    *,
    stored: bool,
    locale: str | None,
    settings: Settings,
    count: int | None = None,
) -> None:
    """The crisis turn's INFO line (CRISIS_TURN), with no text of the user's: what detected
    it, whether the model answered, which resources and which reply were shown. Only this line
    shows a detector going quiet (a model whose crisis head stops firing) or firing at
    everything, while the endpoint answers and every other monitor is green. `count`: the
    script's turns this line stands for (_SCRIPTED_CRISIS), as its WARNINGs say theirs."""
    fields = {
        **crisis_shown(
            analysis,
            locale=locale,
            default_locale=settings.safety_default_locale,
            reply=kept.crisis_reply,
            stored=stored,
        ),
        # the metric's label (few values): whether the model read this turn (it did not answer,
        # or the message was not in English, which it does not read: analysis_source)
        "analyzed_by": "model" if analysis.read_by_model else "baseline",
    }
    if count is not None:
        fields[logs.COUNT] = count
    with logs.unkeyed():  # its monitors count by detector: no line ties a user to a crisis
        log.info(CRISIS_TURN, extra=fields)


def _not_stored(
    *,
    session_id: str,
    turn_id: str,
    turn_index: int,
    kept: _Answer,
    analysis: Analysis,
    degraded: list[str],
    locale: str | None,
    settings: Settings,
    scripted_by: str | None = None,
    publish: Callable[[str, dict], None] | None = None,
) -> tuple[dict, bool]:
    """A crisis answered, not stored, in a turn's response shape: "degraded" says so. Its
    turn_id (and a new session's id) name nothing: a rating or a GET of them is a 404.
    `scripted_by`: the uid of a script's crisis turn, whose line and event go at most one a
    minute per user (_SCRIPTED_CRISIS). `publish(session_id, data)`: sends its
    safety.crisis_detected (_unstored_event; None: none)."""
    count = None if scripted_by is None else _SCRIPTED_CRISIS.due(scripted_by)
    if count != 0:  # a script's turn held back: neither its line nor its event
        _log_crisis_turn(
            kept, analysis, stored=False, locale=locale, settings=settings, count=count
        )
    response = turn_response(
        session_id=session_id,
        turn_id=turn_id,
        turn_index=turn_index,
        ranking=kept.ranking,
        reply=kept.reply,
        analysis=analysis,
        degraded=[*degraded, NOT_STORED],
    )
    if publish is not None and count != 0:
        data = crisis_event_data(
            response,
            analysis=analysis,
            locale=locale,
            default_locale=settings.safety_default_locale,
            reply=kept.crisis_reply,
            stored=False,
            kinds=kept.kinds,
        )
        publish(session_id, data)
    return response, False


def _erasure(refused: ApiError) -> bool:
    """The turn was refused for the user's erasure (running, or asked after it was sent): a
    user being erased gets no new analytics rows."""
    return isinstance(refused, ErasureInProgress) or refused.code == "profile_erased"


def _unstored_event(
    *,
    uid: str,
    anonymous: bool,
    publisher: EventPublisher,
    settings: Settings,
    now: datetime,
) -> Callable[[str, dict], None]:
    """How a crisis turn answered, not stored, sends its safety.crisis_detected: straight to
    Pub/Sub, once, not through the outbox (what is down is storage). Without it the counts, the
    audit and the re-engagement nudge's hold-back after a crisis (which reads these events)
    would miss the turn. Inline, before the answer is complete (a streamed reply's tokens are
    out by then), within the publisher's timeout: not after the answer (common.after_answer),
    which drops work that waited (an idle instance's CPU is throttled once it has answered),
    and no relay has a copy of this one. Best effort: a failure is logged, and the reply
    stands. `anonymous`: without the user's key (keyless), as their stored events would go (or
    when their settings were not read). A script's events are throttled by the caller
    (_not_stored)."""
    hmac_key = settings.analytics_hmac_key()
    ukey = user_key(uid, hmac_key)

    def publish(session_id: str, data: dict) -> None:
        event = Event(
            "safety.crisis_detected",
            now,
            None if anonymous else ukey,
            session_id,
            data,
            subject=ukey,
        )
        event = keyless(event, hmac_key)

        try:
            publisher.publish([event])
        except Exception as e:  # whatever failed, the user has their reply
            with logs.unkeyed():  # a crisis line names no one (_log_crisis_turn)
                _UNSTORED_EVENT_FAILED.warning(
                    log, "", "the crisis event of a turn not stored was not published: %s", e
                )

    return publish


# The limits a crisis turn is answered past (crisis_past_budget), as its log line names them.
REQUEST_BUDGET = "the user's request budget"
MESSAGE_LENGTH = "the message length limit"


def crisis_past_budget(
    *,
    uid: str,
    body: TurnCreate,
    baseline: Callable[[str], tuple[Analysis, list[str]]],
    rank: Callable[..., Ranking],
    settings: Settings,
    now: datetime,
    locale: str | None,
    sink: ReplySink | None,
    publisher: EventPublisher | None = None,
    limit: str = REQUEST_BUDGET,
) -> tuple[dict, bool]:
    """A crisis past the user's spent request budget: the crisis reply at once, not stored. No
    limit refuses a crisis, but a script sending crisis words as fast as it can must cost little
    more than a refusal: nothing is read (so the session is not known: its turn_index is 0, and
    the reply is the first crisis reply), no model is asked, nothing is written. Its event goes
    to `publisher` (without the user's key: their settings are not read), inline, one a minute
    per user. `limit`: the one it is past, for the log (also MESSAGE_LENGTH)."""
    with logs.unkeyed():  # a crisis line names no one (_log_crisis_turn)
        _CRISIS_PAST_BUDGET.warning(log, uid, "a crisis turn past %s: answered, not stored", limit)
    analysis, degraded = baseline(body.message)  # the lexicon: no model call
    return _unread_crisis(
        body=body,
        analysis=analysis,
        degraded=degraded,
        rank=rank,
        settings=settings,
        now=now,
        locale=locale,
        sink=sink,
        scripted_by=uid,
        publish=None
        if publisher is None
        else _unstored_event(
            uid=uid, anonymous=True, publisher=publisher, settings=settings, now=now
        ),
    )


def _unread_crisis(
    *,
    body: TurnCreate,
    analysis: Analysis,
    degraded: list[str],
    rank: Callable[..., Ranking],
    settings: Settings,
    now: datetime,
    locale: str | None,
    sink: ReplySink | None,
    scripted_by: str | None = None,
    publish: Callable[[str, dict], None] | None = None,
) -> tuple[dict, bool]:
    """The crisis reply to a turn whose session is not used (not read, or being erased), not
    stored: its turn_index is 0 and the reply is the first crisis reply, or the one its
    pattern kinds choose (_crisis_answer: harm to others). `scripted_by` and `publish`: as
    _not_stored's."""
    # The patterns (or the model, or a no to the safety question) flagged the message as sent:
    # a crisis whatever this reading says.
    analysis = replace(analysis, safety=replace(analysis.safety, crisis=True))
    kinds, tags = _crisis_kinds(body.message), _crisis_tags(body.message)
    analysis = _with_resources(
        analysis,
        locale,
        settings,
        kinds=kinds,
        tags=tags,
        language=_crisis_language(body.message, locale),
        child=involves_child(body.message),
        said=(body.message,),
        baby=bool(baby_harm(body.message)),
    )
    turn_id = uuid.uuid4().hex
    convo = Conversation(  # the user's time zone is not read
        care=True,
        local_hour=None,
        language=_language(locale, settings, analysis.safety.language),
    )
    ranking = rank(analysis=analysis, convo=convo, requested=body.persona, seed=turn_id)
    return _not_stored(
        session_id=body.session_id or uuid.uuid4().hex,
        turn_id=turn_id,
        turn_index=0,
        kept=_crisis_answer(
            ranking,
            analysis,
            locale,
            settings,
            sink,
            message=body.message,
            kinds=kinds,
            tags=tags,
        ),
        analysis=analysis,
        degraded=degraded,
        locale=locale,
        settings=settings,
        scripted_by=scripted_by,
        publish=publish,
    )


def _start_analysis(
    uid: str, analyze: Callable[[str], tuple[Analysis, list[str]]], message: str
) -> Future[tuple[Analysis, list[str]]] | None:
    """The message's analysis, started on its own thread; None when the caps are reached."""
    slots = _SLOTS
    if not slots.take(uid):
        log.warning("analyses in flight at their cap: the baseline reads this message")
        return None

    def run() -> tuple[Analysis, list[str]]:
        try:
            return analyze(message)
        finally:  # before the turn sees the result: its user's next turn finds the slot free
            slots.give_back(uid)

    return _ANALYSIS.submit(contextvars.copy_context().run, run)


class _LimitedAtCommit(Exception):
    """The turn passed the limits when it started, not with the turns committed since."""

    def __init__(self, read: TurnContext, activity: list, verdict: Verdict) -> None:
        super().__init__(verdict.reasons)
        self.read, self.activity, self.verdict = read, activity, verdict


@dataclass(frozen=True)
class _Answer:
    """A reply to the turn."""

    ranking: Ranking
    reply: str
    generator: str  # the name of the generator that wrote the reply ("safety": the crisis reply)
    # What failed making this reply: its own, so a turn answered again reports the answer it keeps.
    degraded: tuple[str, ...]
    care: bool = False  # made for a turn in care (or a crisis): the care persona and words
    # The crisis reply's kind: "first", "again" (after a no to its question), "someone_else",
    # "taken_back" (the words just answered, taken back), "harm_to_others" (the user may hurt
    # someone else), "emergency".
    crisis_reply: str | None = None
    # The care it starts is a supporter's (SessionState.supporting): "suicide" or "hurt".
    supporting: str | None = None
    # The crisis patterns' kinds it answered (labels, for its event: an emergency told apart).
    kinds: tuple[str, ...] = ()


class ReplySink(Protocol):
    """Where a streamed reply goes while it is generated."""

    def token(self, text: str) -> None: ...

    def reset(self) -> None:
        """Forget the text sent so far: the generator failed and another one starts over."""


def _generate(
    request: ReplyRequest,
    generator: ResponseGenerator,
    fallback: ResponseGenerator,
    degraded: list[str],
    sink: ReplySink | None,
) -> tuple[str, str]:
    """The reply and the generator that wrote it; the template fallback when the first fails."""
    sent = False
    try:
        if sink is None:
            reply = generator.generate(request)
        else:
            parts: list[str] = []
            for chunk in generator.stream(request):
                if isinstance(chunk, Restart):  # what was sent is not the reply
                    parts.clear()
                    sink.reset()
                parts.append(chunk)
                sink.token(chunk)
                sent = True
            reply = "".join(parts)
    except GenerationError as e:
        _GENERATOR_FAILED.warning(log, "", "reply generator failed, using templates: %s", e)
        degraded.append("reply_generator")
        if isinstance(e, WithheldForSafety):
            # Not a crisis (no resources: a block is no disclosure), but no plan or steps
            # either: the template answers with care's words.
            request = replace(request, withheld=True)
        if sink is None:
            return fallback.generate(request), type(fallback).__name__
        if sent:
            sink.reset()
        parts = []
        for chunk in fallback.stream(request):
            parts.append(chunk)
            sink.token(chunk)
        return "".join(parts), type(fallback).__name__
    # the failures held back since the outage's last line, told now rather than at the next one
    _GENERATOR_FAILED.resolved(
        log, "", "reply generator failed, using templates, then answered again"
    )
    return reply, type(generator).__name__


def _turns_this_minute(activity: list[tuple[datetime, str | None]], now: datetime) -> int:
    return sum(now - at < timedelta(minutes=1) for at, _ in activity)


def _spell(activity: dict | None, now: datetime) -> datetime | None:
    """When the user's spell of limits ends, as their activity record holds it; None when
    none is running. Its first turn past the limits is reported (anomaly.detected), not the
    others."""
    until = (activity or {}).get("limited_until")
    return until if until is not None and until > now else None


def _limit(
    *,
    uid: str,
    user_event: Callable[[str, str | None, dict], Event],
    verdict: Verdict,
    context: TurnContext,
    activity: list[tuple[datetime, str | None]],
    session_id: str | None,
    store: SessionStore,
    outbox: OutboxStore,
    publisher: EventPublisher,
    now: datetime,
    care_resources: tuple[str, ...] | None = None,
) -> NoReturn:
    """Refuse the turn with 429 + Retry-After; the first refusal of a spell is an event.
    `care_resources`: the user is in care; the message is a calm one with these helplines."""
    until = now + timedelta(seconds=verdict.retry_after or 0)  # a limiting verdict has one
    if _spell(context.activity, now) is None:
        data = {
            "reasons": list(verdict.reasons),
            "limited": True,
            "retry_after": verdict.retry_after,
        }
        event = user_event("anomaly.detected", session_id, data)
        doc = activity_doc(
            activity,
            limited_until=until,
            crisis_at=last_crisis(context.activity, now),
            not_safe_until=care_after_no(context.activity, now),
            heavy_at=last_heavy(context.activity, now),
            leaning=last_leaning(context.activity, now),
        )
        limit = {k: doc[k] for k in ("limited_until", "expires_at")}  # the rest stays as stored
        if store.record_anomaly(
            uid=uid, activity=limit, events=[event], version=context.activity_version
        ):
            deliver_now([event], publisher=publisher, outbox=outbox, now=now)
    calm = None
    if care_resources is not None:
        calm = CARE_LIMITED.format(listed=resource_line(care_resources))
    if verdict.limits() == ("repeated_message",):
        # Only this text is held back (Retry-After is until it may be sent again): a client
        # told "rate_limited" would hold back every message for minutes, though any other
        # message goes through now.
        raise RateLimited(
            calm
            or "You've sent this same message several times in a few minutes; send something "
            "different, or wait to send it again.",
            code="repeated_message",
            field="message",
            retry_after=verdict.retry_after,
        )
    # Neutral: writing a thought line by line is how some people write, not a fault.
    raise RateLimited(
        calm
        or "I need a moment to catch up with your messages. Please wait a few seconds, "
        "then send the next one.",
        retry_after=verdict.retry_after,
    )


def _replay(stored: dict, fingerprint: str) -> dict:
    if stored.get("fingerprint") != fingerprint:
        raise Conflict(
            "This client_turn_id was already used for a different message.",
            code="client_turn_id_reused",
            field="client_turn_id",
        )
    return stored["response"]


# Reads


def _turn_out(t: dict) -> TurnOut:
    return TurnOut(
        turn_id=t["turn_id"],
        turn_index=t["turn_index"],
        message=t["message"],
        reply=t["reply"],
        persona=t["persona"],
        created_at=t["created_at"],
    )


def _visible_session(store: SessionStore, uid: str, session_id: str, now: datetime) -> SessionState:
    state = store.get_session(session_id)
    if state is None or not state.visible_to(uid, now):
        raise NotFound(SESSION_GONE, code="session_not_found")
    return state


def get_session(*, uid: str, session_id: str, store: SessionStore, now: datetime) -> SessionOut:
    state = _visible_session(store, uid, session_id, now)
    return SessionOut(
        session_id=state.session_id,
        context_window=[_turn_out(t.to_dict()) for t in state.window],
        summary=render_summary(state.summary),
        current_persona=state.current_persona,
        turn_count=state.turn_count,
        expires_at=state.expires_at,
    )


def list_turns(
    *, uid: str, session_id: str, after: int, limit: int, store: SessionStore, now: datetime
) -> TurnPage:
    _visible_session(store, uid, session_id, now)
    docs = store.list_turns(session_id, after=after, limit=limit + 1)
    page = docs[:limit]
    return TurnPage(
        session_id=session_id,
        turns=[_turn_out(d) for d in page],
        next_after=page[-1]["turn_index"] if len(docs) > limit else None,
    )
