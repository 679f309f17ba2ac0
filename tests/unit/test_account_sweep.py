"""The account sweep's decisions: only accounts Auth says are gone are erased, lookups of at
most 100, the scan resuming where it stopped and coming round, and a run that finds too many
gone erasing nothing and keeping their uids for an operator."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from common.account_sweep import LOOKUP_BATCH, sweep_accounts

NOW = datetime(2026, 6, 1, tzinfo=UTC)


class Known:
    """The collections' uids in id order, and what the sweep keeps."""

    def __init__(self, users: list[str], activity: list[str] = (), devices=()) -> None:
        self.ids = {"users": sorted(users), "activity": sorted(activity), "devices": [*devices]}
        self.cursors: dict[str, str | None] = {}
        self.passes: dict[str, datetime] = {}  # when each collection's pass began
        self.held: list[str] | None = None

    def uids_after(self, collection, after, *, limit):
        ids = [i for i in self.ids[collection] if after is None or i > after][:limit]
        return ids, ids[-1] if len(ids) == limit else None

    def sweep_cursor(self, collection):
        return self.cursors.get(collection)

    def save_sweep_cursor(self, collection, after):
        self.cursors[collection] = after

    def sweep_pass_started(self, collection):
        return self.passes.get(collection)

    def save_sweep_pass_started(self, collection, at):
        self.passes[collection] = at

    def save_held(self, uids):
        self.held = uids


class Directory:
    def __init__(self, gone: set[str]) -> None:
        self.gone, self.lookups = gone, []

    def missing(self, uids):
        assert len(uids) <= LOOKUP_BATCH
        self.lookups.append(list(uids))
        return {u for u in uids if u in self.gone}


def _uids(n: int, prefix: str = "u") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


def test_only_the_accounts_auth_no_longer_has_are_erased_once_each():
    users = _uids(30)
    known = Known(users, activity=["u0003", "u0017", "x-chat-only"], devices=["y-device-only"])
    erased: list[str] = []
    report = sweep_accounts(
        now=NOW,
        known=known,
        directory=Directory({"u0003", "x-chat-only", "y-device-only"}),
        erase=erased.append,
    )
    # u0003 is in both collections: erased once
    assert erased == ["u0003", "x-chat-only", "y-device-only"]
    assert (report.checked, report.gone, report.erased, report.held) == (34, 3, 3, False)
    assert known.cursors == {"users": None, "devices": None, "activity": None}  # all read
    assert known.held == []


def test_lookups_go_100_at_a_time_and_a_run_pages_on_to_the_end():
    known = Known(_uids(250), activity=_uids(3, "a"))
    directory = Directory({"u0200"})
    erased: list[str] = []
    report = sweep_accounts(
        now=NOW, known=known, directory=directory, erase=erased.append, per_collection=120
    )
    # Pages of 120: users 0-119 with the 3 activity records, then 120-239, then 240-249.
    assert [len(batch) for batch in directory.lookups] == [100, 20, 3, 100, 20, 10]
    assert (report.checked, report.erased, erased) == (253, 1, ["u0200"])
    assert known.cursors == {"users": None, "devices": None, "activity": None}


def test_a_run_out_of_time_between_pages_resumes_at_the_next_page_then_comes_round():
    known = Known(_uids(250))
    directory = Directory(set())
    ticks = iter([True, True])  # the first page's two lookups, then out of time
    sweep_accounts(
        now=NOW,
        known=known,
        directory=directory,
        erase=lambda uid: None,
        per_collection=120,
        in_time=lambda: next(ticks, False),
    )
    assert [len(batch) for batch in directory.lookups] == [100, 20]
    assert known.cursors["users"] == "u0119"
    sweep_accounts(
        now=NOW, known=known, directory=directory, erase=lambda uid: None, per_collection=120
    )
    assert directory.lookups[2][0] == "u0120" and known.cursors["users"] is None  # round
    assert known.passes["users"] == NOW  # the pass began with the first run's page
    looked_up = len(directory.lookups)
    # the next hourly runs, within a day of the pass's start, read and look up nothing
    for hours in (1, 23):
        report = sweep_accounts(
            now=NOW + timedelta(hours=hours),
            known=known,
            directory=directory,
            erase=lambda uid: None,
            per_collection=120,
        )
        assert len(directory.lookups) == looked_up and report.checked == 0
    # a day after it began, a new pass starts over
    later = NOW + timedelta(hours=24)
    sweep_accounts(
        now=later,
        known=known,
        directory=directory,
        erase=lambda uid: None,
        per_collection=120,
    )
    assert directory.lookups[looked_up][0] == "u0000" and known.passes["users"] == later


def test_too_many_gone_erases_nothing_and_tells_an_operator(caplog):
    known = Known(_uids(40))
    erased: list[str] = []
    with caplog.at_level(logging.ERROR):
        report = sweep_accounts(
            now=NOW, known=known, directory=Directory(set(_uids(11))), erase=erased.append
        )
    assert report.held and erased == [] and report.gone == 11  # 11 of 40 > 25 %
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.needs_operator is True
    assert known.held == _uids(11)  # for an operator to look into
    assert known.cursors == {}  # the same uids are checked again next time
    assert known.passes == {}  # not a pass begun: the next hourly run reads them again
    # A run out of time before it checked them again leaves the list for the operator.
    sweep_accounts(
        now=NOW, known=known, directory=Directory(set()), erase=erased.append, in_time=lambda: False
    )
    assert known.held == _uids(11)


def test_a_few_gone_among_few_checked_is_not_taken_for_a_wrong_project():
    erased: list[str] = []
    report = sweep_accounts(
        now=NOW, known=Known(_uids(4)), directory=Directory(set(_uids(4))), erase=erased.append
    )
    assert erased == _uids(4) and not report.held  # all 4, but under MIN_GONE


def test_a_short_page_where_everyone_is_gone_is_held():
    # The end of a collection copied into a project whose Auth knows nobody.
    known = Known(_uids(18))
    known.cursors["users"] = "u0000"
    erased: list[str] = []
    report = sweep_accounts(
        now=NOW, known=known, directory=Directory(set(_uids(18))), erase=erased.append
    )
    assert report.held and erased == [] and report.checked == 17


def test_an_erasure_that_fails_does_not_stop_the_others():
    def erase(uid: str) -> None:
        if uid == "u0001":
            raise RuntimeError("firestore unavailable")
        erased.append(uid)

    erased: list[str] = []
    report = sweep_accounts(
        now=NOW, known=Known(_uids(5)), directory=Directory({"u0001", "u0002"}), erase=erase
    )
    assert erased == ["u0002"] and report.failed == 1 and report.erased == 1


def test_out_of_time_the_scan_does_not_move_past_what_it_did_not_finish():
    known = Known(_uids(250))
    known.cursors["users"] = "u0099"
    ticks = iter([True, False])  # one lookup, then out of time
    report = sweep_accounts(
        now=NOW,
        known=known,
        directory=Directory(set()),
        erase=lambda uid: None,
        in_time=lambda: next(ticks, False),
    )
    # The page is read again next time (the empty collections were read to their end).
    assert report.checked == 100
    assert known.cursors == {"users": "u0099", "devices": None, "activity": None}


def test_out_of_time_among_the_erasures_the_same_uids_are_checked_again():
    known = Known(_uids(5))
    ticks = iter([True, True])  # the lookup, one erasure, then out of time
    erased: list[str] = []
    report = sweep_accounts(
        now=NOW,
        known=known,
        directory=Directory({"u0001", "u0003"}),
        erase=erased.append,
        in_time=lambda: next(ticks, False),
    )
    assert erased == ["u0001"] and report.erased == 1 and known.cursors == {}


def test_a_lookup_that_fails_stops_the_run_before_any_erasure():
    class Failing(Directory):
        def missing(self, uids):
            if uids[0] == "u0100":  # the second lookup
                raise ConnectionError("auth unavailable")
            return super().missing(uids)

    erased: list[str] = []
    known = Known(_uids(150))
    with pytest.raises(ConnectionError):
        sweep_accounts(now=NOW, known=known, directory=Failing({"u0002"}), erase=erased.append)
    assert erased == [] and known.cursors == {}


def test_a_user_who_only_chatted_is_found_by_the_next_hourly_run_not_the_next_daily_pass():
    """Their activity record is all the backend knows of them, and it expires a day after their
    last turn: read once a day, it could be gone before the next pass (the own-diff review)."""
    known = Known(_uids(3), activity=["c0001"])
    run = lambda at, gone: sweep_accounts(  # noqa: E731
        now=at, known=known, directory=Directory(gone), erase=erased.append
    )
    erased: list[str] = []
    run(NOW, set())  # a full pass of every collection: nobody gone yet
    report = run(NOW + timedelta(hours=1), {"c0001"})  # deleted in Auth meanwhile
    assert erased == ["c0001"]
    assert report.checked == 1  # the activity record only: users and devices wait a day
