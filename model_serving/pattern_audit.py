"""The crisis patterns alone over the labelled corpus: how many crisis messages they catch and
how many ordinary ones they flag, on the training and held-out sides (README's figures).

    python -m model_serving.pattern_audit            (the counts)
    python -m model_serving.pattern_audit --list     (also every ordinary message flagged)

The patterns are the only crisis signal when the model is down and in every language but
English (the model reads English only), so a pattern change is judged by these counts: an
ordinary message flagged gets the crisis reply, and a crisis message missed gets none when
the model is not there to catch it."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field

from common.analysis.safety import assess_safety
from model_serving.check_corpus import load
from model_serving.split import corpus_paths, partition


@dataclass
class Side:
    crisis: int = 0
    crisis_caught: int = 0
    ordinary: int = 0
    false_alarms: list[str] = field(default_factory=list)


def audit() -> dict[str, Side]:
    """The patterns' verdict on every valid corpus record, by side ("train", "held-out")."""
    records, _ = load(corpus_paths())
    train, heldout, _ = partition(records)
    sides = {"train": Side(), "held-out": Side()}
    for name, side_records in (("train", train), ("held-out", heldout)):
        side = sides[name]
        for r in side_records:
            flagged = assess_safety(r["text"]).crisis
            if r["crisis"]:
                side.crisis += 1
                side.crisis_caught += flagged
            else:
                side.ordinary += 1
                if flagged:
                    side.false_alarms.append(r["text"])
    return sides


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--list", action="store_true", help="also print every ordinary message flagged"
    )
    args = parser.parse_args(argv)
    sides = audit()
    for name, s in sides.items():
        print(
            f"{name}: crisis {s.crisis_caught} of {s.crisis}, "
            f"ordinary flagged {len(s.false_alarms)} of {s.ordinary}"
        )
    total = [sum(getattr(s, a) for s in sides.values()) for a in ("crisis_caught", "crisis")]
    alarms = sum(len(s.false_alarms) for s in sides.values())
    ordinary = sum(s.ordinary for s in sides.values())
    print(f"corpus: crisis {total[0]} of {total[1]}, ordinary flagged {alarms} of {ordinary}")
    if args.list:
        for s in sides.values():
            for text in s.false_alarms:
                print(f"  flagged: {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
