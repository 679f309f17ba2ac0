"""Production side of the retraining job: the artifact bucket (GCS) and the Vertex AI Model
Registry and endpoint, through google-cloud-storage and google-cloud-aiplatform.

Both libraries are imported lazily, inside these adapters only (aiplatform alone costs ~2 s of
import): nothing else in model_serving, and nothing in functions/ or the chat path, imports them.
They are installed in .venv-model and the retraining image (model_serving/requirements-retrain.txt),
never in the functions' requirements.txt.

The bucket mirrors the local artifacts folder:

    gs://<bucket>/<prefix>/<version>/metadata.json, heads.npz, encoder.onnx, tokenizer.json
    gs://<bucket>/<prefix>/CURRENT                 the last promoted version (the next champion)
    gs://<bucket>/<prefix>/decisions/<stamp>-<version>.json / .md

A promoted version is uploaded as a new version of the `persona-model` Model (the serving image
of the model's current default version, with `artifact_uri` = its folder: Vertex AI copies it
and hands it to the container as AIP_STORAGE_URI, which model_serving.server loads) and deployed
to the endpoint next to what serves, with `canary_percent` of the traffic (all of it on an empty
endpoint). Promoting the canary to 100 % and rolling back: docs/OPERATIONS.md.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model_serving.artifact import ARTIFACT_FILES

SERVING_PORT = 8080
HEALTH_ROUTE = "/health"
PREDICT_ROUTE = "/predict"


@dataclass(frozen=True)
class VertexConfig:
    """Where production keeps and serves the model (the Cloud Run job's environment)."""

    project: str
    region: str
    bucket: str
    endpoint_id: str
    prefix: str = "persona-model"
    model_display_name: str = "persona-model"
    canary_percent: int = 10
    machine_type: str = "n1-standard-2"
    min_replicas: int = 1
    max_replicas: int = 3
    serving_image: str | None = None  # None: the image of the model's default version
    labels: dict[str, str] = field(default_factory=lambda: {"application": "ion-mentoring"})

    def __post_init__(self) -> None:
        if not 1 <= self.canary_percent <= 100:
            raise ValueError("canary_percent must be in 1..100")


class GcsArtifacts:
    """The artifact folders and the CURRENT pointer in the bucket."""

    def __init__(self, config: VertexConfig, client: Any = None) -> None:
        self.config = config
        self._client = client

    def _bucket(self) -> Any:
        if self._client is None:
            from google.cloud import storage

            self._client = storage.Client(project=self.config.project)
        return self._client.bucket(self.config.bucket)

    def _name(self, *parts: str) -> str:
        return "/".join((self.config.prefix, *parts))

    def uri(self, version: str) -> str:
        return f"gs://{self.config.bucket}/{self._name(version)}/"

    def current_version(self) -> str | None:
        blob = self._bucket().blob(self._name("CURRENT"))
        if not blob.exists():
            return None
        return blob.download_as_text().strip() or None

    def download(self, version: str, dest_root: Path) -> Path:
        """gs://…/<version>/ into dest_root/<version>/ (skipped when already complete)."""
        folder = dest_root / version
        if all((folder / name).exists() for name in ARTIFACT_FILES):
            return folder
        tmp = Path(tempfile.mkdtemp(prefix=f".download-{version}-", dir=dest_root))
        bucket = self._bucket()
        for name in ARTIFACT_FILES:
            bucket.blob(self._name(version, name)).download_to_filename(str(tmp / name))
        tmp.rename(folder)
        return folder

    def upload(self, folder: Path, version: str) -> str:
        bucket = self._bucket()
        for name in (*ARTIFACT_FILES, "timings.json"):
            if (folder / name).exists():
                bucket.blob(self._name(version, name)).upload_from_filename(str(folder / name))
        return self.uri(version)

    def set_current(self, version: str) -> None:
        self._bucket().blob(self._name("CURRENT")).upload_from_string(
            version + "\n", content_type="text/plain"
        )

    def upload_report(self, name: str, text: str, content_type: str) -> str:
        self._bucket().blob(self._name("decisions", name)).upload_from_string(
            text, content_type=content_type
        )
        return f"gs://{self.config.bucket}/{self._name('decisions', name)}"


class VertexDeployer:
    """Registers a model version and deploys it to the endpoint with a traffic split."""

    def __init__(self, config: VertexConfig, aiplatform: Any = None) -> None:
        self.config = config
        self._aiplatform = aiplatform

    def _aip(self) -> Any:
        if self._aiplatform is None:
            from google.cloud import aiplatform

            self._aiplatform = aiplatform
        self._aiplatform.init(project=self.config.project, location=self.config.region)
        return self._aiplatform

    def register_and_deploy(self, *, version: str, artifact_uri: str) -> dict[str, Any]:
        aip = self._aip()
        cfg = self.config
        parents = aip.Model.list(filter=f'display_name="{cfg.model_display_name}"')
        parent = parents[0] if parents else None
        image = cfg.serving_image
        if image is None:
            if parent is None:
                raise RuntimeError(
                    f"no {cfg.model_display_name} model to take the serving image from: deploy "
                    "one with Cloud Build first, or set RETRAIN_SERVING_IMAGE"
                )
            image = parent.to_dict()["containerSpec"]["imageUri"]
        alias = f"retrain-{version}".lower()
        model = aip.Model.upload(
            display_name=cfg.model_display_name,
            parent_model=parent.resource_name if parent else None,
            artifact_uri=artifact_uri,
            serving_container_image_uri=image,
            serving_container_predict_route=PREDICT_ROUTE,
            serving_container_health_route=HEALTH_ROUTE,
            serving_container_ports=[SERVING_PORT],
            version_aliases=[alias],
            version_description=f"retrained persona model {version}",
            labels={**cfg.labels, "model-version": version.lower()[:63]},
            sync=True,
        )
        endpoint = aip.Endpoint(endpoint_name=cfg.endpoint_id)
        serving = endpoint.list_models()
        percent = cfg.canary_percent if serving else 100
        model.deploy(
            endpoint=endpoint,
            deployed_model_display_name=f"persona-{version}"[:128],
            traffic_percentage=percent,
            machine_type=cfg.machine_type,
            min_replica_count=cfg.min_replicas,
            max_replica_count=cfg.max_replicas,
            sync=True,
        )
        return {
            "model": model.resource_name,
            "version_alias": alias,
            "image": image,
            "artifact_uri": artifact_uri,
            "endpoint": cfg.endpoint_id,
            "traffic_percent": percent,
            "previously_deployed": [getattr(m, "id", str(m)) for m in serving],
        }
