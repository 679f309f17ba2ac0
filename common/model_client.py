"""Client of the persona model endpoint (Vertex AI in production, the local server in
development): a tight timeout on the whole call, a circuit breaker, and an in-instance LRU cache
of predictions.

The contract is Vertex AI's custom-container one: POST {"instances": [{"text": ...}]} ->
{"predictions": [...], "deployedModelId": ...}. In production the URL is the endpoint's REST
`:predict` and the request carries an OAuth token of the function's service account; no
google.cloud.aiplatform import (it costs ~2 s of cold start)."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from common.analysis.types import Distribution
from common.breaker import CircuitBreaker
from common.deadline import wait_at_most
from common.dictation import as_typed
from common.labels import INTENTS, PACES, PERSONA_IDS, TONES
from common.text import canonical_text

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4000  # the model server's limit per text
# Vertex AI splits a canary's traffic per request, so answers alternate between model versions
# and dropping entries on a version change would empty the cache all through a canary; an age
# bound instead lets a promoted (or rolled back) model reach every warm instance.
CACHE_MAX_AGE_SECONDS = 300.0
# A failed call falls back to the baseline without a word until the circuit opens (3 in a row):
# one WARNING per instance per this long, at most, with how many failed since the last one.
FAILURE_LOG_SECONDS = 30.0


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
    """The cache key: case, spacing and compatibility forms (full-width or "fancy text" letters,
    NFKC) do not change a prediction much, and ’ reads as ' (model_text)."""
    text = unicodedata.normalize("NFKC", canonical_text(text))
    return re.sub(r"\s+", " ", text.strip().lower())


def model_text(text: str) -> str:
    """The text the model reads: NFKC, since it was trained on plain letters and reads a
    full-width "i want to die" as something else, with typographic quotes as ' and " (the
    server maps them too, common/text.py), and dictation as typed ("i took them all period"
    as "i took them all.": common/dictation.py); cut to the server's limit, as NFKC can
    lengthen a text."""
    return as_typed(unicodedata.normalize("NFKC", canonical_text(text)))[:MAX_TEXT_CHARS]


def _probability(value: object) -> float:
    """A probability from the server's JSON: a finite number in [0, 1], else ValueError (a
    NaN or an infinity would rank, be stored and be answered as if it were one; nor a bool or a
    string, which float() would take)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a probability: {value!r}")
    p = float(value)
    if not 0.0 <= p <= 1.0:  # False for NaN too
        raise ValueError(f"not a probability: {value!r}")
    return p


def _flag(value: object) -> bool:
    """The crisis flag from the server's JSON: a JSON boolean, else ValueError (bool("false") is
    True: a crisis on every turn of a misbehaving server)."""
    if not isinstance(value, bool):
        raise ValueError(f"not a flag: {value!r}")
    return value


def _distribution(raw: dict, labels: tuple[str, ...]) -> Distribution:
    probs = raw["probs"]
    values = {label: _probability(probs[label]) for label in labels}
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
        crisis_probability=_probability(raw["crisis"]["probability"]),
        crisis_flag=_flag(raw["crisis"]["flag"]),
        model_version=str(raw.get("model_version", "unknown")),
    )


def _digest(key: str) -> bytes:
    """A cache entry's key: 32 bytes whatever the message's length (keyed by the text, 4,096
    entries of 4,000-character Chinese messages took 40 MB, most of it the keys)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


class PredictionCache:
    """A bounded LRU of predictions keyed by normalised text, each kept at most
    `max_age_seconds`, with hit statistics."""

    def __init__(
        self,
        size: int,
        max_age_seconds: float = CACHE_MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._size = size
        self._max_age = max_age_seconds
        self._clock = clock  # a test's fake clock ages entries without sleeping
        self._items: OrderedDict[bytes, tuple[float, ModelPrediction]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> ModelPrediction | None:
        digest = _digest(key)
        with self._lock:
            entry = self._items.get(digest)
            if entry is not None and self._clock() - entry[0] > self._max_age:
                del self._items[digest]
                entry = None
            if entry is None:
                self.misses += 1
                return None
            self._items.move_to_end(digest)
            self.hits += 1
            return entry[1]

    def put(self, key: str, value: ModelPrediction) -> None:
        if self._size <= 0:
            return
        digest = _digest(key)
        with self._lock:
            self._items[digest] = (self._clock(), value)
            self._items.move_to_end(digest)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def stats(self) -> dict:
        lookups = self.hits + self.misses
        return {
            "size": len(self._items),
            "capacity": self._size,
            "max_age_seconds": self._max_age,
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": round(self.hits / lookups, 4) if lookups else None,
        }


def longest_wait(timeout: float) -> float:
    """How long a caller waits for one prediction, at most: twice the per-step timeout
    (PersonaModelClient._call says why)."""
    return 2 * timeout


class PersonaModelClient:
    WORKERS = 16  # more than a function instance's concurrent requests

    def __init__(
        self,
        *,
        url: str,
        timeout_seconds: float,
        breaker: CircuitBreaker,
        cache: PredictionCache,
        google_auth: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._timeout = timeout_seconds
        self.breaker = breaker
        self.cache = cache
        self._google_auth = google_auth
        self._http: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._credentials: Any = None
        self._auth_request: Any = None
        self._last_error: str | None = None
        self._clock = clock  # a test's fake clock spaces the failure lines without sleeping
        self._failures_unlogged = 0
        self._failure_logged_at: float | None = None
        self._lock = threading.Lock()  # the clients, the failure count: never held waiting on I/O
        self._auth_lock = threading.Lock()  # one blocking token fetch at a time

    def predict(self, text: str) -> ModelPrediction:
        key = normalise(text)
        if (hit := self.cache.get(key)) is not None:
            return hit
        if not self.breaker.allow():
            raise ModelUnavailable("circuit open")
        try:
            prediction = self._ask(model_text(text))
        except Exception as e:  # every failure of a remote model means the same: fall back
            self._last_error = type(e).__name__
            self._log_failure(e)
            if self.breaker.failure():  # the cause, once as the circuit opens
                log.warning("persona model unavailable, turns use the baseline: %r", e)
            raise ModelUnavailable(f"{type(e).__name__}: {e}") from e
        self.breaker.success()
        self._log_recovery()
        self.cache.put(key, prediction)
        return prediction

    def _log_failure(self, e: Exception) -> None:
        """A failed call's turn uses the baseline: say so, at most once per FAILURE_LOG_SECONDS
        per instance (a flaky endpoint fails many turns without opening the circuit)."""
        with self._lock:
            self._failures_unlogged += 1
            failures = self._failures_due()
        if failures:
            log.warning(
                "persona model call failed (%s), the turn uses the baseline; failed calls since"
                " the last such line: %d",
                type(e).__name__,
                failures,
                extra={"error": type(e).__name__, "endpoint": self._url, "failures": failures},
            )

    def _log_recovery(self) -> None:
        """The failures _log_failure held back, told by a good call once their line is due: a
        line waited for another failure, and if the model answered again first, none came.
        A WARNING like theirs: the runbook reads these lines' `failures` among the WARNINGs."""
        if not self._failures_unlogged:  # read unlocked, the hot path: a miss waits a call
            return
        with self._lock:
            failures = self._failures_due()
        if failures:
            log.warning(
                "%d more persona model calls failed since the last such line, their turns used"
                " the baseline; the model answers again",
                failures,
                extra={"endpoint": self._url, "failures": failures},
            )

    def _failures_due(self) -> int:
        """Under self._lock: the failures not yet logged, if a line is due (none in the last
        FAILURE_LOG_SECONDS), counted as logged; else 0."""
        now, last = self._clock(), self._failure_logged_at
        if not self._failures_unlogged or (last is not None and now - last < FAILURE_LOG_SECONDS):
            return 0
        failures = self._failures_unlogged
        self._failures_unlogged, self._failure_logged_at = 0, now
        return failures

    def probe(self) -> None:
        """One prediction past the cache and the breaker: /healthz's check where the endpoint
        has no health route a client can call (Vertex AI). Without it an instance would report
        the model from its own turns only: fine on a fresh instance, and fine again 15 s after
        its last failed turn, however long the model is down. It counts for neither: a public
        /healthz must not open (or close) the turns' circuit."""
        self._ask("health check")

    def _ask(self, text: str) -> ModelPrediction:
        """One prediction of the endpoint's, and nothing else: no cache, no breaker."""
        return parse_prediction(self._call({"instances": [{"text": text}]})["predictions"][0])

    def health(self) -> dict:
        """The circuit, the cache and the last failure's exception name (/healthz is public:
        a name, no detail; the log has the cause)."""
        return {
            "circuit": self.breaker.state,
            "cache": self.cache.stats(),
            "last_error": self._last_error,
        }

    def prepare(self) -> None:
        """Fetch the service account's token in the background (the chat function creates the
        client as the instance starts), so that its first turn does not spend the call's
        deadline on it and fall back."""
        if self._google_auth:
            self._workers().submit(self._headers)

    def _call(self, payload: dict) -> dict:
        """One POST, token included, on a worker thread: the caller waits at most twice the
        timeout. httpx's timeouts bound each step (connect, each read), not the sum, and a
        token refresh has its own; the whole call gets twice the step's time, since under
        load on a small machine a healthy call's Python work adds to its network waits (a
        bound of one timeout sent 11 of 190 turns to the baseline at 10 conversations here,
        against 0 with per-step timeouts alone)."""
        self._client()  # made outside the deadline: loading CA certificates takes ~50 ms
        return wait_at_most(self._workers(), longest_wait(self._timeout), self._post, payload)

    def _workers(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.WORKERS, thread_name_prefix="persona-model")
        return self._pool

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
        """The service account's token. google-auth refreshes one that nears expiry in the
        background and meanwhile sends it; only a missing or expired token is fetched inline."""
        if not self._google_auth:
            return {}
        import google.auth
        import google.auth.transport.requests
        from google.auth.credentials import TokenState

        credentials = self._credentials
        if credentials is None or credentials.token_state is TokenState.INVALID:
            with self._auth_lock:
                if self._credentials is None:
                    found, _ = google.auth.default(
                        scopes=["https://www.googleapis.com/auth/cloud-platform"]
                    )
                    found.with_non_blocking_refresh()
                    self._auth_request = google.auth.transport.requests.Request()
                    self._credentials = found
                credentials = self._credentials
                if credentials.token_state is TokenState.INVALID:
                    credentials.refresh(self._auth_request)
        headers: dict[str, str] = {}
        credentials.before_request(self._auth_request, "POST", self._url, headers)
        return headers

    def _post(self, payload: dict) -> dict:
        response = self._client().post(self._url, json=payload, headers=self._headers())
        response.raise_for_status()
        return response.json()
