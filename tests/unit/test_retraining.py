"""The retraining job's pure parts: the promotion rule, the training-set builder (what ratings
teach), the off-policy replay, the GCS/Vertex AI adapter's call shape (recording fakes here; the
real library's signatures in .venv-model) and the serving container's GCS fetch (a local HTTP
server speaking the JSON API). The job itself runs end to end in tests/e2e/test_retraining.py."""

from __future__ import annotations

import ast
import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from common.labels import PERSONA_IDS
from model_serving import offpolicy, promotion, split, trainset
from model_serving.artifact import ARTIFACT_FILES, fetch_gcs
from model_serving.check_corpus import load
from model_serving.feedback import RatedTurn
from model_serving.vertex import GcsArtifacts, VertexConfig, VertexDeployer
from tests.model_venv import run_in_model_venv

ROOT = Path(__file__).resolve().parents[2]

# --- promotion ---------------------------------------------------------------------------------

CHAMPION = {
    "tone": {"macro_f1": 0.72},
    "pace": {"macro_f1": 0.82},
    "intent": {"macro_f1": 0.86},
    "persona": {"macro_f1": 0.87},
    "crisis": {"recall": 0.974, "precision": 0.65},
}


def with_(head: str, metric: str, value: float) -> dict:
    out = {h: dict(m) for h, m in CHAMPION.items()}
    out[head][metric] = value
    return out


def decide(challenger: dict, ope: dict | None = None, version: str = "pm-new") -> Any:
    return promotion.decide(
        CHAMPION, challenger, champion_version="pm-old", challenger_version=version, ope=ope
    )


# Every head the promotion rule compares, written out here rather than read from promotion.py
COMPARED = [
    ("tone", "macro_f1"),
    ("pace", "macro_f1"),
    ("intent", "macro_f1"),
    ("persona", "macro_f1"),
    ("crisis", "recall"),
    ("crisis", "precision"),
]


def test_a_challenger_as_good_as_the_champion_is_promoted() -> None:
    decision = decide(CHAMPION)
    assert decision.promote
    assert not any(c.worse for c in decision.comparisons)
    assert {(c.head, c.metric) for c in decision.comparisons} == set(COMPARED)


@pytest.mark.parametrize(
    ("dry_run", "heading"),
    [(False, "**promoted**"), (True, "**would be promoted** (dry run: not promoted)")],
)
def test_a_dry_runs_report_does_not_say_promoted(dry_run: bool, heading: str) -> None:
    from model_serving.retrain import markdown

    decision = decide(CHAMPION)
    report = {
        "started_at": "2026-12-02T00:00:00+00:00",
        "config": "full",
        "duration_seconds": 1.0,
        "champion": {"version": "pm-old"},
        "challenger": {"version": "pm-new"},
        "decision": decision.to_dict(),
        "promoted": decision.promote and not dry_run,
        "training_set": {
            "train": 1,
            "heldout": 1,
            "persona_records_reweighted": 0,
            "feedback": {"rated_turns": 0, "used": 0, "excluded": {}},
        },
        "off_policy": {"skipped": {}},
    }
    assert markdown(report).splitlines()[0].endswith(f"challenger pm-new {heading}")


@pytest.mark.parametrize(("head", "metric"), COMPARED)
def test_any_head_more_than_one_point_worse_blocks_promotion(head: str, metric: str) -> None:
    decision = decide(with_(head, metric, CHAMPION[head][metric] - 0.011))
    assert not decision.promote
    assert any(head in r and metric in r for r in decision.reasons), decision.reasons
    # one point exactly is allowed, and better elsewhere does not buy a worse head
    assert decide(with_(head, metric, CHAMPION[head][metric] - 0.01)).promote
    better = with_("tone", "macro_f1", 0.99) if head != "tone" else with_("pace", "macro_f1", 0.99)
    better[head][metric] = CHAMPION[head][metric] - 0.02
    assert not decide(better).promote


def test_a_missing_metric_counts_as_worse_and_the_same_version_is_not_promoted() -> None:
    missing = {h: dict(m) for h, m in CHAMPION.items() if h != "pace"}
    assert not decide(missing).promote
    same = decide(CHAMPION, version="pm-old")
    assert not same.promote and any("nothing to change" in r for r in same.reasons)


def ope(champion_snips: float, challenger_snips: float, high: float, ess: float) -> dict:
    return {
        "champion": {"snips": champion_snips, "snips_ci": [0.0, 1.0], "ess": ess},
        "challenger": {"snips": challenger_snips, "snips_ci": [0.0, high], "ess": ess},
    }


def test_off_policy_blocks_only_a_clearly_worse_challenger_on_enough_turns() -> None:
    assert not decide(CHAMPION, ope(0.7, 0.5, 0.6, ess=80)).promote  # CI below the champion
    assert decide(CHAMPION, ope(0.7, 0.5, 0.6, ess=10)).promote  # too few turns: reported only
    assert decide(CHAMPION, ope(0.7, 0.66, 0.75, ess=80)).promote  # CI reaches the champion
    nan = {
        "champion": {"snips": None, "snips_ci": [None, None], "ess": 0.0},
        "challenger": {"snips": None, "snips_ci": [None, None], "ess": 0.0},
    }
    assert decide(CHAMPION, nan).promote
    decision = decide(CHAMPION, None)
    assert decision.promote and "no estimate" in decision.off_policy["why"]


# --- training set ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def records() -> list[dict]:
    records, _ = load(split.corpus_paths())
    return records


def rated(tone: str, intent: str, persona: str, reward: float, **kw: Any) -> RatedTurn:
    return RatedTurn(
        turn_id=kw.pop("turn_id", f"t-{tone}-{intent}-{persona}-{reward}-{id(kw)}"),
        persona=persona,
        reward=reward,
        tone=tone,
        intent=intent,
        **kw,
    )


def test_held_out_records_never_reach_training(records: list[dict]) -> None:
    ts = trainset.build(records)
    train_keys = {split.key(r["text"]) for r in ts.train}
    held_keys = {split.key(r["text"]) for r in ts.heldout}
    assert not train_keys & held_keys
    assert held_keys >= split.read_heldout() & {split.key(r["text"]) for r in records}
    assert len(ts.train) + len(ts.heldout) == len(records)
    assert all(len(w) == len(ts.train) and (w == 1.0).all() for w in ts.weights.values())


def test_ratings_reweight_only_the_persona_head_for_their_kind(records: list[dict]) -> None:
    liked = [rated("anxious", "emotional_support", "lua", 1.0, turn_id=f"u{i}") for i in range(4)]
    disliked = [
        rated("frustrated", "problem_solving", "riri", 0.0, turn_id=f"d{i}") for i in range(4)
    ]
    ts = trainset.build(records, liked + disliked)
    cells = {(c.tone, c.intent, c.persona): c for c in ts.cells}
    up, down = (
        cells[("anxious", "emotional_support", "lua")],
        cells[("frustrated", "problem_solving", "riri")],
    )
    # overall mean 0.5; (4 + 5 * 0.5) / 9 / 0.5 = 1.444..., (0 + 2.5) / 9 / 0.5 = 0.555...
    assert up.weight == pytest.approx(13 / 9, abs=1e-4)
    assert down.weight == pytest.approx(5 / 9, abs=1e-4)
    w = ts.weights["persona"]
    for r, weight in zip(ts.train, w, strict=True):
        key = (r["tone"], r["intent"], r["persona"])
        assert weight == pytest.approx(cells[key].weight if key in cells else 1.0)
    assert (w > 1).any() and (w < 1).any(), "the corpus has records of both kinds"
    for head in ("tone", "pace", "intent", "crisis"):
        assert (ts.weights[head] == 1.0).all(), head
    assert ts.summary["feedback"]["used"] == 8
    assert ts.summary["persona_records_reweighted"] == int((w != 1.0).sum())


def test_ratings_that_say_nothing_about_persona_fit_are_left_out() -> None:
    turns = [
        rated("anxious", "emotional_support", "lua", 1.0, crisis=True),
        rated("anxious", "emotional_support", "lua", 1.0, persona_source="care"),
        rated("anxious", None, "lua", 1.0),  # type: ignore[arg-type]
        rated("anxious", "emotional_support", "bob", 1.0),
        rated("anxious", "emotional_support", "lua", 1.0, persona_source="requested"),
    ]
    cells, summary = trainset.persona_cells(turns)
    assert summary["excluded"] == {"care": 1, "crisis": 1, "unknown_persona": 1, "unlabelled": 1}
    assert summary["used"] == 1 and summary["rated_turns"] == 5
    assert [c.n for c in cells] == [1] and cells[0].weight == 1.0  # below min_ratings


def test_cell_weights_are_shrunk_and_clipped() -> None:
    config = trainset.FeedbackConfig(min_ratings=3, prior_strength=0.0)
    turns = [rated("sad", "check_in", "nana", 1.0) for _ in range(3)]
    turns += [rated("calm", "planning", "elro", 0.0) for _ in range(30)]
    cells, _ = trainset.persona_cells(turns, config)
    by = {c.persona: c.weight for c in cells}
    assert by["nana"] == config.max_weight and by["elro"] == config.min_weight
    two = [rated("sad", "check_in", "nana", 1.0) for _ in range(2)]
    cells, _ = trainset.persona_cells(two + turns[3:], config)
    assert {c.persona: c.weight for c in cells}["nana"] == 1.0  # 2 < min_ratings


def test_corrupting_labels_is_a_test_knob_that_changes_every_label(records: list[dict]) -> None:
    bad, changed = trainset.corrupt_labels_for_tests(records, 0.6)
    assert 0.5 < changed / len(records) < 0.7
    diff = [(a, b) for a, b in zip(records, bad, strict=True) if a is not b]
    assert len(diff) == changed
    for a, b in diff:
        assert all(a[h] != b[h] for h in ("tone", "pace", "intent", "persona", "crisis"))
        assert a["text"] == b["text"]
    assert trainset.corrupt_labels_for_tests(records, 0.6)[1] == changed  # deterministic


def test_rated_turn_reads_a_bigquery_row_with_a_json_payload() -> None:
    payload = {"scores": {p: 0.5 for p in PERSONA_IDS}, "profile": {"turns": 3}, "x": 1}
    row = {
        "turn_id": "t1",
        "persona": "lua",
        "satisfaction": 1,
        "tone": "sad",
        "intent": "check_in",
        "crisis": False,
        "persona_source": "ensemble",
        "analysis_source": "pm-x",
        "propensity": 1,
        "local_hour": 9,
    }
    for p in (payload, json.dumps(payload)):
        turn = RatedTurn.from_row({**row, "payload": p, "user_key": "k1"})
        assert turn.scores == {k: 0.5 for k in PERSONA_IDS}
        assert turn.profile == {"turns": 3} and turn.reward == 1.0 and turn.propensity == 1.0
        assert turn.user_key == "k1"
    anonymised = RatedTurn.from_row({**row, "payload": None, "user_key": None})
    assert anonymised.scores is None and anonymised.user_key is None


# --- off-policy replay -------------------------------------------------------------------------


def logged_turn(i: int, shown: str, reward: float, **kw: Any) -> RatedTurn:
    scores = {"lua": 0.6, "riri": 0.55, "elro": 0.3, "nana": 0.2}
    base = {
        "turn_id": f"t{i}",
        "persona": shown,
        "reward": reward,
        "tone": "anxious",
        "intent": "emotional_support",
        "crisis": False,
        "persona_source": "ensemble",
        "analysis_source": "pm-champ",
        "propensity": 0.5,
        "local_hour": 10,
        "scores": scores,
        "profile": None,
        "user_key": f"u{i}",
    }
    return RatedTurn(**{**base, **kw})


def means(persona_probs: list[float]) -> dict:
    v = np.array(persona_probs)
    return {"kind": {("anxious", "emotional_support"): v}, "intent": {}, "all": v}


def test_off_policy_replay_favours_a_persona_head_that_moves_towards_liked_personas() -> None:
    # Logged uniformly between lua and riri; users liked riri.
    turns = [logged_turn(i, "lua" if i % 2 else "riri", 0.0 if i % 2 else 1.0) for i in range(40)]
    turns += [
        logged_turn(100, "lua", 1.0, persona_source="requested"),
        logged_turn(101, "lua", 1.0, analysis_source="baseline"),
        logged_turn(104, "lua", 1.0, user_key=None),  # anonymised: its profile is not logged
        logged_turn(102, "lua", 1.0, scores=None),
        logged_turn(103, "lua", 1.0, propensity=0.0),
    ]
    same = offpolicy.evaluate(
        turns,
        champion_version="pm-champ",
        champion_means=means([0.7, 0.1, 0.1, 0.1]),
        challenger_means=means([0.7, 0.1, 0.1, 0.1]),
    )
    assert same["used"] == 40
    assert same["skipped"] == {
        "not_chosen_by_a_policy": 1,
        "read_by_another_model": 1,
        "no_scores": 1,
        "no_propensity": 1,
        "anonymised": 1,
    }
    assert same["champion"] == same["challenger"]
    # lua scores 0.6 vs riri 0.55: the static choice is lua, whose logged rewards are 0
    assert same["champion"]["snips"] == pytest.approx(0.0)
    toward_riri = offpolicy.evaluate(
        turns,
        champion_version="pm-champ",
        champion_means=means([0.7, 0.1, 0.1, 0.1]),
        challenger_means=means([0.1, 0.7, 0.1, 0.1]),  # +0.3 * 0.6 for riri, -0.18 for lua
    )
    assert toward_riri["challenger"]["snips"] == pytest.approx(1.0)
    assert toward_riri["challenger"]["ess"] == pytest.approx(20.0)
    by_model = offpolicy.observed_by_model(turns)
    assert by_model["pm-champ"]["rated_turns"] == 44 and by_model["baseline"]["mean_reward"] == 1


def test_off_policy_intervals_group_a_users_turns() -> None:
    # 4 users x 10 turns: two users liked lua (the static choice), two did not. Their turns are
    # alike, so 4 users are worth less than 40 independent turns: the interval must be wider.
    def turns(user_key: Any) -> list[RatedTurn]:
        return [
            logged_turn(i, "lua", float(i // 10 < 2), user_key=user_key(i // 10)) for i in range(40)
        ]

    same = means([0.7, 0.1, 0.1, 0.1])
    args = {"champion_version": "pm-champ", "champion_means": same, "challenger_means": same}
    by_user = offpolicy.evaluate(turns(lambda u: f"k{u}"), **args)
    apart = offpolicy.evaluate(  # the same turns as if each came from its own user
        [replace(t, user_key=t.turn_id) for t in turns(lambda u: f"k{u}")], **args
    )
    assert (by_user["users"], apart["users"]) == (4, 40)
    grouped, single = by_user["champion"], apart["champion"]
    assert grouped["snips"] == single["snips"] == pytest.approx(0.5)

    def width(ci: list[float]) -> float:
        return ci[1] - ci[0]

    assert width(grouped["snips_ci"]) > 2 * width(single["snips_ci"])
    assert width(grouped["ips_ci"]) > 2 * width(single["ips_ci"])


def test_kind_means_back_off_to_the_intent_and_to_everything() -> None:
    heldout = [{"tone": "sad", "intent": "check_in"}] * 5 + [{"tone": "calm", "intent": "planning"}]
    probs = np.array([[1.0, 0, 0, 0]] * 5 + [[0, 1.0, 0, 0]])
    m = offpolicy.kind_means(heldout, probs)
    assert set(m["kind"]) == {("sad", "check_in")} and set(m["intent"]) == {"check_in"}
    assert m["all"] == pytest.approx([5 / 6, 1 / 6, 0, 0])


# --- the production adapter: call shape --------------------------------------------------------


class Recorder:
    """Records every call made on it or on what it returns."""

    def __init__(self, name: str, calls: list, returns: dict | None = None) -> None:
        self._name, self._calls, self._returns = name, calls, returns or {}

    def __getattr__(self, attr: str) -> Any:
        name = f"{self._name}.{attr}"

        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls.append((name, args, kwargs))
            value = self._returns.get(name)
            return value(*args, **kwargs) if callable(value) else value

        return call


class FakeModel:
    def __init__(self, name: str, calls: list) -> None:
        self.resource_name = name
        self._calls = calls

    def to_dict(self) -> dict:
        return {"containerSpec": {"imageUri": "us-docker.pkg.dev/p/r/persona-model:abc"}}

    def deploy(self, **kwargs: Any) -> None:
        self._calls.append(("model.deploy", (), kwargs))


def fake_aiplatform(calls: list, *, parents: int, serving: int) -> Any:
    class Model:
        @staticmethod
        def list(**kwargs: Any) -> list:
            calls.append(("Model.list", (), kwargs))
            return [FakeModel("projects/p/locations/r/models/7", calls)] * parents

        @staticmethod
        def upload(**kwargs: Any) -> FakeModel:
            calls.append(("Model.upload", (), kwargs))
            return FakeModel("projects/p/locations/r/models/7@2", calls)

    class Endpoint:
        def __init__(self, **kwargs: Any) -> None:
            calls.append(("Endpoint", (), kwargs))

        def list_models(self) -> list:
            return ["deployed"] * serving

    class Module:
        pass

    module = Module()
    module.Model, module.Endpoint = Model, Endpoint  # type: ignore[attr-defined]
    module.init = lambda **kw: calls.append(("init", (), kw))  # type: ignore[attr-defined]
    return module


CONFIG = VertexConfig(project="p", region="us-central1", bucket="b", endpoint_id="1001")


def test_register_and_deploy_uploads_a_version_of_the_model_and_splits_traffic() -> None:
    calls: list = []
    result = VertexDeployer(
        CONFIG, fake_aiplatform(calls, parents=1, serving=1)
    ).register_and_deploy(version="pm-abc-def", artifact_uri="gs://b/persona-model/pm-abc-def/")
    by = {name: kw for name, _, kw in calls}
    assert by["init"] == {"project": "p", "location": "us-central1"}
    assert by["Model.list"] == {"filter": 'display_name="persona-model"'}
    upload = by["Model.upload"]
    assert upload["parent_model"] == "projects/p/locations/r/models/7"
    assert upload["artifact_uri"] == "gs://b/persona-model/pm-abc-def/"
    assert upload["serving_container_image_uri"] == "us-docker.pkg.dev/p/r/persona-model:abc"
    assert upload["serving_container_predict_route"] == "/predict"
    assert upload["serving_container_health_route"] == "/health"
    assert upload["serving_container_ports"] == [8080]
    assert upload["version_aliases"] == ["retrain-pm-abc-def"]
    assert by["Endpoint"] == {"endpoint_name": "1001"}
    assert by["model.deploy"]["traffic_percentage"] == 10 and result["traffic_percent"] == 10
    assert by["model.deploy"]["machine_type"] == "n1-standard-2"
    calls.clear()
    VertexDeployer(CONFIG, fake_aiplatform(calls, parents=1, serving=0)).register_and_deploy(
        version="pm-abc-def", artifact_uri="gs://b/x/"
    )
    assert {n: kw for n, _, kw in calls}["model.deploy"]["traffic_percentage"] == 100
    with pytest.raises(RuntimeError, match="serving image"):
        VertexDeployer(CONFIG, fake_aiplatform([], parents=0, serving=0)).register_and_deploy(
            version="v", artifact_uri="gs://b/x/"
        )


def test_gcs_artifacts_mirror_the_local_layout(tmp_path: Path) -> None:
    calls: list = []
    blob = Recorder("blob", calls, {"blob.exists": True, "blob.download_as_text": "pm-a\n"})
    bucket = Recorder("bucket", calls, {"bucket.blob": lambda name: blob})
    client = Recorder("client", calls, {"client.bucket": lambda name: bucket})
    store = GcsArtifacts(CONFIG, client=client)
    assert store.current_version() == "pm-a"
    folder = tmp_path / "pm-b"
    folder.mkdir()
    for name in ARTIFACT_FILES:
        (folder / name).write_text(name)
    assert store.upload(folder, "pm-b") == "gs://b/persona-model/pm-b/"
    store.set_current("pm-b")
    names = [args[0] for n, args, _ in calls if n == "bucket.blob"]
    assert names[0] == "persona-model/CURRENT"
    assert names[1:5] == [f"persona-model/pm-b/{n}" for n in ARTIFACT_FILES]
    assert names[-1] == "persona-model/CURRENT"
    assert ("blob.upload_from_string", ("pm-b\n",), {"content_type": "text/plain"}) in calls
    assert ("client.bucket", ("b",), {}) in calls


CHECK_SIGNATURES = r"""
import inspect, json, sys
from google.cloud import aiplatform, storage
calls = json.loads(sys.argv[1])
targets = {
    "init": aiplatform.init, "Model.list": aiplatform.Model.list,
    "Model.upload": aiplatform.Model.upload, "Endpoint": aiplatform.Endpoint.__init__,
    "model.deploy": aiplatform.Model.deploy,
}
bad = []
for name, kwargs in calls:
    params = inspect.signature(targets[name]).parameters
    bad += [f"{name}({k}=)" for k in kwargs if k not in params]
for name in ("upload_from_filename", "download_to_filename", "upload_from_string",
             "download_as_text", "exists"):
    if not hasattr(storage.Blob, name):
        bad.append(f"storage.Blob.{name}")
for name in ("list_models", "resource_name"):
    if not hasattr(aiplatform.Endpoint, name):
        bad.append(f"Endpoint.{name}")
if not hasattr(aiplatform.Model, "to_dict"):
    bad.append("Model.to_dict")
print(json.dumps(bad))
"""


def test_the_adapter_calls_exist_in_the_pinned_google_cloud_aiplatform() -> None:
    """Checked against the library pinned in model_serving/requirements-retrain.txt, installed
    in .venv-model (it is deliberately absent from .venv and the functions)."""
    calls: list = []
    VertexDeployer(CONFIG, fake_aiplatform(calls, parents=1, serving=1)).register_and_deploy(
        version="pm-a", artifact_uri="gs://b/x/"
    )
    shape = [[name, sorted(kw)] for name, _, kw in calls]
    assert run_in_model_venv(CHECK_SIGNATURES, json.dumps(shape)) == []


FUSED_RETRAIN = """
import json
import numpy as np
from model_serving import split, trainset
from model_serving import retrain_heads as rh
from model_serving import train as recipe
from model_serving.check_corpus import load

records, _ = load(split.corpus_paths())
train = sorted(split.partition(records)[0], key=lambda r: split.key(r["text"]))[:300]
ts = trainset.TrainingSet(train=train, heldout=[], weights={
    h: np.ones(len(train)) for h in recipe.HEAD_NAMES})
rng = np.random.default_rng(1)
dense = {"layers": rng.normal(size=(len(train), 2688)).astype(np.float32)}
# every candidate within the tie margin, the fusion the cheapest: it is chosen for every head
recipe.CONFIG["tie_macro_f1"] = 2.0
recipe.CONFIG["latency_rank"]["late_fusion"] = -1
config = rh.RetrainConfig("test", folds=3, candidates=("minilm_layers", "tfidf"), c=2.0,
                          refit=True)
arrays, specs, tfidf, selection = rh.train_heads(ts, dense, config)
texts = [r["text"] for r in train]
tf = recipe.tfidf_matrix(texts, [texts])[1][0]
out = {}
for head in recipe.HEAD_NAMES:
    served = arrays[f"{head}_b"] + dense["layers"] @ arrays[f"{head}_W_layers"].T.astype(
        np.float64) + tf @ arrays[f"{head}_W_tfidf"].T.astype(np.float64)
    y = recipe.targets(train, head)
    members = []
    for m in recipe.FUSIONS["late_fusion"]:
        entry = selection[head]["candidates"][m]
        model = rh.fit_lr(entry["C"], recipe.design(m, dense, tf), y, ts.weights[head])
        members.append((recipe.scores(model, recipe.design(m, dense, tf)), entry["calibration"]))
    fused = recipe.fuse_scores(members)
    out[head] = [specs[head]["features"], specs[head]["inputs"],
                 float(np.abs(served - fused).max() / np.abs(fused).max())]
print(json.dumps(out))
"""


def test_the_retraining_job_serves_a_chosen_fusion_as_the_mean_of_its_members() -> None:
    """retrain_heads with the late fusion forced to win: every head's written weights score
    like the mean of its members' calibrated logits (members refitted here independently)."""
    result = run_in_model_venv(FUSED_RETRAIN, timeout=300)
    assert set(result) == {"tone", "pace", "intent", "persona", "crisis"}
    for head, (features, inputs, relative_diff) in result.items():
        assert features == "late_fusion", head
        assert inputs == ["layers", "tfidf"], head
        assert relative_diff < 1e-5, (head, relative_diff)  # float32 weights


def test_only_the_adapter_imports_aiplatform_and_nothing_in_functions_imports_torch() -> None:
    heavy = ("google.cloud.aiplatform", "torch", "sentence_transformers", "sklearn")
    offenders = []
    files = [*(ROOT / "functions").rglob("*.py"), *(ROOT / "common").rglob("*.py")]
    files += [p for p in (ROOT / "model_serving").glob("*.py") if p.name != "vertex.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for name in names:
                if name.startswith("google.cloud.aiplatform") or (
                    path.parts[-2] != "model_serving" and name.split(".")[0] in heavy
                ):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert not offenders, offenders
    requirements = (ROOT / "requirements.txt").read_text()
    assert "aiplatform" not in requirements and "torch" not in requirements
    assert (
        "google-cloud-aiplatform=="
        in (ROOT / "model_serving" / "requirements-retrain.txt").read_text()
    )


# --- the serving container's artifact fetch (AIP_STORAGE_URI) ---------------------------------


@pytest.fixture
def fake_gcs() -> Iterator[tuple[str, dict[str, bytes], list[str]]]:
    """A local server answering the GCS JSON API's media download."""
    objects: dict[str, bytes] = {}
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlparse(self.path)
            seen.append(self.path)
            parts = url.path.split("/")  # /storage/v1/b/<bucket>/o/<object>
            key = f"{parts[4]}/{urllib.parse.unquote(parts[6])}"
            if url.query != "alt=media" or key not in objects:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.end_headers()
            self.wfile.write(objects[key])

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", objects, seen
    finally:
        server.shutdown()


def test_fetch_gcs_downloads_a_versions_files(
    fake_gcs: tuple[str, dict[str, bytes], list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, objects, seen = fake_gcs
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", url)
    for name in ARTIFACT_FILES:
        objects[f"bkt/persona-model/pm-x/{name}"] = f"<{name}>".encode() * 1000
    out = fetch_gcs("gs://bkt/persona-model/pm-x/", tmp_path / "a")
    for name in ARTIFACT_FILES:
        assert (out / name).read_bytes() == objects[f"bkt/persona-model/pm-x/{name}"]
    assert all("persona-model%2Fpm-x%2F" in s for s in seen)
    del objects["bkt/persona-model/pm-x/heads.npz"]
    with pytest.raises(OSError):
        fetch_gcs("gs://bkt/persona-model/pm-x", tmp_path / "b")
    with pytest.raises(ValueError):
        fetch_gcs("s3://bkt/x", tmp_path / "c")
