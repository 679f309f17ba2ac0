"""The persona model at serving time: MiniLM in onnxruntime, then numpy heads.

Shaped like a Vertex AI custom prediction routine (`load` / `preprocess` / `predict` /
`postprocess`). Only onnxruntime, tokenizers and numpy are imported here, so the container stays
small and starts in well under a second (torch and scikit-learn are training-only).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from common.text import canonical_text
from model_serving.artifact import current_dir, read_npz
from model_serving.features import Tfidf

MAX_INSTANCES = 64
MAX_TEXT_CHARS = 4000


class InvalidInstances(ValueError):
    """The request is malformed: the server answers 400 with this message."""


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class Head:
    """A linear head on some of the features (sentence embedding, layer means, TF-IDF), with its
    probability calibration."""

    def __init__(self, name: str, spec: dict, arrays: dict[str, np.ndarray]) -> None:
        self.name = name
        self.labels: list[str] = spec["labels"]
        self.inputs: list[str] = spec["inputs"]
        self.binary = spec["kind"] == "binary"
        self.calibration: dict = spec["calibration"]
        self.threshold: float | None = spec.get("threshold")
        self.weights = {i: arrays[f"{name}_W_{i}"] for i in self.inputs}
        self.bias = arrays[f"{name}_b"]

    def probabilities(self, z: np.ndarray) -> np.ndarray:
        """Calibrated: softmax(z / T) for a multiclass head, sigmoid(a z + b) for a binary one."""
        if self.binary:
            return _sigmoid(self.calibration["a"] * z[:, 0] + self.calibration["b"])
        return _softmax(z / self.calibration["temperature"])


def threading_from_env(env: Any = os.environ) -> tuple[int, str]:
    """The encoder's intra-op threads and spinning ("1" or "0") under env: MODEL_INTRA_OP_THREADS
    (2) and MODEL_INTRA_OP_SPINNING (1), the Vertex AI container's defaults."""
    return int(env.get("MODEL_INTRA_OP_THREADS", "2")), env.get("MODEL_INTRA_OP_SPINNING", "1")


class Encoder:
    """all-MiniLM-L6-v2 exported to ONNX. Outputs (pooling is in the graph): `embedding`, the
    sentence-transformers embedding (mean of the last layer, L2-normalised), and `layers`, the
    same mean + L2 normalisation of each of the 7 hidden states (embeddings layer, then layers
    1-6) side by side: the lower layers carry wording and tone the last one smooths away."""

    def __init__(self, path: Path, spec: dict, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.dims: dict[str, int] = spec["outputs"]
        self.tokenizer = Tokenizer.from_file(str(path / spec["tokenizer"]))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(spec["max_seq_length"])
        options = ort.SessionOptions()
        env_threads, spin = threading_from_env()
        options.intra_op_num_threads = threads or env_threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle intra-op threads spin-wait between runs (onnxruntime's default): faster when the
        # cores are free (interleaved A/B through the server, load ~1.2: p95 17 ms vs 21 ms
        # without), slower when other work needs them (load ~4.6: 51 ms vs 42 ms), so a host
        # that shares its cores can set MODEL_INTRA_OP_SPINNING=0. The local stack does: at 200
        # users the model server then used 0.03 cores instead of 0.18 and the turn p95 fell
        # from 505 to 201 ms (one sleeping thread then; two sleeping ones since 2026-12-06).
        options.add_session_config_entry("session.intra_op.allow_spinning", spin)
        self.session = ort.InferenceSession(
            str(path / spec["file"]), options, providers=["CPUExecutionProvider"]
        )

    def embed(
        self,
        texts: list[str],
        outputs: tuple[str, ...] = ("embedding",),
        progress: Callable[[int], None] | None = None,
    ) -> dict[str, np.ndarray]:
        """{output: (n, dim) float32}, one text per onnxruntime call.

        Why not pad a batch: the int8 encoder quantises activations with one scale per tensor,
        so a padded batch would make a text's features depend on its batch-mates (we measured
        probabilities moving by up to 0.18). One call per text is exact, needs no padding, and
        on two cores is as fast per text as fp32 batches of 16 sorted by length."""
        out = {name: np.zeros((len(texts), self.dims[name]), np.float32) for name in outputs}
        for i, encoding in enumerate(self.tokenizer.encode_batch(texts)):
            ids = np.asarray([encoding.ids], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            for name, values in zip(outputs, self.session.run(list(outputs), feeds), strict=True):
                out[name][i] = values[0]
            if progress:
                progress(1)
        return out


class Predictor:
    """Loads one artifact directory; thread-safe once loaded (onnxruntime sessions are)."""

    def __init__(self) -> None:
        self.loaded = False
        self.version = ""
        self.metadata: dict[str, Any] = {}

    def load(self, artifact_dir: str | Path | None = None) -> None:
        path = Path(artifact_dir) if artifact_dir else current_dir()
        meta = json.loads((path / "metadata.json").read_text())
        self.encoder = Encoder(path, meta["encoder"])
        inputs = {i for h in meta["heads"].values() for i in h["inputs"]}
        self.dense_outputs = tuple(sorted(inputs - {"tfidf"}))
        arrays = read_npz(path / "heads.npz")
        self.tfidf = Tfidf.from_arrays(meta["tfidf"], arrays) if meta.get("tfidf") else None
        self.heads = {name: Head(name, spec, arrays) for name, spec in meta["heads"].items()}
        self._stack()
        self.metadata = meta
        self.version = meta["version"]
        self.loaded = True

    def _stack(self) -> None:
        """All heads' weights in one matrix per feature block, so a request costs one matmul
        per block (and one TF-IDF pass) instead of one per head."""
        self.slices: dict[str, slice] = {}
        start = 0
        for name, head in self.heads.items():
            self.slices[name] = slice(start, start + len(head.bias))
            start += len(head.bias)
        sizes = {**self.encoder.dims, "tfidf": self.tfidf.size if self.tfidf else 0}
        blocks = sorted({b for h in self.heads.values() for b in h.inputs})
        self.stacked = {b: np.zeros((start, sizes[b]), np.float64) for b in blocks}
        self.bias = np.zeros(start, np.float64)
        for name, head in self.heads.items():
            self.bias[self.slices[name]] = head.bias
            for b, w in head.weights.items():
                self.stacked[b][self.slices[name]] = w

    def scores(self, texts: list[str], dense: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Uncalibrated scores of every head side by side: (n, sum of head outputs). `dense`:
        the texts' encoder outputs when already computed with this artifact's encoder (of
        corpus texts, which have no typographic quotes to canonicalise)."""
        # Here as well as in the chat client (model_text): the Vertex endpoint, the local server
        # and every evaluation then read ’ as the ' the model was trained on, whoever sends it.
        texts = [canonical_text(t) for t in texts]
        z = np.tile(self.bias, (len(texts), 1))
        if dense is None:
            dense = self.encoder.embed(texts, self.dense_outputs) if self.dense_outputs else {}
        for block, w in self.stacked.items():
            if block == "tfidf":
                z += self.tfidf.matmul(texts, w)
            else:
                z += dense[block].astype(np.float64) @ w.T
        return z

    def preprocess(self, instances: Any) -> list[str]:
        """The texts of a Vertex `instances` list; InvalidInstances for anything malformed."""
        if not isinstance(instances, list) or not instances:
            raise InvalidInstances("'instances' must be a non-empty list")
        if len(instances) > MAX_INSTANCES:
            raise InvalidInstances(f"at most {MAX_INSTANCES} instances per request")
        texts = []
        for i, inst in enumerate(instances):
            if not isinstance(inst, dict) or "text" not in inst:
                raise InvalidInstances(f"instances[{i}] must be an object with a 'text' field")
            text = inst["text"]
            if not isinstance(text, str):
                raise InvalidInstances(f"instances[{i}].text must be a string")
            if not text.strip():
                raise InvalidInstances(f"instances[{i}].text is empty")
            if len(text) > MAX_TEXT_CHARS:
                raise InvalidInstances(f"instances[{i}].text is over {MAX_TEXT_CHARS} characters")
            try:
                text.encode("utf-8")  # a lone surrogate ("\ud800" in JSON) fails the tokenizer
            except UnicodeEncodeError:
                message = f"instances[{i}].text is not valid UTF-8 (a lone surrogate)"
                raise InvalidInstances(message) from None
            texts.append(text)
        return texts

    def predict(
        self, texts: list[str], dense: dict[str, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        """Calibrated probabilities per head: (n, labels) arrays, and (n,) for crisis."""
        z = self.scores(texts, dense)
        return {
            name: head.probabilities(z[:, self.slices[name]]) for name, head in self.heads.items()
        }

    def postprocess(self, outputs: dict[str, np.ndarray]) -> list[dict]:
        n = len(next(iter(outputs.values())))
        predictions = []
        for i in range(n):
            item: dict[str, Any] = {}
            for name, head in self.heads.items():
                p = outputs[name][i]
                if head.binary:
                    item[name] = {"probability": float(p), "flag": bool(p >= head.threshold)}
                else:
                    probs = {label: float(v) for label, v in zip(head.labels, p, strict=True)}
                    item[name] = {"label": head.labels[int(np.argmax(p))], "probs": probs}
            item["model_version"] = self.version
            predictions.append(item)
        return predictions

    def __call__(self, instances: Any) -> list[dict]:
        return self.postprocess(self.predict(self.preprocess(instances)))
