"""The persona model's data, split and artifact, checked with the main venv (no onnxruntime,
torch or scikit-learn here: the served model itself is tested over HTTP in
tests/e2e/test_model_server.py, and how it reads quote marks in .venv-model)."""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pytest

from common.labels import INTENTS, PACES, PERSONA_IDS, TONES
from model_serving import split
from model_serving.artifact import ARTIFACTS, CURRENT
from model_serving.check_corpus import load, problems
from model_serving.features import (
    Tfidf,
    TfidfBlock,
    char_wb_ngrams,
    max_difference_to,
    word_ngrams,
)
from model_serving.predictor import MAX_INSTANCES, MAX_TEXT_CHARS, InvalidInstances, Predictor
from tests.model_venv import run_in_model_venv

HEADS = {"tone": TONES, "pace": PACES, "intent": INTENTS, "persona": PERSONA_IDS}


@pytest.fixture(scope="module")
def corpus() -> tuple[list[dict], list[str]]:
    records, errors = load(split.corpus_paths())
    if not records:
        pytest.fail("the labelled corpus model_serving/data/corpus/*.jsonl is empty")
    return records, errors


@pytest.fixture(scope="module")
def records(corpus: tuple[list[dict], list[str]]) -> list[dict]:
    return corpus[0]


@pytest.fixture(scope="module")
def metadata() -> dict:
    if not CURRENT.exists():
        pytest.fail(
            "no trained persona model: model_serving/artifacts/CURRENT is missing. Build it with "
            "`.venv-model/bin/python -m model_serving.split && .venv-model/bin/python -m "
            "model_serving.train` (make test does this first)"
        )
    path = ARTIFACTS / CURRENT.read_text().strip() / "metadata.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: retrain with `python -m model_serving.train`")
    return json.loads(path.read_text())


# --- corpus ------------------------------------------------------------------------------------


def test_corpus_validates(corpus: tuple[list[dict], list[str]]) -> None:
    _, errors = corpus
    assert not errors, f"{len(errors)} corpus errors, e.g. {errors[:5]}"


@pytest.mark.parametrize("mark", ["\u2019", "\u00b4", "\u201c"])
def test_a_record_with_typographic_quotes_is_refused(records: list[dict], mark: str) -> None:
    """The server reads ’ as ' (Predictor.scores): a record trained on as written would be read
    one way in training and another in serving."""
    record = next(r for r in records if "'" in r["text"])
    assert problems(record) == []
    assert problems({**record, "text": record["text"].replace("'", mark)}) == [
        "text has typographic apostrophes or quotes (common/text.py): write ' and \""
    ]


@pytest.mark.parametrize("head", sorted(HEADS))
def test_every_label_has_150_records(records: list[dict], head: str) -> None:
    counts = Counter(r[head] for r in records)
    thin = {label: counts[label] for label in HEADS[head] if counts[label] < 150}
    assert not thin, f"{head} labels under 150 records: {thin}"


def test_enough_crisis_and_alarming_not_crisis(records: list[dict]) -> None:
    crisis = sum(r["crisis"] for r in records)
    alarming = sum(r["kind"] == "alarming_not_crisis" for r in records)
    assert crisis >= 300, f"{crisis} crisis records (need >= 300)"
    assert alarming >= 300, f"{alarming} alarming_not_crisis records (need >= 300)"


# --- held-out split ----------------------------------------------------------------------------


def test_heldout_file_is_sorted_unique_sha1s() -> None:
    assert split.HELDOUT_FILE.exists(), "run `python -m model_serving.split`"
    lines = split.HELDOUT_FILE.read_text().splitlines()
    assert lines == sorted(set(lines))
    assert all(re.fullmatch(r"[0-9a-f]{40}", line) for line in lines)


def test_heldout_covers_20_percent_and_is_stratified(records: list[dict]) -> None:
    listed = split.read_heldout()
    _, heldout, _ = split.partition(records)
    keys = {split.key(r["text"]) for r in records}
    covered = len(listed & keys)
    assert covered / len(records) >= 0.20, f"heldout.txt lists {covered} of {len(records)}"
    assert len(heldout) / len(records) >= 0.20
    total = Counter(split.stratum(r) for r in records)
    out = Counter(split.stratum(r) for r in heldout)
    for s, n in total.items():
        if n >= 50:  # every sizeable (intent, crisis) stratum is held out at about the same rate
            assert 0.15 <= out[s] / n <= 0.35, f"{s}: {out[s]} of {n} held out"


def test_listed_records_stay_heldout(records: list[dict]) -> None:
    """A record listed once is held out forever, whatever the rule says about it."""
    listed = split.read_heldout()
    _, heldout, _ = split.partition(records)
    heldout_keys = {split.key(r["text"]) for r in heldout}
    in_corpus = {split.key(r["text"]) for r in records}
    assert listed & in_corpus <= heldout_keys


def test_split_lists_are_disjoint_and_cover_the_corpus(records: list[dict]) -> None:
    listed, trained = split.read_sides()
    assert not trained & listed
    assert {split.key(r["text"]) for r in records} <= trained | listed, (
        "run `python -m model_serving.split` after adding records"
    )


@pytest.mark.parametrize("intent", ["check_in", "emotional_support", "problem_solving"])
def test_relabelling_never_moves_a_listed_record(records: list[dict], intent: str) -> None:
    """A relabelling changes a record's stratum, and so the threshold its draw is compared with;
    the record must stay on the side it was listed on."""
    train, heldout, _ = split.partition(records)
    relabelled = [{**r, "intent": intent} for r in records]
    train2, heldout2, _ = split.partition(relabelled)
    assert [split.key(r["text"]) for r in heldout2] == [split.key(r["text"]) for r in heldout]
    assert len(train2) == len(train)


def test_new_records_do_not_move_existing_ones(records: list[dict]) -> None:
    _, heldout, _ = split.partition(records)
    new = [
        {**records[0], "text": f"a brand new message number {i} about my week"} for i in range(200)
    ]
    _, heldout2, _ = split.partition(records + new)
    old_keys = {split.key(r["text"]) for r in records}
    assert {split.key(r["text"]) for r in heldout2} & old_keys == {
        split.key(r["text"]) for r in heldout
    }
    assert 0.10 <= (len(heldout2) - len(heldout)) / len(new) <= 0.35  # ~22 % of new ones


def test_draw_is_stable() -> None:
    k = split.key("My manager moved the deadline to TOMORROW!!")
    assert k == split.key("my manager moved the deadline to tomorrow")
    assert split.draw(k) == split.draw(k)
    assert 0 <= split.draw(k) < 1


# --- artifact ----------------------------------------------------------------------------------


def test_artifact_label_sets_match_common_labels(metadata: dict) -> None:
    sets = metadata["label_sets"]
    for head, labels in HEADS.items():
        assert sets[head] == list(labels), head
        assert metadata["heads"][head]["labels"] == list(labels), head
    assert sets["crisis"] == ["false", "true"]
    assert metadata["heads"]["crisis"]["kind"] == "binary"
    assert 0 < metadata["heads"]["crisis"]["threshold"] < 1


def test_artifact_files_and_version(metadata: dict) -> None:
    directory = ARTIFACTS / metadata["version"]
    for name in ("heads.npz", "encoder.onnx", "tokenizer.json"):
        assert (directory / name).exists(), name
    assert metadata["version"] == (
        f"pm-{metadata['data_sha256'][:8]}-{metadata['config_sha256'][:8]}"
    )
    assert metadata["records"]["heldout"] / metadata["records"]["total"] >= 0.20


def test_artifact_was_trained_on_this_corpus(metadata: dict, records: list[dict]) -> None:
    from model_serving.train import canonical_data

    train, heldout, _ = split.partition(records)
    key = lambda r: split.key(r["text"])  # noqa: E731
    data = canonical_data(sorted(train, key=key), sorted(heldout, key=key))
    assert data == metadata["data_sha256"], (
        "the CURRENT artifact was trained on a different corpus or split: retrain with "
        "`.venv-model/bin/python -m model_serving.train`"
    )


def test_the_artifact_meets_the_heldout_targets(metadata: dict) -> None:
    """The build deploys CURRENT (cloudbuild's serving-image and deploy-model steps run after
    `make test`; its metadata is what ensure installs from model_serving/released/), and
    evaluate.py only prints "missed": a corpus relabel or a recipe change that cuts held-out
    crisis recall or precision, or a head's macro-F1, below its target fails here instead of
    going out as a canary. The retraining job holds its challengers to the same crisis floor
    (promotion.py)."""
    from model_serving.evaluate import TARGETS
    from model_serving.promotion import CRISIS_TARGET, below_floor, recorded_heldout

    heldout = recorded_heldout(metadata)
    low = below_floor(heldout, CRISIS_TARGET)
    assert not low, f"{metadata['version']}: {low}"
    missed = {
        head: round(heldout[head]["macro_f1"], 4)
        for head, target in TARGETS.items()
        if not heldout[head]["macro_f1"] >= target
    }
    assert not missed, f"{metadata['version']} below {TARGETS}: {missed}"


# --- serving code that needs no model ----------------------------------------------------------


def test_word_and_char_ngrams_follow_sklearn_rules() -> None:
    assert word_ngrams("I can't  GO", 1, 2) == ["can", "go", "can go"]
    assert char_wb_ngrams("Hi yo", 3, 4) == [" hi", "hi ", " hi ", " yo", "yo ", " yo "]
    assert char_wb_ngrams("a", 3, 5) == [" a "]


class _Rows:
    """The two things max_difference_to asks of a scipy CSR matrix: row slices and toarray."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values

    def __getitem__(self, rows: slice) -> _Rows:
        return _Rows(self.values[rows])

    def toarray(self) -> np.ndarray:
        return self.values


def test_the_chunked_tfidf_check_compares_every_row() -> None:
    tfidf = Tfidf([TfidfBlock("word", (1, 1), ["ok", "fine", "not"], np.array([1.0, 2.0, 3.0]))])
    texts = ["ok", "fine", "not ok", "not fine", "ok ok"]  # 5 rows: chunks of 2, 2 and 1
    reference = tfidf.dense(texts)
    assert max_difference_to(tfidf, texts, _Rows(reference), chunk=2) == 0.0
    reference[-1, 0] += 0.25  # only the last, shorter chunk differs
    assert max_difference_to(tfidf, texts, _Rows(reference), chunk=2) == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("instances", "message"),
    [
        (None, "non-empty list"),
        ([], "non-empty list"),
        ([{"text": "hi"}] * (MAX_INSTANCES + 1), "at most"),
        (["hi"], "object with a 'text'"),
        ([{"txt": "hi"}], "object with a 'text'"),
        ([{"text": 3}], "must be a string"),
        ([{"text": "  "}], "empty"),
        ([{"text": "x" * (MAX_TEXT_CHARS + 1)}], "over"),
        ([{"text": "ok"}, {"text": "hi \ud800"}], r"instances\[1\].* lone surrogate"),
    ],
)
def test_preprocess_rejects_bad_instances(instances: object, message: str) -> None:
    with pytest.raises(InvalidInstances, match=message):
        Predictor().preprocess(instances)


SMART_QUOTES = """
import json
from model_serving.predictor import Predictor

texts = ["i can't do this anymore", "i don't want to be here anymore",
         "it's fine. i won't be around to see the \\"results\\" anyway"]
predictor = Predictor()
predictor.load()
def crisis(marks):
    sent = [t.replace("'", marks[0]).replace('"', marks[1]) for t in texts]
    return [p["crisis"]["probability"] for p in predictor([{"text": t} for t in sent])]
print(json.dumps({m: crisis(m) for m in ("'\\"", "\u2019\u201c", "\u00b4\u201d", "\u02bc\u201e")}))
"""


def test_the_served_model_reads_typographic_quotes_as_plain_ones(metadata: dict) -> None:
    """iOS "Smart Punctuation" sends ’ for ': the tokenizer and the TF-IDF n-grams, trained on
    ', would read it as an unknown character and lower the crisis probability."""
    out = run_in_model_venv(SMART_QUOTES)
    plain = out.pop("'\"")
    assert min(plain) > 0.5, plain  # crisis texts, or the comparison says little
    for marks, probabilities in out.items():
        assert probabilities == plain, marks


def test_preprocess_keeps_order() -> None:
    texts = ["b", "a", "x" * MAX_TEXT_CHARS]
    assert Predictor().preprocess([{"text": t} for t in texts]) == texts


@pytest.mark.parametrize(
    ("outputs", "calibrations"),
    [
        (
            3,
            [
                {"method": "temperature", "temperature": 0.7},
                {"method": "temperature", "temperature": 2.5},
            ],
        ),
        (1, [{"method": "platt", "a": 1.8, "b": -0.4}, {"method": "platt", "a": 0.6, "b": 1.1}]),
    ],
)
def test_a_late_fusion_is_served_as_one_linear_head(outputs: int, calibrations: list[dict]) -> None:
    """train.fuse_weights folds the members into one head whose scores are exactly the mean of
    the members' calibrated logits (train.fuse_scores), block by block."""
    from model_serving import train

    rng = np.random.default_rng(7)
    x = {"layers": rng.normal(size=(20, 6)), "tfidf": rng.random(size=(20, 4))}
    members = [  # minilm_layers reads layers, tfidf reads tfidf
        ({"layers": rng.normal(size=(outputs, 6))}, rng.normal(size=outputs), calibrations[0]),
        ({"tfidf": rng.normal(size=(outputs, 4))}, rng.normal(size=outputs), calibrations[1]),
    ]
    raw = [sum(x[b] @ w.T for b, w in weights.items()) + bias for weights, bias, _ in members]
    expected = train.fuse_scores([(z, cal) for z, (_, _, cal) in zip(raw, members, strict=True)])
    weights, bias = train.fuse_weights(members)
    served = sum(x[b] @ w.T for b, w in weights.items()) + bias
    assert np.allclose(served, expected, atol=1e-12)
    assert train.blocks_of("late_fusion") == ("layers", "tfidf")
    scale = [1 / c["temperature"] if "temperature" in c else c["a"] for c in calibrations]
    shift = [0.0 if "temperature" in c else c["b"] for c in calibrations]
    by_hand = sum(s * z + t for s, z, t in zip(scale, raw, shift, strict=True)) / 2
    assert np.allclose(expected, by_hand, atol=1e-12)
