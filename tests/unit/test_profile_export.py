"""GET /v2/profile/export: every stored turn whole (what was inferred about it included), a word
on the analytics rows kept under a pseudonym, and stored settings read back safely."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from common.adapters.firestore_profiles import FirestoreProfileStore, _exported_turn
from common.chat.limits import SALT, activity_doc, message_hash, new_salt
from common.config import Settings
from common.events import user_key
from common.json_stream import iter_json
from common.profile.models import QuietHours
from common.profile.service import ANALYTICS_NOTE, export_profile, get_profile, settings_of
from tests.fakes.firestore_rpc import FirestoreRpc

RESPONSE = {
    "turn_id": "t1",
    "reply": "Let's slow down.",
    "persona": {"id": "lua", "name": "Lua", "score": 0.7, "reasons": ["Trying Lua."]},
    "alternatives": [{"id": "nana", "name": "Nana", "score": 0.5}],
    "analysis": {"sentiment": {"label": "negative", "score": -0.6}, "pace": {"label": "urgent"}},
    "safety": {"crisis": False, "resources": []},
    "degraded": ["reply_generator"],
}


def test_a_turn_is_exported_with_what_was_inferred_about_it() -> None:
    stored = {
        "turn_id": "t1",
        "message": "I'm stuck",
        "reply": "Let's slow down.",
        "fingerprint": "ab" * 32,
        "response": json.dumps(RESPONSE),  # stored as JSON text
    }
    turn = _exported_turn(stored)
    assert turn["response"] == RESPONSE
    assert turn["message"] == "I'm stuck" and "fingerprint" not in turn


class Store:
    def export_user(self, *, uid: str, ukey: str) -> dict:
        return {"uid": uid, "profile": {}, "sessions": []}


def test_the_export_names_the_pseudonymous_analytics_key() -> None:
    settings = Settings(ion_env="local")
    export = export_profile(uid="u1", store=Store(), settings=settings)  # type: ignore[arg-type]
    assert export["uid"] == "u1" and export["sessions"] == []
    assert export["analytics"] == {
        "user_key": user_key("u1", settings.analytics_hmac_key()),
        "note": ANALYTICS_NOTE,
    }


def test_the_export_names_the_key_from_before_an_analytics_key_rotation() -> None:
    # users/{uid}.user_key is the key at the user's last settings change: after a rotation it
    # still names their older rows, which their erasure removes too.
    settings = Settings(ion_env="local")
    current = user_key("u1", settings.analytics_hmac_key())

    class Rotated:
        def __init__(self, stored: str) -> None:
            self.stored = stored

        def export_user(self, *, uid: str, ukey: str) -> dict:
            return {"uid": uid, "profile": {"user_key": self.stored}}

    export = export_profile(uid="u1", store=Rotated("k-older"), settings=settings)  # type: ignore[arg-type]
    assert export["analytics"]["previous_user_key"] == "k-older"
    assert export["analytics"]["user_key"] == current
    same = export_profile(uid="u1", store=Rotated(current), settings=settings)  # type: ignore[arg-type]
    assert "previous_user_key" not in same["analytics"]


def test_quiet_hours_stored_in_other_digits_read_as_the_times_they_meant() -> None:
    doc = {"settings": {"quiet_hours": {"start": "1٥:3٠", "end": "0𝟗:00"}, "timezone": "UTC"}}
    assert settings_of(doc).quiet_hours == QuietHours(start="15:30", end="09:00")
    assert settings_of(None).quiet_hours == QuietHours(start="22:00", end="08:00")  # the default
    assert settings_of({"settings": {"quiet_hours": None}}).quiet_hours is None  # cleared


def test_every_time_in_the_export_is_written_as_the_api_writes_times() -> None:
    """The client review: the export wrote `+00:00` (the API `Z`), dropped the fraction at a
    whole second, and showed the activity record's times in the user's own offset. Only the
    rendering changes: the stored record keeps its offsets, and the export writes nothing."""
    whole_second = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
    berlin = timezone(timedelta(hours=1))
    recent = [[datetime(2026, 12, 2, 12, 59, 30, 500000, tzinfo=berlin).isoformat(), "h1"]]
    activity = {"recent": json.dumps(recent), "limited_until": whole_second}
    rpc = FirestoreRpc(
        {
            "users/u1": {"settings": {"timezone": "Europe/Berlin"}, "updated_at": whole_second},
            "users/u1/devices/d1": {
                "platform": "ios",
                "created_at": whole_second,
                "last_seen_at": whole_second + timedelta(microseconds=123456),
            },
            "activity/u1": activity,
        },
        queries=True,
    )
    export = FirestoreProfileStore(rpc.client, sessions=None).export_user(uid="u1", ukey="k")
    assert export["profile"]["updated_at"] == "2026-12-02T12:00:00.000000Z"
    device = export["devices"][0]
    assert (device["created_at"], device["last_seen_at"]) == (
        "2026-12-02T12:00:00.000000Z",
        "2026-12-02T12:00:00.123456Z",
    )
    assert export["recent_activity"]["recent"] == [["2026-12-02T11:59:30.500000Z", "h1"]]
    assert export["recent_activity"]["limited_until"] == "2026-12-02T12:00:00.000000Z"
    assert rpc.commits == [] and rpc.docs["activity/u1"]["recent"] == json.dumps(recent)


def test_the_export_holds_no_salt_of_the_message_hashes() -> None:
    """With the salt a leaked export's hashes could be read back by hashing guesses."""
    salt = new_salt()
    hashed = message_hash("I have HIV and nobody knows", salt)
    activity = activity_doc([(datetime.now(UTC), hashed)], limited_until=None, salt=salt)
    rpc = FirestoreRpc({"users/u1": {"settings": {}}, "activity/u1": activity}, queries=True)
    export = FirestoreProfileStore(rpc.client, sessions=None).export_user(uid="u1", ukey="k")
    assert SALT not in export["recent_activity"]
    assert export["recent_activity"]["recent"][0][1] == hashed  # the record itself is exported
    assert salt not in "".join(iter_json(export))
    assert rpc.docs["activity/u1"][SALT] == salt  # kept: later turns' hashes match


def test_the_export_shows_the_settings_in_effect_beside_those_stored() -> None:
    """The review: `profile` (users/{uid} as stored) was {} for a user who never changed a
    setting, while GET /v2/profile shows the defaults: the file meant to show everything did not
    say that turns are kept 90 days or that no push comes 22:00-08:00."""
    rpc = FirestoreRpc(
        {"users/u2": {"settings": {"timezone": "Asia/Tokyo", "quiet_hours": None}}}, queries=True
    )
    store = FirestoreProfileStore(rpc.client, sessions=None)
    settings = Settings(ion_env="local")

    never = export_profile(uid="u1", store=store, settings=settings)
    chose = export_profile(uid="u2", store=store, settings=settings)

    assert never["profile"] == {}
    assert never["effective_settings"] == {
        "personalization": True,
        "anonymize_analytics": False,
        "retention_days": 90,
        "timezone": "UTC",
        "quiet_hours": {"start": "22:00", "end": "08:00"},
        "notifications": True,
    }
    assert chose["effective_settings"]["timezone"] == "Asia/Tokyo"
    assert chose["effective_settings"]["quiet_hours"] is None  # set to none: pushes at any hour
    assert chose["effective_settings"]["retention_days"] == 90
    now = datetime(2026, 12, 6, tzinfo=UTC)
    for uid, export in (("u1", never), ("u2", chose)):
        shown = get_profile(uid=uid, store=store, settings=settings, now=now)
        assert export["effective_settings"] == shown.model_dump(mode="json")["settings"]
        written = json.loads("".join(iter_json(export)))  # JSON as it is
        assert written["effective_settings"] == export["effective_settings"]
