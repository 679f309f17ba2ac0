"""False alarms and misses of the crisis flag on probe messages kept out of the corpus.

    python -m model_serving.probes [--artifact DIR ...] [--list]      (in .venv-model)

A probe file (`reports/probes_false_alarms.jsonl`: text, kind, crisis) holds messages written to
test where the crisis head draws its line on a topic (loneliness, medication, carers, ...): the
ordinary ones should not be flagged and the crises in the same topics should be. They are never
trained on or used to choose anything (the unit tests keep them out of the corpus), so they
measure a retrained model as a reviewer would meet it. Scored through the serving `Predictor`;
several artifacts are shown side by side.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from model_serving.artifact import current_dir

PROBES = Path(__file__).parent / "reports" / "probes_false_alarms.jsonl"


@dataclass
class Tally:
    ordinary: int = 0
    false_alarms: int = 0
    crisis: int = 0
    missed: int = 0


def read(path: Path = PROBES) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def tally(probes: list[dict], flags: list[bool]) -> dict[str, Tally]:
    """Per kind, in the file's order, then "all": ordinary probes flagged, crisis probes not."""
    out: dict[str, Tally] = {}
    for probe, flag in zip(probes, flags, strict=True):
        for kind in (probe["kind"], "all"):
            t = out.setdefault(kind, Tally())
            if probe["crisis"]:
                t.crisis += 1
                t.missed += not flag
            else:
                t.ordinary += 1
                t.false_alarms += flag
    out["all"] = out.pop("all", Tally())  # last
    return out


def table(versions: list[str], tallies: list[dict[str, Tally]]) -> str:
    """A markdown table: one row per kind, false alarms and misses per version."""
    head = ["kind", "ordinary", "crisis"]
    for v in versions:
        head += [f"false alarms, {v}", f"missed, {v}"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for kind, first in tallies[0].items():
        cells = [kind, str(first.ordinary), str(first.crisis)]
        for t in tallies:
            cells += [str(t[kind].false_alarms), str(t[kind].missed)]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifact", type=Path, action="append", help="default: CURRENT")
    parser.add_argument("--probes", type=Path, default=PROBES)
    parser.add_argument(
        "--list", action="store_true", help="also print every wrong flag with its probability"
    )
    args = parser.parse_args(argv)
    from model_serving.predictor import Predictor

    probes = read(args.probes)
    texts = [p["text"] for p in probes]
    versions, tallies = [], []
    for artifact in args.artifact or [current_dir()]:
        predictor = Predictor()
        predictor.load(artifact)
        probability = predictor.predict(texts)["crisis"]
        flags = [bool(p >= predictor.heads["crisis"].threshold) for p in probability]
        versions.append(predictor.version)
        tallies.append(tally(probes, flags))
        if args.list:
            for probe, p, flag in zip(probes, probability, flags, strict=True):
                if flag != probe["crisis"]:
                    wrong = "missed" if probe["crisis"] else "false alarm"
                    print(f"{predictor.version} {wrong} {p:.3f} [{probe['kind']}] {probe['text']}")
    print(table(versions, tallies))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
