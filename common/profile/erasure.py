"""What an erasure of the user (DELETE /v2/profile) writes into their activity record, which
every turn and device registration reads: its mark while it runs (with no expiry), then a
tombstone of only when it was done and an expiry (common.adapters.firestore_profiles.erase_user).
No imports but the standard library's and common.errors (which has none): the functions that
check it must not pay for more."""

from __future__ import annotations

from datetime import datetime, timedelta

from common.errors import ErasureInProgress

ERASING = "erased_at"
ERASURE_DONE = "erasure_done_at"
# A request erases within the profile function's timeout (300 s, terraform/stack/functions.tf):
# a mark older than this is an erasure that was cut off, which the cleanup job (or a DELETE
# /v2/profile sent again) finishes; a younger one may still be deleting, and a second erasure
# is refused meanwhile (common.adapters.firestore_profiles.erase_user).
ERASURE_RESUME_AFTER = timedelta(minutes=10)


def erasing(activity: dict | None) -> bool:
    """The user's erasure is running: what is stored for them now could be left behind by it."""
    return (activity or {}).get(ERASING) is not None


def refuse_while_erasing(activity: dict | None) -> None:
    """A write about the user while their erasure runs could be left behind by it: 409
    erasure_in_progress."""
    if erasing(activity):
        raise ErasureInProgress()


def erased_at(activity: dict | None) -> datetime | None:
    """When the user last asked to be erased, as their mark (running) or tombstone (done) says:
    a turn begun before it is not stored."""
    activity = activity or {}
    return activity.get(ERASING) or activity.get(ERASURE_DONE)
