"""What an erasure of the user (DELETE /v2/profile) writes into their activity record, which
every turn and device registration reads: its mark while it runs (erased_at, with no expiry),
then, once it is done, a tombstone that holds only erasure_done_at and an expiry
(common.adapters.firestore_profiles.erase_user). Both hold when the erasure began (the run that
finished it), not when it finished: a turn begun before then is not stored.
No imports but the standard library's and common.errors (which has none): the functions that
check it must not pay for more."""

from __future__ import annotations

from datetime import datetime, timedelta

from common.errors import ErasureInProgress

# Stored field names (not renamed: they are data). erased_at: present while the erasure runs;
# erasure_done_at: present once it is done. Each holds when the erasure began.
ERASING = "erased_at"
ERASURE_DONE = "erasure_done_at"
# A request erases within the profile function's timeout (300 s, terraform/stack/functions.tf):
# a mark older than this is an erasure that was cut off, which the cleanup job (or a DELETE
# /v2/profile sent again) finishes; a younger one may still be deleting, and a second erasure
# is refused meanwhile (common.adapters.firestore_profiles.erase_user).
ERASURE_RESUME_AFTER = timedelta(minutes=10)

# erasures/{user_key}.requested_by, and the `erasure done` line's: who asked for the erasure.
REQUESTED_BY = "requested_by"
BY_USER = "user"  # DELETE /v2/profile
BY_ACCOUNT_SWEEP = "account_sweep"  # the cleanup job, for an account deleted in Firebase Auth
BY_OPERATOR = "operator"  # by hand, from a checkout (docs/OPERATIONS.md)
BY_RESTORE = "restore"  # scripts/restore_erasures.py, again after a restore of the database
REQUESTERS = (BY_USER, BY_ACCOUNT_SWEEP, BY_OPERATOR, BY_RESTORE)


def check_requester(requested_by: str | None) -> None:
    """ValueError unless `requested_by` is one of REQUESTERS (a typo in a command by hand)."""
    if requested_by not in REQUESTERS:
        raise ValueError(f"requested_by {requested_by!r}: one of {', '.join(REQUESTERS)}")


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
