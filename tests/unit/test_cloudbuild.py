"""cloudbuild.yaml names real things: Makefile targets, files and folders of this repository,
defined substitutions and steps; and it applies and deploys on the main branch only."""

from __future__ import annotations

import re
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
        "build-image",
        "push-image",
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
    assert "apply -input=false tfplan" in _text(steps["terraform-apply"])
    assert "-out=tfplan" in _text(steps["terraform-plan"])


def test_the_image_is_built_from_the_serving_dockerfile_and_pushed() -> None:
    steps = {s["id"]: s for s in _steps()}
    build, push = steps["build-image"]["args"], steps["push-image"]["args"]
    assert build[build.index("-f") + 1] == "model_serving/Dockerfile"
    tag = build[build.index("-t") + 1]
    assert push[-1] == tag and tag.endswith(":${SHORT_SHA}")
    assert "-containers/persona-model" in tag  # the Artifact Registry repository in Terraform
    registry = (REPO / "terraform" / "modules" / "model-serving" / "main.tf").read_text()
    assert 'repository_id = "${var.prefix}-containers"' in registry


def test_the_retraining_image_is_built_pushed_and_planned() -> None:
    """Without it the retraining job stays off: Terraform creates it once the image is set."""
    steps = {s["id"]: s for s in _steps()}
    build = steps["build-retraining-image"]["args"]
    push = steps["push-retraining-image"]["args"]
    assert build[build.index("-f") + 1] == "model_serving/Dockerfile.retrain"
    tag = build[build.index("-t") + 1]
    assert push[-1] == tag and "-containers/persona-retrain:${SHORT_SHA}" in tag
    assert f"-var=retraining_image={tag}" in steps["terraform-plan"]["args"]
    assert "push-retraining-image" in steps["terraform-apply"]["waitFor"]
