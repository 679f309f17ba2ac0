"""A user's recent activity as stored for the anomaly limits (pure)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime, timedelta, tzinfo

from common.config import ACTIVITY_KEPT, Settings
from common.model_client import normalise
from common.personalization.anomaly import DEFAULT_THRESHOLDS, Thresholds

# The longest window is an hour; a day after the last turn (or the end of a limit) the record
# says nothing any check reads, so it expires (TTL in production, the cleanup job locally).
EXPIRES_AFTER = timedelta(days=1)
# The record also keeps the user's latest crisis turn this long (and lives until then): no
# re-engagement nudge ("pick up where you left off") reaches them meanwhile. It is kept here,
# not in analytics, where a crisis of a user who anonymises has no key to find it by.
CRISIS_REMEMBERED = timedelta(days=30)
# Within this long after the user's latest crisis turn (in any session) the per-minute limits
# do not apply (common.personalization.anomaly.check's after_crisis): a 429 would leave a
# person in distress, writing fast, with no answer at all. The hour's limit still holds, and
# the request budget (common.edge) bounds a script.
LIMITS_OFF_AFTER_CRISIS = timedelta(hours=1)
# The record keeps the user's latest turn about a heavy life event (a death, a miscarriage:
# common.replies.readers.heavy.heavy_event) this long, and lives until then: the weekly insight
# of its week, at most 7 days later, is held back ("you liked 3 replies" after a week of grief).
HEAVY_REMEMBERED = timedelta(days=7)
# And the latest turn that leaned on the mentor in place of people, or said they want to use the app
# less (common.replies.readers.boundaries.boundary_kind's LEANING_KINDS: "you're the only one I talk
# to"), with its kind: no re-engagement nudge or weekly insight pulls them back for this long (the
# loneliness review: "Your mentors are here when you're ready" went to both).
LEANING_REMEMBERED = timedelta(days=30)
LEANING_KINDS = frozenset({"dependence", "therapist", "less"})


# A message shorter than this once normalised ("ok", "yes", "thanks", "i don't know", "not
# really") is left out of the repeated-message limit: people answer a mentor's questions with
# them again and again, and a spam script gains nothing by them that the minute's and the
# hour's limits, which still count them, do not bound.
REPEAT_MIN_CHARS = 16


def anomaly_thresholds(settings: Settings) -> Thresholds:
    """The limits the ANOMALY_* settings set; the other thresholds as Thresholds has them."""
    return Thresholds(
        burst_minute_max=settings.anomaly_burst_minute_max,
        burst_hour_max=settings.anomaly_burst_hour_max,
        repeat_max=settings.anomaly_repeat_max,
    )


# The record's field holding the user's own random key of their message hashes (message_hash):
# made at the record's first write, gone with the record (an erasure leaves a tombstone
# without it), so no secret is shared between users or has to be managed.
SALT = "salt"
# A message's hash is kept only while the repeat limit can read it (Thresholds.repeat_window_s):
# older entries keep their time alone (the hour's limit and last_turn read times only).
HASHES_KEPT_FOR = timedelta(seconds=DEFAULT_THRESHOLDS.repeat_window_s)


def new_salt() -> str:
    return secrets.token_hex(16)


def salt_of(doc: dict | None, fresh: str) -> str:
    """The user's salt as the record holds it, or `fresh` for a record that has none yet."""
    return (doc or {}).get(SALT) or fresh


def message_hash(text: str, salt: str) -> str:
    """Repeats are recognised by this, never by storing the text. Keyed with the user's salt:
    an unkeyed hash of a short message is read back by hashing guesses ("i have hiv")."""
    return hmac.new(salt.encode(), normalise(text).encode(), hashlib.sha256).hexdigest()[:16]


def unsalted_hash(text: str) -> str:
    """The hash of records written before the salt (their entries of the last 10 minutes)."""
    return hashlib.sha256(normalise(text).encode()).hexdigest()[:16]


def as_salted(
    activity: list[tuple[datetime, str | None]], text: str, salt: str
) -> list[tuple[datetime, str | None]]:
    """`activity` with the entries of `text` that a record written before the salt holds
    unsalted hashed as message_hash does: they still count as repeats of it."""
    old = unsalted_hash(text)
    return [(ts, message_hash(text, salt) if h == old else h) for ts, h in activity]


def repeat_counted(text: str) -> bool:
    """Sending `text` again may be bot-like repetition (not a short acknowledgement)."""
    return len(normalise(text)) >= REPEAT_MIN_CHARS


def recent_activity(doc: dict | None, tz: tzinfo) -> list[tuple[datetime, str | None]]:
    """The record's (time, message hash) entries; the hash None for an entry kept as its time
    alone (older than HASHES_KEPT_FOR when written)."""
    if not doc or not doc.get("recent"):
        return []
    return [
        (datetime.fromisoformat(ts).astimezone(tz), h[0] if h else None)
        for ts, *h in json.loads(doc["recent"])
    ]


def remembered(crisis_at: datetime | None, now: datetime) -> bool:
    """A crisis turn at `crisis_at` is still within CRISIS_REMEMBERED of `now`."""
    return isinstance(crisis_at, datetime) and now - crisis_at < CRISIS_REMEMBERED


def last_crisis(doc: dict | None, now: datetime) -> datetime | None:
    """The user's latest crisis turn, as the record holds it, if still remembered at `now` (an
    older one is forgotten at the record's next write)."""
    at = (doc or {}).get("crisis_at")
    return at if remembered(at, now) else None


def last_heavy(doc: dict | None, now: datetime) -> datetime | None:
    """The user's latest turn about a heavy life event, as the record holds it, if still within
    HEAVY_REMEMBERED of `now`."""
    at = (doc or {}).get("heavy_at")
    return at if isinstance(at, datetime) and now - at < HEAVY_REMEMBERED else None


def leaned_recently(at: object, now: datetime) -> bool:
    """A turn that leaned on the mentor (or asked to use it less) at `at` is still within
    LEANING_REMEMBERED of `now`."""
    return isinstance(at, datetime) and now - at < LEANING_REMEMBERED


def last_leaning(doc: dict | None, now: datetime) -> tuple[datetime, str] | None:
    """The user's latest turn that leaned on the mentor and its kind, as the record holds
    them, if still within LEANING_REMEMBERED of `now`."""
    at = (doc or {}).get("leaning_at")
    if not isinstance(at, datetime) or not leaned_recently(at, now):
        return None
    return at, str((doc or {}).get("leaning") or "")


def shortly_after_crisis(doc: dict | None, now: datetime) -> bool:
    """The user's latest crisis turn, as the record holds it, is within LIMITS_OFF_AFTER_CRISIS
    of `now`."""
    at = last_crisis(doc, now)
    return at is not None and now - at < LIMITS_OFF_AFTER_CRISIS


def care_after_no(doc: dict | None, now: datetime) -> datetime | None:
    """Until when the user is taken with care after a no to "Are you safe right now?" in any
    of their sessions, as the record holds it (None: not at `now`). Kept here, not only in that
    session: a user who closes the app and starts a new one is no safer for it."""
    until = (doc or {}).get("not_safe_until")
    return until if isinstance(until, datetime) and until > now else None


def care_language(doc: dict | None, now: datetime) -> str | None:
    """The language of the crisis whose care after a no the record keeps (care_after_no), as
    its patterns told (Safety.language); None: no such care at `now`, or the locale's."""
    return (doc or {}).get("crisis_language") if care_after_no(doc, now) is not None else None


def last_turn(doc: dict | None) -> datetime | None:
    """The user's latest stored turn, as the record holds it (None: none within the day or so
    the record outlives its last turn)."""
    return max((ts for ts, _ in recent_activity(doc, UTC)), default=None)


def activity_doc(
    activity: list[tuple[datetime, str | None]],
    *,
    limited_until: datetime | None,
    crisis_at: datetime | None = None,
    not_safe_until: datetime | None = None,
    salt: str | None = None,
    heavy_at: datetime | None = None,
    crisis_language: str | None = None,
    leaning: tuple[datetime, str] | None = None,
) -> dict:
    """The record as written. `salt`: the one `activity`'s hashes were made with (None: a
    record that has none, as the older code wrote them). `crisis_language`: kept only with
    `not_safe_until`, whose care speaks it (care_language). `leaning`: when and how the user
    last leaned on the mentor (last_leaning)."""
    kept = activity[-ACTIVITY_KEPT:]  # every anomaly limit is below it (common/config.py)
    newest = max((ts for ts, _ in kept), default=None)
    # A pair even without its hash (None): code from before the salt unpacks every entry as
    # (time, hash), and a rollback or an instance of the older code may read this record.
    recent = [
        [ts.isoformat(), h if h and newest is not None and newest - ts < HASHES_KEPT_FOR else None]
        for ts, h in kept
    ]
    # In UTC: the times are in the user's zone, where a day added is a day of wall clock (23 or
    # 25 hours across a DST change) and max() ignores fold (the autumn's repeated hour).
    times = [ts for ts, _ in kept] + ([limited_until] if limited_until else [])
    expires_at = max(t.astimezone(UTC) for t in times) + EXPIRES_AFTER
    if crisis_at is not None:
        expires_at = max(expires_at, crisis_at + CRISIS_REMEMBERED)
    if heavy_at is not None:
        expires_at = max(expires_at, heavy_at + HEAVY_REMEMBERED)
    leaning_at, leaning_kind = leaning or (None, None)
    if leaning_at is not None:
        expires_at = max(expires_at, leaning_at + LEANING_REMEMBERED)
    if not_safe_until is not None:  # within crisis_at's 30 days when a turn sets it; kept anyway
        expires_at = max(expires_at, not_safe_until)
    return {
        "recent": json.dumps(recent, separators=(",", ":")),
        "limited_until": limited_until,
        "crisis_at": crisis_at,
        "not_safe_until": not_safe_until,  # care_after_no
        "crisis_language": crisis_language if not_safe_until is not None else None,
        "heavy_at": heavy_at,  # last_heavy
        "leaning_at": leaning_at,  # last_leaning, with its kind
        "leaning": leaning_kind,
        "expires_at": expires_at,
        **({SALT: salt} if salt else {}),
    }
