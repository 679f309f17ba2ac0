"""Where model versions live and how their arrays are stored (numpy only: serving uses it).

model_serving/artifacts/CURRENT              the version the server loads by default
model_serving/artifacts/<version>/metadata.json, heads.npz, encoder.onnx, tokenizer.json

$MODEL_ARTIFACTS_ROOT moves that folder (the retraining e2e test serves a temporary one);
$MODEL_ARTIFACT_DIR pins one version's folder (no CURRENT, so no reload); $AIP_STORAGE_URI (set
by Vertex AI for a model version uploaded with an artifact URI, as the retraining job does) is a
gs:// folder holding one version's files, fetched once at start (`fetch_gcs`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

ARTIFACTS = Path(__file__).parent / "artifacts"
CURRENT = ARTIFACTS / "CURRENT"
# The files of one version that serving needs (timings.json and reports are extra).
ARTIFACT_FILES = ("metadata.json", "heads.npz", "encoder.onnx", "tokenizer.json")


def artifacts_root() -> Path:
    """The folder holding CURRENT and the versions: $MODEL_ARTIFACTS_ROOT, else artifacts/."""
    override = os.environ.get("MODEL_ARTIFACTS_ROOT")
    return Path(override) if override else ARTIFACTS


def current_version(root: Path | None = None) -> str | None:
    """The version named in <root>/CURRENT, or None when there is none yet."""
    pointer = (root or artifacts_root()) / "CURRENT"
    try:
        return pointer.read_text().strip() or None
    except FileNotFoundError:
        return None


def set_current(root: Path, version: str) -> None:
    """Point <root>/CURRENT at `version` atomically (a reader sees the old or the new name)."""
    if not all((root / version / name).exists() for name in ARTIFACT_FILES):
        raise FileNotFoundError(f"{root / version} lacks one of {ARTIFACT_FILES}")
    tmp = root / f".CURRENT-{os.getpid()}"
    tmp.write_text(version + "\n")
    os.replace(tmp, root / "CURRENT")


def current_dir(root: Path | None = None) -> Path:
    """The artifact to serve: $MODEL_ARTIFACT_DIR, else the version named in <root>/CURRENT."""
    if override := os.environ.get("MODEL_ARTIFACT_DIR"):
        return Path(override)
    root = root or artifacts_root()
    version = current_version(root)
    if version is None:
        raise FileNotFoundError(
            f"{root / 'CURRENT'} is missing: run `python -m model_serving.train`"
        )
    return root / version


def fetch_gcs(uri: str, dest: Path, names: tuple[str, ...] = ARTIFACT_FILES) -> Path:
    """Download gs://bucket/prefix/<name> for each name into dest (the serving container has no
    Google client library: the JSON API with the metadata server's token, stdlib only).
    $STORAGE_EMULATOR_HOST (the client libraries' convention) points it at a local server."""
    if not uri.startswith("gs://"):
        raise ValueError(f"not a gs:// URI: {uri!r}")
    bucket, _, prefix = uri[len("gs://") :].partition("/")
    emulator = os.environ.get("STORAGE_EMULATOR_HOST")
    base = (emulator or "https://storage.googleapis.com").rstrip("/")
    headers = {} if emulator else {"Authorization": f"Bearer {_metadata_token()}"}
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        obj = urllib.parse.quote(f"{prefix.strip('/')}/{name}".lstrip("/"), safe="")
        url = f"{base}/storage/v1/b/{bucket}/o/{obj}?alt=media"
        req = urllib.request.Request(url, headers=headers)  # noqa: S310 - https or the emulator
        with urllib.request.urlopen(req, timeout=120) as r, open(dest / name, "wb") as f:  # noqa: S310
            while chunk := r.read(1 << 20):
                f.write(chunk)
    return dest


def _metadata_token() -> str:
    req = urllib.request.Request(
        "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token",
        headers={"Metadata-Flavor": "Google"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310 - the metadata server
        return json.load(r)["access_token"]


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """np.savez with fixed zip timestamps, so the same weights give the same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def read_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
