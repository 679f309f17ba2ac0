"""Client of the persona model endpoint (Vertex AI in production, the local server in
development): a tight timeout, a circuit breaker, and an in-instance LRU cache of predictions.

The contract is Vertex AI's custom-container one: POST {"instances": [{"text": ...}]} ->
{"predictions": [...], "deployedModelId": ...}. In production the URL is the endpoint's REST
`:predict` and the request carries an OAuth token of the function's service account; no
google.cloud.aiplatform import (it costs ~2 s of cold start)."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from common.analysis.types import Distribution
from common.breaker import CircuitBreaker
from common.labels import INTENTS, PACES, PERSONA_IDS, TONES


class ModelUnavailable(Exception):
    """The model could not answer (down, slow, circuit open, or a malformed answer)."""


@dataclass(frozen=True)
class ModelPrediction:
    tone: Distribution
    pace: Distribution
    intent: Distribution
    persona: Distribution | None
    crisis_probability: float
    crisis_flag: bool
    model_version: str


def normalise(text: str) -> str:
    """The cache key: case, spacing and trailing punctuation do not change a prediction much."""
    return re.sub(r"\s+", " ", text.strip().lower())


def _distribution(raw: dict, labels: tuple[str, ...]) -> Distribution:
    probs = raw["probs"]
    values = {label: float(probs[label]) for label in labels}
    total = sum(values.values())
    if total <= 0:
        raise ValueError("empty distribution")
    return Distribution({k: v / total for k, v in values.items()})


def parse_prediction(raw: dict) -> ModelPrediction:
    persona = raw.get("persona")
    return ModelPrediction(
        tone=_distribution(raw["tone"], TONES),
        pace=_distribution(raw["pace"], PACES),
        intent=_distribution(raw["intent"], INTENTS),
        persona=_distribution(persona, PERSONA_IDS) if persona else None,
        crisis_probability=float(raw["crisis"]["probability"]),
        crisis_flag=bool(raw["crisis"]["flag"]),
        model_version=str(raw.get("model_version", "unknown")),
    )


class PredictionCache:
    """A bounded LRU of predictions keyed by normalised text, with hit statistics."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, ModelPrediction] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> ModelPrediction | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item

    def put(self, key: str, value: ModelPrediction) -> None:
        if self._size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def stats(self) -> dict:
        lookups = self.hits + self.misses
        return {
            "size": len(self._items),
            "capacity": self._size,
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": round(self.hits / lookups, 4) if lookups else None,
        }


class PersonaModelClient:
    def __init__(
        self,
        *,
        url: str,
        timeout_seconds: float,
        breaker: CircuitBreaker,
        cache: PredictionCache,
        google_auth: bool = False,
    ) -> None:
        self._url = url
        self._timeout = timeout_seconds
        self.breaker = breaker
        self.cache = cache
        self._google_auth = google_auth
        self._http: Any = None
        self._credentials: Any = None
        self._lock = threading.Lock()

    def predict(self, text: str) -> ModelPrediction:
        key = normalise(text)
        if (hit := self.cache.get(key)) is not None:
            return hit
        if not self.breaker.allow():
            raise ModelUnavailable("circuit open")
        try:
            body = self._post({"instances": [{"text": text}]})
            prediction = parse_prediction(body["predictions"][0])
        except Exception as e:  # every failure of a remote model means the same: fall back
            self.breaker.failure()
            raise ModelUnavailable(f"{type(e).__name__}: {e}") from e
        self.breaker.success()
        self.cache.put(key, prediction)
        return prediction

    def health(self) -> dict:
        return {"circuit": self.breaker.state, "cache": self.cache.stats()}

    def _client(self):
        import httpx

        with self._lock:
            if self._http is None:
                self._http = httpx.Client(
                    timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, 0.2)),
                    limits=httpx.Limits(max_keepalive_connections=16, max_connections=32),
                )
        return self._http

    def _headers(self) -> dict[str, str]:
        if not self._google_auth:
            return {}
        import google.auth
        import google.auth.transport.requests

        with self._lock:
            if self._credentials is None:
                self._credentials, _ = google.auth.default(
                    scopes=["https://www.googleapis.com/auth/cloud-platform"]
                )
            if not self._credentials.valid:
                self._credentials.refresh(google.auth.transport.requests.Request())
            return {"Authorization": f"Bearer {self._credentials.token}"}

    def _post(self, payload: dict) -> dict:
        response = self._client().post(self._url, json=payload, headers=self._headers())
        response.raise_for_status()
        return response.json()
