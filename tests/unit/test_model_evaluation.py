"""evaluate.py's tables by kind, register and length, on a tiny synthetic held-out set (in
.venv-model: they use scikit-learn), and the slices they and the retraining job share."""

from __future__ import annotations

import numpy as np

from model_serving import slices
from tests.model_venv import run_in_model_venv


def test_slices_are_registers_and_lengths_in_words() -> None:
    assert [slices.length(t) for t in ("help", "a b c d e", "a b c d e f", "x " * 16)] == [
        "1-5",
        "1-5",
        "6-15",
        "16+",
    ]
    records = [
        {"text": "one two", "register": "emoji"},
        {"text": "x " * 20, "register": "formal"},
        {"text": "one two three", "register": "emoji"},
    ]
    assert slices.groups(records) == {
        "register": {"formal": [1], "emoji": [0, 2]},
        "length": {"1-5": [0, 2], "16+": [1]},
    }


def test_a_slices_crisis_recall_counts_only_its_crisis_messages_caught() -> None:
    # a false alarm on the slice's non-crisis message is not a crisis message caught
    records = [
        {"register": "emoji", "text": "a b", "crisis": 1},
        {"register": "emoji", "text": "c d", "crisis": 0},
    ]
    recall = slices.crisis_recall(records, np.array([False, True]))
    assert recall == {
        "register=emoji": {"recall": 0.0, "positives": 1},
        "length=1-5": {"recall": 0.0, "positives": 1},
    }


GROUP_ROWS = """
import json
import numpy as np
from model_serving.evaluate import group_rows, MULTICLASS
from model_serving.labels import HEADS

labels = {h: list(HEADS[h]) for h in MULTICLASS}

def record(pace, crisis):
    return {"tone": "calm", "pace": pace, "intent": "check_in", "persona": "nana",
            "crisis": crisis}

# "minority": 9 steady read right, 1 urgent read as steady (accuracy 0.9), 1 false alarm.
# "crisis": 20 crisis messages, 18 caught. "few": 3 crisis messages, all caught.
heldout = [record("steady", False) for _ in range(9)] + [record("urgent", False)]
heldout += [record("steady", True) for _ in range(20)] + [record("steady", True) for _ in range(3)]
n = len(heldout)
probs = {h: np.zeros((n, len(labels[h]))) for h in MULTICLASS}
for h in MULTICLASS:
    for i, r in enumerate(heldout):
        probs[h][i, labels[h].index(r[h] if h != "pace" else "steady")] = 1.0
flag = np.array([i == 0 for i in range(10)] + [i < 18 for i in range(20)] + [True] * 3)
groups = {"minority": list(range(10)), "crisis": list(range(10, 30)), "few": list(range(30, 33))}
print(json.dumps(group_rows(groups, heldout, probs, labels, flag)))
"""


def test_the_tables_show_macro_f1_and_crisis_recall_per_group() -> None:
    minority, crisis, few = run_in_model_venv(GROUP_ROWS)
    name, n, tone, pace, intent, persona, positives, recall, precision, alarms = minority
    assert (name, n, positives, recall, precision) == ("minority", 10, 0, "—", "—")
    # macro-F1 over steady and urgent, not the accuracy 0.9: the urgent message is never read
    assert round(pace, 3) == 0.474 and tone == intent == persona == 1.0
    assert alarms == "1 (10.0%)"
    # a bootstrap interval over the group's 20 crisis messages, none under 20
    assert crisis[6:9] == [20, crisis[7], 1.0] and crisis[9] == "—"
    value, interval = crisis[7].split(" ", 1)
    low, high = (float(x) for x in interval.strip("[]").split(", "))
    assert value == "0.900" and low < 0.9 < high <= 1.0
    assert few[6:] == [3, "1.000", 1.0, "—"]
