"""The local stand-in for Cloud Scheduler: call each job function on its schedule."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

from scripts.stack import FUNCTION_PORTS

# job function -> seconds between runs (production: cron in Terraform)
JOBS = {"outbox_relay": 10}


def main() -> None:
    next_run = {job: time.monotonic() + period for job, period in JOBS.items()}
    while True:
        now = time.monotonic()
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
    main()
