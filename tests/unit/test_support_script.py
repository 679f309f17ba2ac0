"""scripts/support.py over Firestore's RPCs (tests/fakes/firestore_rpc.py) and a fake Firebase
Auth: a support agent looks a user up by email or uid and sees their care, sessions, devices
and settings, never a word they wrote, a device token or their user key; and ends the care a
joke about a deadline started."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from common.adapters.firestore_sessions import decode_session
from common.adapters.firestore_support import SESSION_FIELDS
from common.chat.limits import care_after_no
from common.config import get_settings
from common.events import user_key
from tests.fakes.firestore_rpc import FirestoreRpc

KEY = "k" * 64  # the analytics key
NOW = datetime.now(UTC)  # the script reads the clock: the documents are dated from it
SECRET = "SECRET-TEXT"


class Auth:
    """Firebase Auth with these accounts (email: uid)."""

    def __init__(self, accounts: dict[str, str]) -> None:
        self.accounts = accounts

    def uid_of(self, email: str) -> str | None:
        return self.accounts.get(email)

    def missing(self, uids: list[str]) -> set[str]:
        return set(uids) - set(self.accounts.values())


def _session(sid: str, *, expires_at: datetime, **care) -> dict:
    """A session document as the chat stores it, with the user's words in its window and
    summary."""
    turn = {
        "turn_id": "t1",
        "turn_index": 0,
        "message": f"{SECRET} the deadline will kill me",
        "reply": f"{SECRET} reply",
        "persona": "lua",
        "created_at": (NOW - timedelta(hours=1)).isoformat(),
        "crisis": True,
    }
    return {
        "session_id": sid,
        "owner_uid": "ada",
        "created_at": NOW - timedelta(hours=1),
        "last_interaction_at": NOW - timedelta(hours=1),
        "expires_at": expires_at,
        "turn_count": 2,
        "context_window": json.dumps([turn]),
        "summary": {"tried": [SECRET], "topics": [SECRET]},
        "current_persona": "lua",
        "care_until": None,
        "not_safe_until": None,
        **care,
    }


def _database() -> FirestoreRpc:
    """Ada, in care for a day since her "no lol" to the crisis reply's question, with one live
    and one expired session, a phone, and what the profile updater learned. The fake answers a
    query with every document of its collection: only Ada's are there."""
    ukey = user_key("ada", KEY)
    care_end = NOW + timedelta(hours=20)
    return FirestoreRpc(
        {
            "users/ada": {
                "settings": {"personalization": False},
                "settings_set_at": {"personalization": NOW - timedelta(days=3)},
                "notices": {"weekly_insight": {"period": "2026-W48", "notification_id": "n1"}},
                "user_key": ukey,
            },
            "users/ada/devices/d1": {
                "token": "SECRET-TOKEN",
                "platform": "ios",
                "created_at": NOW - timedelta(days=9),
                "last_seen_at": NOW - timedelta(days=1),
            },
            "activity/ada": {
                "recent": json.dumps([[NOW.isoformat(), "hash"]]),
                "crisis_at": NOW - timedelta(hours=4),
                "not_safe_until": care_end,
                "crisis_language": "es",
                "heavy_at": None,
                "expires_at": NOW + timedelta(days=30),
            },
            "sessions/live": _session(
                "live",
                expires_at=NOW + timedelta(hours=23),
                care_until=3,
                not_safe_until=care_end,
                crisis_language="es",
            ),
            "sessions/live/turns/t1": {"owner_uid": "ada", "message": SECRET, "reply": SECRET},
            "sessions/old": _session("old", expires_at=NOW - timedelta(hours=2), care_until=1),
            f"preferences/{ukey}": {
                "stats": {"riri": {"alpha": 0.5, "beta": 5.0}, "lua": {"alpha": 2.0, "beta": 0}},
                "updated_at": NOW - timedelta(hours=4),
                "turns": 12,
            },
        },
        queries=True,
    )


def _run(monkeypatch, rpc: FirestoreRpc, auth: Auth, argv: list[str]) -> int:
    from google.cloud import firestore

    from scripts import support

    monkeypatch.setattr(firestore, "Client", lambda project, database: rpc.client)
    monkeypatch.setattr(support, "accounts", lambda: auth)
    monkeypatch.setenv("ANALYTICS_KEY", KEY)
    if "ION_ENV" not in os.environ:  # the local stack's, whose emulator the fake stands for
        monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "localhost:8080")
    get_settings.cache_clear()
    try:
        return support.main(argv)
    finally:
        get_settings.cache_clear()


def test_lookup_by_email_shows_care_sessions_and_devices_but_no_text_token_or_key(
    monkeypatch, capsys
) -> None:
    rpc = _database()
    code = _run(
        monkeypatch, rpc, Auth({"ada@example.com": "ada"}), ["lookup", "--email", "ada@example.com"]
    )
    out = capsys.readouterr().out
    assert code == 0
    target, said_uid, *body = out.splitlines()
    assert "ION_ENV=" in target and "analytics key" in target
    assert said_uid == "uid ada"
    view = json.loads("\n".join(body))
    assert view["activity"]["not_safe_until"] and view["activity"]["crisis_at"]
    (live,) = view["sessions"]  # the expired one is no conversation the user can see
    assert live["session_id"] == "live" and live["care_until"] == 3 and live["not_safe_until"]
    assert view["devices"] == [
        {"platform": "ios", "last_seen_at": view["devices"][0]["last_seen_at"]}
    ]
    assert view["settings"] == {"personalization": False}
    assert view["learned_preferences"]["stats"]["riri"] == {"alpha": 0.5, "beta": 5.0}
    assert view["erasure"] is None
    # nothing the user wrote, no token, neither their key nor the analytics key
    for hidden in (SECRET, "SECRET-TOKEN", user_key("ada", KEY), KEY):
        assert hidden not in out
    # the sessions were read as a projection of their care fields: never their window
    (sessions,) = [q for q in rpc.sent if q.from_[0].collection_id == "sessions"]
    assert [f.field_path for f in sessions.select.fields] == SESSION_FIELDS
    assert rpc.commits == []  # a lookup writes nothing


def test_lookup_of_an_account_deleted_in_auth_says_so_and_shows_what_is_left(
    monkeypatch, capsys
) -> None:
    rpc = _database()
    assert _run(monkeypatch, rpc, Auth({}), ["lookup", "--uid", "ada"]) == 3
    out = capsys.readouterr().out
    assert "no such account" in out and '"session_id": "live"' in out


def test_lookup_of_an_unknown_email_reads_nothing(monkeypatch, capsys) -> None:
    rpc = _database()
    assert _run(monkeypatch, rpc, Auth({}), ["lookup", "--email", "nobody@example.com"]) == 3
    assert "no account with nobody@example.com" in capsys.readouterr().out
    assert rpc.calls == {}


def test_end_care_clears_the_care_of_the_record_and_the_live_session(monkeypatch, capsys) -> None:
    rpc = _database()
    assert _run(monkeypatch, rpc, Auth({}), ["end-care", "--uid", "ada"]) == 0
    activity = rpc.docs["activity/ada"]
    assert activity["not_safe_until"] is None and care_after_no(activity, NOW) is None
    assert activity["crisis_language"] is None
    assert activity["crisis_at"] is not None  # the crisis happened: no nudge for 30 days
    live = decode_session(rpc.docs["sessions/live"])
    assert (live.not_safe_until, live.care_until, live.crisis_language) == (None, None, None)
    assert not live.in_care(NOW)
    assert rpc.docs["sessions/old"]["care_until"] == 1  # expired: left to the cleanup job
    assert SECRET in rpc.docs["sessions/live"]["context_window"]  # only the care fields written
    line = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert line["message"] == "operator action" and line["action"] == "end_care"
    assert line["sessions"] == ["live"] and line["activity_record"] is True
    # every write on the condition that its document is as read
    assert all("update_time" in w.current_document for w in rpc.written(""))


def test_end_care_reads_again_what_a_turn_changed_meanwhile(monkeypatch, capsys) -> None:
    rpc = _database()
    turns = []

    def a_turn_first(writes) -> None:
        if not turns:  # the user's next turn commits between end-care's read and its write
            turns.append(1)
            rpc.put("sessions/live", {**rpc.docs["sessions/live"], "turn_count": 3})

    rpc.before_commit = a_turn_first
    assert _run(monkeypatch, rpc, Auth({}), ["end-care", "--uid", "ada"]) == 0
    live = rpc.docs["sessions/live"]
    assert live["turn_count"] == 3 and live["care_until"] is None and live["not_safe_until"] is None
    # the action line names what both attempts wrote: the record went in the first
    line = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert line["sessions"] == ["live"] and line["activity_record"] is True


def test_end_care_that_a_turn_keeps_racing_exits_3_and_says_run_it_again(
    monkeypatch, capsys
) -> None:
    rpc = _database()

    def a_turn_every_time(writes) -> None:
        live = rpc.docs["sessions/live"]
        rpc.put("sessions/live", {**live, "turn_count": live["turn_count"] + 1})

    rpc.before_commit = a_turn_every_time
    assert _run(monkeypatch, rpc, Auth({}), ["end-care", "--uid", "ada"]) == 3
    assert "1 records changed by the user's turns meanwhile" in capsys.readouterr().out
    assert rpc.docs["sessions/live"]["care_until"] == 3  # never written over a turn


def test_end_care_of_the_sessions_alone_says_the_record_was_not_written(
    monkeypatch, capsys
) -> None:
    rpc = _database()
    ended = {"not_safe_until": None, "crisis_language": None}  # as a turn writes it then
    rpc.put("activity/ada", {**rpc.docs["activity/ada"], **ended})
    assert _run(monkeypatch, rpc, Auth({}), ["end-care", "--uid", "ada"]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert line["sessions"] == ["live"] and line["activity_record"] is False


def test_end_care_with_nothing_in_care_writes_nothing(monkeypatch, capsys) -> None:
    rpc = FirestoreRpc({"activity/bo": {"recent": "[]", "not_safe_until": None}}, queries=True)
    assert _run(monkeypatch, rpc, Auth({}), ["end-care", "--uid", "bo"]) == 0
    assert "nothing to end" in capsys.readouterr().out and rpc.commits == []


@pytest.mark.parametrize("argv", [["--help"], ["lookup", "--help"], ["end-care", "--help"]])
def test_help_prints_the_usage_and_reads_nothing(monkeypatch, capsys, argv) -> None:
    from google.cloud import firestore

    from scripts import support

    def untouchable(*args, **kwargs):
        raise AssertionError("--help did the work")

    monkeypatch.setattr(firestore, "Client", untouchable)
    monkeypatch.setattr(support, "accounts", untouchable)
    with pytest.raises(SystemExit) as exited:
        support.main(argv)
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage:")


def test_production_settings_are_needed_outside_the_emulator(monkeypatch, capsys) -> None:
    from common.config import EMULATOR_HOSTS

    for name in (*EMULATOR_HOSTS, "K_SERVICE", "ION_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ION_ENV", "local")
    rpc = _database()
    from google.cloud import firestore

    from scripts import support

    monkeypatch.setattr(firestore, "Client", lambda project, database: rpc.client)
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            support.main(["lookup", "--uid", "ada"])
    finally:
        get_settings.cache_clear()
    assert exited.value.code == 2
    assert "FIRESTORE_EMULATOR_HOST" in capsys.readouterr().err and rpc.calls == {}
