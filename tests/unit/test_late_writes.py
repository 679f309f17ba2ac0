"""A write whose transaction within_deadline abandoned (a 503) goes on and may commit after a
later request: it must not undo that request. Settings and devices keep the last by request
time, against Firestore's RPCs (tests/fakes/firestore_rpc.py)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from common.adapters import firestore_calls
from common.adapters.firestore_devices import (
    DEVICE_REMOVAL_KEPT,
    DEVICE_REMOVALS_MAX,
    FirestoreDeviceStore,
)
from common.adapters.firestore_profiles import FirestoreProfileStore
from common.adapters.firestore_push import FirestorePushStore
from common.adapters.firestore_sessions import FirestoreSessionStore
from common.config import Settings
from common.devices.models import device_id
from common.devices.service import remove_device
from common.errors import NotFound, Unavailable
from common.profile.erasure import ERASING, ERASURE_DONE
from common.profile.models import ProfilePatch
from common.profile.service import patch_profile
from tests.fakes.firestore_rpc import FirestoreRpc

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
UID, TOKEN = "u1", "fcm-token-of-a-phone:APA91bExample"
DEVICE = f"users/{UID}/devices/{device_id(TOKEN)}"


def _profiles(rpc: FirestoreRpc) -> FirestoreProfileStore:
    return FirestoreProfileStore(rpc.client, sessions=None)


def _patch(rpc: FirestoreRpc, now: datetime, **settings) -> None:
    _profiles(rpc).write_settings(uid=UID, ukey="k", settings=settings, now=now)


def _stored_settings(rpc: FirestoreRpc) -> dict:
    return rpc.docs[f"users/{UID}"]["settings"]


def test_a_patch_abandoned_by_its_deadline_does_not_undo_a_later_one(monkeypatch):
    # The reviewer's probe: PATCH A's BeginTransaction stalls, A answers 503 and its transaction
    # goes on; PATCH B, sent after A's 503, commits; then A's transaction commits last.
    monkeypatch.setattr(firestore_calls, "TRANSACTION_SECONDS", 0.2)
    rpc = FirestoreRpc()
    b_done = threading.Event()
    begin = rpc.api.begin_transaction.side_effect
    calls = []

    def stalls_first(**kw):
        calls.append(1)
        if len(calls) == 1:
            b_done.wait(5)  # a stalled connection, until B is done
        return begin(**kw)

    rpc.api.begin_transaction.side_effect = stalls_first
    with pytest.raises(Unavailable):
        _patch(rpc, NOW, anonymize_analytics=True)
    _patch(rpc, NOW + 6 * SECOND, anonymize_analytics=False)  # B: answered 200
    b_done.set()
    deadline = time.monotonic() + 5
    while len(rpc.commits) < 2 and time.monotonic() < deadline:  # A's late commit
        time.sleep(0.01)
    assert len(rpc.commits) == 2
    assert _stored_settings(rpc) == {"anonymize_analytics": False}  # what B answered


def test_each_setting_keeps_the_value_of_the_latest_request_that_set_it():
    rpc = FirestoreRpc()
    _patch(rpc, NOW, timezone="Europe/Berlin", notifications=False)
    # An earlier request (sent before, landing after): its timezone lost to the later one, its
    # retention, which no later request set, stands.
    _patch(rpc, NOW - SECOND, timezone="Asia/Seoul", retention_days=30)
    assert _stored_settings(rpc) == {
        "timezone": "Europe/Berlin",
        "notifications": False,
        "retention_days": 30,
    }
    assert rpc.docs[f"users/{UID}"]["updated_at"] == NOW  # never moved back
    # The same request time (one PATCH after another in a test, or a retry) still applies.
    _patch(rpc, NOW, timezone="UTC")
    assert _stored_settings(rpc)["timezone"] == "UTC"


def test_a_patch_from_before_a_finished_erasure_does_not_bring_the_settings_back():
    rpc = FirestoreRpc({f"activity/{UID}": {ERASURE_DONE: NOW, "expires_at": NOW + 600 * SECOND}})
    _patch(rpc, NOW - SECOND, notifications=False)
    assert f"users/{UID}" not in rpc.docs
    _patch(rpc, NOW + SECOND, notifications=False)  # the account lives on
    assert _stored_settings(rpc) == {"notifications": False}


class Published:
    def __init__(self) -> None:
        self.events = []

    def publish(self, events) -> None:
        self.events.extend(events)


def _patch_profile(rpc: FirestoreRpc, now: datetime, **fields) -> tuple:
    """PATCH /v2/profile's service over the Firestore stores: (its answer, what it published)."""
    sessions, published = FirestoreSessionStore(rpc.client, settings=Settings()), Published()
    answer = patch_profile(
        uid=UID,
        patch=ProfilePatch(**fields),
        store=FirestoreProfileStore(rpc.client, sessions),
        outbox=sessions,
        publisher=published,
        settings=Settings(),
        now=now,
    )
    return answer, published.events


def _set_later(**settings) -> FirestoreRpc:
    """The user's settings as a request made a second after NOW stored them."""
    set_at = dict.fromkeys(settings, NOW + SECOND)
    return FirestoreRpc({f"users/{UID}": {"settings": settings, "settings_set_at": set_at}})


def test_a_patch_that_keeps_nothing_announces_nothing():
    # PATCH A lands after a later PATCH B of the same setting: nothing of A is stored, and no
    # profile.updated says it changed (neither in the outbox nor published).
    rpc = _set_later(notifications=True)
    answer, published = _patch_profile(rpc, NOW, notifications=False)
    assert answer.settings.notifications is False  # answered as if it came first
    assert _stored_settings(rpc) == {"notifications": True}
    assert published == [] and rpc.written("outbox") == []


def test_a_patch_that_keeps_nothing_answers_on_the_stored_settings_it_did_not_send():
    # The fields not sent are answered as stored, not as the defaults.
    rpc = FirestoreRpc(
        {
            f"users/{UID}": {
                "settings": {"anonymize_analytics": True, "timezone": "Asia/Tokyo"},
                "settings_set_at": {"timezone": NOW + SECOND},
            }
        }
    )
    answer, published = _patch_profile(rpc, NOW, timezone="Europe/Paris")
    assert answer.settings.anonymize_analytics is True
    assert answer.settings.timezone == "Europe/Paris"  # answered as if it came first
    assert published == [] and rpc.written("outbox") == []


def test_a_patch_that_sends_the_stored_value_again_announces_nothing():
    rpc = FirestoreRpc({f"users/{UID}": {"settings": {"timezone": "Europe/Paris"}}})
    answer, published = _patch_profile(rpc, NOW, timezone="Europe/Paris")
    assert answer.settings.timezone == "Europe/Paris"
    assert published == [] and rpc.written("outbox") == []
    _, published = _patch_profile(rpc, NOW + SECOND, timezone="Asia/Tokyo")  # a change does
    assert [event.data["changed"] for event in published] == [["timezone"]]


@pytest.mark.parametrize("stored", [["x"], "abc"])
def test_a_patch_repairs_settings_that_are_not_a_map(stored):
    # The mutation review: PATCH /v2/profile answered 500 (a TypeError merging into ["x"]).
    rpc = FirestoreRpc({f"users/{UID}": {"settings": stored}})
    answer, published = _patch_profile(rpc, NOW, timezone="Europe/Paris")
    assert answer.settings.timezone == "Europe/Paris"
    assert answer.settings.anonymize_analytics is False  # the rest as GET reads them: defaults
    assert _stored_settings(rpc) == {"timezone": "Europe/Paris"}
    assert [event.data["changed"] for event in published] == [["timezone"]]


def test_a_patch_stores_no_time_zone_unless_it_sends_one():
    """The push sender and the producers tell a user who never set a zone from one who set
    UTC by the stored map: only the fields a PATCH sends are stored."""
    from common.profile.service import timezone_set

    rpc = FirestoreRpc()
    answer, _ = _patch_profile(rpc, NOW, notifications=True)
    assert answer.settings.timezone == "UTC"  # the default the answer shows
    assert _stored_settings(rpc) == {"notifications": True}
    assert not timezone_set(rpc.docs[f"users/{UID}"])
    _patch_profile(rpc, NOW + SECOND, timezone="UTC")
    assert timezone_set(rpc.docs[f"users/{UID}"])


def test_a_patch_that_keeps_part_announces_only_that_part():
    rpc = _set_later(notifications=True)
    _, published = _patch_profile(rpc, NOW, notifications=False, retention_days=30)
    assert _stored_settings(rpc) == {"notifications": True, "retention_days": 30}
    [event] = published
    assert event.type == "profile.updated" and event.data["changed"] == ["retention_days"]
    # Written to the outbox with the setting, in its transaction.
    commit = rpc.commits[0]
    assert {w.update.name.split("/documents/")[1] for w in commit if not w.delete} == {
        f"users/{UID}",
        f"outbox/{event.event_id}",
    }


def test_a_patch_judges_what_it_announces_and_answers_on_the_settings_its_transaction_read(
    monkeypatch,
):
    # The multi-device review: tablet B's PATCH of its time zone reads the profile, phone A's
    # anonymize_analytics=true commits, then B's transaction does. B's event must carry no
    # user key (it is dated after the user anonymised), and B must not answer "off".
    rpc, published = FirestoreRpc(), Published()
    sessions = FirestoreSessionStore(rpc.client, settings=Settings())
    store = FirestoreProfileStore(rpc.client, sessions)
    before = store.read_profile(uid=UID, ukey="k")
    monkeypatch.setattr(store, "read_profile", lambda **kw: before)  # B's read, before A's
    rpc.put(
        f"users/{UID}",
        {
            "settings": {"anonymize_analytics": True},
            "settings_set_at": {"anonymize_analytics": NOW},
        },
    )
    answer = patch_profile(
        uid=UID,
        patch=ProfilePatch(timezone="Europe/Paris"),
        store=store,
        outbox=sessions,
        publisher=published,
        settings=Settings(),
        now=NOW + timedelta(milliseconds=50),
    )
    [event] = published.events
    assert event.user_key is None and event.data["changed"] == ["timezone"]
    assert answer.settings.anonymize_analytics is True
    assert answer.settings.timezone == "Europe/Paris"
    assert _stored_settings(rpc) == {"anonymize_analytics": True, "timezone": "Europe/Paris"}


def _devices(rpc: FirestoreRpc) -> FirestoreDeviceStore:
    return FirestoreDeviceStore(rpc.client)


def _register(rpc: FirestoreRpc, now: datetime) -> tuple[dict, bool]:
    return _devices(rpc).upsert(uid=UID, token=TOKEN, platform="ios", now=now, previous_token=None)


def test_a_registration_from_before_a_sign_out_does_not_bring_the_device_back():
    rpc = FirestoreRpc()
    _register(rpc, NOW)
    assert _devices(rpc).delete(uid=UID, token=TOKEN, now=NOW + 10 * SECOND)  # sign-out
    assert DEVICE not in rpc.docs
    # A registration sent before the sign-out whose transaction commits after it (abandoned
    # by its deadline): answered as if it came first, and not stored.
    doc, _ = _register(rpc, NOW + 2 * SECOND)
    assert doc["last_seen_at"] == NOW + 2 * SECOND
    assert DEVICE not in rpc.docs
    _register(rpc, NOW + 20 * SECOND)  # signed in again
    assert rpc.docs[DEVICE]["last_seen_at"] == NOW + 20 * SECOND


def test_a_sign_out_from_before_a_registration_does_not_remove_the_device():
    # The mirror: the sign-out DELETE sent at +10 s stalls (a 503) and its transaction goes on;
    # the user signs in again at +20 s and the registration is stored; then the DELETE commits.
    rpc = FirestoreRpc()
    _register(rpc, NOW)
    _register(rpc, NOW + 20 * SECOND)  # signed in again
    # Answered as if it came first (204: there was a device to remove); the later one stands.
    assert _devices(rpc).delete(uid=UID, token=TOKEN, now=NOW + 10 * SECOND)
    assert rpc.docs[DEVICE]["last_seen_at"] == NOW + 20 * SECOND
    assert f"activity/{UID}" not in rpc.docs  # no removal recorded


def test_a_late_registration_does_not_move_the_device_back_for_a_late_sign_out():
    # A registration at +5 s and the sign-out at +10 s both stall; the sign-in at +20 s is
    # stored; then the two land, the registration first. The device registered at +20 s stays.
    rpc = FirestoreRpc()
    _register(rpc, NOW + 20 * SECOND)
    doc, _ = _register(rpc, NOW + 5 * SECOND)
    assert doc["last_seen_at"] == NOW + 5 * SECOND  # answered as if it came first
    assert rpc.docs[DEVICE]["last_seen_at"] == NOW + 20 * SECOND
    assert _devices(rpc).delete(uid=UID, token=TOKEN, now=NOW + 10 * SECOND)
    assert rpc.docs[DEVICE]["last_seen_at"] == NOW + 20 * SECOND


def test_a_registration_from_before_a_finished_erasure_does_not_bring_the_device_back():
    rpc = FirestoreRpc({f"activity/{UID}": {ERASURE_DONE: NOW, "expires_at": NOW + 600 * SECOND}})
    _register(rpc, NOW - SECOND)
    assert DEVICE not in rpc.docs
    _register(rpc, NOW + SECOND)
    assert DEVICE in rpc.docs


def test_a_removal_is_kept_in_the_activity_record_as_long_as_needed_and_no_longer():
    turns = {"recent": "[]", "expires_at": NOW + timedelta(days=1)}  # a turn's record
    old = {"d-old": NOW - DEVICE_REMOVAL_KEPT - SECOND, "d-recent": NOW - SECOND}
    rpc = FirestoreRpc(
        {DEVICE: {"token": TOKEN}, f"activity/{UID}": turns | {"devices_removed": old}}
    )
    assert _devices(rpc).delete(uid=UID, token=TOKEN, now=NOW)
    activity = rpc.docs[f"activity/{UID}"]
    assert activity["devices_removed"] == {"d-recent": NOW - SECOND, device_id(TOKEN): NOW}
    assert activity["expires_at"] == turns["expires_at"] and activity["recent"] == "[]"
    # A user with no record gets one that expires once no registration can land late.
    rpc = FirestoreRpc({DEVICE: {"token": TOKEN}})
    assert _devices(rpc).delete(uid=UID, token=TOKEN, now=NOW)
    assert rpc.docs[f"activity/{UID}"] == {
        "devices_removed": {device_id(TOKEN): NOW},
        "expires_at": NOW + DEVICE_REMOVAL_KEPT,
    }


def test_a_removal_while_the_users_erasure_runs_leaves_its_mark_alone():
    # The mark has no expiry (nothing may delete it before the erasure ends), and registrations
    # are refused meanwhile anyway.
    rpc = FirestoreRpc({DEVICE: {"token": TOKEN}, f"activity/{UID}": {ERASING: NOW}})
    assert _devices(rpc).delete(uid=UID, token=TOKEN, now=NOW + SECOND)
    assert DEVICE not in rpc.docs and rpc.docs[f"activity/{UID}"] == {ERASING: NOW}


def test_a_first_registration_landing_after_a_sign_out_that_found_nothing_is_not_stored():
    # The first registration stalls (a 503) and its transaction goes on; the sign-out finds no
    # device (404) but records its time, so the registration landing after it is not stored.
    rpc = FirestoreRpc()
    assert _devices(rpc).delete(uid=UID, token=TOKEN, now=NOW + 10 * SECOND) is False
    assert DEVICE not in rpc.docs
    _register(rpc, NOW)
    assert DEVICE not in rpc.docs
    _register(rpc, NOW + 20 * SECOND)  # signed in again
    assert DEVICE in rpc.docs


def test_removals_of_made_up_tokens_keep_only_the_newest_50_in_the_activity_record():
    # The abuse review: 2,000 DELETEs of tokens never registered (each a 404) in 8 minutes left
    # 2,000 entries in activity/{uid}, which every turn and the erasure read; 20,000 would pass
    # Firestore's 40,000 index entries and 1 MiB and break that user's turns. Each still records
    # its removal (the test above says why), but the map keeps only the newest.
    rpc = FirestoreRpc()
    tokens = [f"fcm-made-up-token-{i:04d}:APA91b" for i in range(200)]
    for i, token in enumerate(tokens):
        with pytest.raises(NotFound):
            remove_device(
                uid=UID, token=token, store=_devices(rpc), now=NOW + i * timedelta(seconds=0.25)
            )
    removed = rpc.docs[f"activity/{UID}"]["devices_removed"]
    assert len(removed) == DEVICE_REMOVALS_MAX == 50
    assert set(removed) == {device_id(t) for t in tokens[-50:]}
    # The newest removals still keep a registration from before them out.
    _devices(rpc).upsert(uid=UID, token=tokens[-1], platform="ios", now=NOW, previous_token=None)
    assert f"users/{UID}/devices/{device_id(tokens[-1])}" not in rpc.docs


def test_a_record_over_the_cap_from_before_it_is_cut_to_the_newest():
    many = {f"d{i:03d}": NOW - i * SECOND for i in range(120)}  # d000 the newest
    rpc = FirestoreRpc({f"activity/{UID}": {"devices_removed": many, "expires_at": NOW}})
    assert _devices(rpc).delete(uid=UID, token=TOKEN, now=NOW + SECOND) is False
    removed = rpc.docs[f"activity/{UID}"]["devices_removed"]
    assert set(removed) == {device_id(TOKEN), *(f"d{i:03d}" for i in range(49))}


def test_a_previous_owners_late_registration_does_not_take_the_token_back_after_a_hand_over():
    # The multi-device review: A's phone registered the token a day ago; A's registration at NOW
    # is answered 503 and its transaction goes on; A signs out without a DELETE reaching us and
    # B signs in on the phone at +10 s (register_device: the upsert, then release_elsewhere,
    # whose transaction removes A's copy); then A's transaction commits.
    rpc = FirestoreRpc(queries=True)
    store = _devices(rpc)
    store.upsert(uid="A", token=TOKEN, platform="ios", now=NOW - DAY, previous_token=None)
    doc, _ = store.upsert(
        uid="B", token=TOKEN, platform="ios", now=NOW + 10 * SECOND, previous_token=None
    )
    assert store.release_elsewhere(uid="B", token=TOKEN, before=doc["last_seen_at"]) == 1
    store.upsert(uid="A", token=TOKEN, platform="ios", now=NOW, previous_token=None)  # late
    # A's weekly insight and nudges go nowhere, not to the phone B is signed in on.
    assert FirestorePushStore(rpc.client, sessions=None).read_user("A", "kA").devices == []
    assert f"users/B/devices/{device_id(TOKEN)}" in rpc.docs
    # Recorded as a sign-out's removal is, by B's registration's time.
    assert rpc.docs["activity/A"]["devices_removed"] == {device_id(TOKEN): NOW + 10 * SECOND}
    # A signing in on it again later takes it back (and B's own clean-up is B's affair).
    store.upsert(uid="A", token=TOKEN, platform="ios", now=NOW + 20 * SECOND, previous_token=None)
    assert f"users/A/devices/{device_id(TOKEN)}" in rpc.docs


def test_a_hand_over_leaves_a_copy_its_owner_registered_again_meanwhile():
    # release_elsewhere's query finds A's copy from a day ago; A's registration at +20 s lands
    # before its transaction reads: A is newer than B (+10 s), keeps the token, and no removal
    # is recorded for A.
    rpc = FirestoreRpc(queries=True)
    store, a_device = _devices(rpc), f"users/A/devices/{device_id(TOKEN)}"
    store.upsert(uid="A", token=TOKEN, platform="ios", now=NOW - DAY, previous_token=None)
    doc, _ = store.upsert(
        uid="B", token=TOKEN, platform="ios", now=NOW + 10 * SECOND, previous_token=None
    )
    query = rpc.api.run_query.side_effect

    def a_registers_meanwhile(**kw):
        answer = query(**kw)
        rpc.put(a_device, rpc.docs[a_device] | {"last_seen_at": NOW + 20 * SECOND})
        return answer

    rpc.api.run_query.side_effect = a_registers_meanwhile
    assert store.release_elsewhere(uid="B", token=TOKEN, before=doc["last_seen_at"]) == 0
    assert a_device in rpc.docs and "activity/A" not in rpc.docs
