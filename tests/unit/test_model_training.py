"""Training's cross-validation fits (model_serving/train.py). Run in .venv-model, where
scikit-learn is."""

from __future__ import annotations

from tests.model_venv import run_in_model_venv

WARM_START = """
import json
import numpy as np
from model_serving import train

rng = np.random.default_rng(0)
n = 300
x = rng.normal(size=(n, 384))
y = (x[:, 0] + rng.normal(size=n) > 0).astype(int)
dense = {"embedding": x}
fit, val = np.arange(0, 200), np.arange(200, n)
# C values this close: lbfgs, warm-started from the first, accepts it as the second's solution
grid = {"crisis": {"minilm": [100.0, 100.5]}}
out, kept = train.fold_scores(fit, val, grid, dense, [""] * n, {"crisis": y}, keep=True)
cold = train.new_lr(100.5).fit(x[fit], y[fit])
models = {str(c): kept[("crisis", "minilm", c)] for c in (100.0, 100.5)}
print(json.dumps({
    "iterations": {c: int(m.n_iter_.max()) for c, m in models.items()},
    "max_difference_to_cold": float(np.abs(out[("crisis", "minilm", 100.5)][:, 0]
                                           - cold.decision_function(x[val])).max()),
}))
"""


def test_every_c_of_the_grid_is_really_fitted() -> None:
    out = run_in_model_venv(WARM_START)
    assert all(n > 0 for n in out["iterations"].values()), out
    assert out["max_difference_to_cold"] < 1e-3
