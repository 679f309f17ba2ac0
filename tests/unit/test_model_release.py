"""The check that lets a fresh machine install the committed heads instead of training
(model_serving/ensure.py): served held-out scores must equal the ones recorded at training time,
within what another CPU's int8 arithmetic moves them.
Run in .venv-model, where scikit-learn is; installing the real release end to end is what
`make test`'s bootstrap does on every fresh clone."""

from __future__ import annotations

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
