"""The analytics benchmark's push probe: it must be able to see pushes that overlap (the Pub/Sub
emulator is not needed: the probe's endpoint is driven directly)."""

from __future__ import annotations

import http.client
import threading

from benchmarks.analytics import _probe_server, push_ceiling_text


def _post(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/", body=b'{"probe": true}', headers={"Content-Length": "15"})
    status = conn.getresponse().status
    conn.close()
    return status


def test_the_probe_counts_pushes_that_overlap():
    server, state = _probe_server(hold=0.1)
    try:
        port = server.server_address[1]
        start = threading.Barrier(4)
        threads = [threading.Thread(target=lambda: (start.wait(), _post(port))) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.shutdown()
    assert state["count"] == 4
    assert state["inflight"] == 0
    assert state["max_inflight"] >= 2  # the old probe said 1 whatever the sender did


def test_the_probe_sees_one_at_a_time_when_the_sender_waits_for_each_answer():
    server, state = _probe_server(hold=0.01)
    try:
        statuses = [_post(server.server_address[1]) for _ in range(3)]
    finally:
        server.shutdown()
    assert statuses == [204, 204, 204]
    assert (state["count"], state["max_inflight"]) == (3, 1)


def test_the_ceiling_text_says_what_the_in_flight_count_means():
    probe = {
        "pushes_per_second": 629.4,
        "held_ms": 5.0,
        "held_pushes_per_second": 150.2,
        "max_concurrent_pushes": 1,
    }
    text = push_ceiling_text(probe)
    assert "629.4 pushes/s to a handler that does nothing" in text
    assert "takes 5 ms, 150.2 pushes/s with at most 1 in flight at once" in text
    assert "waits for each answer" in text
    assert "waits for each answer" not in push_ceiling_text({**probe, "max_concurrent_pushes": 8})
    # an older result's in-flight count measured nothing: it is not repeated
    old = push_ceiling_text({"pushes_per_second": 629.4, "max_concurrent_pushes": 1})
    assert "in flight" not in old
