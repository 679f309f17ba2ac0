"""Training's cross-validation fits (model_serving/train.py). Run in .venv-model, where
scikit-learn is."""

from __future__ import annotations

from tests.model_venv import run_in_model_venv

WARM_START = """
import json
import numpy as np
from sklearn.linear_model import LogisticRegression
from model_serving import train

rng = np.random.default_rng(0)
n, d = 3000, 384
x = rng.normal(size=(n, d)) / np.sqrt(d)
y = (x[:, :8].sum(1) * 4 + rng.normal(size=n) > 1.0).astype(int)
fit, val = np.arange(0, 2000), np.arange(2000, n)
cs = [2.0, 8.0, 32.0]
out, _ = train.fold_scores(fit, val, {"crisis": {"minilm": cs}}, {"embedding": x}, [""] * n,
                           {"crisis": y})
differences = {}
for c in cs:
    exact = LogisticRegression(C=c, class_weight="balanced", tol=1e-10, max_iter=100000)
    exact.fit(x[fit], y[fit])
    z = out[("crisis", "minilm", c)][:, 0]
    differences[str(c)] = float(np.abs(z - exact.decision_function(x[val])).max())
print(json.dumps(differences))
"""


def test_every_c_of_the_grid_is_fitted_to_its_optimum() -> None:
    # Each C's fit starts from the last one's solution. With scikit-learn's default tolerance
    # (1e-4 on the gradient of the per-record objective) these fits stopped 0.16-0.20 away
    # from the optimum at C = 8 and 32; the recipe's tolerance brings them within 0.002.
    differences = run_in_model_venv(WARM_START)
    assert max(differences.values()) < 0.01, differences
