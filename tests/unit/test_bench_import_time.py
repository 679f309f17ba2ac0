"""The cold-start benchmark measures what production runs (benchmarks/import_time.py)."""

from __future__ import annotations

import importlib.util
import json

from benchmarks import import_time
from benchmarks.production_packages import installed_by


def test_chat_is_measured_with_productions_gemini_replies_too() -> None:
    rows = {name: (path, config) for name, path, config in import_time.targets()}
    chat, template = rows["functions/chat"]
    assert template == {}  # the local stack's default: template replies
    assert rows["functions/chat (gemini)"] == (chat, {"RESPONSE_GENERATOR": "gemini"})


DEV_ONLY = ("pyarrow", "rich", "google.cloud.bigquery_storage")  # the BigQuery emulator's, ...
PRODUCTION = ("google.cloud.bigquery", "httpx", "grpc", "numpy", "pythonjsonlogger")
FOUND = """
import importlib.util, json
print(json.dumps({{n: importlib.util.find_spec(n) is not None for n in {names!r}}}))
"""


def test_the_probe_finds_only_what_requirements_txt_installs() -> None:
    # The dev venv has them, and BigQuery's client (pyarrow, bigquery_storage) and httpx
    # (rich) import them when they find them: first requests measured x1.49 and x1.83 slower.
    assert all(importlib.util.find_spec(n) for n in DEV_ONLY)
    names = DEV_ONLY + PRODUCTION
    res = import_time._run(FOUND.format(names=names), None)
    found = json.loads(res.stdout.strip().splitlines()[-1])
    assert found == {n: n in PRODUCTION for n in names}


def test_what_production_installs_is_requirements_txt_and_what_it_requires() -> None:
    installed = installed_by()
    assert {"google-cloud-bigquery", "httpx", "numpy"} <= installed  # named in the file
    assert {"grpcio", "protobuf", "google-auth", "flask"} <= installed  # required by those
    assert not {"pyarrow", "rich", "google-cloud-bigquery-storage", "pytest"} & installed
