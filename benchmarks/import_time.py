"""Import time of each function module in a fresh process (median of 5), the cold-start part
we control. Prints a table and writes benchmarks/results/import_time.json."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.machine import describe

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
PROBE = """
import sys, time
sys.path.insert(0, {root!r})
t = time.perf_counter()
import importlib.util
spec = importlib.util.spec_from_file_location("main", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print((time.perf_counter() - t) * 1000)
"""


def measure(path: Path) -> list[float]:
    out = []
    for _ in range(RUNS):
        code = PROBE.format(root=str(ROOT), path=str(path))
        res = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        )
        out.append(float(res.stdout.strip().splitlines()[-1]))
    return out


def main() -> None:
    targets = sorted(ROOT.glob("functions/*/main.py")) + [ROOT / "benchmarks/floor/main.py"]
    rows = {}
    print(f"{'module':32} {'median ms':>10} {'min':>8} {'max':>8}")
    for path in targets:
        runs = measure(path)
        name = str(path.parent.relative_to(ROOT))
        rows[name] = {
            "median_ms": round(statistics.median(runs), 1),
            "runs_ms": [round(r, 1) for r in runs],
        }
        print(f"{name:32} {statistics.median(runs):10.1f} {min(runs):8.1f} {max(runs):8.1f}")
    out = {"machine": describe(), "runs": RUNS, "modules": rows}
    (ROOT / "benchmarks/results/import_time.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
