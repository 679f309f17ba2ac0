"""The retraining job's heads (retrain.py): every head x candidate feature set x C fitted by
k-fold CV on the training side, the candidate and C chosen by CV score (never by held-out), the
calibration and crisis threshold from the out-of-fold scores, then a refit on all of train.
The recipe (feature sets, late fusions, grids, tie and latency rules) is train.py's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from model_serving import features, split, trainset
from model_serving import train as recipe


@dataclass(frozen=True)
class RetrainConfig:
    name: str
    folds: int  # k-fold CV on train; 1 = a single 80/20 calibration split
    candidates: tuple[str, ...]  # feature sets tried for every head (train.CANDIDATES)
    c: float | None  # None: the recipe's grid per candidate
    refit: bool  # refit the chosen head on all of train (else keep the fold's fit: folds == 1)
    seed: int = recipe.CONFIG["seed"]
    calibration_fraction: float = 0.2  # folds == 1 only
    # the share of the corpus used, train and held-out alike (trainset.sampled): the quick
    # config embeds a fifth of the texts, so a test of the job does not spend minutes encoding
    sample: float = 1.0


CONFIGS = {
    "full": RetrainConfig(
        "full",
        folds=recipe.CONFIG["cv_folds"],
        candidates=tuple(recipe.CANDIDATES),
        c=None,
        refit=True,
    ),
    "quick": RetrainConfig(
        "quick", folds=1, candidates=("minilm",), c=8.0, refit=False, sample=0.2
    ),
}


def folds_for(n: int, strata: list[str], config: RetrainConfig) -> list[tuple[Any, Any]]:
    from sklearn.model_selection import StratifiedKFold, train_test_split

    if config.folds == 1:
        fit, val = train_test_split(
            np.arange(n),
            test_size=config.calibration_fraction,
            stratify=strata,
            random_state=config.seed,
        )
        return [(np.sort(fit), np.sort(val))]
    return list(
        StratifiedKFold(config.folds, shuffle=True, random_state=config.seed).split(
            np.zeros(n), strata
        )
    )


def uses_tfidf(config: RetrainConfig) -> bool:
    return any("tfidf" in recipe.CANDIDATES[c] for c in config.candidates)


def plan(config: RetrainConfig) -> dict[str, dict[str, list[float]]]:
    """head -> candidate -> the C values to try."""
    return {
        head: {
            cand: [config.c] if config.c is not None else list(recipe.CONFIG["grid_C"][cand])
            for cand in config.candidates
        }
        for head in recipe.HEAD_NAMES
    }


def oof_scores(
    ts: trainset.TrainingSet,
    dense: dict[str, np.ndarray],
    texts: list[str],
    ys: dict[str, np.ndarray],
    grid: dict[str, dict[str, list[float]]],
    config: RetrainConfig,
    jobs: int = 1,
) -> tuple[dict[tuple[str, str, float], np.ndarray], np.ndarray, dict[Any, Any]]:
    """Out-of-fold scores of every head x candidate x C, which records have them, and (one
    fold only) the fold's fitted models and TF-IDF vectorisers. Folds run in `jobs` processes."""
    from joblib import Parallel, delayed

    folds = folds_for(len(texts), [split.stratum(r) for r in ts.train], config)
    keep = len(folds) == 1
    fits = sum(len(cs) for head in grid.values() for cs in head.values()) * len(folds)
    print(f"    {len(folds)} fold(s), {fits} fits, {min(jobs, len(folds))} worker(s)", flush=True)
    results = Parallel(n_jobs=min(jobs, len(folds)), verbose=10 if len(folds) > 1 else 0)(
        delayed(recipe.fold_scores)(fit, val, grid, dense, texts, ys, ts.weights, keep)
        for fit, val in folds
    )
    covered = np.zeros(len(texts), bool)
    oof: dict[tuple[str, str, float], np.ndarray] = {}
    kept: dict[Any, Any] = {}
    for (_, val), (scores, fold_kept) in zip(folds, results, strict=True):
        covered[val] = True
        kept |= fold_kept
        for key, z in scores.items():
            if key not in oof:
                oof[key] = np.zeros((len(texts), z.shape[1]))
            oof[key][val] = z
    return oof, covered, kept


def train_heads(
    ts: trainset.TrainingSet,
    dense_tr: dict[str, np.ndarray],
    config: RetrainConfig,
    jobs: int = 1,
) -> tuple[dict[str, np.ndarray], dict[str, dict], features.Tfidf | None, dict[str, dict]]:
    """(arrays for heads.npz, head specs, TF-IDF, selection) of the challenger."""
    texts = [r["text"] for r in ts.train]
    ys = {h: recipe.targets(ts.train, h) for h in recipe.HEAD_NAMES}
    dense_tr, means = recipe.centred(dense_tr)
    grid = plan(config)
    oof, covered, kept = oof_scores(ts, dense_tr, texts, ys, grid, config, jobs)
    vectorizers, tf_all = None, None
    if config.refit and uses_tfidf(config):
        vectorizers, (tf_all,) = recipe.tfidf_matrix(texts, [texts])
    elif not config.refit:
        if config.folds != 1:
            raise ValueError("without a refit there must be exactly one fold")
        vectorizers = kept["tfidf"]
    tfidf = features.from_sklearn(vectorizers) if vectorizers else None
    sizes = {**recipe.CONFIG["encoder"]["outputs"], "tfidf": tfidf.size if tfidf else 0}
    arrays: dict[str, np.ndarray] = {}
    specs: dict[str, dict] = {}
    selection: dict[str, dict] = {}
    for head in recipe.HEAD_NAMES:
        y = ys[head]
        entries: dict[str, dict] = {}
        for cand, cs in grid[head].items():
            tried = {
                c: recipe.calibrate(head, oof[(head, cand, c)][covered], y[covered]) for c in cs
            }
            best_c = max(cs, key=lambda c: (tried[c]["score"], -c))
            entries[cand] = {
                "C": best_c,
                **tried[best_c],
                "cv_by_C": {str(c): tried[c]["score"] for c in cs},
            }
        for fusion, members in recipe.FUSIONS.items():
            if all(m in entries for m in members):
                fused = recipe.fuse_scores(
                    [
                        (oof[(head, m, entries[m]["C"])][covered], entries[m]["calibration"])
                        for m in members
                    ]
                )
                entries[fusion] = {
                    "members": {m: entries[m]["C"] for m in members},
                    **recipe.calibrate(head, fused, y[covered]),
                }
        chosen = recipe.pick({c: e["score"] for c, e in entries.items()})
        fits = {}  # the chosen candidate, or the members of the chosen fusion
        for cand in recipe.FUSIONS.get(chosen, (chosen,)):
            c = entries[cand]["C"]
            if config.refit:
                model = recipe.refit(head, cand, c, dense_tr, tf_all, y, ts.weights[head])
            else:
                model = kept[(head, cand, c)]
            fits[cand] = recipe.block_weights(cand, model, sizes, means)
        if chosen in recipe.FUSIONS:
            weights, bias = recipe.fuse_weights(
                [(*fits[m], entries[m]["calibration"]) for m in recipe.FUSIONS[chosen]]
            )
        else:
            weights, bias = fits[chosen]
        head_arrays, specs[head] = recipe.head_artifact(
            head, chosen, entries[chosen], weights, bias
        )
        arrays |= head_arrays
        selection[head] = {
            "chosen": chosen,
            "candidates": {
                c: {
                    **{k: e[k] for k in ("C", "cv_by_C", "members") if k in e},
                    "cv": e["cv"],
                    "calibration": e["calibration"],
                    "ece": e["ece"],
                    "latency_rank": recipe.CONFIG["latency_rank"][c],
                    **({"threshold": e["threshold"]} if head == "crisis" else {}),
                }
                for c, e in entries.items()
            },
        }
        line = "  ".join(f"{c}={e['score']:.3f}" for c, e in entries.items())
        print(f"    {head:8} CV {line} -> {chosen}", flush=True)
    needed = any("tfidf" in s["inputs"] for s in specs.values())
    if needed and tfidf is not None:
        arrays |= tfidf.to_arrays()
    return arrays, specs, tfidf if needed else None, selection
