"""Accounts deleted in Firebase Auth without DELETE /v2/profile (the console, the Admin SDK, an
app's own account deletion): the cleanup job erases what the backend keeps about them, as that
request would have. Nothing else in the backend hears of such a deletion, and the user, refused
at sign-in, can no longer ask.

Each run pages on from where the last stopped through the uids the backend knows: `users/{uid}`
(settings, devices: whoever can be sent a push) and `activity/{uid}` (whoever wrote in the last
day, or the last 30 after a crisis). It asks Firebase Auth which of them no longer exist and
erases those. An account Auth still has, disabled ones included (a suspension may be lifted),
is left alone, and so is every uid of a lookup that failed.

A run that finds too many accounts gone erases nothing: the likeliest cause is a wrong project
(Firebase Auth of one, Firestore of another), and erasing on it would wipe every user. The run
says so and an operator is told."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from common.logs import NEEDS_OPERATOR

log = logging.getLogger(__name__)

COLLECTIONS = ("users", "activity")
LOOKUP_BATCH = 100  # firebase_admin.auth.get_users takes at most 100 identifiers
# At most this share of the uids checked in a run may be gone (once MIN_CHECKED were): a
# healthy user base loses a few accounts a day, not a quarter of those it checks.
MAX_GONE_SHARE = 0.25
MIN_CHECKED = 20


class KnownUids(Protocol):
    def uids_after(
        self, collection: str, after: str | None, *, limit: int
    ) -> tuple[list[str], str | None]:
        """The ids among the next `limit` documents of `collection` after `after` (in id order)
        that may be a user's to erase (not an activity record of an erasure, running or done),
        and the last id read, or None when the collection ended."""
        ...

    def sweep_cursor(self, collection: str) -> str | None: ...

    def save_sweep_cursor(self, collection: str, after: str | None) -> None: ...


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
    # job's next run; one that did not is found again when the scan comes round.
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sweep_accounts(
    *,
    known: KnownUids,
    directory: AccountDirectory,
    erase: Callable[[str], Any],
    per_collection: int = 1000,
    in_time: Callable[[], bool] = lambda: True,
) -> SweepReport:
    """One run: up to `per_collection` uids of each collection checked, the gone ones erased.
    The scan moves on only once they are: a run out of time checks the same uids again."""
    report = SweepReport()
    gone: set[str] = set()
    cursors: dict[str, str | None] = {}
    for collection in COLLECTIONS:
        cursor = known.sweep_cursor(collection)
        uids, last_read = known.uids_after(collection, cursor, limit=per_collection)
        checked: list[str] = []
        for start in range(0, len(uids), LOOKUP_BATCH):
            if not in_time():
                break
            batch = uids[start : start + LOOKUP_BATCH]
            gone |= directory.missing(batch)
            checked += batch
        report.checked += len(checked)
        # On from the last uid read (from the start once the collection ended), or from the
        # last one checked when time ran out.
        cursors[collection] = last_read if checked == uids else (checked or [cursor])[-1]
    report.gone = len(gone)
    if report.checked >= MIN_CHECKED and report.gone > MAX_GONE_SHARE * report.checked:
        report.held = True
        log.error(
            "account sweep: %d of %d accounts checked are gone from Firebase Auth; nothing "
            "erased. Is this Firebase Auth the project of this Firestore?",
            report.gone,
            report.checked,
            extra={NEEDS_OPERATOR: True},
        )
        return report
    for uid in sorted(gone):
        if not in_time():
            return report
        try:
            erase(uid)
        except Exception:  # see SweepReport.failed; the others go on
            log.warning("account sweep: erasing a deleted account failed", exc_info=True)
            report.failed.append(uid)
            continue
        report.erased += 1
    for collection, after in cursors.items():
        known.save_sweep_cursor(collection, after)
    if report.gone:
        log.info("account sweep: erased %d accounts deleted in Firebase Auth", report.erased)
    return report
