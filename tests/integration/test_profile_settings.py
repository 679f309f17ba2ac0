"""PATCH /v2/profile's write against the Firestore emulator."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from common import clients
from common.config import get_settings
from common.events import user_key
from common.profile.models import ProfilePatch
from common.profile.service import patch_profile, settings_of


class StaleRead:
    """The store as a PATCH sees it when it read the settings before another PATCH wrote."""

    def __init__(self, store, snapshot) -> None:
        self._store, self._snapshot = store, snapshot

    def read_profile(self, **_):
        return self._snapshot

    def write_settings(self, **kw) -> tuple:
        return self._store.write_settings(**kw)


class NoPublish:
    def publish(self, events) -> None:  # the outbox keeps them
        pass


class Recorded:
    def __init__(self) -> None:
        self.events = []

    def publish(self, events) -> None:
        self.events.extend(events)


def test_two_overlapping_patches_both_stand() -> None:
    # A settings screen sends "anonymise" and "notifications off" in quick succession; the
    # second read before the first wrote. Neither may undo the other.
    uid, settings, now = f"u-{uuid.uuid4().hex}", get_settings(), datetime.now(UTC)
    store = clients.profile_store()
    ukey = user_key(uid, settings.analytics_key.get_secret_value())
    before = store.read_profile(uid=uid, ukey=ukey)
    common = {"uid": uid, "outbox": clients.session_store(), "publisher": NoPublish()}
    common |= {"settings": settings, "now": now}
    patch_profile(patch=ProfilePatch(anonymize_analytics=True), store=store, **common)
    patch_profile(patch=ProfilePatch(notifications=False), store=StaleRead(store, before), **common)
    stored = settings_of(store.read_profile(uid=uid, ukey=ukey)[0])
    assert stored.anonymize_analytics is True and stored.notifications is False


def test_a_patch_that_read_stale_settings_still_stores_what_it_answers() -> None:
    # A double tap on the anonymise toggle: "off" then "on", the second read before the first
    # wrote, so it sees "on" already and nothing to change. What it answers must be stored.
    uid, settings, now = f"u-{uuid.uuid4().hex}", get_settings(), datetime.now(UTC)
    store = clients.profile_store()
    ukey = user_key(uid, settings.analytics_key.get_secret_value())
    common = {"uid": uid, "outbox": clients.session_store(), "publisher": NoPublish()}
    common |= {"settings": settings, "now": now}
    patch_profile(patch=ProfilePatch(anonymize_analytics=True), store=store, **common)
    on = store.read_profile(uid=uid, ukey=ukey)
    patch_profile(patch=ProfilePatch(anonymize_analytics=False), store=store, **common)
    answer = patch_profile(
        patch=ProfilePatch(anonymize_analytics=True), store=StaleRead(store, on), **common
    )
    stored = settings_of(store.read_profile(uid=uid, ukey=ukey)[0])
    assert answer.settings.anonymize_analytics is True
    assert stored.anonymize_analytics is True


def test_a_patch_that_lands_after_a_later_one_does_not_undo_it() -> None:
    # A PATCH whose transaction its deadline abandoned (a 503) still commits, after a later
    # PATCH: the later request's value of each field it set stands; what only the earlier one
    # set is stored.
    from datetime import timedelta

    uid, settings, now = f"u-{uuid.uuid4().hex}", get_settings(), datetime.now(UTC)
    store = clients.profile_store()
    ukey = user_key(uid, settings.analytics_key.get_secret_value())
    later = {"anonymize_analytics": False, "timezone": "Europe/Berlin"}
    store.write_settings(uid=uid, ukey=ukey, settings=later, now=now)
    earlier = {"anonymize_analytics": True, "retention_days": 30}
    store.write_settings(uid=uid, ukey=ukey, settings=earlier, now=now - timedelta(seconds=9))
    stored = settings_of(store.read_profile(uid=uid, ukey=ukey)[0])
    assert stored.anonymize_analytics is False and stored.timezone == "Europe/Berlin"
    assert stored.retention_days == 30


def test_a_patch_that_lands_after_a_later_one_announces_only_what_it_stored() -> None:
    from datetime import timedelta

    uid, settings, now = f"u-{uuid.uuid4().hex}", get_settings(), datetime.now(UTC)
    store, published = clients.profile_store(), Recorded()
    ukey = user_key(uid, settings.analytics_key.get_secret_value())
    store.write_settings(uid=uid, ukey=ukey, settings={"notifications": False}, now=now)
    common = {"uid": uid, "outbox": clients.session_store(), "publisher": published}
    common |= {"settings": settings, "now": now - timedelta(seconds=9), "store": store}
    patch_profile(patch=ProfilePatch(notifications=True), **common)
    assert published.events == []  # nothing stored, nothing announced
    patch_profile(patch=ProfilePatch(notifications=True, retention_days=30), **common)
    [event] = published.events
    assert event.data["changed"] == ["retention_days"]
    stored = settings_of(store.read_profile(uid=uid, ukey=ukey)[0])
    assert stored.notifications is False and stored.retention_days == 30


def test_a_patch_repairs_settings_that_are_not_a_map_on_the_emulator() -> None:
    # The unit test's Firestore fake turns a non-map parent into a map when a nested field is
    # written under it; this checks the emulator does the same with the adapter's own write.
    uid, settings, now = f"u-{uuid.uuid4().hex}", get_settings(), datetime.now(UTC)
    clients.firestore_client().document(f"users/{uid}").set({"settings": ["x"]})
    store, published = clients.profile_store(), Recorded()
    common = {"uid": uid, "outbox": clients.session_store(), "publisher": published}
    common |= {"settings": settings, "now": now, "store": store}
    answer = patch_profile(patch=ProfilePatch(timezone="Europe/Paris"), **common)
    assert answer.settings.timezone == "Europe/Paris"
    stored = clients.firestore_client().document(f"users/{uid}").get().to_dict()["settings"]
    assert stored == {"timezone": "Europe/Paris"}
    assert [event.data["changed"] for event in published.events] == [["timezone"]]
