"""What the chat function's worker has ready when it serves: gunicorn forks it from the process
that imported the function, and work meant for it starts after the fork (common/prefork.py).
Checked in a fresh process that loads the function as functions-framework does, then forks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import import_time
from common.config import Settings
from common.experiments import Experiment
from common.warmup import samples_thompson

ROOT = Path(__file__).resolve().parents[2]

NUMPY_IN_WORKER = """
import json, os, sys, time, functions_framework
functions_framework.create_app("chat", "functions/chat/main.py")
r, w = os.pipe()
if os.fork() == 0:  # gunicorn's worker: the at-fork hooks run here
    deadline = time.monotonic() + 10
    while "numpy" not in sys.modules and time.monotonic() < deadline:
        time.sleep(0.05)
    os.write(w, json.dumps("numpy" in sys.modules).encode())
    os._exit(0)
os.close(w)
print(json.dumps({"worker": json.loads(os.read(r, 100)), "parent": "numpy" in sys.modules}))
"""


def run(code: str, **env: str) -> dict:
    """`code` in a fresh interpreter at the repository's root; its last line of output, parsed."""
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", **env},
        check=True,
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_the_worker_loads_numpy_for_thompson_sampling_and_the_parent_does_not() -> None:
    # A returning user's first turn on a new instance waited ~200 ms for numpy's import and
    # first draw; the parent keeps it out (BLAS threads do not survive a fork).
    found = run(NUMPY_IN_WORKER, PERSONALIZATION_POLICY="thompson", RESPONSE_GENERATOR="template")
    assert found == {"worker": True, "parent": False}


# Collections that reach past the youngest generation while the function is imported.
GC_DURING_IMPORT = """
import gc, json, functions_framework
older = []
gc.callbacks.append(lambda phase, info: phase == "start" and info["generation"] and older.append(1))
functions_framework.create_app("chat", "functions/chat/main.py")
print(json.dumps({"older_collections": len(older), "enabled": gc.isenabled(),
                  "frozen": gc.get_freeze_count() > 0}))
"""


def test_chat_imports_without_collections_then_freezes_what_it_made() -> None:
    # Before: 20 middle and 2 full collections during the import, nothing frozen.
    assert run(GC_DURING_IMPORT) == {"older_collections": 0, "enabled": True, "frozen": True}


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="Linux's smaps_rollup")
def test_the_workers_first_full_collection_leaves_the_parents_pages_shared() -> None:
    # It wrote to every object the import made: ~37 MB of the parent's pages copied, per worker.
    assert import_time.copied_mb(ROOT / "functions" / "chat" / "main.py") < 10


def _thompson_variant() -> Experiment:
    return Experiment.model_validate(
        {
            "id": "ranker",
            "variants": [
                {"name": "static", "traffic": 0.5, "policy": "static"},
                {"name": "sampled", "traffic": 0.5, "policy": "thompson"},
            ],
            "start": "2026-11-16T00:00:00Z",
            "end": "2026-11-30T00:00:00Z",
        }
    )


@pytest.mark.parametrize(
    ("settings", "samples"),
    [
        ({"personalization_policy": "thompson"}, True),
        ({"personalization_policy": "static"}, False),
        ({"personalization_policy": "formula"}, False),
        ({"personalization_policy": "static", "experiments": (_thompson_variant(),)}, True),
    ],
)
def test_numpy_is_warmed_where_a_turn_may_sample(settings: dict, samples: bool) -> None:
    assert samples_thompson(Settings(**settings)) is samples
