"""cloudbuild.yaml names real things: Makefile targets, files and folders of this repository,
defined substitutions and steps; and it applies and deploys on the main branch only. The image,
plan and model deployment steps run here against fake docker, terraform and gcloud commands: a
retry of a build reuses its images and model version, the serving image is tagged by what it
serves, and a deployment keeps the other models' traffic shares."""

from __future__ import annotations

import json
import random
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "cloudbuild.yaml"
# Substitutions Cloud Build provides itself.
BUILT_IN = {
    "PROJECT_ID",
    "PROJECT_NUMBER",
    "BUILD_ID",
    "LOCATION",
    "TRIGGER_NAME",
    "COMMIT_SHA",
    "SHORT_SHA",
    "REVISION_ID",
    "BRANCH_NAME",
    "TAG_NAME",
    "REPO_NAME",
    "REPO_FULL_NAME",
    "SERVICE_ACCOUNT_EMAIL",
}
OUTPUTS = {"build", ".cloudbuild"}  # written by the build itself
TOP_LEVEL = {p.name for p in REPO.iterdir() if not p.name.startswith(".")} - OUTPUTS


def _config() -> dict[str, Any]:
    return yaml.safe_load(BUILD.read_text())


def _steps() -> list[dict[str, Any]]:
    return _config()["steps"]


def _text(step: dict[str, Any]) -> str:
    return "\n".join(str(a) for a in step.get("args", [])) + "\n" + str(step.get("script", ""))


def _substitute(text: str) -> str:
    defaults = _config()["substitutions"]
    return re.sub(r"\$\{(_\w+)\}", lambda m: str(defaults[m.group(1)]), text)


def _make_targets() -> set[str]:
    makefile = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*):", makefile, re.M))


def test_steps_have_unique_ids_and_wait_for_real_steps() -> None:
    ids = [s["id"] for s in _steps()]
    assert len(ids) == len(set(ids))
    for i, step in enumerate(_steps()):
        for dependency in step.get("waitFor", []):
            assert dependency in ids[:i], f"{step['id']}: {dependency} is not an earlier step"


def test_the_pipeline_has_every_stage_in_order() -> None:
    ids = [s["id"] for s in _steps()]
    order = [
        "lint",
        "test",
        "serving-image",
        "package-functions",
        "terraform-plan",
        "terraform-apply",
        "deploy-model",
    ]
    assert [i for i in ids if i in order] == order


def test_make_targets_exist() -> None:
    targets, used = _make_targets(), set()
    for step in _steps():
        used |= set(re.findall(r"^\s*make\s+([\w-]+)", _text(step), re.M))
    assert {"lint", "test"} <= used
    assert used <= targets, f"not Makefile targets: {used - targets}"


def test_paths_exist() -> None:
    """Every repository path a step names (a Dockerfile, a Terraform root, a folder it reads)."""
    checked = set()
    for step in _steps():
        text = _substitute(_text(step))
        for match in re.finditer(r"(?<![\w/.:-])((?:[\w.-]+/)+[\w.-]*)", text):
            path = match.group(1).rstrip("/")
            if path.split("/")[0] not in TOP_LEVEL:
                continue  # not a repository path (an image, a URL, .cloudbuild/ made by the build)
            assert (REPO / path).exists(), f"{step['id']}: {path} does not exist"
            checked.add(path)
        for match in re.finditer(r'Path\("([\w./-]+)"\)|z\.write\("([\w./-]+)"', text):
            path = match.group(1) or match.group(2)
            if path.split("/")[0] in OUTPUTS:
                continue
            assert (REPO / path).exists(), f"{step['id']}: {path} does not exist"
            checked.add(path)
    assert {"model_serving/Dockerfile", "terraform/environments/dev", "functions"} <= checked


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_terraform_steps_run_in_an_environment_root(env: str) -> None:
    assert (REPO / "terraform" / "environments" / env / "main.tf").is_file()
    chdirs = {m for step in _steps() for m in re.findall(r"-chdir=([\w/${}]+)", _text(step))}
    assert chdirs == {"terraform/environments/${_ENV}"}


def test_substitutions_are_defined_and_shell_variables_escaped() -> None:
    defined = set(_config()["substitutions"]) | BUILT_IN
    raw = BUILD.read_text()
    for match in re.finditer(r"(?<!\$)\$(\{?)([A-Za-z_]\w*)", raw):
        assert match.group(2) in defined, (
            f"${match.group(1)}{match.group(2)}: not a substitution (a shell variable needs $$)"
        )
    assert all(k.startswith("_") for k in _config()["substitutions"])


def test_apply_and_model_deployment_only_on_main() -> None:
    steps = {s["id"]: s for s in _steps()}
    for step_id in ("terraform-apply", "deploy-model"):
        text = _text(steps[step_id])
        assert re.search(r'if \[ "\$\{BRANCH_NAME\}" != "main" \]; then .*exit 0; fi', text)
    assert "apply -input=false -lock-timeout=10m tfplan" in _text(steps["terraform-apply"])
    assert "-out=tfplan" in _text(steps["terraform-plan"])


def _deploy_step(number: int) -> str:
    """Step `number` of docs/OPERATIONS.md's "Deploy from zero", as written."""
    operations = (REPO / "docs" / "OPERATIONS.md").read_text()
    deploy = operations.split("\n## Deploy from zero\n")[1].split("\n## ")[0]
    match = re.search(rf"^{number}\. (.*?)(?=^\d+\. |\Z)", deploy, re.S | re.M)
    assert match, f"no step {number}"
    return match.group(1)


def test_the_hand_deploy_runs_the_build_that_deploys_the_model() -> None:
    """Terraform creates an empty endpoint and only the build's deploy-model step deploys a
    model (/healthz is a 503 until one serves): the hand route of "Deploy from zero" runs the
    build, with the substitutions the trigger sets plus the two only triggers fill, and only
    substitutions this file defines."""
    step = _deploy_step(6)
    trigger, hand = step.split("terraform apply tfplan", 1)
    assert "deploy-model" in hand
    match = re.search(r"gcloud builds submit .*?(?=\n\s*```)", hand, re.S)
    assert match, "the hand route runs no `gcloud builds submit`"
    words = shlex.split(match.group(0).replace("\\\n", " "))
    assert "--config=cloudbuild.yaml" in words
    assert any(w.startswith("--service-account=") for w in words)
    (substitutions,) = (w.removeprefix("--substitutions=") for w in words if "--subst" in w)
    passed = dict(kv.split("=", 1) for kv in substitutions.split(","))
    assert set(passed) <= set(_config()["substitutions"]) | BUILT_IN, passed
    by_trigger = set(re.findall(r"`(_[A-Z_]+)=", trigger))
    assert by_trigger and by_trigger | {"BRANCH_NAME", "SHORT_SHA"} <= set(passed)
    assert passed["BRANCH_NAME"] == "main"


def test_the_deployers_one_role_list_has_what_the_build_itself_needs() -> None:
    """A build that runs as its own service account with logging CLOUD_LOGGING_ONLY writes its
    log only with the Logs Writer role; the header's roles are in the same single list."""
    step = " ".join(_deploy_step(4).split())
    roles = set(re.findall(r"`(roles/[\w.]+)`", step))
    if _config()["options"].get("logging") == "CLOUD_LOGGING_ONLY":
        assert "roles/logging.logWriter" in roles
    header = BUILD.read_text().split("\nsubstitutions:")[0]
    assert set(re.findall(r"roles/\w+(?:\.\w+)*", header)) <= roles
    assert {"roles/aiplatform.user", "roles/artifactregistry.writer"} <= roles
    assert "trigger must name it" in step


def test_the_model_virtualenv_installs_torchs_cpu_build() -> None:
    """bootstrap installs torch into .venv-model on every fresh machine (the encoder export);
    from PyPI alone that is a CUDA build of several GB. The build machines have no find-links
    with the CPU wheel, so PyTorch's CPU index is given, as README says to elsewhere."""
    env = dict(item.split("=", 1) for item in _config()["options"]["env"])
    assert env["PIP_EXTRA_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    readme = (REPO / "README.md").read_text()
    assert "PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu" in readme


def test_the_steps_that_bootstrap_run_the_pinned_official_node_20(tmp_path: Path) -> None:
    """firebase-tools (the Auth emulator) exits on a Node older than 20, and bootstrap refuses
    one; Debian 12's nodejs package is 18. The lint and test steps put the official build the
    node-runtime step unpacked first on PATH, and install no distribution Node."""
    steps = {s["id"]: s for s in _steps()}
    for step_id in ("lint", "test"):
        script = _script(step_id)
        assert not re.search(r"apt-get install[^\n]*\b(nodejs|npm)\b", script), step_id
        assert 'export PATH="$PWD/.cloudbuild/bin:$PWD/.cloudbuild/node/bin:$PATH"' in script
    assert "node-runtime" in steps["lint"]["waitFor"] and steps["test"]["waitFor"] == ["lint"]
    node = _script("node-runtime")
    version = re.search(r"^version=((\d+)\.\d+\.\d+)$", node, re.M)
    assert version and int(version.group(2)) >= 20
    assert re.search(r"^sha256=[0-9a-f]{64}$", node, re.M)
    # A download that is not the pinned build is refused before anything is unpacked.
    calls = tmp_path / "curl.log"
    fake_curl = tmp_path / "bin" / "curl"
    fake_curl.parent.mkdir()
    fake_curl.write_text(
        f'#!/bin/bash\necho "$*" >> {calls}\n'
        'while [ $# -gt 0 ]; do [ "$1" = -o ] && echo tampered > "$2"; shift; done\n'
    )
    fake_curl.chmod(0o755)
    run = subprocess.run(
        ["bash", "-ceu", node],
        env={"PATH": f"{fake_curl.parent}:/usr/bin:/bin", "TMPDIR": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0 and "FAILED" in run.stdout + run.stderr
    assert f"https://nodejs.org/dist/v{version.group(1)}/" in calls.read_text()
    assert not (tmp_path / ".cloudbuild" / "node").exists()


SHA = "abc1234"
REGISTRY = "us-central1-docker.pkg.dev/p/ion-dev-containers"


def _serving_key() -> str:
    """The serving key of this checkout (model_serving/serving_key.sh)."""
    key = subprocess.run(
        ["sh", "model_serving/serving_key.sh"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert re.fullmatch(r"s[0-9a-f]{12}", key), key
    return key


def _fill(text: str, sha: str = SHA) -> str:
    """Substitutions filled in as Cloud Build does on main, $$ unescaped."""
    builtin = {"PROJECT_ID": "p", "SHORT_SHA": sha, "BRANCH_NAME": "main"}
    text = re.sub(r"(?<!\$)\$\{([A-Z]\w*)\}", lambda m: builtin[m.group(1)], text)
    return _substitute(text).replace("$$", "$")


def _script(step_id: str, sha: str = SHA) -> str:
    """A step's bash script as Cloud Build runs it on main."""
    (step,) = [s for s in _steps() if s["id"] == step_id]
    assert step["entrypoint"] == "bash" and step["args"][0] == "-ceu"
    return _fill(step["args"][1], sha)


def _run(script: str, tmp_path: Path, fakes: dict[str, str]) -> list[str]:
    """Runs a step's script with fake commands (bash scripts) first on PATH; returns the calls
    they logged, one line each."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in {**fakes, "python3": f'exec {sys.executable} "$@"'}.items():
        path = bin_dir / name
        path.write_text(f'#!/bin/bash\necho "{name} $*" >> "$LOG"\n{body}\n')
        path.chmod(0o755)
    log = tmp_path / "calls.log"
    log.write_text("")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "LOG": str(log), "STATE": str(tmp_path)}
    subprocess.run(
        ["bash", "-ceu", script], env=env, check=True, capture_output=True, text=True, cwd=REPO
    )
    return [line for line in log.read_text().splitlines() if not line.startswith("python3 ")]


FAKE_DOCKER = '[ "$1 $2" != "manifest inspect" ] || [ -e "$STATE/pushed" ]'


@pytest.mark.parametrize(
    ("step_id", "dockerfile", "repository"),
    [
        ("serving-image", "model_serving/Dockerfile", "persona-model"),
        ("retraining-image", "model_serving/Dockerfile.retrain", "persona-retrain"),
    ],
)
@pytest.mark.parametrize("pushed", [False, True])
def test_an_image_is_built_and_pushed_unless_its_tag_exists(
    tmp_path: Path, step_id: str, dockerfile: str, repository: str, pushed: bool
) -> None:
    """Tags are immutable and a rebuild is not byte-identical: a retry of a build (a rollback
    to it) must reuse its images, not fail pushing them again."""
    if pushed:
        (tmp_path / "pushed").touch()
    calls = _run(_script(step_id), tmp_path, {"docker": FAKE_DOCKER})
    tag = f"{REGISTRY}/{repository}:{_serving_key() if repository == 'persona-model' else SHA}"
    assert calls[0] == f"docker manifest inspect {tag}"
    if pushed:
        assert calls == [f"docker manifest inspect {tag}"]
    else:
        assert calls[1:] == [f"docker build -f {dockerfile} -t {tag} .", f"docker push {tag}"]
    registry = (REPO / "terraform" / "modules" / "model-serving" / "main.tf").read_text()
    assert 'repository_id = "${var.prefix}-containers"' in registry
    assert "immutable_tags = true" in registry


def test_a_build_without_short_sha_stops_before_building(tmp_path: Path) -> None:
    # Only triggers fill SHORT_SHA; a manual build without it would tag "persona-retrain:".
    # (The serving image is tagged by its serving key.)
    script = _script("retraining-image", sha="")
    with pytest.raises(subprocess.CalledProcessError) as failed:
        _run(script, tmp_path, {"docker": FAKE_DOCKER})
    assert "SHORT_SHA is empty" in failed.value.stdout + failed.value.stderr


def _terraform(
    tmp_path: Path, step_id: str = "terraform-plan", sha: str = SHA, emails: str = "[]"
) -> list[str]:
    """The arguments a step passes to terraform, one a line (a fake terraform logs them): the
    step runs as Cloud Build runs it on main, `sh <args>`, with _ALERT_EMAILS = emails."""
    (step,) = [s for s in _steps() if s["id"] == step_id]
    assert step["entrypoint"] == "sh" and step["args"][0] == "-ceu"
    args = [_fill(a.replace("${_ALERT_EMAILS}", emails), sha) for a in step["args"]]
    fake = 'printf "%s\\n" "$@" > "$STATE/terraform.args"'
    _run(shlex.join(["sh", *args]), tmp_path, {"terraform": fake})
    return (tmp_path / "terraform.args").read_text().splitlines()


def test_the_images_are_planned_and_pushed_before_apply(tmp_path: Path) -> None:
    """The retraining job runs this build's image and registers versions that serve this
    build's serving image (RETRAIN_SERVING_IMAGE, terraform/stack/retraining.tf): the image
    the serving-image step pushed, and the deployed model runs."""
    steps = {s["id"]: s for s in _steps()}
    plan = _terraform(tmp_path, emails='["oncall@example.com"]')
    assert plan[:2] == ["-chdir=terraform/environments/dev", "plan"]
    assert f"-var=retraining_image={REGISTRY}/persona-retrain:{SHA}" in plan
    assert f"-var=serving_image={REGISTRY}/persona-model:{_serving_key()}" in plan
    # the substitutions reach terraform as they are, double quotes included
    assert '-var=notification_emails=["oncall@example.com"]' in plan
    assert {"serving-image", "retraining-image"} <= set(steps["terraform-apply"]["waitFor"])


@pytest.mark.parametrize("step_id", ["terraform-plan", "terraform-apply"])
def test_terraform_waits_for_another_builds_state_lock(tmp_path: Path, step_id: str) -> None:
    """Two main builds overlap (a trigger runs them concurrently): without -lock-timeout the
    second's plan or apply fails at once on the first's state lock."""
    arguments = _terraform(tmp_path, step_id)
    assert arguments[1] == step_id.removeprefix("terraform-")
    assert "-lock-timeout=10m" in arguments


def test_a_build_that_changes_nothing_served_pushes_no_serving_image(tmp_path: Path) -> None:
    """The serving image is tagged by its serving key, not by the commit: a later commit
    serving the same reuses the image (no new version in the registry), and the model version
    it would upload, the plan's serving image and the deployed model's name all carry that
    key. Tagged by commit, every push added a version, and the cleanup's "10 most recent"
    soon no longer held the image the endpoint runs."""
    key = _serving_key()
    calls = _run(_script("serving-image"), tmp_path, {"docker": FAKE_DOCKER})
    assert calls[-1] == f"docker push {REGISTRY}/persona-model:{key}"
    (tmp_path / "pushed").touch()
    calls = _run(_script("serving-image", sha="0ther99"), tmp_path, {"docker": FAKE_DOCKER})
    assert calls == [f"docker manifest inspect {REGISTRY}/persona-model:{key}"]
    assert f"-var=serving_image={REGISTRY}/persona-model:{key}" in _terraform(
        tmp_path, sha="0ther99"
    )


# The Vertex AI side of deploy-model: $STATE/model (the persona-model's name, written by an
# upload), $STATE/aliases (its versions' aliases), $STATE/deployed (the endpoint's deployed
# models' display names) and $STATE/endpoint.json (`describe --format=json`).
FAKE_GCLOUD = """
case "$1 $2 $3" in
  "ai models list") cat "$STATE/model" 2>/dev/null || true ;;
  "ai models list-version") cat "$STATE/aliases" ;;
  "ai models upload") echo projects/p/locations/us-central1/models/7 > "$STATE/model" ;;
  "ai endpoints describe")
    if [[ "$*" == *--format=json* ]]; then cat "$STATE/endpoint.json"
    else cat "$STATE/deployed"; fi ;;
esac
"""
MODEL = "projects/p/locations/us-central1/models/7"


def _deploy(tmp_path: Path, *, model: bool, aliases: str, deployed: str, split: dict) -> list:
    if model:
        (tmp_path / "model").write_text(MODEL + "\n")
    (tmp_path / "aliases").write_text(aliases + "\n")
    (tmp_path / "deployed").write_text(deployed + "\n")
    (tmp_path / "endpoint.json").write_text(json.dumps({"trafficSplit": split} if split else {}))
    return _run(_script("deploy-model"), tmp_path, {"gcloud": FAKE_GCLOUD})


def _called(calls: list[str], command: str) -> list[str]:
    return [c for c in calls if c.startswith(f"gcloud {command} ")]


def test_the_first_model_deployment_takes_all_the_traffic(tmp_path: Path) -> None:
    calls = _deploy(tmp_path, model=False, aliases="", deployed="", split={})
    (upload,) = _called(calls, "ai models upload")
    assert "--parent-model" not in upload and f"--version-aliases=build-{SHA}" in upload
    assert f"--container-image-uri={REGISTRY}/persona-model:{_serving_key()}" in upload
    (deploy,) = _called(calls, "ai endpoints deploy-model")
    assert f"--model={MODEL}@build-{SHA}" in deploy and deploy.endswith("--traffic-split=0=100")
    assert f"--display-name=persona-{SHA}-{_serving_key()} " in deploy


def test_a_build_deploys_a_canary_and_keeps_every_deployed_models_share(tmp_path: Path) -> None:
    """A retrained canary listed first keeps its share of the rest: it is not handed 90%."""
    split = {"222": 10, "111": 90}
    calls = _deploy(
        tmp_path, model=True, aliases="default;build-0ld1234", deployed="persona-pm-x", split=split
    )
    (upload,) = _called(calls, "ai models upload")
    assert f"--parent-model={MODEL}" in upload
    (deploy,) = _called(calls, "ai endpoints deploy-model")
    assert re.search(rf'--display-name="?persona-{SHA}-s[0-9a-f]{{12}}"? ', deploy)
    assert deploy.endswith("--traffic-split=0=10,222=9,111=81")


def test_a_retried_build_reuses_its_model_version(tmp_path: Path) -> None:
    """A rollback by retrying an older build: its version (alias build-<sha>) is deployed
    again if it was undeployed, and left alone if it still is deployed."""
    calls = _deploy(
        tmp_path,
        model=True,
        aliases=f"default\nbuild-{SHA};x",
        deployed="persona-new",
        split={"5": 100},
    )
    assert not _called(calls, "ai models upload")
    (deploy,) = _called(calls, "ai endpoints deploy-model")
    assert f"--model={MODEL}@build-{SHA}" in deploy and deploy.endswith("--traffic-split=0=10,5=90")
    name = re.search(r"--display-name=\"?([^\" ]+)", deploy).group(1)
    calls = _deploy(
        tmp_path, model=True, aliases=f"build-{SHA}", deployed=f"persona-new;{name}", split={}
    )
    assert not _called(calls, "ai models upload")
    assert not _called(calls, "ai endpoints deploy-model")


def test_a_build_that_changes_nothing_served_deploys_nothing(tmp_path: Path) -> None:
    """Most pushes change neither the model nor the serving code: another deployment of the
    same would be one more replica running around the clock."""
    calls = _deploy(tmp_path, model=False, aliases="", deployed="", split={})
    (deploy,) = _called(calls, "ai endpoints deploy-model")
    serving = re.search(r"-(s[0-9a-f]{12})\b", deploy).group(1)
    calls = _deploy(  # a later commit (another SHORT_SHA) whose served content is the same
        tmp_path, model=True, aliases="build-0ld1234", deployed=f"persona-0ld1234-{serving}",
        split={"5": 100},
    )  # fmt: skip
    assert not _called(calls, "ai models upload")
    assert not _called(calls, "ai endpoints deploy-model")
    # a deployment made before the serving key (a retrained model's, an older build's) is not it
    calls = _deploy(
        tmp_path, model=True, aliases="", deployed="persona-0ld1234;persona-pm-x", split={"5": 100}
    )
    assert _called(calls, "ai endpoints deploy-model")


def test_the_serving_key_covers_every_file_the_serving_image_copies() -> None:
    """A change to any of them (common/text.py, which the predictor imports, too) must deploy
    a new image: a key without it would keep the old serving code on the endpoint."""
    dockerfile = (REPO / "model_serving" / "Dockerfile").read_text()
    copied = {
        part
        for line in re.findall(r"^COPY (?!--from)((?:.*\\\n)*.*)$", dockerfile, re.M)
        for part in line.replace("\\\n", " ").split()[:-1]
    }
    assert "common/text.py" in copied, copied
    script = (REPO / "model_serving" / "serving_key.sh").read_text()
    hashed = set(re.search(r'^files="(.*?)"', script, re.S | re.M).group(1).split())
    for step_id in ("serving-image", "deploy-model"):
        assert 'serving="$(sh model_serving/serving_key.sh)"' in _script(step_id)
    # the artifact's files are named by its version, in CURRENT
    assert copied - {"model_serving/artifacts/"} <= hashed, copied - hashed


SPLIT_DRIVER = """
import contextlib, io, json, sys
code, canary, cases = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
out = []
for case in cases:
    sys.stdin, sys.argv, buffer = io.StringIO(json.dumps(case)), ["-c", canary], io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
        exec(code, {})
    out.append(buffer.getvalue().strip())
print(json.dumps(out))
"""


def _splits(cases: list[dict]) -> list[dict[str, int]]:
    """The new traffic split deploy-model computes for each `describe --format=json` output."""
    match = re.search(r"python3 -c '\n(.*?)\n' (\d+)\)", _script("deploy-model"), re.S)
    assert match, "deploy-model computes the split with an inline python3 -c snippet"
    code, canary = match.groups()
    assert canary == "10"
    out = subprocess.run(
        [sys.executable, "-c", SPLIT_DRIVER, code, canary, json.dumps(cases)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [{k: int(v) for k, v in (p.split("=") for p in s.split(","))} for s in json.loads(out)]


def test_the_traffic_split_scales_every_deployed_model_to_the_other_90_percent() -> None:
    rng = random.Random(7)
    cases: list[dict] = [{}, {"trafficSplit": {}}, {"trafficSplit": {"a": 100}}]
    cases += [{"trafficSplit": {"a": 90, "b": 10}}, {"trafficSplit": {"a": 99, "b": 1, "c": 0}}]
    for _ in range(300):
        cut = sorted(rng.sample(range(1, 100), rng.randint(0, 5)))
        shares = [b - a for a, b in zip([0, *cut], [*cut, 100], strict=True)]
        cases.append({"trafficSplit": {str(rng.randrange(10**9)): s for s in shares}})
    results = _splits(cases)
    assert results[:5] == [
        {"0": 100},
        {"0": 100},
        {"0": 10, "a": 90},
        {"0": 10, "a": 81, "b": 9},
        {"0": 10, "a": 89, "b": 1},
    ]
    for case, new in zip(cases[2:], results[2:], strict=True):
        old = case["trafficSplit"]
        assert sum(new.values()) == 100 and new["0"] == 10, (old, new)
        assert all(v > 0 for v in new.values()), "a model left out gets 0% anyway"
        for key, share in old.items():
            assert abs(new.get(key, 0) - share * 0.9) < 1, (old, new)
