"""Production side of the retraining job: the artifact bucket (GCS) and the Vertex AI Model
Registry and endpoint, through google-cloud-storage and google-cloud-aiplatform.

Both libraries are imported lazily, inside these adapters only (aiplatform alone costs ~2 s of
import): nothing else in model_serving, and nothing in functions/ or the chat path, imports them.
They are installed in .venv-model and the retraining image (model_serving/requirements-retrain.txt),
never in the functions' requirements.txt.

The bucket holds the retrained versions and the decisions:

    gs://<bucket>/<prefix>/<version>/metadata.json, heads.npz, encoder.onnx, tokenizer.json
    gs://<bucket>/<prefix>/decisions/<stamp>-<version>.json / .md

The champion is what serves: the deployed model with the largest share of the endpoint's
traffic (`VertexDeployer.serving`), whichever way it got there (Cloud Build, this job, an
operator's promotion or rollback). Its `artifact_uri` names its folder in the bucket; a build
version has none and serves the artifact baked into its image.

A promoted version is uploaded as a new, non-default version of the `persona-model` Model
(`serving_image`, i.e. RETRAIN_SERVING_IMAGE: the serving image of the build that made this
job's image; else the image of the model taking the most traffic), with `artifact_uri` = its
folder (Vertex AI copies it and hands it to the container as AIP_STORAGE_URI, which
model_serving.server loads), and deployed to the endpoint next to what serves, with
`canary_percent` of the traffic (all of it on an empty endpoint). Promoting the canary to 100 %
and rolling back: docs/OPERATIONS.md. While a model other than the champion is deployed (a
canary no operator has promoted or rolled back yet), a promoted version is registered but not
deployed (`canary_pending`): the job adds no model while a decision waits (a canary left at 0 %
counts until it is undeployed).

A retried run must not deploy a second canary: a version carries the aliases
`retrain-<version>` and `retrain-<period>` (the run's feedback cut-off day), and a version
already registered under either is deployed again only if it is not on the endpoint, never
uploaded again.
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
    serving_image: str | None = None  # None: the image of the model taking the most traffic
    labels: dict[str, str] = field(default_factory=lambda: {"application": "ion-mentoring"})

    def __post_init__(self) -> None:
        if not 1 <= self.canary_percent <= 100:
            raise ValueError("canary_percent must be in 1..100")


@dataclass(frozen=True)
class Serving:
    """The deployed model taking the largest share of the endpoint's traffic."""

    deployed_model_id: str
    traffic_percent: int
    model: str  # <model resource name>@<version id>
    artifact_uri: str | None  # None: a build version, serving the artifact baked into its image
    image: str


class GcsArtifacts:
    """The artifact folders and the decision reports in the bucket."""

    def __init__(self, config: VertexConfig, client: Any = None) -> None:
        self.config = config
        self._client = client

    def _bucket(self) -> Any:
        if self._client is None:
            # The module, not `from google.cloud import storage`: the package ships no types,
            # and mypy reads google.cloud as the typed clients' namespace, without that name.
            import google.cloud.storage as storage

            self._client = storage.Client(project=self.config.project)
        return self._client.bucket(self.config.bucket)

    def _name(self, *parts: str) -> str:
        return "/".join((self.config.prefix, *parts))

    def uri(self, version: str) -> str:
        return f"gs://{self.config.bucket}/{self._name(version)}/"

    def version_at(self, uri: str | None) -> str | None:
        """The version whose folder `uri` is (as `upload` returns it); None for any other URI."""
        folder = f"gs://{self.config.bucket}/{self.config.prefix}/"
        if not uri or not uri.startswith(folder):
            return None
        version = uri.removeprefix(folder).strip("/")
        return version if version and "/" not in version else None

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

    def upload_report(self, name: str, text: str, content_type: str) -> str:
        self._bucket().blob(self._name("decisions", name)).upload_from_string(
            text, content_type=content_type
        )
        return f"gs://{self.config.bucket}/{self._name('decisions', name)}"


def _model_id(name: str) -> str:
    """The model's id in projects/…/models/<id>[@<version>] (the project as id or number)."""
    return name.split("@")[0].rsplit("/", 1)[-1]


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

    def serving(self) -> Serving | None:
        """What serves most of the traffic now (None: nothing is deployed)."""
        aip = self._aip()
        endpoint = aip.Endpoint(endpoint_name=self.config.endpoint_id)
        return self._top(aip, endpoint, endpoint.list_models())

    @staticmethod
    def _champion(endpoint: Any, deployed: list[Any]) -> Any:
        """The deployed model taking the largest share of the traffic (None: nothing deployed)."""
        if not deployed:
            return None
        split = endpoint.traffic_split or {}
        return max(deployed, key=lambda m: split.get(m.id, 0))  # a tie: the first listed

    @classmethod
    def _top(cls, aip: Any, endpoint: Any, deployed: list[Any]) -> Serving | None:
        top = cls._champion(endpoint, deployed)
        if top is None:
            return None
        split = endpoint.traffic_split or {}
        name = top.model.split("@")[0]
        spec = aip.Model(model_name=name, version=top.model_version_id).to_dict()
        return Serving(
            deployed_model_id=top.id,
            traffic_percent=int(split.get(top.id, 0)),
            model=f"{name}@{top.model_version_id}",
            artifact_uri=spec.get("artifactUri") or None,
            image=spec["containerSpec"]["imageUri"],
        )

    def _image(self, aip: Any, endpoint: Any, deployed: list[Any]) -> tuple[str, str]:
        """(serving image, where it came from) for a new version."""
        if self.config.serving_image:
            return self.config.serving_image, "RETRAIN_SERVING_IMAGE"
        top = self._top(aip, endpoint, deployed)
        if top is None:
            raise RuntimeError(
                "no serving image: set RETRAIN_SERVING_IMAGE (Terraform sets it to the build's "
                "persona-model image), or deploy a model to the endpoint first"
            )
        return top.image, f"the image of {top.model}, which takes the most traffic"

    @staticmethod
    def _registered(aip: Any, parent: Any, aliases: list[str]) -> Any:
        """The version of `parent` carrying any of `aliases`, or None."""
        for info in aip.ModelRegistry(model=parent.resource_name).list_versions():
            if set(info.version_aliases or ()) & set(aliases):
                return info
        return None

    def register_and_deploy(
        self, *, version: str, artifact_uri: str, period: str
    ) -> dict[str, Any]:
        """Upload `version` and deploy it as a canary, unless an earlier attempt of this run
        (the `period` alias) or an earlier run (the same version) already registered one: then
        that version is deployed if it never was (the attempt stopped before deploying), and
        nothing else happens. A version deployed once (its `deployed-` alias) and no longer on
        the endpoint was taken off by an operator (a rollback): it is not deployed again. None
        is deployed beside a pending canary: registered only (`canary_pending`)."""
        aip = self._aip()
        cfg = self.config
        parents = aip.Model.list(filter=f'display_name="{cfg.model_display_name}"')
        parent = parents[0] if parents else None
        endpoint = aip.Endpoint(endpoint_name=cfg.endpoint_id)
        deployed = endpoint.list_models()
        aliases = [f"retrain-{version}".lower(), f"retrain-{period}".lower()]
        result: dict[str, Any] = {
            "version": version,
            "aliases": aliases,
            "artifact_uri": artifact_uri,
            "endpoint": cfg.endpoint_id,
            "previously_deployed": [m.id for m in deployed],
        }
        earlier = self._registered(aip, parent, aliases) if parent is not None else None
        if earlier is not None and parent is not None:  # (earlier is only found in a parent)
            name = parent.resource_name
            model = aip.Model(model_name=name, version=earlier.version_id)
            result |= {
                "model": f"{name}@{earlier.version_id}",
                "registered_before": sorted(earlier.version_aliases),
                # an earlier attempt of this run may have built another version
                "version": model.labels.get("model-version", version),
            }
            live = [
                m
                for m in deployed
                if _model_id(m.model) == _model_id(name)
                and m.model_version_id == earlier.version_id
            ]
            marked = any(a.startswith("deployed-") for a in earlier.version_aliases or ())
            if live:
                if not marked:  # an attempt that stopped after deploying, before marking it
                    self._mark_deployed(aip, parent, result["version"], earlier.version_id)
                return result | {"already_deployed": live[0].id, "traffic_percent": None}
            if marked:
                return result | {"rolled_back": True, "traffic_percent": None}
            version_id = earlier.version_id
        else:
            image, image_from = self._image(aip, endpoint, deployed)
            model = aip.Model.upload(
                display_name=cfg.model_display_name,
                parent_model=parent.resource_name if parent else None,
                is_default_version=False,  # the default stays what operators promoted
                artifact_uri=artifact_uri,
                serving_container_image_uri=image,
                serving_container_predict_route=PREDICT_ROUTE,
                serving_container_health_route=HEALTH_ROUTE,
                serving_container_ports=[SERVING_PORT],
                version_aliases=aliases,
                version_description=f"retrained persona model {version}",
                labels={**cfg.labels, "model-version": version.lower()[:63]},
                sync=True,
            )
            result |= {"model": model.resource_name, "image": image, "image_from": image_from}
            version_id = model.version_id
        champion = self._champion(endpoint, deployed)
        pending = [m.id for m in deployed if m is not champion]
        if pending:
            # A canary still waits for an operator's decision: deploying beside it would add one
            # more always-on model (min_replicas nodes) every week nobody decides. Registered
            # only; the next run after the decision deploys its own version.
            return result | {"canary_pending": pending[0], "traffic_percent": None}
        percent = cfg.canary_percent if deployed else 100
        model.deploy(
            endpoint=endpoint,
            deployed_model_display_name=f"persona-{result['version']}"[:128],
            traffic_percentage=percent,
            machine_type=cfg.machine_type,
            min_replica_count=cfg.min_replicas,
            max_replica_count=cfg.max_replicas,
            sync=True,
        )
        self._mark_deployed(aip, parent or model, result["version"], version_id)
        return result | {"traffic_percent": percent}

    @staticmethod
    def _mark_deployed(aip: Any, parent: Any, version: str, version_id: str) -> None:
        """The version was deployed once: a rerun after a rollback leaves it off the endpoint."""
        registry = aip.ModelRegistry(model=parent.resource_name)
        registry.add_version_aliases(
            new_aliases=[f"deployed-{version}".lower()], version=version_id
        )
