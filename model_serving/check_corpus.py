"""Validate the labelled corpus and print its label counts.

    python -m model_serving.check_corpus [FILE ...]     (default: every corpus/*.jsonl)
Exit status 1 when a record is invalid or a duplicate."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

from common.text import canonical_text
from model_serving.labels import DOMAINS, HEADS, KINDS, REGISTERS

CORPUS = Path(__file__).parent / "data" / "corpus"
FIELDS = {"text", "tone", "pace", "intent", "persona", "crisis", "domain", "register", "kind"}


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def problems(record: dict) -> list[str]:
    out = []
    if set(record) != FIELDS:
        out.append(f"fields {sorted(set(record) ^ FIELDS)}")
    for head, labels in HEADS.items():
        if record.get(head) not in labels:
            out.append(f"{head}={record.get(head)!r}")
    if not isinstance(record.get("crisis"), bool):
        out.append("crisis must be true/false")
    if record.get("domain") not in DOMAINS:
        out.append(f"domain={record.get('domain')!r}")
    if record.get("register") not in REGISTERS:
        out.append(f"register={record.get('register')!r}")
    if record.get("kind") not in KINDS:
        out.append(f"kind={record.get('kind')!r}")
    text = record.get("text")
    if not isinstance(text, str) or not 1 <= len(text.split()) <= 90:
        out.append("text must be 1-90 words")
    elif canonical_text(text) != text:
        # the model serves every text with these as ' and " (Predictor.scores): trained on them
        # as written, it would read a text otherwise than it does when serving it
        out.append("text has typographic apostrophes or quotes (common/text.py): write ' and \"")
    if record.get("kind") == "crisis" and record.get("crisis") is not True:
        out.append("kind crisis needs crisis true")
    if record.get("kind") == "alarming_not_crisis" and record.get("crisis") is not False:
        out.append("kind alarming_not_crisis needs crisis false")
    return out


def load(paths: list[Path]) -> tuple[list[dict], list[str]]:
    """The valid, distinct records of the files, and what is wrong with the others."""
    records, errors, _ = load_located(paths)
    return records, errors


def load_located(paths: list[Path]) -> tuple[list[dict], list[str], list[str]]:
    """load(), plus the name of the file each record came from."""
    records: list[dict] = []
    errors: list[str] = []
    files: list[str] = []
    seen: dict[str, str] = {}  # normalised text: where it was first
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{n}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{where}: not JSON ({e})")
                continue
            if bad := problems(record):
                errors.append(f"{where}: {'; '.join(bad)}")
                continue
            key = normalise(record["text"])
            if key in seen:
                errors.append(f"{where}: duplicate of {seen[key]}")
                continue
            seen[key] = where
            records.append(record)
            files.append(path.name)
    return records, errors, files


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Exit status 1 when a record is invalid or a duplicate.",
    )
    parser.add_argument(
        "files", nargs="*", type=Path, help="corpus files (default: every corpus/*.jsonl)"
    )
    paths = parser.parse_args(argv).files or sorted(CORPUS.glob("*.jsonl"))
    records, errors = load(paths)
    for e in errors[:50]:
        print("ERROR", e)
    print(f"{len(records)} valid records, {len(errors)} errors")
    for head in (*HEADS, "crisis", "kind", "domain", "register"):
        counts = Counter(str(r[head]) for r in records)
        print(f"{head:9} " + "  ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    words = sorted(len(r["text"].split()) for r in records)
    if words:
        print(
            f"words     min={words[0]} median={words[len(words) // 2]} max={words[-1]} "
            f"(<6: {sum(w < 6 for w in words)}, >40: {sum(w > 40 for w in words)})"
        )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
