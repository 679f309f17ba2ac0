"""The fixed held-out split of the labelled corpus.

    python -m model_serving.split   (writes data/heldout.txt and data/train.txt; the first run
                                     also data/split.json)

Why fixed: metrics are only comparable across model versions when they are measured on the same
records, and a record that was ever held out must never be trained on.

The rule, for a record with key k = sha1(normalise(text)) (hex) and stratum s = (intent, crisis):

1. u(k) = int(sha1("heldout-v1:" + k)[:15], 16) / 16**15, a fixed pseudo-random number in [0, 1)
   (the salt "heldout-v1" is the seed).
2. The first run freezes one threshold t(s) per stratum in data/split.json: the midpoint between
   the ceil(20 %)-th and the next smallest u of the stratum's records at that time, but never below
   NEW_RECORD_RATE (0.22). So every stratum then holds out >= 20 % of its records, chosen at random.
3. Each run lists every record's side: held-out keys in data/heldout.txt, trained-on keys in
   data/train.txt. A listed record keeps its side for good, even when a relabelling moves it to
   another stratum (the 2026-12-03 intent relabelling moved 7 trained-on records into a stratum
   whose threshold would have held them out). A record not listed yet, added since the last run,
   is held out iff u(k) < t(s) (a stratum unseen at freeze time uses NEW_RECORD_RATE), so new
   records are held out at about 22 % per stratum. The lists only grow; the thresholds never move.

Training and evaluation call `partition`, which applies the same rule, so a record added after the
last run of this command is still kept out of training.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from model_serving.check_corpus import CORPUS, load, normalise

DATA = Path(__file__).parent / "data"
HELDOUT_FILE = DATA / "heldout.txt"
TRAIN_FILE = DATA / "train.txt"
SPLIT_FILE = DATA / "split.json"
SALT = "heldout-v1"
HELDOUT_FRACTION = 0.20
NEW_RECORD_RATE = 0.22


def key(text: str) -> str:
    """The record's identity: the sha1 of its normalised text (what check_corpus dedupes on)."""
    return hashlib.sha1(normalise(text).encode("utf-8"), usedforsecurity=False).hexdigest()


def draw(k: str, salt: str = SALT) -> float:
    """A fixed number in [0, 1) per key, independent of file order and of the other records;
    another salt gives a draw independent of the held-out one."""
    digest = hashlib.sha1(f"{salt}:{k}".encode(), usedforsecurity=False).hexdigest()
    return int(digest[:15], 16) / 16**15


def stratum(record: dict) -> str:
    return f"{record['intent']}|{str(record['crisis']).lower()}"


def freeze_thresholds(records: Iterable[dict]) -> dict[str, float]:
    """Per stratum, the threshold that holds out ceil(20 %) of today's records (at least 0.22)."""
    draws: dict[str, list[float]] = {}
    for r in records:
        draws.setdefault(stratum(r), []).append(draw(key(r["text"])))
    out = {}
    for s, us in sorted(draws.items()):
        us.sort()
        n_out = math.ceil(HELDOUT_FRACTION * len(us))
        cut = (us[n_out - 1] + us[n_out]) / 2 if n_out < len(us) else 1.0
        out[s] = max(cut, NEW_RECORD_RATE)
    return out


def read_keys(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {line.strip() for line in path.read_text().splitlines() if line.strip()}


def read_heldout() -> set[str]:
    return read_keys(HELDOUT_FILE)


def read_sides() -> tuple[set[str], set[str]]:
    """The listed keys: (held out, trained on)."""
    return read_heldout(), read_keys(TRAIN_FILE)


def read_thresholds(path: Path = SPLIT_FILE) -> dict[str, float] | None:
    if not path.exists():
        return None
    return json.loads(path.read_text())["thresholds"]


def is_heldout(
    record: dict, listed: set[str], trained: set[str], thresholds: dict[str, float]
) -> bool:
    k = key(record["text"])
    if k in listed or k in trained:
        return k in listed
    return draw(k) < thresholds.get(stratum(record), NEW_RECORD_RATE)


def partition(records: list[dict]) -> tuple[list[dict], list[dict], bool]:
    """(train, heldout, file_is_current) by the rule above; needs a frozen split.json."""
    thresholds = read_thresholds()
    if thresholds is None:
        raise SystemExit(f"{SPLIT_FILE} is missing: run `python -m model_serving.split` first")
    listed, trained = read_sides()
    train: list[dict] = []
    heldout: list[dict] = []
    for r in records:
        (heldout if is_heldout(r, listed, trained, thresholds) else train).append(r)
    current = {key(r["text"]) for r in heldout} <= listed
    return train, heldout, current


def corpus_paths() -> list[Path]:
    return sorted(CORPUS.glob("*.jsonl"))


def ordinary_records(held_out_only: bool = False) -> list[dict]:
    """The corpus's valid records that are not crisis messages: what the benchmarks' simulated
    users write; with `held_out_only`, only those the persona model was never trained on."""
    records, _ = load(corpus_paths())
    if held_out_only:
        records = partition(records)[1]
    return [r for r in records if not r["crisis"]]


def main(argv: list[str]) -> int:
    argparse.ArgumentParser(
        description="The fixed held-out split of the labelled corpus: writes data/heldout.txt "
        "and data/train.txt (the first run also data/split.json, the frozen thresholds)."
    ).parse_args(argv)
    records, errors = load(corpus_paths())
    if errors:
        print(f"warning: {len(errors)} invalid or duplicate records skipped (see check_corpus)")
    if not records:
        print("no records in the corpus")
        return 1
    thresholds = read_thresholds()
    if thresholds is None:
        thresholds = freeze_thresholds(records)
        payload = {
            "salt": SALT,
            "heldout_fraction": HELDOUT_FRACTION,
            "new_record_rate": NEW_RECORD_RATE,
            "frozen_with_records": len(records),
            "thresholds": thresholds,
        }
        SPLIT_FILE.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
        print(f"froze per-stratum thresholds on {len(records)} records -> {SPLIT_FILE.name}")
    listed, trained = read_sides()
    keys = {key(r["text"]) for r in records if is_heldout(r, listed, trained, thresholds)}
    added = keys - listed
    HELDOUT_FILE.write_text("".join(f"{k}\n" for k in sorted(listed | keys)))
    train_keys = trained | {key(r["text"]) for r in records} - keys
    TRAIN_FILE.write_text("".join(f"{k}\n" for k in sorted(train_keys)))
    total: Counter[str] = Counter()
    out: Counter[str] = Counter()
    for r in records:
        total[stratum(r)] += 1
        out[stratum(r)] += key(r["text"]) in keys
    print(
        f"held out {len(keys)} of {len(records)} records ({len(keys) / len(records):.1%}), "
        f"{len(added)} newly assigned"
    )
    for s in sorted(total):
        print(f"  {s:26} {out[s]:4} / {total[s]:4}  ({out[s] / total[s]:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
