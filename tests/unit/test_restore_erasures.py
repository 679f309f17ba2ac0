"""scripts/restore_erasures.py over Firestore's RPCs (tests/fakes/firestore_rpc.py): a restored
copy of the database from before some erasures, and the erased users' keys, as the erasure log
gives them. Each is found by the key of a uid the copy names, or erased by the key alone, and
ends with an erasure record that the cleanup job, the profile updater and the dead-letter
replay act on, as they would have on the erasure the restore undid."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from common.config import EMULATOR_HOSTS, get_settings
from common.events import user_key
from scripts.replay_dead_letters import judge
from scripts.restore_erasures import erased_since, reapply, uids_by_key
from tests.fakes.firestore_rpc import FirestoreRpc

KEY, OLD_KEY = "k" * 64, "o" * 64  # the analytics key now, and before a rotation
RESTORE_POINT = datetime(2026, 12, 6, 10, tzinfo=UTC)
NOW = RESTORE_POINT + timedelta(days=2)


def _key(uid: str, hmac_key: str = KEY) -> str:
    return user_key(uid, hmac_key)


def test_each_listed_key_is_found_by_the_uids_the_copy_names() -> None:
    rpc = FirestoreRpc(
        {
            "users/settings-only": {"settings": {"retention_days": 30}},
            "users/rotated": {"user_key": _key("rotated", OLD_KEY)},  # logged before a rotation
            "activity/chatted-today": {"recent": "[]"},
            "sessions/s1": {"owner_uid": "chatting"},
            "feedback/f1": {"owner_uid": "rated"},
            "users/pushed/devices/d1": {"token": "t"},  # no users/pushed document
            "users/kept": {"settings": {}},  # not erased
        },
        queries=True,
    )
    erased = ["settings-only", "chatted-today", "chatting", "rated", "pushed"]
    keys = {_key(uid) for uid in erased} | {_key("rotated", OLD_KEY), "k-of-nobody"}
    found = uids_by_key(rpc.client, keys, [KEY])
    assert found == {_key(uid): uid for uid in erased} | {_key("rotated", OLD_KEY): "rotated"}
    # with the older analytics key too, a key logged before the rotation of a user without
    # settings is found as well
    rpc.put("activity/old-chat", {"recent": "[]"})
    keys.add(_key("old-chat", OLD_KEY))
    assert uids_by_key(rpc.client, keys, [KEY, OLD_KEY])[_key("old-chat", OLD_KEY)] == "old-chat"
    assert rpc.commits == []  # it only reads


def _restored_copy() -> FirestoreRpc:
    """The copy at the restore point: alice (erased after it) with everything a user has, erin
    (erased after it) whose documents under her uid had expired, only her learned profile and
    an event in the outbox left, and dave, never erased. The fake answers a query with every
    document of its collection, so only alice has documents found by her uid."""
    alice, erin, dave = _key("alice"), _key("erin"), _key("dave")
    return FirestoreRpc(
        {
            "users/alice": {"settings": {"retention_days": 30}},
            "users/alice/devices/d1": {"token": "t"},
            "sessions/s1": {"owner_uid": "alice", "summary": "my panic attacks"},
            "sessions/s1/turns/t1": {"owner_uid": "alice", "text": "I have panic attacks"},
            f"preferences/{alice}": {"persona": "lua"},
            "activity/alice": {"recent": "[]"},
            "outbox/e1": {"subject": alice, "event": {"user_key": alice}},
            f"preferences/{erin}": {"persona": "sol"},
            f"preferences/{erin}/applied_events/e2": {"applied_at": RESTORE_POINT},
            "outbox/e3": {"subject": erin, "event": {"user_key": erin}},
            "users/dave": {"settings": {}},
            f"preferences/{dave}": {"persona": "lua"},
        },
        queries=True,
    )


def test_a_dry_run_writes_nothing() -> None:
    rpc = _restored_copy()
    said: list[str] = []
    keys = {_key("alice"), _key("erin")}
    counts = reapply(rpc.client, keys, hmac_keys=[KEY], now=NOW, dry_run=True, say=said.append)
    assert counts == {"by_uid": 1, "by_key": 1}
    assert rpc.commits == []
    assert "alice" not in "\n".join(said)  # keys, never uids


def test_the_erasures_a_restore_undid_are_done_again() -> None:
    rpc = _restored_copy()
    alice, erin, dave = _key("alice"), _key("erin"), _key("dave")
    counts = reapply(rpc.client, {alice, erin}, hmac_keys=[KEY], now=NOW, say=lambda _: None)
    assert counts == {"by_uid": 1, "by_key": 1}
    left = {path for path in rpc.docs if not path.startswith(("erasures/", "activity/"))}
    assert left == {"users/dave", f"preferences/{dave}"}
    assert set(rpc.docs["activity/alice"]) == {"erasure_done_at", "expires_at"}  # a tombstone
    for key in (alice, erin):
        record = rpc.docs[f"erasures/{key}"]
        # the cleanup job deletes their analytics rows (the outbox had published some again)
        assert (record["firestore"], record["analytics"]) == ("done", "pending")
        assert "uid" not in record
        # the dead-letter replay and the profile updater drop their events from before
        letter = {"type": "chat.turn.completed", "occurred_at": RESTORE_POINT.isoformat()}
        verdict = judge(
            json.dumps({**letter, "user_key": key}).encode(),
            {"subject": key},
            notifications=False,
            erasure=lambda k: rpc.docs.get(f"erasures/{k}"),
        )
        assert verdict.action == "drop"
    # Run again: nothing of theirs is left to find by uid, and the records stay as they are.
    again = reapply(rpc.client, {alice, erin}, hmac_keys=[KEY], now=NOW, say=lambda _: None)
    assert again == {"by_uid": 0, "by_key": 2}
    assert rpc.docs[f"erasures/{alice}"]["firestore"] == "done"


def test_the_live_databases_erasures_since_the_restore_point_are_listed_by_key() -> None:
    rpc = FirestoreRpc({"erasures/k1": {"requested_at": NOW}}, queries=True)
    assert erased_since(rpc.client, RESTORE_POINT) == {"k1"}
    (query,) = rpc.sent
    condition = query.where.field_filter
    assert (condition.field.field_path, condition.op.name) == ("requested_at", "GREATER_THAN")


def _command(monkeypatch, databases: dict[str, FirestoreRpc], argv: list[str]) -> int:
    """scripts/restore_erasures.py's main, with these databases by their id."""
    from google.cloud import firestore

    from common.config import get_settings
    from scripts import restore_erasures

    monkeypatch.setattr(firestore, "Client", lambda project, database: databases[database].client)
    monkeypatch.setenv("ANALYTICS_KEY", KEY)
    if "ION_ENV" not in os.environ:  # the local stack's, whose emulator the fake stands for
        monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "localhost:8080")
    get_settings.cache_clear()
    try:
        return restore_erasures.main(argv)
    finally:
        get_settings.cache_clear()


def test_the_command_erases_in_the_restored_copy_the_keys_listed_and_those_since(
    monkeypatch, tmp_path
) -> None:
    restored = _restored_copy()
    live = FirestoreRpc({f"erasures/{_key('erin')}": {"requested_at": NOW}}, queries=True)
    listed = tmp_path / "erased.txt"
    listed.write_text(f"{_key('alice')}\t\n")  # gcloud's value() format: a tab, no previous key
    argv = [str(listed), "--database", "restored-1206", "--erased-since"]
    databases = {"restored-1206": restored, "(default)": live}
    assert _command(monkeypatch, databases, [*argv, RESTORE_POINT.isoformat()]) == 0
    assert restored.docs[f"erasures/{_key('alice')}"]["firestore"] == "done"
    assert restored.docs[f"erasures/{_key('erin')}"]["firestore"] == "done"
    assert f"preferences/{_key('erin')}" not in restored.docs
    assert live.commits == []  # the live database is only read


def test_a_key_whose_erasure_is_running_is_left_to_it() -> None:
    # Step 5 of the runbook lists again against the copy once it is live: an erasure running
    # there keeps its record in progress, with the uid the cleanup job finishes it by.
    erin = _key("erin")
    running = {"firestore": "in_progress", "uid": "erin", "requested_at": NOW}
    rpc = FirestoreRpc({f"erasures/{erin}": running, f"preferences/{erin}": {}}, queries=True)
    reapply(rpc.client, {erin}, hmac_keys=[KEY], now=NOW, say=lambda _: None)
    assert rpc.docs[f"erasures/{erin}"] == running and rpc.commits == []


def test_a_key_listed_from_before_a_rotation_is_erased_by_that_key_too() -> None:
    # bob chatted but never changed a setting (no users/bob, so no users/bob.user_key), and was
    # erased after the restore point, before the analytics key was rotated: the log lists his
    # old key. The copy holds his learned profile and outbox entries under that key.
    old, new = _key("bob", OLD_KEY), _key("bob")
    rpc = FirestoreRpc(
        {
            "activity/bob": {"recent": "[]"},
            "sessions/s1": {"owner_uid": "bob", "summary": "private"},
            f"preferences/{old}": {"persona": "lua"},
            f"preferences/{old}/applied_events/e1": {"applied_at": RESTORE_POINT},
            "outbox/e1": {"subject": old, "event": {"user_key": old}},
        },
        queries=True,
    )
    said: list[str] = []
    counts = reapply(rpc.client, {old}, hmac_keys=[KEY, OLD_KEY], now=NOW, say=said.append)
    assert counts == {"by_uid": 1, "by_key": 0}
    assert not [path for path in rpc.docs if path.startswith(("preferences/", "outbox/"))]
    # the fake ignores filters: the outbox entries of the old key were asked for by name
    outbox = [q for q in rpc.sent if q.from_[0].collection_id == "outbox"]
    assert old in {q.where.field_filter.value.string_value for q in outbox}
    for key in (old, new):
        record = rpc.docs[f"erasures/{key}"]
        assert (record["firestore"], record["analytics"]) == ("done", "pending")
    assert old in "\n".join(said)  # the key listed, which the operator looks for


OTHER_OLD_KEY = "p" * 64  # a version older still


@pytest.mark.parametrize(
    "older",
    [f"{OLD_KEY}\n", f" {OLD_KEY}", f"{OTHER_OLD_KEY}, {OLD_KEY}", f"{OTHER_OLD_KEY}\n{OLD_KEY}\n"],
)
def test_older_keys_are_read_as_pasted(monkeypatch, tmp_path, older: str) -> None:
    # carl chatted before the rotation and was erased after the restore point: the log lists
    # his old key. Read with its space or newline, that key was no key of any user: carl was
    # "erased by the key alone", his conversation left in the copy, in a dry run as normal.
    copy = FirestoreRpc(
        {"activity/carl": {"recent": "[]"}, "sessions/s1": {"owner_uid": "carl"}}, queries=True
    )
    listed = tmp_path / "erased.txt"
    listed.write_text(_key("carl", OLD_KEY))
    monkeypatch.setenv("OLDER_ANALYTICS_KEYS", older)
    argv = [str(listed), "--database", "restored-1206"]
    assert _command(monkeypatch, {"restored-1206": copy}, argv) == 0
    assert "sessions/s1" not in copy.docs
    assert set(copy.docs["activity/carl"]) == {"erasure_done_at", "expires_at"}  # a tombstone


@pytest.mark.parametrize("older", ["k1,k2", f"{OLD_KEY},short-key"])
def test_a_weak_older_key_is_refused_before_anything_is_read(monkeypatch, tmp_path, capsys, older):
    copy = FirestoreRpc({"activity/carl": {"recent": "[]"}}, queries=True)
    listed = tmp_path / "erased.txt"
    listed.write_text(_key("carl", OLD_KEY))
    for name in (*EMULATOR_HOSTS, "K_SERVICE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ION_ENV", "prod")
    monkeypatch.setenv("OLDER_ANALYTICS_KEYS", older)
    with pytest.raises(SystemExit) as exited:
        _command(monkeypatch, {"restored-1206": copy}, [str(listed), "--database", "restored-1206"])
    assert exited.value.code == 2
    assert "OLDER_ANALYTICS_KEYS' key" in capsys.readouterr().err
    assert copy.sent == [] and copy.commits == []


def test_step_5_erases_in_the_live_copy_an_erasure_the_switch_cut_off_on_the_old_database(
    monkeypatch, tmp_path
) -> None:
    # Begun on the old database after step 2's listing and cut off by the switch: no `erasure
    # done` line, and its record, in progress, only there. The copy, now live, has the user.
    listed_at = NOW - timedelta(hours=1)
    cut_off = {"firestore": "in_progress", "uid": "alice", "requested_at": NOW}
    old = FirestoreRpc({f"erasures/{_key('alice')}": cut_off}, queries=True)
    copy = _restored_copy()
    empty = tmp_path / "erased.txt"
    empty.write_text("")  # the log since $LISTED
    argv = [str(empty), "--database", "restored-1206", "--erased-since", listed_at.isoformat()]
    assert _command(monkeypatch, {"restored-1206": copy, "(default)": old}, argv) == 0
    assert "users/alice" not in copy.docs
    assert copy.docs[f"erasures/{_key('alice')}"]["firestore"] == "done"
    assert old.commits == []


def test_a_run_without_production_settings_or_an_emulator_is_refused(
    monkeypatch, tmp_path, capsys
) -> None:
    # ION_ENV unset is the local stack's: its public analytics key gives no real user's key, and
    # every listed user would be "erased by the key alone", their documents left in the copy.
    copy = _restored_copy()
    listed = tmp_path / "erased.txt"
    listed.write_text(_key("alice"))
    for name in (*EMULATOR_HOSTS, "K_SERVICE", "ION_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ION_ENV", "local")
    with pytest.raises(SystemExit) as exited:
        _command(monkeypatch, {"restored-1206": copy}, [str(listed), "--database", "restored-1206"])
    assert exited.value.code == 2
    assert "FIRESTORE_EMULATOR_HOST" in capsys.readouterr().err
    assert copy.sent == [] and copy.commits == []


@pytest.mark.parametrize(
    ("text", "line"),
    [(f"{'a' * 32}\n{'a' * 31}\n", 2), (f"{'A' * 32}", 1), (f"{'b' * 32}\t{'c' * 32},\n", 1)],
)
def test_a_listed_word_that_is_no_user_key_is_refused_by_its_line(
    monkeypatch, tmp_path, capsys, text: str, line: int
) -> None:
    copy = _restored_copy()
    listed = tmp_path / "erased.txt"
    listed.write_text(text)
    with pytest.raises(SystemExit) as exited:
        _command(monkeypatch, {"restored-1206": copy}, [str(listed), "--database", "restored-1206"])
    assert exited.value.code == 2
    assert f"line {line}:" in capsys.readouterr().err
    assert copy.sent == [] and copy.commits == []


def test_a_missing_listing_is_one_line(monkeypatch, tmp_path, capsys) -> None:
    copy = _restored_copy()
    argv = [str(tmp_path / "nowhere.txt"), "--database", "restored-1206"]
    with pytest.raises(SystemExit) as exited:
        _command(monkeypatch, {"restored-1206": copy}, argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and "Traceback" not in err
    assert copy.sent == []


def test_the_target_and_the_keys_fingerprint_are_said_before_anything_is_read(
    monkeypatch, tmp_path, capsys
) -> None:
    copy = _restored_copy()
    listed = tmp_path / "erased.txt"
    listed.write_text(_key("alice"))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "ion-1206")
    argv = [str(listed), "--database", "restored-1206", "--dry-run"]
    assert _command(monkeypatch, {"restored-1206": copy}, argv) == 0
    first, *_ = capsys.readouterr().out.splitlines()
    assert "ion-1206" in first and "restored-1206" in first and "ION_ENV=local" in first
    assert hashlib.sha256(KEY.encode()).hexdigest()[:8] in first and KEY not in first


def test_no_credentials_is_one_line_and_exit_status_2(monkeypatch, tmp_path, capsys) -> None:
    from google.auth.exceptions import DefaultCredentialsError

    def no_credentials(project, database):
        raise DefaultCredentialsError("Your default credentials were not found.\nSee ...")

    listed = tmp_path / "erased.txt"
    listed.write_text(_key("alice"))
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "localhost:8080")
    from google.cloud import firestore

    from scripts import restore_erasures

    monkeypatch.setattr(firestore, "Client", no_credentials)
    get_settings.cache_clear()
    try:
        assert restore_erasures.main([str(listed), "--database", "restored-1206"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DefaultCredentialsError" in err
