"""Profile: read, change settings, export everything, erase everywhere (keyword-only services)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from common.config import Settings
from common.errors import InvalidInput
from common.events import Event, EventPublisher, older_user_key, user_key
from common.labels import INTENTS
from common.outbox import deliver_now
from common.personalization.preferences import favourite_persona
from common.ports import OutboxStore
from common.profile.models import PersonaPreference, ProfileOut, ProfilePatch, ProfileSettings
from common.profile.updater import profile_from_doc

log = logging.getLogger(__name__)


class ProfileStore(Protocol):
    def read_profile(self, *, uid: str, ukey: str) -> tuple[dict | None, dict | None]: ...

    def write_settings(
        self,
        *,
        uid: str,
        ukey: str,
        settings: dict,
        now: datetime,
        build_events: Callable[[set[str], dict], list[Event]] = lambda kept, stored: [],
    ) -> tuple[dict, list[Event]]:
        """Store the settings no request made after `now` set, with the events `build_events`
        makes of their names and of the settings map as the transaction read it, in one
        transaction (it may call it again on a retry): (that map, the events written). Nothing
        (no events) when none is left, or the user's erasure came later."""

    def export_user(self, *, uid: str, ukey: str) -> dict[str, Any]:
        """Everything stored about the user; what grows with their history as iterators,
        read as the export is written (common.json_stream)."""

    def erase_user(self, *, uid: str, ukey: str, now: datetime) -> dict[str, int]: ...


def settings_of(user_doc: dict | None) -> ProfileSettings:
    stored = stored_settings(user_doc)
    if stored is None:
        # Not a map (a list or a string written in the console): no setting can be read from it.
        log.warning("stored settings refused as a whole, defaults used")
        return ProfileSettings()
    try:
        return ProfileSettings.model_validate(stored, strict=False)
    except ValidationError as e:
        # Stored under an earlier version's looser rules (e.g. a time zone it accepted): that
        # field's default, not a failed request for this user on every call.
        refused = {str(err["loc"][0]) for err in e.errors() if err["loc"]}
        log.warning("stored settings refused, defaults used", extra={"fields": sorted(refused)})
    kept = {k: v for k, v in stored.items() if k not in refused}
    try:
        return ProfileSettings.model_validate(kept, strict=False)
    except ValidationError:  # an error no field names (a key that is not a string)
        log.warning("stored settings refused as a whole, defaults used")
        return ProfileSettings()


# Every setting there was when PATCH /v2/profile stored the whole map, defaults included (from
# 7800576, 2026-11-22, until 9e9ac6e, 2026-12-03).
WHOLE_MAP_SETTINGS = frozenset(
    (
        "personalization",
        "anonymize_analytics",
        "retention_days",
        "timezone",
        "quiet_hours",
        "notifications",
    )
)


def timezone_set(user_doc: dict | None) -> bool:
    """Whether the user set their time zone (and it is still a valid one). PATCH /v2/profile
    stores only the fields sent, so a user who never sent one has none stored: settings_of's
    "UTC" is then a default for GET /v2/profile, not the user's clock."""
    stored = stored_settings(user_doc) or {}
    try:
        ProfilePatch.model_validate({"timezone": stored.get("timezone")})
    except ValidationError:
        return False
    return stored.get("timezone") is not None and not _default_zone_saved(user_doc, stored)


def _default_zone_saved(user_doc: dict | None, stored: dict) -> bool:
    """A "UTC" the early PATCH saved with every other default (WHOLE_MAP_SETTINGS), not the
    user's choice, unless a PATCH set it since: each one since 64d30f8 names what it stored in
    settings_set_at (a "UTC" sent from 2bed64a to 64d30f8 by such a user reads as unset too)."""
    set_at = (user_doc or {}).get("settings_set_at")
    return (
        stored.get("timezone") == "UTC"
        and stored.keys() >= WHOLE_MAP_SETTINGS
        and "timezone" not in (set_at if isinstance(set_at, dict) else {})
    )


def stored_settings(user_doc: dict | None) -> dict | None:
    """The user's stored settings ({} if none), or None when they are not a map."""
    stored = (user_doc or {}).get("settings") or {}
    return stored if isinstance(stored, dict) else None


def _out(settings: ProfileSettings, prefs: dict | None, now: datetime) -> ProfileOut:
    profile = profile_from_doc(prefs, personalization=settings.personalization, now=now)
    mix = (prefs or {}).get("intent_mix") or {}
    return ProfileOut(
        settings=settings,
        preferences={
            p: PersonaPreference(satisfaction=round(s.mean, 4), evidence=round(s.evidence, 3))
            for p, s in profile.stats.items()
        },
        # Learning goes on while personalization is off (it is used if turned on again), but
        # nothing learned meanwhile is shown as the user's favourite: none is used; nor once
        # it has faded (PREFERENCES_FADE_DAYS), when no policy uses it either.
        favourite_persona=(
            favourite_persona(profile) if settings.personalization and not profile.faded else None
        ),
        engagement=round(profile.engagement, 4),
        intent_mix={i: int(mix.get(i, 0)) for i in INTENTS},
        hourly_activity=list(profile.hourly),
        turns=profile.turns,
        feedback_count=profile.feedback_count,
    )


def get_profile(*, uid: str, store: ProfileStore, settings: Settings, now: datetime) -> ProfileOut:
    ukey = user_key(uid, settings.analytics_hmac_key())
    user_doc, prefs = store.read_profile(uid=uid, ukey=ukey)
    return _out(settings_of(user_doc), prefs, now)


def patch_profile(
    *,
    uid: str,
    patch: ProfilePatch,
    store: ProfileStore,
    outbox: OutboxStore,
    publisher: EventPublisher,
    settings: Settings,
    now: datetime,
) -> ProfileOut:
    sent = patch.model_fields_set
    for name in sent - {"quiet_hours"}:  # only quiet_hours can be cleared with null
        if getattr(patch, name) is None:
            raise InvalidInput(f"'{name}' cannot be null.", field=name)
    ukey = user_key(uid, settings.analytics_hmac_key())
    if not sent:
        user_doc, prefs = store.read_profile(uid=uid, ukey=ukey)
        return _out(settings_of(user_doc), prefs, now)
    settings_sent = patch.model_dump(mode="json", include=sent)

    def build_events(kept: set[str], stored: dict) -> list[Event]:
        # Judged on the settings the transaction read, not on an earlier read: another
        # device's PATCH may have committed between (an anonymize_analytics=true, after which
        # no event may carry the user's key). Only what is stored changed: a field a later
        # request set (this one landing after it) is not.
        current = settings_of({"settings": stored})
        updated = settings_of({"settings": stored | {n: settings_sent[n] for n in kept}})
        changed = sorted(n for n in kept if getattr(current, n) != getattr(updated, n))
        if not changed:
            return []
        event = Event(
            type="profile.updated",
            occurred_at=now,
            user_key=None if updated.anonymize_analytics else ukey,
            data={
                "changed": changed,
                "personalization": updated.personalization,
                "retention_days": updated.retention_days,
                "notifications": updated.notifications,
            },
            subject=ukey,
        )
        return [event]

    # Every field sent, changed or not (merged into the stored map): what the client showed
    # may be stale already. Fields not sent are not written: a PATCH must not put back a stale
    # copy of them. A field a later request set keeps that value (the store's
    # last-by-request-time rule), though this answer shows its own.
    stored, events = store.write_settings(
        uid=uid, ukey=ukey, settings=settings_sent, now=now, build_events=build_events
    )
    deliver_now(events, publisher=publisher, outbox=outbox, now=now)
    _, prefs = store.read_profile(uid=uid, ukey=ukey)
    return _out(settings_of({"settings": stored | settings_sent}), prefs, now)


ANALYTICS_NOTE = (
    "Analytics events about your use of the app are kept in BigQuery under user_key, a "
    "pseudonymous key (a keyed hash of your user id), never under the user id itself; events "
    "from while anonymize_analytics was on carry no key, and only anonymous ids for your "
    "sessions and turns, and so do the later events of a conversation that began or went on "
    "while it was on. Erasing your profile erases the rows under this key, and under "
    "previous_user_key, if there is one: the key your earlier rows were kept under before the "
    "service changed its analytics key."
)


def export_profile(*, uid: str, store: ProfileStore, settings: Settings) -> dict[str, Any]:
    ukey = user_key(uid, settings.analytics_hmac_key())
    exported = store.export_user(uid=uid, ukey=ukey)
    # The rows themselves stay in BigQuery: the export says they exist and under which key.
    analytics = {"user_key": ukey, "note": ANALYTICS_NOTE}
    # After an analytics-key rotation, the key stored with the user's settings still names
    # their older rows (and previous_learned_preferences).
    if previous := older_user_key(exported.get("profile"), ukey):
        analytics["previous_user_key"] = previous
    # The stored profile has only the settings the user changed (none for a new user): the
    # settings in effect, defaults included, as GET /v2/profile shows them (the retention, the
    # quiet hours).
    effective = settings_of(exported.get("profile")).model_dump(mode="json")
    return {**exported, "effective_settings": effective, "analytics": analytics}


def erase_profile(*, uid: str, store: ProfileStore, settings: Settings, now: datetime) -> dict:
    """Everything stored about the user goes; analytics rows keyed to them are erased by the
    cleanup job from the pending erasure recorded here (BigQuery deletes are batch work)."""
    ukey = user_key(uid, settings.analytics_hmac_key())
    return store.erase_user(uid=uid, ukey=ukey, now=now)
