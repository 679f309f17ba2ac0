"""The analytics warehouse on the local BigQuery emulator: provisioning for scripts/stack.py and
the daily materialisation scripts/scheduler.py runs (BigQuery scheduled queries in production).

    python -m common.analytics.local provision | daily
"""

from __future__ import annotations

import argparse
import os

from common.analytics.schema import DATASET
from common.analytics.warehouse import emulator_client, provision, refresh_daily

DEFAULT_HOST = "127.0.0.1:9050"


def _client(project: str):
    return emulator_client(os.environ.get("BIGQUERY_EMULATOR_HOST", DEFAULT_HOST), project)


def provision_emulator(project: str, dataset: str = DATASET) -> list[str]:
    """Dataset, events table, table functions and views; one the emulator refuses is reported,
    not fatal."""
    made = provision(_client(project), project=project, dataset=dataset, strict=False)
    for failed in (m for m in made if m.startswith("!")):
        print(f"analytics view or function not created: {failed[1:]}", flush=True)
    return made


def refresh_daily_emulator(project: str, dataset: str = DATASET) -> dict[str, float]:
    return refresh_daily(_client(project), project=project, dataset=dataset)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m common.analytics.local")
    parser.add_argument("command", choices=("provision", "daily"))
    parser.add_argument("--project", default=os.environ.get("GOOGLE_CLOUD_PROJECT", "demo-ion"))
    parser.add_argument("--dataset", default=DATASET)
    args = parser.parse_args(argv)
    if args.command == "provision":
        print(provision_emulator(args.project, args.dataset))
    else:
        print(refresh_daily_emulator(args.project, args.dataset))


if __name__ == "__main__":
    main()
