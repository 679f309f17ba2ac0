"""Where model versions live and how their arrays are stored (numpy only: serving uses it).

model_serving/artifacts/CURRENT              the version the server loads by default
model_serving/artifacts/<version>/metadata.json, heads.npz, encoder.onnx, tokenizer.json
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import numpy as np

ARTIFACTS = Path(__file__).parent / "artifacts"
CURRENT = ARTIFACTS / "CURRENT"


def current_dir() -> Path:
    """The artifact to serve: $MODEL_ARTIFACT_DIR, else the version named in artifacts/CURRENT."""
    if override := os.environ.get("MODEL_ARTIFACT_DIR"):
        return Path(override)
    if not CURRENT.exists():
        raise FileNotFoundError(f"{CURRENT} is missing: run `python -m model_serving.train`")
    return ARTIFACTS / CURRENT.read_text().strip()


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
