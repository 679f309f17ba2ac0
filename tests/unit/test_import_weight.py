"""Cold start: no function module imports a heavy library or a cloud SDK when it is loaded; they
are imported where they are used (common/clients.py). The one exception is what the chat
function loads before it listens for its first turn (common/warmup.py), and only that
(benchmarks/import_time.py measures both)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = (
    "torch",
    "tensorflow",
    "transformers",
    "sentence_transformers",
    "onnxruntime",
    "sklearn",
    "scipy",
    "numpy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "google.cloud.aiplatform",
    "google.cloud.aiplatform_v1",
    "google.genai",
    "google.cloud.bigquery",
    "google.cloud.firestore",
    "google.cloud.pubsub_v1",
    "google.pubsub_v1",
    "firebase_admin",
    "grpc",
)
# One fresh interpreter loads each module in turn, as functions-framework does, and reports the
# forbidden modules that each one brought in first.
PROBE = """
import importlib.util, json, sys
sys.path.insert(0, {root!r})
forbidden, out, seen = {forbidden!r}, {{}}, set()
for path in {paths!r}:
    spec = importlib.util.spec_from_file_location("main_" + str(len(out)), path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    out[path] = sorted(m for m in forbidden if m in sys.modules and m not in seen)
    seen.update(out[path])
print(json.dumps(out))
"""


def heavy_imports(
    paths: list[Path], forbidden: tuple[str, ...] = FORBIDDEN, env: dict[str, str] | None = None
) -> dict[str, list[str]]:
    code = PROBE.format(root=str(ROOT), forbidden=forbidden, paths=[str(p) for p in paths])
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=True,
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


# What common.warmup.load_for_turns loads for the chat function's first turn (the template
# generator: google.genai only with Gemini replies, production's default).
CHAT_LOADS = {"firebase_admin", "google.cloud.firestore", "google.pubsub_v1", "grpc"}
CHAT_LOADS_WITH_GEMINI = CHAT_LOADS | {"google.genai"}


def test_no_function_imports_a_heavy_module_when_loaded():
    paths = sorted(ROOT.glob("functions/*/main.py"))
    assert len(paths) >= 10
    chat = ROOT / "functions" / "chat" / "main.py"
    paths.remove(chat)
    found = heavy_imports(paths)
    assert {p: m for p, m in found.items() if m} == {}
    assert set(heavy_imports([chat])[str(chat)]) == CHAT_LOADS  # in a process of its own


def test_chat_with_gemini_replies_loads_the_gemini_sdk_and_nothing_else():
    chat = ROOT / "functions" / "chat" / "main.py"
    found = heavy_imports([chat], env={"RESPONSE_GENERATOR": "gemini"})[str(chat)]
    assert set(found) == CHAT_LOADS_WITH_GEMINI


def test_the_check_sees_a_heavy_import(tmp_path):
    module = tmp_path / "main.py"
    module.write_text("import json\nfrom google.cloud import firestore\n")
    assert heavy_imports([module]) == {str(module): ["google.cloud.firestore", "grpc"]}


def test_functions_that_only_read_preferences_do_not_load_the_crisis_scanner():
    # The persona ranking's module (common.routing.ensemble, for TIME_AFFINITY) imported
    # common.analysis and common.safety at load: the lexicon baseline, the entities and the
    # crisis scanner (~46 ms, ~6 % of the profile function's import).
    paths = [ROOT / "functions" / f / "main.py" for f in ("profile", "feedback", "profile_updater")]
    found = heavy_imports(paths, forbidden=("common.analysis", "common.analysis.safety"))
    assert found == {str(p): [] for p in paths}
