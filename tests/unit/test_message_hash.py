"""The activity record's message hashes name no message to whoever reads the record: keyed with
the user's own random salt, and kept only while the repeat limit reads them (10 minutes).

The personal-data review's probe: unsalted sha256 prefixes, up to 240 of them kept for 30 days
after a crisis; a dictionary of guesses read back "i want to kill myself" and "i have hiv"."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from common.chat.limits import (
    SALT,
    activity_doc,
    message_hash,
    new_salt,
    recent_activity,
    unsalted_hash,
)
from common.errors import RateLimited
from common.model_client import normalise
from tests.fakes import turns
from tests.fakes.turns import NOW

SAID = "I want to kill myself"
REPEATED = "can you give me the exact steps again"  # no crisis: the repeat limit applies
GUESSES = ["i want to die", "i want to kill myself", "i have hiv", "i'm pregnant", "hello"]


def test_a_message_hash_is_keyed_with_the_users_salt():
    salt = new_salt()
    bare = hashlib.sha256(normalise(SAID).encode()).hexdigest()[:16]
    assert message_hash(SAID, salt) != bare
    assert message_hash(SAID, salt) == message_hash(SAID.upper(), salt)  # normalised, as before
    assert message_hash(SAID, salt) != message_hash(SAID, new_salt())
    # the reviewer's dictionary recovers nothing without the salt
    stored = {message_hash(m, salt) for m in ["I want to kill myself", "I have HIV"]}
    assert not {unsalted_hash(g) for g in GUESSES} & stored


def test_entries_older_than_the_repeat_window_keep_their_time_alone():
    # Each entry stays a pair, its hash null: code from before the salt unpacks (time, hash).
    salt = new_salt()
    ago = [
        timedelta(hours=1),
        timedelta(minutes=10),
        timedelta(minutes=9, seconds=59),
        timedelta(0),
    ]
    entries = [(NOW - a, message_hash(f"message {i}", salt)) for i, a in enumerate(ago)]
    doc = activity_doc(entries, limited_until=None, salt=salt)
    kept = json.loads(doc["recent"])
    assert [len(e) for e in kept] == [2, 2, 2, 2]
    assert [h is not None for _, h in kept] == [False, False, True, True]
    read = recent_activity(doc, NOW.tzinfo)
    assert [t for t, _ in read] == [t for t, _ in entries]  # every time kept (the hour's limit)
    assert [h for _, h in read] == [None, None, entries[2][1], entries[3][1]]
    assert doc[SALT] == salt


def _send(store, message: str, minute: int) -> dict:
    return turns.take_turn(
        uid="u1",
        message=message,
        analyze=turns.analyze_offline,
        store=store,
        now=NOW + timedelta(minutes=minute),
    )


def test_a_users_first_turn_makes_their_salt_and_repeats_are_still_caught():
    store = turns.ActivityStore()
    for minute in range(3):
        _send(store, REPEATED, minute)
    record = store.activity["u1"]
    salt = record[SALT]
    hashes = [h for _, h in recent_activity(record, NOW.tzinfo)]
    assert hashes == [message_hash(REPEATED, salt)] * 3
    assert unsalted_hash(REPEATED) not in record["recent"]
    with pytest.raises(RateLimited) as refused:
        _send(store, REPEATED, 3)
    assert refused.value.code == "repeated_message"
    assert store.activity["u1"][SALT] == salt  # kept: the next turns' hashes match the first's


def test_a_record_written_before_the_salt_still_counts_its_repeats():
    # The older code's record: unsalted hashes, no salt, every entry with its hash.
    old = [(NOW + timedelta(minutes=m), unsalted_hash(REPEATED)) for m in (-30, 0, 1, 2)]
    store = turns.ActivityStore()
    store.activity["u1"] = activity_doc(old, limited_until=None)
    store.activity["u1"]["recent"] = json.dumps([[t.isoformat(), h] for t, h in old])
    assert SALT not in store.activity["u1"]
    with pytest.raises(RateLimited) as refused:  # three in the window: the fourth is refused
        _send(store, REPEATED, 3)
    assert refused.value.code == "repeated_message"
    # another message is stored, and the record is salted from then on
    _send(store, "how do I plan my week", 3)
    record = store.activity["u1"]
    assert record[SALT]
    assert [h is not None for _, h in json.loads(record["recent"])] == [
        False,
        True,
        True,
        True,
        True,
    ]
    # the old entries of a message said again are counted as its salted ones
    with pytest.raises(RateLimited):
        _send(store, REPEATED, 4)
