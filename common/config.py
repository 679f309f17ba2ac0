"""One Settings object, read once. Environment variable names are exactly the field names in
upper case; Terraform sets the same names on each function."""

import os
from functools import cache
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.experiments import Experiment, check_no_overlap
from common.full_pass import FULL_PASS_HOURS

LOCAL_ANALYTICS_KEY = "local-analytics-key-not-secret"
# Turns (times and message hashes) the anomaly limits' record keeps per user
# (common/chat/limits.py): more than the largest limit allowed, plus room for repeats and for
# crisis turns stored past the limits. ~56 bytes each: 240 are ~13 KB of activity/{uid}.
ACTIVITY_KEPT = 240
# A deployed function's analytics key: shorter, and a uid known to an analyst could be hashed
# with guessed keys until one gives a user_key of the table (OPERATIONS.md makes 64).
MIN_ANALYTICS_KEY = 32
# Where the local stack's emulators are: a deployed function with one of them would talk to a
# stand-in without credentials, or (the Auth emulator) accept unsigned ID tokens from anyone.
EMULATOR_HOSTS = (
    "FIRESTORE_EMULATOR_HOST",
    "PUBSUB_EMULATOR_HOST",
    "FIREBASE_AUTH_EMULATOR_HOST",
    "BIGQUERY_EMULATOR_HOST",
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", allow_inf_nan=False)

    google_cloud_project: str = "demo-ion"
    ion_env: Literal["local", "dev", "prod"] = "local"
    log_level: str = "INFO"
    # Each response says how long its phases took (Server-Timing header; on in the local stack).
    server_timing: bool = False

    # Firestore
    firestore_database: str = "(default)"
    session_ttl_hours: int = Field(24, ge=1)
    context_window_turns: int = Field(5, ge=1, le=20)

    # Pub/Sub (the topics are `events` and `notifications`) and the transactional outbox
    publish_timeout_seconds: float = Field(2.0, gt=0, le=10)
    outbox_batch_size: int = Field(100, ge=1, le=500)
    outbox_grace_seconds: int = Field(30, ge=0)

    # Analytics: the key of the HMAC that turns a uid into a user_key (Secret Manager in prod).
    # Read it through analytics_hmac_key().
    analytics_key: SecretStr = SecretStr(LOCAL_ANALYTICS_KEY)
    # The analytics sink: dataset of the events table, where refused events go, and the most
    # rows one BigQuery write carries (concurrent deliveries share a write).
    analytics_dataset: str = "analytics"
    dead_letter_topic: str = "events-dead-letter"
    analytics_batch_rows: int = Field(500, ge=1, le=10_000)

    # Auth
    auth_check_revoked: bool = True
    auth_cache_seconds: int = Field(60, ge=0, le=300)

    # Replies
    response_generator: Literal["template", "gemini"] = "template"
    # Gemini 2.5 models were retired on 2026-10-16; 3.x models are served on the global endpoint
    # (the request may be processed in any region: pin one where that matters and it serves it).
    gemini_model: str = "gemini-3.5-flash-lite"
    gemini_location: str = "global"
    gemini_base_url: str | None = None
    # How long a reply may take, whole or streamed (a stream is cut at the first chunk past it).
    gemini_timeout_seconds: float = Field(8.0, gt=0, le=30)
    # The longest reply Gemini may write (and bill), thinking tokens included on models that
    # think: the prompt asks for 2 to 5 sentences (~150 tokens); a reply cut here is kept.
    gemini_max_output_tokens: int = Field(512, ge=64, le=8192)
    # How much a model that thinks may think first (its thinking counts in the cap above, so a
    # model that thinks more by default would cut replies short); "" sends none, for a model
    # that takes no thinking level.
    gemini_thinking_level: Literal["minimal", "low", "medium", "high", ""] = "minimal"

    # Persona model endpoint (the local server, or a Vertex AI endpoint's REST :predict URL)
    model_predict_url: str | None = None
    model_health_url: str | None = None  # the local server's health route (Vertex has none)
    model_google_auth: bool = False  # send the service account's OAuth token (Vertex AI)
    model_timeout_seconds: float = Field(0.3, gt=0, le=10)
    model_breaker_failures: int = Field(3, ge=1)
    model_breaker_reset_seconds: float = Field(15.0, gt=0, le=300)
    model_cache_size: int = Field(4096, ge=0)

    # Ensemble ranking: weights of each signal (normalised over the signals present). Only their
    # ratios matter; the bound keeps a typo's 1e308 from summing to inf (every score 0 or NaN).
    ensemble_router_weight: float = Field(0.45, ge=0, le=1e6)
    ensemble_model_weight: float = Field(0.30, ge=0, le=1e6)
    ensemble_context_weight: float = Field(0.15, ge=0, le=1e6)
    ensemble_time_weight: float = Field(0.10, ge=0, le=1e6)
    # Bounded exploration: with this probability one of the other top-3 personas is shown.
    exploration_epsilon: float = Field(0.0, ge=0, le=0.3)

    # Personalization: how the persona is chosen from the ensemble and the user's preferences
    personalization_policy: Literal["static", "formula", "thompson"] = "thompson"
    thompson_prior_strength: float = Field(1.0, ge=0, le=1e6)  # 1e308: every draw ties
    thompson_exploration_cap: float = Field(0.05, ge=0, le=1)
    # A/B tests of the ranking, as JSON (common/experiments.py): [{"id", "variants": [{"name",
    # "traffic", "policy"}], "start", "end", "control"}]; windows may not overlap.
    experiments: tuple[Experiment, ...] = ()

    # Anomaly limits per user (see common/personalization/anomaly.py). Each must stay under
    # the number of turns the activity record keeps: a limit it cannot count past never trips.
    anomaly_burst_minute_max: int = Field(15, ge=1, lt=ACTIVITY_KEPT)
    anomaly_burst_hour_max: int = Field(150, ge=1, lt=ACTIVITY_KEPT)
    anomaly_repeat_max: int = Field(3, ge=1, lt=ACTIVITY_KEPT)
    # A crisis is answered past every limit; past this many of the user's turns in a minute
    # (far past anyone's typing: a script) it is answered, but not stored or reported.
    crisis_turns_minute_max: int = Field(30, ge=1, lt=ACTIVITY_KEPT)

    # Safety
    # Checked (_locale_with_resources) only when set: the check imports common.safety, which
    # most functions never do; the default is checked by tests/unit/test_config.py.
    safety_default_locale: str = Field("en-US", validate_default=False)
    care_turns_after_crisis: int = Field(3, ge=0, le=20)

    # Request limits
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    # Each signed-in user's requests an instance of an API function takes (common/ratelimit.py):
    # a burst, then a rate; far above what the app sends. The export reads everything stored
    # about the user, so it has a bucket of its own too.
    user_requests_per_second: float = Field(10.0, gt=0)
    user_request_burst: int = Field(40, ge=1)
    exports_per_minute: float = Field(1.0, gt=0)
    export_burst: int = Field(2, ge=1)

    # Devices and push (common/push/): FCM_BASE_URL points firebase-admin at a local FCM v1
    # server (tests, the local stack); unset in the cloud.
    fcm_base_url: str | None = None
    device_stale_days: int = Field(30, ge=1)
    # The cleanup job erases users whose Firebase Auth account is gone (common.account_sweep).
    account_sweep: bool = True
    # The cleanup job's orphan-turn scan and account sweep start over from the oldest at most
    # this often (common.full_pass); between full passes they keep to what is new. A session's
    # summary is folded again once it holds words this long past its owner's retention.
    cleanup_full_pass_hours: int = Field(FULL_PASS_HOURS, ge=1)
    # Pending erasures wait up to this long to go in one analytics DELETE (common.cleanup): each
    # statement rewrites every day partition an erased user has rows in. At most a day, so that
    # their rows are gone within ~25 h.
    erasure_analytics_batch_hours: int = Field(24, ge=1, le=24)
    push_daily_cap: int = Field(3, ge=1, le=100)  # pushes per user per local day
    push_retry_attempts: int = Field(3, ge=1, le=10)  # sends of one message within one delivery
    push_retry_base_seconds: float = Field(1.0, gt=0, le=60)
    push_retry_max_wait_seconds: float = Field(10.0, ge=0)  # longer waits defer the message
    # Deliveries before a message FCM keeps refusing counts as failed; the waits between them
    # grow (policy.redelivery_delay): 9 span about 9 hours.
    push_max_deliveries: int = Field(9, ge=1)
    push_release_batch: int = Field(50, ge=1, le=500)
    # Deferred pushes a release run delivers at once (threads: each waits on round trips).
    push_release_workers: int = Field(16, ge=1, le=64)
    # Notification producers (common/notifications/): the re-engagement nudge goes to users
    # whose churn risk (common/analytics/views/churn_risk.sql) is at least this (0.6 = the
    # "high" band), at most once per cool-down.
    reengagement_min_risk: float = Field(0.6, ge=0, le=1)
    # At most the shortest retention (30 days): the notice it is counted from goes with the
    # user's retention (the cleanup job), so a longer one would end early for some users.
    reengagement_cooldown_days: int = Field(14, ge=1, le=30)
    # Their outbox writes and deletes a second at most: the entries' next_attempt_at only grows,
    # and Firestore takes ~500 writes a second on such an index (docs/CAPACITY.md section 3).
    notification_outbox_writes_per_second: float = Field(400, gt=0)
    # The most its daily query of churn_risk may bill. The view reads every retained day of the
    # users' history (docs/CAPACITY.md section 6: hundreds of GiB at load C, more than
    # INSIGHTS_MAX_BYTES_BILLED), so a cap of its own; BigQuery refuses a bigger query.
    reengagement_max_bytes_billed: int = Field(2**40, ge=10 * 2**20)

    # Insights: the most bytes one dashboard query may bill; BigQuery refuses a bigger one (the
    # views de-duplicate events before the day filter, so a query scans the events table).
    insights_max_bytes_billed: int = Field(50 * 2**30, ge=10 * 2**20)

    @field_validator("experiments")
    @classmethod
    def _experiments_apart(cls, value: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
        check_no_overlap(value)
        return value

    @field_validator("safety_default_locale")
    @classmethod
    def _locale_with_resources(cls, value: str) -> str:
        """A locale the crisis resources have an entry for, written as apps write it or not
        ("en_US"): one they have none for ("us", "xx-YY") would give users who send no
        Accept-Language the global entry instead of their country's line, silently."""
        from common.safety import resource_key  # here: see the field

        locale = value.strip().replace("_", "-")
        if resource_key(locale) == "default":
            raise ValueError(
                f"SAFETY_DEFAULT_LOCALE {value!r} has no entry in common/data/"
                "crisis_resources.json: use a locale of it, such as en-US"
            )
        return locale

    @model_validator(mode="after")
    def _ranking_weighs_something(self) -> Self:
        """The model's signal is missing whenever the model is down, and the context's on a
        conversation's first turn: the router and the time of day must weigh something, or
        such a turn would score all personas 0 and show the first (and continuity keep it)."""
        if self.ensemble_router_weight + self.ensemble_time_weight <= 0:
            raise ValueError(
                "ENSEMBLE_ROUTER_WEIGHT and ENSEMBLE_TIME_WEIGHT are both 0: with the model down, "
                "no signal would rank the personas of a conversation's first turn"
            )
        return self

    @model_validator(mode="after")
    def _deployable(self) -> Self:
        """Settings only the local stack may use: deployed, they would send the users' words,
        pushes or the service account's token to a stand-in, or in clear text."""
        if self.ion_env == "local":
            return self
        local_only = [n.upper() for n in ("gemini_base_url", "fcm_base_url") if getattr(self, n)]
        if local_only:
            raise ValueError(f"{', '.join(local_only)}: for the local stack only")
        url = self.model_predict_url or ""
        if self.model_google_auth and url and not url.startswith("https://"):
            raise ValueError("MODEL_PREDICT_URL must be https: MODEL_GOOGLE_AUTH sends a token")
        return self

    @property
    def project_id(self) -> str:
        return self.google_cloud_project

    def analytics_hmac_key(self) -> str:
        """The key of user_key's HMAC. A deployed function without the secret refuses to work
        rather than key analytics with this public default, which anyone could reverse."""
        return checked_analytics_key(self.analytics_key.get_secret_value(), ion_env=self.ion_env)


def checked_analytics_key(key: str, *, ion_env: str, name: str = "ANALYTICS_KEY") -> str:
    """`key`, unless outside the local stack it is the public default or too weak to key
    analytics with (`name` says which key, in the error)."""
    if ion_env != "local" and key == LOCAL_ANALYTICS_KEY:
        raise RuntimeError(f"{name} is the local stack's public key (not set?): use the secret")
    if ion_env != "local" and (len(key) < MIN_ANALYTICS_KEY or key != key.strip()):
        raise RuntimeError(
            f"{name} is too weak: at least {MIN_ANALYTICS_KEY} characters, no "
            "surrounding spaces (docs/OPERATIONS.md: Rotate the analytics key)"
        )
    return key


@cache
def get_settings() -> Settings:
    """Read once; every function reads it at import, so a revision deployed with settings it
    must not run with fails to start and the previous one keeps serving."""
    settings = Settings()
    if settings.ion_env == "local" and os.environ.get("K_SERVICE"):  # Cloud Run sets K_SERVICE
        raise RuntimeError("ION_ENV is not set on a deployed function: set it to dev or prod")
    emulators = [name for name in EMULATOR_HOSTS if os.environ.get(name)]
    if settings.ion_env != "local" and emulators:
        raise RuntimeError(
            f"{', '.join(emulators)} set with ION_ENV={settings.ion_env}: for the local stack "
            "only (with the Auth emulator, ID tokens would not be verified)"
        )
    return settings


def require_analytics_key() -> None:
    """For the functions that key analytics, at import: deployed without the secret, the new
    revision fails to start and the previous one keeps serving, instead of failing every
    request."""
    get_settings().analytics_hmac_key()
