"""The weekly retraining job end to end on the local stack: users rate turns through the gateway,
the ratings reach BigQuery through Pub/Sub and the analytics sink, `python -m
model_serving.retrain --quick` (in .venv-model) reads them, trains a challenger, judges it
against the champion on the fixed held-out set and by off-policy estimates, and promotes it or
not; a model server of our own, serving a temporary artifacts folder, reloads a promoted model
without a restart. The repository's artifacts/CURRENT is never touched.

Twice: a challenger trained on deliberately corrupted labels (the job's test-only knob) against
the real champion is rejected and the server keeps serving the champion; a plain challenger
against a deliberately broken champion (built here) is promoted and the running server answers
with it. The quick config reads a fixed fifth of the corpus, and encoder outputs are cached in
model_serving/artifacts/.cache (keyed by the encoder's and the texts' hashes), so only a
machine's first run embeds its ~3,800 texts (~70 s on a 2 GHz Zen 1 core)."""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest

from model_serving.artifact import ARTIFACT_FILES, read_npz, write_npz
from model_serving.feedback import RatedTurn, bigquery_client, read_rated_turns
from scripts import stack
from scripts.auth_emulator import sign_up
from tests.stack_fixtures import GATEWAY, new_turn, wait_for

ROOT = Path(__file__).resolve().parents[2]
MODEL_PYTHON = ROOT / ".venv-model" / "bin" / "python"
REAL_ARTIFACTS = ROOT / "model_serving" / "artifacts"
CACHE = REAL_ARTIFACTS / ".cache"
WEAK = "pm-weakened-for-e2e"
# Two kinds of message, each rated by three users: the first liked, the second not.
LIKED = "I'm really nervous about my job interview tomorrow, can you help me calm down?"
DISLIKED = "my build keeps failing with the same error and I have no idea why!!"

wait_until = functools.partial(wait_for, timeout=60.0)  # a training run is slow


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log: Path

    def health(self) -> httpx.Response:
        return httpx.get(f"{self.url}/health", timeout=5)

    def predicted_version(self) -> str:
        r = httpx.post(
            f"{self.url}/predict", json={"instances": [{"text": "hello there"}]}, timeout=5
        )
        assert r.status_code == 200, r.text
        return r.json()["predictions"][0]["model_version"]


@dataclass
class HealthWatch:
    """Polls health in the background: every answer (status, model_version) in order."""

    server: Server
    seen: list[tuple[int, str | None]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> HealthWatch:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                r = self.server.health()
                self.seen.append((r.status_code, r.json().get("model_version")))
            except httpx.HTTPError as e:
                self.seen.append((0, type(e).__name__))
            self._stop.wait(0.05)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_version(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True)
    for name in ARTIFACT_FILES:
        try:
            os.link(src / name, dst / name)  # the 57 MB encoder, without a copy
        except OSError:
            shutil.copyfile(src / name, dst / name)


def point(root: Path, version: str) -> None:
    tmp = root / ".CURRENT-test"
    tmp.write_text(version + "\n")
    os.replace(tmp, root / "CURRENT")


@pytest.fixture(scope="module")
def champion() -> str:
    pointer = REAL_ARTIFACTS / "CURRENT"
    if not MODEL_PYTHON.exists() or not pointer.exists():
        pytest.fail("no .venv-model or no trained champion: run scripts/bootstrap.sh (make test)")
    return pointer.read_text().strip()


@pytest.fixture(scope="module")
def artifacts(champion: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary artifacts folder holding the real champion (hard links) and its CURRENT."""
    root = tmp_path_factory.mktemp("artifacts")
    copy_version(REAL_ARTIFACTS / champion, root / champion)
    point(root, champion)
    return root


@pytest.fixture(scope="module")
def server(artifacts: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Our own model server (not the stack's) on a free port, serving the temporary folder."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {
        **os.environ,
        "AIP_HTTP_PORT": str(port),
        "AIP_HEALTH_ROUTE": "/health",
        "AIP_PREDICT_ROUTE": "/predict",
        "MODEL_ARTIFACTS_ROOT": str(artifacts),
        "MODEL_RELOAD_SECONDS": "0.5",
    }
    env.pop("MODEL_ARTIFACT_DIR", None)
    env.pop("AIP_STORAGE_URI", None)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(MODEL_PYTHON), "-m", "model_serving.server", "--host", "127.0.0.1"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    srv = Server(f"http://127.0.0.1:{port}", proc, log)
    try:

        def healthy() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"the model server exited:\n{log.read_text()[-3000:]}")
            try:
                return srv.health().status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, "the model server to load", timeout=90)
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def rated() -> list[RatedTurn]:
    """Six turns through the gateway, three of each kind, each rated by its user; returned as
    the job will read them from BigQuery."""
    ids = []
    with httpx.Client(base_url=GATEWAY, timeout=30) as api:
        for message, rating in [(LIKED, "up")] * 3 + [(DISLIKED, "down")] * 3:
            user = sign_up()
            r = new_turn(api, user, message)
            assert r.status_code == 201, r.text
            turn = r.json()
            # read by the stack's model, the champion: the off-policy checks replay such turns
            assert turn["degraded"] == [], turn["degraded"]
            body = {"turn_id": turn["turn_id"], "session_id": turn["session_id"], "rating": rating}
            f = api.post("/v2/feedback", json=body, headers=user.headers)
            assert f.status_code == 201, f.text
            ids.append(turn["turn_id"])
    client = bigquery_client(stack.PROJECT)

    def landed() -> list[RatedTurn] | None:
        now = datetime.now(UTC)
        rows = read_rated_turns(
            client,
            project=stack.PROJECT,
            dataset="analytics",
            since=now - timedelta(days=1),
            until=now,
            max_rows=1_000_000,  # every rated turn of the local stack's day
        )
        mine = [t for t in rows if t.turn_id in ids]
        return mine if len(mine) == len(ids) else None

    turns = wait_until(landed, "the rated turns in BigQuery", timeout=60)
    # each turn came from its own user, known by a pseudonymous key only (the off-policy
    # intervals group by it)
    keys = {t.user_key for t in turns}
    assert len(keys) == len(ids) and all(k and len(k) == 32 for k in keys), keys
    return turns


def retrain(artifacts: Path, *extra: str) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env.pop("MODEL_ARTIFACTS_ROOT", None)
    cmd = [str(MODEL_PYTHON), "-m", "model_serving.retrain", "--quick"]
    cmd += ["--artifacts", str(artifacts), "--cache", str(CACHE), "--feedback-days", "2", *extra]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "[8/8]" in out.stdout  # progress is shown
    line = next(x for x in out.stdout.splitlines() if x.startswith("report: "))
    path = Path(line.split()[1].removesuffix(".json") + ".json")
    report = json.loads(path.read_text())
    assert path.with_suffix(".md").read_text().startswith("# Retraining")
    return report


def weaken(artifacts: Path, champion: str) -> None:
    """A broken copy of the champion: every multiclass head's labels shifted by one, the crisis
    head reversed. Same encoder, so the job compares it on the same features."""
    copy_version(artifacts / champion, artifacts / WEAK)
    (artifacts / WEAK / "heads.npz").unlink()
    arrays = read_npz(artifacts / champion / "heads.npz")
    for name in list(arrays):
        head = name.split("_")[0]
        if head in ("tone", "pace", "intent", "persona") and ("_W_" in name or name.endswith("_b")):
            arrays[name] = np.roll(arrays[name], 1, axis=0)
        elif head == "crisis" and ("_W_" in name or name.endswith("_b")):
            arrays[name] = -arrays[name]
    write_npz(artifacts / WEAK / "heads.npz", arrays)
    meta_path = artifacts / WEAK / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["version"] = WEAK
    meta_path.unlink()  # a hard link to the champion's: write a new file
    meta_path.write_text(json.dumps(meta))


def test_a_worse_challenger_is_not_promoted_and_the_champion_keeps_serving(
    artifacts: Path, server: Server, rated: list[RatedTurn], champion: str
) -> None:
    real_current = (REAL_ARTIFACTS / "CURRENT").read_text()
    assert server.health().json()["model_version"] == champion
    report = retrain(artifacts, "--test-only-corrupt-labels", "0.6")

    assert report["champion"]["version"] == champion and not report["promoted"]
    decision = report["decision"]
    assert not decision["promote"]
    worse = {(c["head"], c["metric"]) for c in decision["comparisons"] if c["worse"]}
    assert {("tone", "macro_f1"), ("intent", "macro_f1")} <= worse, decision["reasons"]
    challenger = report["challenger"]
    # the corruption, not just the quick config, made it worse (quick alone: tone ~0.6)
    assert challenger["heldout"]["tone"]["macro_f1"] < 0.45
    assert report["champion"]["heldout"]["intent"]["macro_f1"] > 0.8  # the real champion
    assert report["training_set"]["test_only_corrupted_records"] > 0
    assert not (artifacts / challenger["version"]).exists(), "a rejected challenger is removed"
    assert (artifacts / "CURRENT").read_text().strip() == champion

    # What the ratings taught: each kind of message rated here was shown the persona the
    # ensemble picks for it, so nothing compares it with another persona: its weight stays 1
    # unless other runs rated another persona of the same kind (the lifts within a kind:
    # tests/unit/test_retraining.py).
    feedback = report["training_set"]["feedback"]
    assert feedback["used"] >= len(rated)
    cells = {(c["tone"], c["intent"], c["persona"]): c for c in report["persona_cells"]}
    for turn in rated:
        cell = cells[(turn.tone, turn.intent, turn.persona)]
        assert cell["n"] >= 3
        rivals = [
            c
            for c in report["persona_cells"]
            if (c["tone"], c["intent"]) == (turn.tone, turn.intent)
            and c["persona"] != turn.persona
            and c["n"] >= 3
        ]
        if not rivals:
            assert cell["weight"] == 1.0, cell
    # Off-policy: the turns the champion itself read were replayed with both persona heads.
    ope = report["off_policy"]
    read_by_champion = sum(t.analysis_source == champion for t in rated)
    assert read_by_champion == len(rated), [t.analysis_source for t in rated]  # none degraded
    assert ope["used"] >= read_by_champion
    assert ope["champion"]["n"] == ope["used"] and ope["challenger"]["n"] == ope["used"]
    assert ope["challenger"]["snips"] is not None
    assert ope["users"] >= read_by_champion  # one user per rated turn here

    assert server.health().json()["model_version"] == champion
    time.sleep(1.5)  # three reload checks later: still the champion
    assert server.predicted_version() == champion
    assert (REAL_ARTIFACTS / "CURRENT").read_text() == real_current


def test_a_better_challenger_is_promoted_and_served_without_a_restart(
    artifacts: Path, server: Server, rated: list[RatedTurn], champion: str
) -> None:
    real_current = (REAL_ARTIFACTS / "CURRENT").read_text()
    weaken(artifacts, champion)
    point(artifacts, WEAK)  # the server follows CURRENT: now it serves the broken champion
    wait_until(lambda: server.health().json()["model_version"] == WEAK, "the weakened champion")
    pid = server.proc.pid

    with HealthWatch(server) as watch:
        report = retrain(artifacts)
        new = report["challenger"]["version"]
        # The watch itself must see the new version: it is stopped when this block ends.
        wait_until(lambda: any(v == new for _, v in watch.seen), "the reload", timeout=30)

    assert report["promoted"] and report["decision"]["promote"], report["decision"]["reasons"]
    assert report["champion"]["version"] == WEAK
    assert (artifacts / "CURRENT").read_text().strip() == new
    for c in report["decision"]["comparisons"]:
        assert c["challenger"] >= c["champion"] - 0.01, c
    assert report["challenger"]["heldout"]["tone"]["macro_f1"] > (
        report["champion"]["heldout"]["tone"]["macro_f1"] + 0.2
    )

    # The same process, never unhealthy, switched once from the old model to the new one.
    assert server.proc.poll() is None and server.proc.pid == pid
    assert watch.seen and all(status == 200 for status, _ in watch.seen), watch.seen[:5]
    versions = [v for _, v in watch.seen]
    switch = versions.index(new)
    assert set(versions[:switch]) == {WEAK} and set(versions[switch:]) == {new}
    assert server.predicted_version() == new
    assert server.health().json()["reloads"] >= 2
    assert (REAL_ARTIFACTS / "CURRENT").read_text() == real_current


def test_a_version_that_fails_to_load_never_replaces_the_serving_one(
    artifacts: Path, server: Server
) -> None:
    serving = server.health().json()["model_version"]
    broken = artifacts / "pm-broken-for-e2e"
    broken.mkdir()
    for name in ARTIFACT_FILES:
        (broken / name).write_text("not a model")
    point(artifacts, broken.name)
    try:
        health = wait_until(
            lambda: (h := server.health().json()).get("reload_error") and h, "the failed reload"
        )
        assert health["model_version"] == serving and health["status"] == "ok"
        assert health["reload_error"].startswith("pm-broken-for-e2e:")
        assert server.predicted_version() == serving
    finally:
        point(artifacts, serving)
    health = wait_until(
        lambda: "reload_error" not in (h := server.health().json()) and h, "the error to clear"
    )
    assert health["model_version"] == serving
