"""Every finished erasure writes one INFO line, `erasure done`, with the user's key, who asked
(`requested_by`, in the erasure record too) and its times, and never the uid: the only record
outside Firestore of whom to erase again after the database is restored to a point before the
erasure (OPERATIONS.md, "Restore Firestore"). A log sink keeps these lines
(terraform/stack/logs.tf)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from common.adapters.firestore_cleanup import FirestoreCleanupStore
from common.adapters.firestore_profiles import ERASURE_LOGGED, FirestoreProfileStore, erase_user
from common.events import user_key
from common.logs import formatter
from common.profile.erasure import BY_USER, ERASING, ERASURE_RESUME_AFTER, REQUESTERS
from scripts.restore_erasures import reapply
from tests.fakes.firestore_rpc import FirestoreRpc

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
LOGGER = "common.adapters.firestore_profiles.erasures"
UID, UKEY, OLDER = "alice-uid", "k" * 32, "o" * 32


def _erase_by_request(rpc: FirestoreRpc) -> None:  # DELETE /v2/profile
    FirestoreProfileStore(rpc.client, sessions=None).erase_user(uid=UID, ukey=UKEY, now=NOW)


def _erase_by_the_cleanup_job(rpc: FirestoreRpc) -> None:  # the account sweep, a cut-off one
    store = FirestoreCleanupStore(rpc.client)
    store.finish_erasure(uid=UID, user_key=UKEY, requested_at=None, now=NOW, in_time=lambda: True)


def _lines(caplog) -> list[dict]:
    """The erasure lines as Cloud Logging gets them (common.logs' JSON)."""
    records = [r for r in caplog.records if r.getMessage() == ERASURE_LOGGED]
    return [json.loads(formatter().format(r)) for r in records]


@pytest.mark.parametrize(
    ("erase", "requested_by"),
    [(_erase_by_request, "user"), (_erase_by_the_cleanup_job, "account_sweep")],
)
def test_a_finished_erasure_logs_the_key_who_asked_and_times_but_not_the_uid(
    erase, requested_by: str, caplog
) -> None:
    rpc = FirestoreRpc(
        {f"users/{UID}": {"settings": {}}, "sessions/s1": {"owner_uid": UID}}, queries=True
    )
    with caplog.at_level(logging.INFO, logger=LOGGER):
        erase(rpc)
    (line,) = _lines(caplog)
    assert line["severity"] == "INFO"
    assert line["logger"] == LOGGER  # what the sink's filter names
    assert line["user_key"] == UKEY and "previous_user_key" not in line
    assert line["requested_by"] == requested_by
    assert rpc.docs[f"erasures/{UKEY}"]["requested_by"] == requested_by
    assert line["requested_at"] == NOW.isoformat()
    # when the last batch committed: the erasure record's documents_gone_at (by the server)
    gone_at = rpc.versions[f"erasures/{UKEY}"]  # the last commit's time
    assert datetime.fromisoformat(line["documents_gone_at"]) == gone_at
    assert UID not in json.dumps(line)


def test_the_key_from_before_a_rotation_is_logged_with_it(caplog) -> None:
    # The restored copy's users/{uid}.user_key is that key: it names the user there too.
    rpc = FirestoreRpc({f"users/{UID}": {"user_key": OLDER}}, queries=True)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        _erase_by_request(rpc)
    (line,) = _lines(caplog)
    assert (line["user_key"], line["previous_user_key"]) == (UKEY, OLDER)
    assert UID not in json.dumps(line)


def test_an_erasure_that_stops_half_way_logs_nothing(caplog) -> None:
    from common.errors import Unavailable

    turns = {f"sessions/s1/turns/t{i:03}": {"owner_uid": UID} for i in range(401)}
    rpc = FirestoreRpc(turns, queries=True)
    with caplog.at_level(logging.INFO), pytest.raises(Unavailable):
        erase_user(
            rpc.client, uid=UID, ukey=UKEY, now=NOW, requested_by=BY_USER, in_time=lambda: False
        )
    assert _lines(caplog) == []  # the run that finishes it logs it


def test_the_line_is_written_at_any_log_level(caplog) -> None:
    # LOG_LEVEL=WARNING (app_config.log_level) would drop an INFO line: not this one.
    rpc = FirestoreRpc({}, queries=True)
    root = logging.getLogger()
    level, root.level = root.level, logging.WARNING
    try:
        _erase_by_request(rpc)
    finally:
        root.level = level
    (line,) = _lines(caplog)
    assert line["user_key"] == UKEY


def test_a_resumed_erasure_keeps_who_asked_for_it(caplog) -> None:
    # The cleanup job finishes an erasure cut off half-way: the record's requester stands.
    began = NOW - ERASURE_RESUME_AFTER - timedelta(minutes=5)
    record = {"requested_at": began, "analytics": "pending", "firestore": "in_progress"}
    rpc = FirestoreRpc(
        {
            f"erasures/{UKEY}": record | {"uid": UID, "requested_by": "operator"},
            f"activity/{UID}": {ERASING: began},
        },
        queries=True,
    )
    store = FirestoreCleanupStore(rpc.client)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert store.finish_erasure(
            uid=UID, user_key=UKEY, requested_at=began, now=NOW, in_time=lambda: True
        )
    (line,) = _lines(caplog)
    assert line["requested_by"] == rpc.docs[f"erasures/{UKEY}"]["requested_by"] == "operator"


def test_the_erasures_of_a_restore_say_so(caplog) -> None:
    # scripts/restore_erasures.py: by the uid the copy names, and by a key alone.
    hmac_key = "h" * 64
    alice, erin = user_key("alice", hmac_key), "e" * 32
    rpc = FirestoreRpc({"users/alice": {"settings": {}}}, queries=True)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        reapply(rpc.client, {alice, erin}, hmac_keys=[hmac_key], now=NOW, say=lambda _: None)
    assert sorted((line["user_key"], line["requested_by"]) for line in _lines(caplog)) == [
        (alice, "restore"),
        (erin, "restore"),
    ]
    assert {rpc.docs[f"erasures/{key}"]["requested_by"] for key in (alice, erin)} == {"restore"}


def test_an_erasure_without_a_known_requester_is_refused_before_anything_is_written() -> None:
    rpc = FirestoreRpc({f"users/{UID}": {"settings": {}}}, queries=True)
    for requested_by in ("admin", None):  # None only resumes an erasure (its record's)
        with pytest.raises(ValueError, match="requested_by"):
            erase_user(rpc.client, uid=UID, ukey=UKEY, now=NOW, requested_by=requested_by)
    assert rpc.commits == []


def test_the_erasures_by_hand_in_the_runbook_say_an_operator_asked() -> None:
    # docs/OPERATIONS.md's commands (an account deleted by hand, one set aside for an
    # operator) must name a requester erase_user accepts, or they would fail as typed.
    runbook = (Path(__file__).resolve().parents[2] / "docs" / "OPERATIONS.md").read_text()
    calls = [
        line for line in runbook.splitlines() if "erase_user(clients.firestore_client()" in line
    ]
    assert len(calls) == 2
    for call in calls:
        assert "requested_by='operator'" in call, call
    assert "operator" in REQUESTERS
