"""The local stack runs the work no request waits on at a lower CPU priority (scripts/stack.py)."""

import os
import sys
import time

from scripts import stack

# What a turn, a rating, a sync or a profile request waits on.
REQUEST_PATH = {
    "firestore",
    "pubsub",
    "auth",
    "model",
    "fn-chat",
    "fn-feedback",
    "fn-profile",
    "fn-devices",
    "fn-insights",
    "gateway",
}


def test_only_consumers_jobs_and_analytics_run_in_the_background() -> None:
    background = {s.name for s in stack.SERVICES if s.background}
    assert background == {f"fn-{n}" for n in stack.BACKGROUND_FUNCTIONS} | {
        "bigquery",
        "scheduler",
    }
    assert not background & REQUEST_PATH
    assert set(stack.BY_NAME) >= REQUEST_PATH


def test_a_background_service_starts_at_idle_priority_under_its_own_pid(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(stack, "LOGS", tmp_path / "logs")
    monkeypatch.setattr(stack, "PIDS", tmp_path / "pids")
    out = tmp_path / "policy"
    script = (  # report pid and scheduling policy (written whole, then renamed), then stay up
        f"import os, time; open({str(out)!r} + '.tmp', 'w').write(f'{{os.getpid()}} "
        f"{{os.sched_getscheduler(0)}}'); os.rename({str(out)!r} + '.tmp', {str(out)!r}); "
        "time.sleep(30)"
    )
    for background in (True, False):
        name = f"probe-{background}"
        stack.start(stack.Service(name, 0, (sys.executable, "-c", script), background=background))
        pid = stack.running_pid(name)
        try:
            for _ in range(200):
                if out.exists():
                    break
                time.sleep(0.05)
            child_pid, policy = map(int, out.read_text().split())
            assert child_pid == pid  # `down` stops the service itself, not a wrapper
            assert policy == (os.SCHED_IDLE if background else os.SCHED_OTHER)
        finally:
            os.kill(pid, 15)
            out.unlink()
