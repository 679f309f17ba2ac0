"""The rule the cleanup job's resumable scans share (the orphan-turn scan, the deleted-account
sweep): a scan that reached its end starts over from the oldest at most once every
CLEANUP_FULL_PASS_HOURS. Started over every hourly run, it re-read everything it had passed over
(old turns of conversations still in use, every known uid) each hour, a cost that grows with
the user base; in between, a scan keeps to what is new, and what it passed over is looked at
again on the next full pass."""

from __future__ import annotations

from datetime import datetime, timedelta

FULL_PASS_HOURS = 24  # the default of CLEANUP_FULL_PASS_HOURS (common.config)


def full_pass_due(last_started: datetime | None, *, now: datetime, every: timedelta) -> bool:
    """Whether a scan at its end may start over from the oldest (None: never recorded)."""
    return last_started is None or now - last_started >= every
