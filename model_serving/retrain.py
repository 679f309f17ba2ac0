"""The weekly retraining job: champion/challenger on the corpus plus users' ratings.

    python -m model_serving.retrain [--quick] [--artifacts DIR]      (in .venv-model; locally)
    python -m model_serving.retrain --target vertex                  (the Cloud Run job)

1. The champion: the version <artifacts>/CURRENT names. Production: what serves, i.e. the
   deployed model taking the most traffic on the endpoint (its folder in the bucket; a build
   version's is the artifact baked into this image), so the logged turns it read are the ones
   the off-policy estimate replays.
2. The training set (trainset.py): the corpus's training side (held-out never enters), the
   ratings of the `--feedback-days` days before the cut-off from BigQuery as the persona head's
   sample weights. Production's cut-off is the start of the run's UTC day, so a retried run reads
   the same ratings and builds the same version; a local run's is now. BigQuery counts the
   ratings by group (feedback.py); only the champion's turns the off-policy replay (6) can use
   are read one by one, at most `--replay-max-turns` (a fixed sample beyond), so the job's memory
   does not grow with the ratings. Each query may bill at most `--feedback-max-gib`.
3. Embeddings with the champion's own encoder.onnx (no torch: the encoder is reused, only the
   heads are retrained), cached per encoder and texts under <artifacts>/.cache/.
4. The heads (retrain_heads.py). `full` (the default): every candidate feature set, C from a
   grid, k-fold CV on train for C, the candidate (by CV score, never by held-out), the
   calibration and the crisis threshold, then a refit on all of train (minutes). `quick` (tests
   only, seconds): a fixed fifth of the corpus (train and held-out alike, so a first run embeds
   ~3,800 texts, not 19,000), the sentence embedding alone with C = 8 for every head, fitted on
   80 % of that train and calibrated on the other 20 %, no refit; its heads are weaker (tone
   ~0.55 macro-F1), so it is for testing the job, never for production.
5. Both models on the fixed held-out set through the serving Predictor: per-head macro-F1,
   crisis precision / recall at each model's threshold, and crisis recall per register and
   length slice (slices.py) with its number of crisis records.
6. Off-policy estimates (offpolicy.py) of the configured ranking policy with each persona head,
   on the champion's logged, rated turns (all of them, or the fixed sample of step 2).
7. The decision (promotion.py): promoted only if no head is worse by more than one point, crisis
   recall and precision meet their targets (0.97, 0.90), persona macro-F1 and crisis recall are
   within two points of the committed reference (both full config only), on no slice with at
   least 20 crisis records the challenger catches more than 2 fewer than the champion, and the
   off-policy difference is not clearly negative.
   Report: <artifacts>/decisions/<stamp>-<version>.json and .md (and in the bucket).
8. Promotion. Locally: CURRENT moves to the challenger; a running model server reloads it
   without a restart (server.py). Production: upload to GCS, a new Model version in the Vertex AI
   Model Registry, deployed to the endpoint with a traffic split (vertex.py; not again when a
   retry finds it registered). It becomes the champion once an operator gives it most of the
   traffic. A rejected challenger's folder is removed (its figures stay in the report).

Exit status 0 whether or not the challenger was promoted (a rejection is a result), 1 on error.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from importlib import metadata as pkg_metadata
from pathlib import Path
from typing import Any

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np

from model_serving import features, offpolicy, promotion, slices, split, trainset
from model_serving import train as recipe
from model_serving.artifact import (
    artifacts_root,
    current_version,
    read_npz,
    set_current,
    sha256_file,
    write_npz,
)
from model_serving.check_corpus import load
from model_serving.ensure import RELEASED
from model_serving.feedback import RatedGroup, RatedTurn, read_rated_groups, read_rated_turns
from model_serving.predictor import Encoder, Predictor
from model_serving.retrain_heads import CONFIGS, RetrainConfig, train_heads

HERE = Path(__file__).parent
HEAD_NAMES = recipe.HEAD_NAMES
MULTICLASS = ("tone", "pace", "intent", "persona")
DENSE_OUTPUTS = ("embedding", "layers")
# The off-policy replay reads at most this many of the champion's logged turns, a fixed sample
# of them beyond: ~3 KB each held with its scores and profile, ~6.5 KB while replayed (~0.33 GB
# at most), and 2-4 ms each to replay (2-3.5 minutes).
REPLAY_MAX_TURNS = 50_000


def step(n: int, total: int, what: str) -> None:
    print(f"[{n}/{total}] {what}", flush=True)


# ---------------------------------------------------------------------------------------------
# Embeddings


def embedding_cache_path(
    cache_dir: Path, encoder: dict, encoder_sha: str, texts: list[str]
) -> Path:
    """Where the texts' encoder outputs are cached: keyed by the encoder file, its truncation
    (the same file cut at another length gives other features) and the texts."""
    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    return cache_dir / f"embed-{encoder_sha[:16]}-t{encoder['max_seq_length']}-{digest}.npz"


def embed_cached(
    champion: Path, texts: list[str], cache_dir: Path, encoder_sha: str
) -> dict[str, np.ndarray]:
    """Both encoder outputs of every text, from the cache when the encoder and texts match."""
    meta = json.loads((champion / "metadata.json").read_text())
    path = embedding_cache_path(cache_dir, meta["encoder"], encoder_sha, texts)
    if path.exists():
        print(f"    {len(texts)} texts from the cache ({path.name})", flush=True)
        return read_npz(path)
    encoder = Encoder(champion, meta["encoder"])
    from tqdm import tqdm

    interval = 0.1 if sys.stdout.isatty() else 5.0  # a log file gets a line every 5 s
    with tqdm(
        total=len(texts), desc="embedding", unit="text", file=sys.stdout, mininterval=interval
    ) as bar:
        dense = encoder.embed(texts, DENSE_OUTPUTS, progress=bar.update)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f".{path.name}-{os.getpid()}"
    write_npz(tmp, dense)
    os.replace(tmp, path)
    return dense


# ---------------------------------------------------------------------------------------------
# Evaluation


def heldout_metrics(probs: dict[str, np.ndarray], heldout: list[dict], threshold: float) -> dict:
    out: dict[str, dict[str, Any]] = {}
    for head in MULTICLASS:
        y = recipe.targets(heldout, head)
        pred = probs[head].argmax(axis=1)
        out[head] = {
            "macro_f1": round(recipe.macro_f1(y, pred, probs[head].shape[1]), 4),
            "accuracy": round(float((pred == y).mean()), 4),
        }
    y = recipe.targets(heldout, "crisis")
    report = recipe.binary_report(probs["crisis"], y, threshold)
    flag = probs["crisis"] >= threshold
    out["crisis"] = {k: round(float(v), 4) for k, v in report.items()} | {
        "threshold": round(threshold, 4),
        "flagged": int(flag.sum()),
        "positives": int(y.sum()),
        # per register and length: promotion.py holds the challenger to these too
        "slices": slices.crisis_recall(heldout, flag),
    }
    return out


def evaluate(
    folder: Path, heldout: list[dict], dense_ho: dict[str, np.ndarray], encoder_sha: str
) -> tuple[str, dict, dict[str, np.ndarray]]:
    """(version, held-out metrics, probabilities) of one artifact through the serving Predictor."""
    predictor = Predictor()
    predictor.load(folder)
    texts = [r["text"] for r in heldout]
    same = predictor.metadata["encoder"].get("sha256") == encoder_sha
    probs = predictor.predict(texts, dense_ho if same else None)
    threshold = float(predictor.heads["crisis"].threshold or 0.5)
    return predictor.version, heldout_metrics(probs, heldout, threshold), probs


# ---------------------------------------------------------------------------------------------
# Versioning, artifact, report


def config_hash(config: RetrainConfig, encoder_sha: str) -> str:
    h = hashlib.sha256(
        json.dumps({"retrain": asdict(config), "recipe": recipe.CONFIG}, sort_keys=True).encode()
    )
    # train.py too: its functions fit, calibrate, fuse and write every head retrain_heads builds
    for name in ("retrain.py", "retrain_heads.py", "trainset.py", "train.py", "features.py"):
        h.update((HERE / name).read_bytes())
    for pkg in ("scikit-learn", "numpy", "onnxruntime"):
        h.update(f"{pkg}=={pkg_metadata.version(pkg)}".encode())
    h.update(encoder_sha.encode())
    return h.hexdigest()


def data_hash(corpus: str, ts: trainset.TrainingSet) -> str:
    """The challenger's data: the corpus (train.canonical_data) and the ratings' cells."""
    h = hashlib.sha256(corpus.encode())
    h.update(json.dumps([asdict(c) for c in ts.cells], sort_keys=True).encode())
    return h.hexdigest()


def link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def write_artifact(
    root: Path,
    version: str,
    champion: Path,
    champion_meta: dict,
    arrays: dict[str, np.ndarray],
    specs: dict[str, dict],
    tfidf: features.Tfidf | None,
    selection: dict[str, dict],
    ts: trainset.TrainingSet,
    extra: dict[str, Any],
) -> Path:
    tmp = root / f".building-{version}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in ("encoder.onnx", "tokenizer.json"):  # the champion's encoder, unchanged
        link_or_copy(champion / name, tmp / name)
    write_npz(tmp / "heads.npz", arrays)
    meta = {
        "version": version,
        "config": recipe.CONFIG,
        "records": {
            "total": ts.summary["corpus_records"],
            "train": len(ts.train),
            "heldout": len(ts.heldout),
            "heldout_fraction": round(len(ts.heldout) / max(ts.summary["corpus_records"], 1), 4),
            "heldout_crisis": int(sum(r["crisis"] for r in ts.heldout)),
            "train_crisis": int(sum(r["crisis"] for r in ts.train)),
        },
        "label_sets": {h: recipe.label_set(h) for h in HEAD_NAMES},
        "encoder": champion_meta["encoder"],
        "tfidf": tfidf.config() if tfidf else None,
        "heads": specs,
        "selection": selection,
        "retraining": {
            "champion": champion_meta["version"],
            "training_set": ts.summary,
            "persona_cells": [asdict(c) for c in ts.cells if c.weight != 1.0],
            **extra,
        },
        "libraries": {p: pkg_metadata.version(p) for p in ("scikit-learn", "onnxruntime", "numpy")},
    }
    (tmp / "metadata.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    final = root / version
    if (final / "metadata.json").exists():  # the same inputs built it before: keep that one
        shutil.rmtree(tmp)
        return final
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return final


def sampled(ope: dict) -> str:
    """What the replay read when it is a sample of the turns it could use."""
    if ope.get("read", 0) < ope.get("replayable", 0):
        return f" (a fixed sample: {ope['read']} of the {ope['replayable']} the replay could use)"
    return ""


def markdown(report: dict) -> str:
    d = report["decision"]
    if report["promoted"]:
        outcome = "**promoted**"
    elif d["promote"]:  # --dry-run: the decision is reported, nothing moved
        outcome = "**would be promoted** (dry run: not promoted)"
    else:
        outcome = "**not promoted**"
    lines = [
        f"# Retraining {report['started_at']}: challenger {report['challenger']['version']} "
        f"{outcome}",
        "",
        f"Champion {report['champion']['version']}; config `{report['config']}`; "
        f"{report['duration_seconds']:.1f} s.",
        "",
        *[f"- {r}" for r in d["reasons"]],
        "",
        "| head | metric | champion | challenger | delta |",
        "|---|---|---|---|---|",
        *[
            f"| {c['head']} | {c['metric']} | {c['champion']:.3f} | {c['challenger']:.3f} | "
            f"{c['delta']:+.3f}{' (worse)' if c['worse'] else ''} |"
            for c in d["comparisons"]
        ],
        "",
    ]
    checks, least = d.get("slices") or [], promotion.SLICE_MIN_POSITIVES
    if checks:
        lines += [
            f"Crisis messages caught on each slice with at least {least} (champion -> "
            "challenger, of n): "
            + "; ".join(
                f"{c['slice']} {c['champion']} -> {c['challenger']} of {c['positives']}"
                f"{' (worse)' if c['worse'] else ''}"
                for c in checks
            ),
            "",
        ]
    else:
        lines += [
            f"Crisis slices: none compared (none of the champion's has {least} crisis messages, "
            "or its metrics carry no slices).",
            "",
        ]
    ref = d.get("reference")
    if ref:
        lines += [
            f"Committed reference {ref['version']} (tolerance {ref['tolerance']:.2f}): "
            + "; ".join(
                f"{c['head']} {c['metric']} {c['champion']:.3f} -> {c['challenger']:.3f}"
                f"{' (worse)' if c['worse'] else ''}"
                for c in ref["comparisons"]
            ),
            "",
        ]
    else:
        lines += [f"Committed reference: {report.get('reference_skipped')}.", ""]
    fb = report["training_set"]["feedback"]
    share = report["training_set"].get("sample", 1.0)
    sample = f", a fixed {share:.0%} sample of both sides" if share < 1 else ""
    lines += [
        f"Training set: {report['training_set']['train']} corpus records (held-out "
        f"{report['training_set']['heldout']} never trained on{sample}); {fb['rated_turns']} rated "
        f"turns read, {fb['used']} used for persona fit ({fb['excluded']}), "
        f"{report['training_set']['persona_records_reweighted']} persona records re-weighted.",
        "",
    ]
    ope = report["off_policy"]
    if "champion" in ope:
        c, h, diff = ope["champion"], ope["challenger"], ope.get("difference", {})
        lines += [
            f"Off-policy ({ope['policy']} policy, {ope['used']} logged turns of the champion"
            f"{sampled(ope)}, "
            f"{ope['users']} users; 95 % intervals grouped by user): SNIPS champion "
            f"{c['snips']} {c['snips_ci']}, challenger {h['snips']} {h['snips_ci']}, "
            f"paired difference {diff.get('snips')} {diff.get('snips_ci')}; "
            f"IPS {c['ips']} vs {h['ips']}; ESS {h['ess']:.1f}.",
        ]
    else:
        lines += [f"Off-policy: no logged, rated turns of the champion ({ope['skipped']})."]
    if report.get("deployment"):
        lines += ["", f"Deployment: {json.dumps(report['deployment'], sort_keys=True)}"]
        if pending := report["deployment"].get("canary_pending"):
            lines += [
                "",
                f"Not deployed: the canary {pending} still waits for an operator's decision "
                "(give it all traffic and undeploy the other, or undeploy it; "
                "docs/OPERATIONS.md).",
            ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------


# The message of the job's last line, which its alert reads (terraform/modules/monitoring).
SUMMARY = "retraining summary"


def summary_line(report: dict) -> str:
    """The run's outcome as one JSON line: Cloud Logging gives the job's prints no severity, and
    reads this one's. WARNING while an earlier canary waits for an operator (this challenger was
    not deployed) or when nothing was promoted."""
    pending = (report.get("deployment") or {}).get("canary_pending")
    promoted = bool(report["promoted"])
    return json.dumps(
        {
            "severity": "WARNING" if pending or not promoted else "INFO",
            "message": SUMMARY,
            "canary_pending": pending,
            "promoted": promoted,
            "version": report["challenger"]["version"],
            "champion": report["champion"]["version"],
        }
    )


def vertex_config() -> Any:
    from model_serving.vertex import VertexConfig

    env = os.environ
    missing = [
        k for k in ("RETRAIN_BUCKET", "RETRAIN_ENDPOINT_ID", "RETRAIN_REGION") if not env.get(k)
    ]
    if missing:
        raise SystemExit(f"--target vertex needs {', '.join(missing)} in the environment")
    return VertexConfig(
        project=env.get("GOOGLE_CLOUD_PROJECT", ""),
        region=env["RETRAIN_REGION"],
        bucket=env["RETRAIN_BUCKET"],
        endpoint_id=env["RETRAIN_ENDPOINT_ID"],
        canary_percent=int(env.get("RETRAIN_CANARY_PERCENT", "10")),
        serving_image=env.get("RETRAIN_SERVING_IMAGE") or None,
    )


def read_feedback(
    args: argparse.Namespace, champion: str, since: datetime, until: datetime
) -> tuple[list[RatedGroup], list[RatedTurn]]:
    """The window's ratings counted by group, and the champion's turns the replay can use (at
    most --replay-max-turns). A query BigQuery refuses (its byte cap) or that runs too long ends
    the job, saying which."""
    from common.config import get_settings
    from model_serving.feedback import FeedbackQueryError, bigquery_client

    s = get_settings()
    window = {
        "client": bigquery_client(s.google_cloud_project, local=args.target == "local"),
        "project": s.google_cloud_project,
        "dataset": s.analytics_dataset,
        "since": since,
        "until": until,
        "max_bytes_billed": int(args.feedback_max_gib * 2**30),
    }
    try:
        groups = read_rated_groups(**window)
        turns = read_rated_turns(**window, read_by=champion, max_rows=args.replay_max_turns)
    except FeedbackQueryError as e:
        raise SystemExit(f"ratings: {e}") from None
    return groups, turns


def feedback_cutoff(started_at: datetime, target: str) -> datetime:
    """The end of the ratings window. The Cloud Run job's is the start of its UTC day: a retry
    (the job's max_retries, the scheduler's retry) reads the same ratings, so it builds the same
    version and finds it registered (vertex.py). A local run reads up to now."""
    if target == "local":
        return started_at
    return started_at.replace(hour=0, minute=0, second=0, microsecond=0)


def serving_champion(
    store: Any, deployer: Any, root: Path, serving_image: str | None
) -> str | None:
    """The version the endpoint's top-traffic model serves, downloaded into `root`; None when
    that is the artifact baked into this image (a build version, or an empty endpoint)."""
    serving = deployer.serving()
    if serving is None:
        print(
            "    nothing deployed: the champion is the artifact baked into this image", flush=True
        )
        return None
    print(
        f"    serving {serving.traffic_percent} % of the traffic: {serving.model} "
        f"({serving.artifact_uri or serving.image})",
        flush=True,
    )
    version = store.version_at(serving.artifact_uri)
    if version:
        store.download(version, root)
        return version
    if serving.artifact_uri:
        print(
            f"    warning: {serving.artifact_uri} is not a version folder of the bucket: the "
            "champion is the artifact baked into this image, which may not be what serves "
            "(the off-policy estimate then finds no turns it read)",
            flush=True,
        )
    elif serving_image and serving.image != serving_image:
        print(
            f"    warning: it runs {serving.image}, this job was built with {serving_image}: "
            "their baked-in artifacts may differ (the off-policy estimate then finds no turns "
            "the champion read)",
            flush=True,
        )
    return None


def committed_reference(
    config: RetrainConfig, corpus: str, root: Path
) -> tuple[promotion.Reference | None, str]:
    """The model train.py built from this corpus (model_serving/released/; in the retraining
    image, the baked-in artifact: a copy of it), whose recorded held-out figures a challenger is
    held to, and why there is none. Only a full-config challenger (the quick one is weaker by
    design) and only on the held-out set the figures were measured on (the same corpus)."""
    if config.name != "full":
        return None, f"not compared ({config.name} config)"
    for path in [*RELEASED.glob("pm-*/metadata.json"), *root.glob("pm-*/metadata.json")]:
        meta = json.loads(path.read_text())
        if meta.get("data_sha256") == corpus:
            return promotion.Reference(meta["version"], promotion.recorded_heldout(meta)), ""
    return None, "none built from this corpus (model_serving/released/ or the baked artifact)"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m model_serving.retrain",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="the quick config (tests)")
    parser.add_argument(
        "--target",
        choices=("local", "vertex"),
        default=os.environ.get("RETRAIN_TARGET", "local"),
        help="where a promoted model goes (default $RETRAIN_TARGET or local)",
    )
    parser.add_argument(
        "--artifacts",
        type=Path,
        default=None,
        help="the folder with CURRENT (default: $MODEL_ARTIFACTS_ROOT or artifacts/)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="where encoder outputs are cached (default: <artifacts>/.cache)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="cross-validation worker processes (default: one per CPU)",
    )
    parser.add_argument("--feedback-days", type=int, default=90)
    parser.add_argument(
        "--feedback-max-gib",
        type=float,
        default=2048.0,
        help="the most each ratings query may bill, in GiB; BigQuery refuses a bigger one "
        "(what a run reads per load: docs/CAPACITY.md section 6)",
    )
    parser.add_argument(
        "--replay-max-turns",
        type=int,
        default=REPLAY_MAX_TURNS,
        help="the most logged turns of the champion the off-policy estimate reads; beyond, "
        "a fixed sample of them (default %(default)s)",
    )
    parser.add_argument("--no-feedback", action="store_true", help="corpus only (no BigQuery)")
    parser.add_argument("--dry-run", action="store_true", help="decide and report, never promote")
    parser.add_argument(
        "--test-only-corrupt-labels",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="TESTS ONLY: give this fraction of training records wrong labels (a worse "
        "challenger on purpose); refused with --target vertex",
    )
    args = parser.parse_args(argv)
    if args.test_only_corrupt_labels and args.target != "local":
        parser.error("--test-only-corrupt-labels is for local tests only")
    if args.replay_max_turns < 1 or args.feedback_max_gib <= 0:
        parser.error("--replay-max-turns and --feedback-max-gib must be positive")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    config = CONFIGS["quick" if args.quick else "full"]
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    total = 8
    root = (args.artifacts or artifacts_root()).resolve()
    root.mkdir(parents=True, exist_ok=True)
    store = deployer = None
    if args.target == "vertex":
        from model_serving.vertex import GcsArtifacts, VertexDeployer

        vcfg = vertex_config()
        store, deployer = GcsArtifacts(vcfg), VertexDeployer(vcfg)

    step(1, total, f"champion ({args.target}, {config.name} config)")
    version = None
    if store is not None and deployer is not None:
        version = serving_champion(store, deployer, root, vcfg.serving_image)
    version = version or current_version(root)
    if version is None:
        raise SystemExit(f"no champion: {root / 'CURRENT'} is missing (train one first)")
    champion = root / version
    champion_meta = json.loads((champion / "metadata.json").read_text())
    encoder_sha = sha256_file(champion / "encoder.onnx")
    print(f"    {version} in {champion}", flush=True)

    step(2, total, "training set: corpus + rated turns from BigQuery")
    records, errors = load(split.corpus_paths())
    if errors:
        print(f"    warning: {len(errors)} invalid or duplicate records skipped (check_corpus)")
    cutoff = feedback_cutoff(started_at, args.target)
    since = cutoff - timedelta(days=args.feedback_days)
    rated, replayable = (
        ([], []) if args.no_feedback else read_feedback(args, version, since, cutoff)
    )
    ts = trainset.build(
        records, rated, corrupt_fraction=args.test_only_corrupt_labels, sample=config.sample
    )
    fb = ts.summary["feedback"]
    print(
        f"    {len(ts.train)} train / {len(ts.heldout)} held out; {fb['rated_turns']} rated turns, "
        f"{fb['used']} used, {fb['cells_weighted']} persona cells weighted, "
        f"{ts.summary['persona_records_reweighted']} records re-weighted"
        + (
            f"; TEST ONLY: {ts.summary['test_only_corrupted_records']} records corrupted"
            if args.test_only_corrupt_labels
            else ""
        ),
        flush=True,
    )

    step(3, total, "embedding with the champion's encoder")
    t0 = time.perf_counter()
    texts = [r["text"] for r in ts.train] + [r["text"] for r in ts.heldout]
    dense = embed_cached(champion, texts, args.cache or root / ".cache", encoder_sha)
    dense_tr = recipe.take(dense, slice(0, len(ts.train)))
    dense_ho = recipe.take(dense, slice(len(ts.train), None))
    embed_seconds = time.perf_counter() - t0

    step(4, total, f"training the heads ({config.name})")
    t0 = time.perf_counter()
    arrays, specs, tfidf, selection = train_heads(ts, dense_tr, config, args.jobs)
    train_seconds = time.perf_counter() - t0
    corpus = recipe.canonical_data(ts.train, ts.heldout)
    challenger_version = f"pm-{data_hash(corpus, ts)[:8]}-{config_hash(config, encoder_sha)[:8]}"
    folder = write_artifact(
        root,
        challenger_version,
        champion,
        champion_meta,
        arrays,
        specs,
        tfidf,
        selection,
        ts,
        {"config": config.name, "started_at": started_at.isoformat()},
    )
    print(f"    challenger {challenger_version} ({train_seconds:.1f} s)", flush=True)

    step(5, total, "both models on the fixed held-out set")
    _, champ_metrics, champ_probs = evaluate(champion, ts.heldout, dense_ho, encoder_sha)
    _, chall_metrics, chall_probs = evaluate(folder, ts.heldout, dense_ho, encoder_sha)
    for head in HEAD_NAMES:
        m = "recall" if head == "crisis" else "macro_f1"
        print(
            f"    {head:8} {m} champion {champ_metrics[head][m]:.3f}  challenger "
            f"{chall_metrics[head][m]:.3f}"
            + (
                f"  (precision {champ_metrics[head]['precision']:.3f} / "
                f"{chall_metrics[head]['precision']:.3f})"
                if head == "crisis"
                else ""
            ),
            flush=True,
        )

    step(6, total, "off-policy estimates on the champion's logged turns")
    ope = offpolicy.evaluate(
        replayable,
        champion_version=version,
        champion_means=offpolicy.kind_means(ts.heldout, champ_probs["persona"]),
        challenger_means=offpolicy.kind_means(ts.heldout, chall_probs["persona"]),
        rated=rated,
    )
    ope["observed_by_model"] = offpolicy.observed_by_model(rated)
    print(f"    {ope['used']} of {ope['rated_turns']} rated turns usable{sampled(ope)}", flush=True)

    step(7, total, "decision")
    reference, no_reference = committed_reference(config, corpus, root)
    decision = promotion.decide(
        champ_metrics,
        chall_metrics,
        champion_version=version,
        challenger_version=challenger_version,
        ope=ope,
        reference=reference,
        # the quick config's crisis head is weaker by design (tests only): judged relatively
        crisis_floor=promotion.CRISIS_TARGET if config.name == "full" else None,
    )
    promote = decision.promote and not args.dry_run
    report: dict[str, Any] = {
        "started_at": started_at.isoformat(),
        "config": config.name,
        "target": args.target,
        "dry_run": args.dry_run,
        "champion": {"version": version, "heldout": champ_metrics},
        "challenger": {"version": challenger_version, "heldout": chall_metrics},
        "decision": decision.to_dict(),
        "promoted": promote,
        "training_set": ts.summary,
        "feedback_window": [since.isoformat(), cutoff.isoformat()],
        "reference_skipped": no_reference or None,
        "persona_cells": [asdict(c) for c in ts.cells],
        "off_policy": ope,
        "timings": {
            "embed_seconds": round(embed_seconds, 1),
            "train_seconds": round(train_seconds, 1),
        },
        "deployment": None,
    }

    step(8, total, "promotion" if promote else "no promotion")
    if promote and store is not None and deployer is not None:
        uri = store.upload(folder, challenger_version)
        report["deployment"] = deployer.register_and_deploy(
            version=challenger_version, artifact_uri=uri, period=cutoff.strftime("%Y%m%d")
        )
        if report["deployment"].get("rolled_back"):
            print(
                "    not deployed again: this version was rolled back from the endpoint "
                f"({report['deployment']['model']})",
                flush=True,
            )
        elif pending := report["deployment"].get("canary_pending"):
            print(
                f"    registered, not deployed: the canary {pending} is still on the endpoint: "
                "give it all traffic and undeploy the other, or undeploy it "
                f"({report['deployment']['model']})",
                flush=True,
            )
        else:
            print(f"    deployed: {report['deployment']}", flush=True)
    elif promote:
        set_current(root, challenger_version)
        print(f"    {root / 'CURRENT'} -> {challenger_version}", flush=True)
    elif challenger_version != version:
        shutil.rmtree(folder, ignore_errors=True)
    report["duration_seconds"] = round(time.perf_counter() - started, 1)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    name = f"{stamp}-{challenger_version}"
    decisions = root / "decisions"
    decisions.mkdir(exist_ok=True)
    text = markdown(report)
    payload = json.dumps(report, indent=2, sort_keys=True, default=str) + "\n"
    (decisions / f"{name}.json").write_text(payload)
    (decisions / f"{name}.md").write_text(text)
    if store is not None:
        store.upload_report(f"{name}.json", payload, "application/json")
        store.upload_report(f"{name}.md", text, "text/markdown")
    print(text, flush=True)
    print(f"report: {decisions / name}.json (.md); done in {report['duration_seconds']:.1f} s")
    print(summary_line(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
