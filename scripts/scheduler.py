"""The local stand-in for Cloud Scheduler: call each job function on its schedule."""

from __future__ import annotations

import argparse
import base64
import json
import sys
import threading
import time
import urllib.error
import urllib.request

from scripts.stack import FUNCTION_PORTS, PROJECT

# job function -> seconds between runs (production: cron in Terraform). Not here:
# notification_producers (weekly and daily in production): run every few seconds it would push
# to every test user with a device; call it on demand, e.g.
# curl -X POST 'http://127.0.0.1:8103/?producer=weekly_insight'.
JOBS = {"outbox_relay": 10, "session_cleanup": 60}
# topic -> (seconds between runs, message): jobs with a Pub/Sub target, as Cloud Scheduler's
PUBSUB_JOBS = {"notifications": (30, {"type": "notification.release_due"})}
# BigQuery scheduled queries (production: one per common/analytics/daily/*.sql in Terraform),
# run here in a thread so a slow MERGE never delays the other jobs.
DAILY_QUERIES_SECONDS = 300


def _refresh_daily() -> None:
    from common.analytics.local import refresh_daily_emulator

    try:
        print("analytics daily", refresh_daily_emulator(PROJECT), flush=True)
    except Exception as e:  # the next run tries again
        print("analytics daily failed:", e, flush=True)


def _publish(topic: str, message: dict) -> None:
    data = base64.b64encode(json.dumps(message).encode()).decode()
    req = urllib.request.Request(
        f"http://127.0.0.1:8085/v1/projects/{PROJECT}/topics/{topic}:publish",
        data=json.dumps({"messages": [{"data": data}]}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        urllib.request.urlopen(req, timeout=10).close()
    except (urllib.error.URLError, OSError) as e:
        print(topic, "publish failed:", e, flush=True)


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv or [])
    next_run = {job: time.monotonic() + period for job, period in JOBS.items()}
    next_publish = {topic: time.monotonic() + job[0] for topic, job in PUBSUB_JOBS.items()}
    next_daily, daily = time.monotonic() + 30, threading.Thread()
    while True:
        now = time.monotonic()
        if now >= next_daily and not daily.is_alive():
            daily = threading.Thread(target=_refresh_daily, daemon=True)
            daily.start()
            next_daily = now + DAILY_QUERIES_SECONDS
        for topic, due in next_publish.items():
            if now >= due:
                _publish(topic, PUBSUB_JOBS[topic][1])
                next_publish[topic] = now + PUBSUB_JOBS[topic][0]
        for job, due in next_run.items():
            if now >= due:
                url = f"http://127.0.0.1:{FUNCTION_PORTS[job]}/"
                req = urllib.request.Request(
                    url, data=b"{}", method="POST", headers={"Content-Type": "application/json"}
                )
                try:
                    with urllib.request.urlopen(req, timeout=30) as r:
                        print(job, r.status, r.read().decode(), flush=True)
                except (urllib.error.URLError, OSError) as e:
                    print(job, "failed:", e, flush=True)
                next_run[job] = now + JOBS[job]
        time.sleep(0.5)


if __name__ == "__main__":
    main(sys.argv[1:])
