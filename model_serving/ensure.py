"""Make sure an artifact for the current corpus and training code exists, training one if not.

    python -m model_serving.ensure        (the bootstrap runs it; quick when nothing changed)

The version is a function of the data and the training configuration (see train.py), so an
artifact whose directory holds every file is exactly what training would build again."""

from __future__ import annotations

import sys

from model_serving import split, train
from model_serving.artifact import ARTIFACTS, CURRENT, set_current
from model_serving.check_corpus import load

FILES = ("metadata.json", "heads.npz", "encoder.onnx", "tokenizer.json")


def expected_version() -> str:
    records, _ = load(split.corpus_paths())
    train_set, heldout, _ = split.partition(records)
    train_set.sort(key=lambda r: split.key(r["text"]))
    heldout.sort(key=lambda r: split.key(r["text"]))
    data_sha = train.canonical_data(train_set, heldout)
    return f"pm-{data_sha[:8]}-{train.config_hash()[:8]}"


def is_ready(version: str) -> bool:
    folder = ARTIFACTS / version
    current = CURRENT.read_text().strip() if CURRENT.exists() else ""
    return current == version and all((folder / name).exists() for name in FILES)


def main() -> int:
    version = expected_version()
    if is_ready(version):
        print(f"persona model {version} is up to date")
        return 0
    if all((ARTIFACTS / version / name).exists() for name in FILES):
        # CURRENT names another version (e.g. a local `model_serving.retrain` promotion): the
        # tests expect the model of the committed corpus, which is already built.
        was = CURRENT.read_text().strip() if CURRENT.exists() else "nothing"
        set_current(ARTIFACTS, version)
        print(f"persona model {version} is built; CURRENT pointed at {was}, now back to it")
        return 0
    print(f"persona model {version} is missing: training it (a few minutes, once per change)")
    return train.main([])


if __name__ == "__main__":
    sys.exit(main())
