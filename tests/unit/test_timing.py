"""Server-Timing: phases recorded per request and written as a header only when switched on."""

import threading

import flask
import pytest

from common import timing
from common.config import get_settings
from common.errors import Conflict
from common.http import handle_errors, json_response

app = flask.Flask(__name__)


@handle_errors
def _handler(fail: bool = False) -> flask.Response:
    with timing.phase("context"):
        pass
    with timing.phase("commit"):
        if fail:
            raise Conflict("taken")
    return json_response({"ok": True})


@pytest.fixture
def server_timing(monkeypatch):
    def switch(on: bool) -> None:
        monkeypatch.setenv("SERVER_TIMING", str(on).lower())
        get_settings.cache_clear()

    yield switch
    get_settings.cache_clear()


def test_phases_become_a_header_in_order(server_timing):
    server_timing(True)
    with app.test_request_context("/"):
        response = _handler()
    phases = timing.parse(response.headers["Server-Timing"])
    assert list(phases) == ["context", "commit", "total"]
    assert all(ms >= 0 for ms in phases.values())
    assert phases["total"] >= phases["context"] + phases["commit"] - 0.2  # rounding to 0.1 ms


def test_an_error_response_still_says_how_long_it_took(server_timing):
    server_timing(True)
    with app.test_request_context("/"):
        response = _handler(fail=True)
    assert response.status_code == 409
    assert list(timing.parse(response.headers["Server-Timing"])) == ["context", "commit", "total"]


def test_off_by_default(server_timing):
    server_timing(False)
    with app.test_request_context("/"):
        response = _handler()
    assert "Server-Timing" not in response.headers


def test_each_request_starts_afresh_and_outside_a_request_nothing_is_kept(server_timing):
    server_timing(True)
    with app.test_request_context("/"):
        first = _handler()
        second = _handler()
    assert first.headers["Server-Timing"].count("context") == 1
    assert second.headers["Server-Timing"].count("context") == 1
    with timing.phase("context"):
        pass
    assert timing.header() is None


def test_another_thread_records_into_its_own_request():
    seen = {}

    def request(name: str) -> None:
        token = timing.start()
        with timing.phase(name):
            pass
        seen[name] = timing.header()
        timing.reset(token)

    threads = [threading.Thread(target=request, args=(n,)) for n in ("auth", "commit")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen["auth"].startswith("auth;dur=") and "commit" not in seen["auth"]
    assert seen["commit"].startswith("commit;dur=") and "auth" not in seen["commit"]


def test_parse_reads_durations_and_adds_repeated_names():
    assert timing.parse("auth;dur=1.5, commit;desc=x;dur=2, commit;dur=0.5, junk") == {
        "auth": 1.5,
        "commit": 2.5,
    }
    assert timing.parse(None) == {}


def test_the_benchmarks_breakdown_splits_the_clients_wait():
    from benchmarks.phases import CLIENT, SERVER, UNTIMED, breakdown, render

    samples = [
        (
            float(50 + i),
            {
                "auth": 1.0,
                "commit": 10.0 + (30.0 if i >= 95 else 0.0),
                "total": 20.0 + (30.0 if i >= 95 else 0.0),
            },
        )
        for i in range(100)
    ] + [(999.0, {"auth": 1.0})]  # no total: a streamed or untimed answer, left out
    result = breakdown(samples)
    assert list(result) == ["auth", "commit", UNTIMED, "total", SERVER, CLIENT, "_requests"]
    assert result["_requests"]["n"] == 100
    assert result[UNTIMED]["p50_ms"] == 9.0  # total 20 - auth 1 - commit 10
    assert result[CLIENT]["p50_ms"] == 79.5  # client 50+i minus total 20 (i < 95): 30..124
    # the slowest 5 % are the ones whose commit took 30 ms longer
    assert result["commit"]["slowest_5pct_mean_ms"] == 40.0
    assert result["auth"]["slowest_5pct_mean_ms"] == 1.0
    assert any("| **total** |" in line for line in render(result))
    assert breakdown([(10.0, {})]) == {} and render({}) == []


def test_the_gateways_time_splits_what_is_outside_the_function():
    from benchmarks.phases import CLIENT, SERVER, breakdown

    result = breakdown([(30.0, {"commit": 5.0, "total": 8.0, "gateway": 20.0})])
    assert "gateway" not in result
    assert (result[SERVER]["p50_ms"], result[CLIENT]["p50_ms"]) == (12.0, 10.0)
