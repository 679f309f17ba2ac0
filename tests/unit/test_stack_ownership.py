"""Who stops what on the local stack (scripts/stack.py): a pid file counts only while it names
the very process that was started (a pid is reused), and `up` stops what it started when it
fails or is interrupted, and reports it, so a command stops only the services it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from scripts import stack

SLEEPER = (sys.executable, "-c", "import time; time.sleep(60)")


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setattr(stack, "LOGS", tmp_path / "logs")
    monkeypatch.setattr(stack, "PIDS", tmp_path / "pids")
    stack.PIDS.mkdir()
    yield tmp_path
    for path in stack.PIDS.glob("*.pid"):  # nothing a test started outlives it
        if (pid := stack.running_pid(path.stem)) is not None:
            os.killpg(pid, signal.SIGKILL)
            stack._reap(pid)


@pytest.fixture
def other_process():
    """A process of someone else's, in a session of its own (as a service would be)."""
    proc = subprocess.Popen(SLEEPER, start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


def _alive(proc: subprocess.Popen) -> bool:
    return proc.poll() is None


def test_a_pid_file_counts_only_with_its_process_start_time(state, other_process):
    pid = other_process.pid
    started = stack._start_time(pid)
    stack._pid_file("svc").write_text(f"{pid} {started}")
    assert stack.running_pid("svc") == pid
    stack._pid_file("svc").write_text(f"{pid} {started + 1}")  # the pid, reused by another
    assert stack.running_pid("svc") is None


def test_a_pid_file_without_a_start_time_is_stale_once_the_machine_has_rebooted(
    state, other_process
):
    path = stack._pid_file("svc")
    path.write_text(str(other_process.pid))
    assert stack.running_pid("svc") == other_process.pid
    os.utime(path, (0, 0))  # written before the last boot
    assert stack.running_pid("svc") is None


def test_stop_all_never_signals_a_process_a_stale_pid_file_names(state, other_process):
    pid = other_process.pid
    stack._pid_file("svc").write_text(f"{pid} {stack._start_time(pid) + 1}")
    stack.stop_all(["svc"], timeout=1)
    assert _alive(other_process)
    assert not stack._pid_file("svc").exists()


def _services(monkeypatch, *names: str) -> dict[str, stack.Service]:
    services = {name: stack.Service(name, 0, SLEEPER) for name in names}
    monkeypatch.setattr(stack, "SERVICES", tuple(services.values()))
    monkeypatch.setattr(stack, "provision_pubsub", lambda: None)
    monkeypatch.setattr(stack, "provision_bigquery", lambda: None)
    return services


def test_up_reports_what_it_started_and_down_stops_only_that(state, monkeypatch):
    services = _services(monkeypatch, "emu-ran", "emu-new", "fn-new")
    monkeypatch.setattr(stack, "wait_healthy", lambda: {"status": "ok"})
    stack.start(services["emu-ran"])  # running before: someone else's
    record = state / "started"

    assert stack.up(record=record) == ["emu-new", "fn-new"]
    assert record.read_text().split() == ["emu-new", "fn-new"]
    stack.down(record)
    assert [s for s in services if stack.running_pid(s)] == ["emu-ran"]


def test_a_failed_or_interrupted_up_stops_what_it_started(state, monkeypatch):
    services = _services(monkeypatch, "emu-ran", "emu-new", "fn-new")

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(stack, "wait_healthy", interrupted)
    stack.start(services["emu-ran"])
    record = state / "started"

    with pytest.raises(KeyboardInterrupt):
        stack.up(record=record)
    assert [s for s in services if stack.running_pid(s)] == ["emu-ran"]
    assert record.read_text() == ""


def test_a_sigterm_during_up_stops_what_it_started(state, monkeypatch):
    services = _services(monkeypatch, "emu-new", "fn-new")

    def terminated():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler interrupts this

    monkeypatch.setattr(stack, "wait_healthy", terminated)
    before = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(SystemExit) as e:
            stack.main(["up", "--record", str(state / "started")])
    finally:
        signal.signal(signal.SIGTERM, before)
    assert e.value.code == 128 + signal.SIGTERM
    assert not [s for s in services if stack.running_pid(s)]


def test_down_with_an_empty_record_stops_nothing(state, monkeypatch, capsys):
    services = _services(monkeypatch, "emu-ran")
    stack.start(services["emu-ran"])
    (state / "started").write_text("")
    stack.down(state / "started")
    assert stack.running_pid("emu-ran")
    assert "left running" in capsys.readouterr().out


def test_ports_held_by_another_process_are_named_with_its_pid_and_command():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        message = stack.ports_taken_message([stack.Service("firestore", port, ())])
    assert f"{port} (firestore) by pid {os.getpid()}: " in message
    assert "python" in message  # this process's command line


def test_down_without_pid_files_says_it_started_nothing_that_runs(state, monkeypatch, capsys):
    _services(monkeypatch, "emu")
    stack.down()
    assert capsys.readouterr().out == "no pid files: nothing started by this checkout is running\n"
