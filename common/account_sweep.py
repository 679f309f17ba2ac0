"""Accounts deleted in Firebase Auth without DELETE /v2/profile (the console, the Admin SDK, an
app's own account deletion): the cleanup job erases what the backend keeps about them, as that
request would have. Nothing else in the backend hears of such a deletion, and the user, refused
at sign-in, can no longer ask.

Each run pages on from where the last stopped through the uids the backend knows: `users/{uid}`
(settings), the owners of `users/{uid}/devices` (whoever can be sent a push; a device alone
makes no `users/{uid}` document) and `activity/{uid}` (whoever wrote in the last day, or the
last 30 after a crisis). It asks Firebase Auth which of them no longer exist and erases those.
`users` and `devices`, once their scan came to its end, start over at most once every
CLEANUP_FULL_PASS_HOURS (a day; common.full_pass), not on every hourly run: so a deleted account
is erased within about a day, and the sweep does not re-read every known uid (and ask Auth about
each) every hour; `activity` is read on every run (EVERY_RUN). An account Auth still has,
disabled ones included (a suspension may be lifted), is left alone, and so is every uid of a
lookup that failed.

A run that finds too many accounts gone erases nothing: the likeliest cause is a wrong project
(Firebase Auth of one, Firestore of another), and erasing on it would wipe every user. The run
keeps their uids for an operator (`jobs/session_cleanup.account_sweep_held`), says so, and
checks the same uids again next time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from common.full_pass import FULL_PASS_HOURS, full_pass_due
from common.logs import NEEDS_OPERATOR

log = logging.getLogger(__name__)

COLLECTIONS = ("users", "devices", "activity")  # "devices": the collection group
# Read on every run, not once a day: activity records expire a day after a user's last turn, so
# one who only chatted (no settings, no device) could be gone from every collection before the
# next daily pass. The collection holds only the last day's writers (30 days after a crisis).
EVERY_RUN = ("activity",)
LOOKUP_BATCH = 100  # firebase_admin.auth.get_users takes at most 100 identifiers
# A run holds when more than this share of the uids it checked are gone, and at least MIN_GONE:
# a healthy user base loses a few accounts a day, not a quarter of those it checks. A few gone
# of a few checked (a small deployment, a short last page) still are erased.
MAX_GONE_SHARE = 0.25
MIN_GONE = 5


class KnownUids(Protocol):
    def uids_after(
        self, collection: str, after: str | None, *, limit: int
    ) -> tuple[list[str], str | None]:
        """The uids among the next `limit` documents of `collection` after the cursor `after`
        that may be a user's to erase (not an activity record of an erasure, running or done),
        each once, and the cursor after them, or None when the collection ended."""
        ...

    def sweep_cursor(self, collection: str) -> str | None: ...

    def save_sweep_cursor(self, collection: str, after: str | None) -> None: ...

    def sweep_pass_started(self, collection: str) -> datetime | None:
        """When the collection's scan last started from its first page (None: never recorded)."""
        ...

    def save_sweep_pass_started(self, collection: str, at: datetime) -> None: ...

    def save_held(self, uids: list[str]) -> None:
        """The gone uids of a held run, for an operator (empty: none held)."""
        ...


class AccountDirectory(Protocol):
    def missing(self, uids: list[str]) -> set[str]:
        """The uids (at most LOOKUP_BATCH) with no account any more."""
        ...


@dataclass
class SweepReport:
    checked: int = 0
    gone: int = 0
    erased: int = 0
    held: bool = False  # too many gone: nothing erased, an operator was told
    # Erasures that failed: an erasure that got as far as its record is finished by the cleanup
    # job's next run; one that did not is found again when the scan comes round. A count: the
    # report is logged and answered to Scheduler, where a uid has no place.
    failed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sweep_accounts(
    *,
    known: KnownUids,
    directory: AccountDirectory,
    erase: Callable[[str], Any],
    now: datetime,
    full_pass_every: timedelta = timedelta(hours=FULL_PASS_HOURS),
    per_collection: int = 1000,
    in_time: Callable[[], bool] = lambda: True,
) -> SweepReport:
    """One run: pages of up to `per_collection` documents of each collection, their uids checked
    and the gone ones erased, page after page while there is time and until every collection
    has come to its end once (a page of each an hour would take weeks to come round a large
    user base). A collection's scan moves on only once its page was checked and the gone
    erased: a run out of time reads the same page again next time. A collection at its end
    waits until `full_pass_every` has passed since its last pass began."""
    report, first = SweepReport(), True
    ended = {
        c
        for c in COLLECTIONS
        if c not in EVERY_RUN
        and known.sweep_cursor(c) is None
        and not full_pass_due(known.sweep_pass_started(c), now=now, every=full_pass_every)
    }
    while len(ended) < len(COLLECTIONS):
        cursors = _sweep_pages(known, directory, erase, per_collection, in_time, report, ended, now)
        if cursors is None:  # held, or out of time before its pages were checked and erased
            break
        if first:  # a page of every collection checked: nothing is held any more
            known.save_held([])
            first = False
        ended |= {c for c, after in cursors.items() if after is None}
        if not in_time():
            break
    return report


def _sweep_pages(
    known: KnownUids,
    directory: AccountDirectory,
    erase: Callable[[str], Any],
    per_collection: int,
    in_time: Callable[[], bool],
    report: SweepReport,
    ended: set[str],
    now: datetime,
) -> dict[str, str | None] | None:
    """The next page of each collection not yet ended in this run, checked and its gone
    erased; the cursors saved, or None if the pages were not all done."""
    gone: set[str] = set()
    checked = 0
    cursors: dict[str, str | None] = {}
    pages = [c for c in COLLECTIONS if c not in ended]
    starting = set[str]()  # the collections whose pass begins with this page
    for collection in pages:
        cursor = known.sweep_cursor(collection)
        if cursor is None and collection not in EVERY_RUN:
            starting.add(collection)
        uids, after = known.uids_after(collection, cursor, limit=per_collection)
        for start in range(0, len(uids), LOOKUP_BATCH):
            if not in_time():
                break
            batch = uids[start : start + LOOKUP_BATCH]
            gone |= directory.missing(batch)
            checked += len(batch)
        else:
            cursors[collection] = after
    report.checked += checked
    report.gone += len(gone)
    if len(gone) >= MIN_GONE and len(gone) > MAX_GONE_SHARE * checked:
        known.save_held(sorted(gone))
        report.held = True
        log.error(
            "account sweep: %d of %d accounts checked are gone from Firebase Auth; nothing "
            "erased. Is this Firebase Auth the project of this Firestore?",
            len(gone),
            checked,
            extra={NEEDS_OPERATOR: True},
        )
        return None
    erased = 0
    for uid in sorted(gone):
        if not in_time():
            return None
        try:
            erase(uid)
        except Exception:  # see SweepReport.failed; the others go on
            log.warning("account sweep: erasing a deleted account failed", exc_info=True)
            report.failed += 1
            continue
        erased += 1
        report.erased += 1
    for collection, after in cursors.items():
        known.save_sweep_cursor(collection, after)
        if collection in starting:  # stamped once its first page is done (a held run is not)
            known.save_sweep_pass_started(collection, now)
    if len(cursors) < len(pages):  # out of time while checking
        return None
    if erased:
        log.info("account sweep: erased %d accounts deleted in Firebase Auth", erased)
    return cursors
