"""What customer support may see of one user, and ending their care (scripts/support.py).

Only fields that hold no words of the user are read: each read names its fields (a projection),
so message and reply text, summaries and device tokens never leave Firestore. Google's errors are
left as they are: the operator's command says them in one line (scripts/operator_errors.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from common.adapters.firestore_calls import Unchanged, bounded, write_unchanged
from common.adapters.firestore_profiles import DEVICES, ERASURES, _plain
from common.adapters.firestore_sessions import ACTIVITY, PREFERENCES, SESSIONS, USERS
from common.personalization.context import stored_counts
from common.profile.erasure import ERASING, ERASURE_DONE

USER_FIELDS = ["settings", "settings_set_at", "notices"]
ACTIVITY_FIELDS = [
    "crisis_at",
    "not_safe_until",
    "heavy_at",
    "leaning_at",
    "leaning",
    ERASING,
    ERASURE_DONE,
]
SESSION_FIELDS = ["expires_at", "care_until", "not_safe_until", "turn_count"]
DEVICE_FIELDS = ["platform", "last_seen_at"]
ERASURE_FIELDS = ["firestore", "analytics", "requested_at", "documents_gone_at"]
PREFERENCE_FIELDS = ["stats", "updated_at"]
# What end_care clears: care after a no in any session (the activity record's), and in a session
# also the care turns after its crisis turn; with each, the crisis's language its care speaks.
ACTIVITY_CARE = ("not_safe_until", "crisis_language")
SESSION_CARE = ("not_safe_until", "care_until", "crisis_language")
END_CARE_ATTEMPTS = 3  # a turn of the user may change a document between read and write


def _doc(db: Any, collection: str, doc_id: str, fields: list[str]) -> dict | None:
    snap = db.collection(collection).document(doc_id).get(field_paths=fields, **bounded())
    return {k: v for k, v in (snap.to_dict() or {}).items() if k in fields} if snap.exists else None


def _live_sessions(db: Any, uid: str, now: datetime, fields: list[str]) -> Iterator[Any]:
    from google.cloud.firestore_v1.base_query import FieldFilter

    query = db.collection(SESSIONS).where(filter=FieldFilter("owner_uid", "==", uid))
    for snap in query.select(fields).stream(**bounded()):
        expires_at = (snap.to_dict() or {}).get("expires_at")
        if isinstance(expires_at, datetime) and expires_at > now:
            yield snap


def support_view(db: Any, *, uid: str, ukey: str, now: datetime) -> dict[str, Any]:
    """The user's settings and notices, care and crisis times, live sessions, devices, erasure
    and learned per-persona counts: every field named, none of them text the user wrote."""
    user = _doc(db, USERS, uid, USER_FIELDS)
    activity = _doc(db, ACTIVITY, uid, ACTIVITY_FIELDS)
    erasure = _doc(db, ERASURES, ukey, ERASURE_FIELDS)
    prefs = _doc(db, PREFERENCES, ukey, PREFERENCE_FIELDS)
    sessions = [
        {"session_id": snap.id, **{k: (snap.to_dict() or {}).get(k) for k in SESSION_FIELDS}}
        for snap in _live_sessions(db, uid, now, SESSION_FIELDS)
    ]
    devices = db.collection(USERS).document(uid).collection(DEVICES).select(DEVICE_FIELDS)
    device_rows = [
        {k: (snap.to_dict() or {}).get(k) for k in DEVICE_FIELDS}
        for snap in devices.stream(**bounded())
    ]
    counts = {}
    for persona, stat in ((prefs or {}).get("stats") or {}).items():
        liked, not_liked = stored_counts(stat if isinstance(stat, dict) else None)
        counts[persona] = {"alpha": round(liked, 3), "beta": round(not_liked, 3)}
    return _plain(
        {
            "settings": (user or {}).get("settings") or {},  # only those the user changed
            "settings_set_at": (user or {}).get("settings_set_at") or {},
            "notices": (user or {}).get("notices") or {},
            "activity": activity,
            "sessions": sorted(sessions, key=lambda s: s["session_id"]),
            "devices": device_rows,
            "erasure": erasure,
            "learned_preferences": (
                {"stats": counts, "updated_at": prefs.get("updated_at")} if prefs else None
            ),
        }
    )


def end_care(db: Any, *, uid: str, now: datetime) -> tuple[list[str], list[str]]:
    """Clear not_safe_until on the user's activity record, and it and care_until on their live
    sessions (crisis_language with them), each write on the condition that its document is as
    read (a turn committed meanwhile: read again, up to END_CARE_ATTEMPTS times). The paths
    written, and those a turn kept changing (not written)."""
    written: list[str] = []
    left: list[str] = []
    for _ in range(END_CARE_ATTEMPTS):
        ref = db.collection(ACTIVITY).document(uid)
        activity = ref.get(field_paths=list(ACTIVITY_CARE), **bounded())
        found: list[tuple[Any, tuple[str, ...]]] = (
            [(activity, ACTIVITY_CARE)] if activity.exists else []
        )
        for snap in _live_sessions(db, uid, now, ["expires_at", *SESSION_CARE]):
            found.append((snap, SESSION_CARE))
        writes = [
            Unchanged(snap.reference, snap.update_time, dict.fromkeys(fields))
            for snap, fields in found
            if any((snap.to_dict() or {}).get(k) is not None for k in fields)
        ]
        held = {write.ref.path for write in write_unchanged(db, writes)}
        written += sorted(held)
        left = sorted(write.ref.path for write in writes if write.ref.path not in held)
        if not left:
            break
    return written, left
