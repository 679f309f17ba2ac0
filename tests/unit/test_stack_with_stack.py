"""scripts/with_stack.sh (make test, make run, the benchmarks) stops only the services it started
itself, also when a Ctrl-C or SIGTERM arrives while the stack is starting or the command runs.
It runs here against a stand-in for `python -m scripts.stack` that logs its calls."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "with_stack.sh"

# `.venv/bin/python -m scripts.stack CMD ...`: logs CMD and its arguments; `up --record FILE`
# writes there the one service it "started"; `down --record FILE` logs what FILE names.
FAKE_STACK = """#!/usr/bin/env bash
shift 2
cmd=$1; shift
args=$*
record=""
while [ $# -gt 0 ]; do [ "$1" = --record ] && record=$2; shift; done
if [ "$cmd" = up ] && [ -n "${FAKE_UP_HANGS:-}" ]; then
  # Interrupted, up() stops what it started and empties the record. Set before the call is
  # logged: the tests signal it once they see the call.
  trap 'echo "interrupted-up INT" >> "$FAKE_LOG"; : > "$record"; exit 130' INT
  trap 'echo "interrupted-up TERM" >> "$FAKE_LOG"; : > "$record"; exit 143' TERM
fi
echo "$cmd $args" >> "$FAKE_LOG"
case $cmd in
  is-up) exit "${FAKE_IS_UP:-1}" ;;
  up)
    printf 'fn-chat\\n' > "$record"
    if [ -n "${FAKE_UP_HANGS:-}" ]; then while :; do sleep 0.1; done; fi
    if [ "$(grep -c '^up' "$FAKE_LOG")" -le "${FAKE_UP_FAILS:-0}" ]; then : > "$record"; exit 1; fi
    ;;
  down) echo "stopped: $(tr '\\n' ' ' < "$record")" >> "$FAKE_LOG" ;;
esac
"""


STARTED: list[subprocess.Popen] = []


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts" / "with_stack.sh")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_STACK)
    python.chmod(0o755)
    yield tmp_path
    while STARTED:  # a failed test leaves nothing behind
        proc = STARTED.pop()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _start(repo: Path, *command: str, **env: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        ["bash", str(repo / "scripts" / "with_stack.sh"), *command],
        env={**os.environ, "FAKE_LOG": str(repo / "log"), **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job has
    )
    STARTED.append(proc)
    return proc


def _log(repo: Path) -> list[str]:
    path = repo / "log"
    return path.read_text().splitlines() if path.exists() else []


def _wait_for(predicate, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _calls(repo: Path) -> list[str]:
    return [line.split()[0] for line in _log(repo)]


def test_a_running_stack_is_used_and_left_running(repo):
    proc = _start(repo, "cat", FAKE_IS_UP="0")
    out, _ = proc.communicate("hello", timeout=10)
    assert (proc.returncode, out) == (0, "hello")  # the command has the standard input
    assert _calls(repo) == ["is-up", "down", "stopped:"]
    assert _log(repo)[-1] == "stopped: "  # nothing was recorded, so nothing is stopped


def test_it_stops_what_it_started_and_returns_the_commands_status(repo):
    proc = _start(repo, "sh", "-c", "exit 3")
    proc.communicate(timeout=10)
    assert proc.returncode == 3
    assert _calls(repo) == ["is-up", "up", "down", "stopped:"]
    assert _log(repo)[-1] == "stopped: fn-chat "


def test_a_failed_start_up_is_retried_without_stopping_anyone_elses_services(repo):
    proc = _start(repo, "true", FAKE_UP_FAILS="1")
    proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert _calls(repo) == ["is-up", "up", "up", "down", "stopped:"]
    assert all("--record" in line for line in _log(repo) if line.startswith(("up", "down")))


def test_a_ctrl_c_while_the_stack_starts_stops_what_was_started(repo):
    proc = _start(repo, "true", FAKE_UP_HANGS="1")
    _wait_for(lambda: "up" in _calls(repo))
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert _calls(repo) == ["is-up", "up", "interrupted-up", "down", "stopped:"]  # no 2nd up
    assert _log(repo)[2] == "interrupted-up INT"


def test_a_sigterm_while_the_stack_starts_is_passed_on_to_the_start_up(repo):
    proc = _start(repo, "true", FAKE_UP_HANGS="1")
    _wait_for(lambda: "up" in _calls(repo))
    proc.send_signal(signal.SIGTERM)  # to the script alone, as make passes it on
    proc.communicate(timeout=10)  # the fake start-up never ends unless told to stop
    assert proc.returncode == 143
    assert _calls(repo) == ["is-up", "up", "interrupted-up", "down", "stopped:"]
    assert _log(repo)[2] == "interrupted-up TERM"
    assert _log(repo)[-1] == "stopped: "  # the start-up stopped its services itself


def test_a_sigterm_while_the_command_runs_ends_it_at_once(repo):
    mark = repo / "command.pid"
    proc = _start(repo, "sh", "-c", f"echo $$ > {mark}; exec sleep 30")
    _wait_for(lambda: mark.exists() and mark.read_text().strip())
    command = int(mark.read_text())
    proc.send_signal(signal.SIGTERM)  # to the script alone, as make passes it on
    proc.communicate(timeout=5)
    assert proc.returncode == 143
    with pytest.raises(ProcessLookupError):
        os.kill(command, 0)
    assert _log(repo)[-1] == "stopped: fn-chat "


def test_a_ctrl_c_while_the_command_runs_stops_what_was_started(repo):
    mark = repo / "command.pid"
    proc = _start(repo, "sh", "-c", f"echo $$ > {mark}; exec sleep 30")
    _wait_for(lambda: mark.exists() and mark.read_text().strip())
    os.killpg(proc.pid, signal.SIGINT)
    proc.communicate(timeout=5)
    assert proc.returncode == 130
    assert _log(repo)[-1] == "stopped: fn-chat "


def test_a_second_run_in_the_checkout_exits_at_once_and_leaves_the_first_ones_stack(repo):
    """Run B would use run A's stack, and A's EXIT trap would stop it under B."""
    mark = repo / "command.pid"
    first = _start(repo, "sh", "-c", f"echo $$ > {mark}; exec sleep 30")
    _wait_for(lambda: mark.exists() and mark.read_text().strip())
    second = _start(repo, "true")
    _, err = second.communicate(timeout=10)
    assert second.returncode == 1
    assert "another make test/run/bench is using this checkout's stack" in err
    assert _calls(repo) == ["is-up", "up"]  # the first run's: the second called no `up`, no `down`
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=5)
    assert _log(repo)[-1] == "stopped: fn-chat "
    third = _start(repo, "true")  # the first run's lock ended with it
    third.communicate(timeout=10)
    assert third.returncode == 0
