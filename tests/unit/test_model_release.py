"""The check that lets a fresh machine install the committed heads instead of training
(model_serving/ensure.py): served held-out scores must equal the ones recorded at training time,
within what another CPU's int8 arithmetic moves them (run in .venv-model, where scikit-learn
is); and which heads ensure leaves in released/. Installing the real release end to end is what
`make test`'s bootstrap does on every fresh clone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model_serving import ensure
from tests.model_venv import run_in_model_venv

MISMATCHES = """
import copy, json
import numpy as np
from common.labels import TONES
from model_serving.ensure import heldout_differences, mismatches

def heldout_mismatches(meta, probs, heldout):
    return mismatches(heldout_differences(meta, probs, heldout))

heldout = [
    {"tone": "calm", "crisis": False}, {"tone": "anxious", "crisis": True},
    {"tone": "calm", "crisis": False}, {"tone": "anxious", "crisis": True},
]
tone = np.zeros((4, len(TONES)))
for i, r in enumerate(heldout):
    tone[i, TONES.index(r["tone"])] = 0.9
probs = {"tone": tone, "crisis": np.array([0.2, 0.8, 0.1, 0.6])}
perfect = {"macro_f1": 1.0, "accuracy": 1.0}
tone_heldout = {"macro_f1": 2 / len(TONES), "accuracy": 1.0}  # F1 0 for the 4 absent tones
meta = {
    "heads": {"crisis": {"threshold": 0.5}},
    "selection": {
        "tone": {"chosen": "a", "candidates": {"a": {"heldout": tone_heldout}}},
        "crisis": {"chosen": "b", "candidates": {"b": {"heldout": {
            **perfect, "precision": 1.0, "recall": 1.0, "average_precision": 1.0}}}},
    },
}
out = {"same": heldout_mismatches(meta, probs, heldout)}
flipped = copy.deepcopy(probs); flipped["tone"][2] = probs["tone"][1]
out["one tone prediction changed"] = heldout_mismatches(meta, flipped, heldout)
raised = copy.deepcopy(meta); raised["heads"]["crisis"]["threshold"] = 0.7
out["crisis threshold raised"] = heldout_mismatches(raised, probs, heldout)
def recorded_off(by):
    off = copy.deepcopy(meta)
    off["selection"]["tone"]["candidates"]["a"]["heldout"]["accuracy"] -= by
    return heldout_mismatches(off, probs, heldout)
out["accuracy recorded 0.002 lower"] = recorded_off(0.002)
out["accuracy recorded 0.004 lower"] = recorded_off(0.004)
print(json.dumps(out))
"""


def test_installing_released_heads_requires_the_recorded_heldout_scores() -> None:
    out = run_in_model_venv(MISMATCHES)
    assert out["same"] == []
    assert [m.split()[:2] for m in out["one tone prediction changed"]] == [
        ["tone", "macro_f1"],
        ["tone", "accuracy"],
    ]
    assert {m.split()[1] for m in out["crisis threshold raised"]} == {
        "recall",
        "macro_f1",
        "accuracy",
    }
    # another CPU's rounding moves a figure by a few predictions in thousands: accepted
    assert out["accuracy recorded 0.002 lower"] == []
    assert [m.split()[:2] for m in out["accuracy recorded 0.004 lower"]] == [["tone", "accuracy"]]


def _heads(folder: Path, encoder_sha: str, heads: str) -> None:
    folder.mkdir(parents=True)
    (folder / "metadata.json").write_text(json.dumps({"encoder": {"sha256": encoder_sha}}))
    (folder / "heads.npz").write_text(heads)
    (folder / "timings.json").write_text("{}")


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    released, artifacts = tmp_path / "released", tmp_path / "artifacts"
    monkeypatch.setattr(ensure, "RELEASED", released)
    monkeypatch.setattr(ensure, "ARTIFACTS", artifacts)
    return released, artifacts


def _artifact(folder: Path, encoder_sha: str, heads: str) -> None:
    """A built artifact: its heads and the files serving needs besides (is_built)."""
    _heads(folder, encoder_sha, heads)
    (folder / "encoder.onnx").write_text("onnx")
    (folder / "tokenizer.json").write_text("{}")


def _main(monkeypatch: pytest.MonkeyPatch, artifacts: Path, *, trains_on: str = "") -> list[str]:
    """ensure.main() for version pm-x; build(), if called, trains heads on encoder `trains_on`.
    The versions it built."""
    built: list[str] = []

    def build(version: str, heldout: list[dict]) -> int:
        built.append(version)
        _artifact(artifacts / version, trains_on, "trained here")
        return 0

    monkeypatch.setattr(ensure, "committed_inputs", lambda: ("pm-x", []))
    monkeypatch.setattr(ensure, "CURRENT", artifacts / "CURRENT")
    monkeypatch.setattr(ensure, "build", build)
    assert ensure.main() == 0
    return built


def test_released_heads_of_the_same_version_and_encoder_are_kept(
    folders: tuple[Path, Path],
) -> None:
    """Heads trained here on another CPU differ in the last bits: the committed ones stay."""
    released, artifacts = folders
    _heads(released / "pm-x", "e1", "committed")
    _heads(artifacts / "pm-x", "e1", "trained here")
    ensure.release("pm-x", built_here=True)
    assert (released / "pm-x" / "heads.npz").read_text() == "committed"


def test_released_heads_trained_on_another_encoder_are_replaced(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library bump changed the exported encoder, not the version name: install_release
    refuses the committed heads, so keeping them would make every fresh machine train."""
    released, artifacts = folders
    _heads(released / "pm-x", "e1", "stale")
    _heads(released / "pm-old", "e0", "older version")
    assert _main(monkeypatch, artifacts, trains_on="e2") == ["pm-x"]
    assert (released / "pm-x" / "heads.npz").read_text() == "trained here"
    assert ensure.encoder_sha(released / "pm-x") == "e2"
    assert [p.name for p in released.iterdir()] == ["pm-x"]


def test_an_artifact_built_before_a_library_bump_leaves_the_committed_heads(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """A teammate retrained pm-x on the new encoder and committed its heads; this machine's
    artifacts/pm-x is older (the old encoder) and, being there, is not built again. Its heads
    must not replace the committed ones, which every fresh machine installs."""
    released, artifacts = folders
    _heads(released / "pm-x", "e2-new-libs", "committed")
    _artifact(artifacts / "pm-x", "e1-old-libs", "built before the bump")
    assert _main(monkeypatch, artifacts) == []
    assert (released / "pm-x" / "heads.npz").read_text() == "committed"
    assert ensure.encoder_sha(released / "pm-x") == "e2-new-libs"
    assert "kept" in capsys.readouterr().out
