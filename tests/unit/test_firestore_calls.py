"""common/adapters/firestore_calls.py's helpers for a job's many independent calls: in_parallel
waits for them side by side (the cleanup job's turn queries); write_unchanged tells its own
commit, whose answer was lost, from another writer's change."""

from __future__ import annotations

import threading

import pytest
from google.cloud.firestore import DELETE_FIELD, SERVER_TIMESTAMP

from common.adapters.firestore_calls import Unchanged, in_parallel, write_unchanged
from tests.fakes.firestore_rpc import FirestoreRpc


def test_in_parallel_waits_for_calls_side_by_side_at_most_at_once():
    # Three calls meet at the barrier: one after the other, the first would wait there alone.
    barrier, lock = threading.Barrier(3, timeout=10), threading.Lock()
    running, most = [0], [0]

    def call(i: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        barrier.wait()
        with lock:
            running[0] -= 1
        return i * 10

    assert in_parallel(call, list(range(9)), at_once=3) == [i * 10 for i in range(9)]
    assert most[0] == 3


def test_in_parallel_raises_the_first_error_once_the_calls_under_way_returned():
    finished = []

    def call(i: int) -> int:
        if i == 1:
            raise ValueError("refused")
        finished.append(i)
        return i

    with pytest.raises(ValueError, match="refused"):
        in_parallel(call, [0, 1, 2], at_once=2)
    assert 0 in finished  # not abandoned half-way


def test_an_update_whose_answer_was_lost_is_held_by_the_fields_it_wrote():
    # Field paths as update() reads them, a deleted field, and a server timestamp (its value
    # the server's, not compared); the second document another writer changed meanwhile.
    rpc = FirestoreRpc({"d/1": {"a": {"b": 1}, "old": 1}, "d/2": {"a": {"b": 1}, "old": 1}})
    update = {"a.b": 2, "old": DELETE_FIELD, "at": SERVER_TIMESTAMP}
    writes = [Unchanged(rpc.client.document(p), rpc.versions[p], update) for p in ("d/1", "d/2")]
    rpc.first_answer_lost()
    arrived = []

    def another_writer(writes):
        arrived.append(writes)
        if len(arrived) == 2:  # the retry
            rpc.put("d/2", {"a": {"b": 3}})

    rpc.before_commit = another_writer

    assert [w.ref.path for w in write_unchanged(rpc.client, writes)] == ["d/1"]
    assert rpc.docs["d/1"] == {"a": {"b": 2}} and rpc.docs["d/2"] == {"a": {"b": 3}}
