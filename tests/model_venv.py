"""Run a script in .venv-model (torch, scikit-learn, the Vertex AI client: deliberately absent
from .venv) and read the JSON it prints last."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL_PYTHON = ROOT / ".venv-model" / "bin" / "python"


def run_in_model_venv(script: str, *args: str, timeout: float = 120) -> Any:
    if not MODEL_PYTHON.exists():
        pytest.fail(f"{MODEL_PYTHON} is missing: run scripts/bootstrap.sh")
    out = subprocess.run(
        [str(MODEL_PYTHON), "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])
