"""A Cloud Function's `main.py` loaded as a module, as functions-framework loads it from its
source folder, for tests that call its handlers in process (no stack)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def load_main(function: str) -> ModuleType:
    """functions/<function>/main.py, under a name of its own (each function's file is main.py)."""
    path = FUNCTIONS / function / "main.py"
    spec = importlib.util.spec_from_file_location(f"fn_{function}_main", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
