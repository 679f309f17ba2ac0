"""Cloud clients, created on first use and kept for a warm instance (never at import time).

Each factory is cached (thread-safely) so tests can swap a client with `factory.cache_clear()`."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from common.config import get_settings

T = TypeVar("T")
# Seconds per attempt of each call firebase-admin makes to Google (it retries once: about
# 10 s in all); its default is 120 s.
AUTH_HTTP_TIMEOUT = 5


def cache(factory: Callable[[], T]) -> Callable[[], T]:
    """functools.cache for a factory that many request threads may call at once on a cold
    instance: the first caller builds the client, the others wait for it (firebase_admin refuses
    a second app of the same name). `cache_clear()` still works for tests."""
    lock = threading.Lock()
    cached = functools.cache(factory)

    @functools.wraps(factory)
    def get() -> T:
        with lock:
            return cached()

    # An attribute set on a function: mypy knows only a plain function's attributes.
    get.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    return get


@cache
def firebase_app() -> Any:
    import firebase_admin

    # get_settings() refuses FIREBASE_AUTH_EMULATOR_HOST outside the local stack: firebase-admin
    # would then accept unsigned emulator tokens, and anyone could sign in as anyone.
    settings = get_settings()
    # No explicit credential: Application Default Credentials in the cloud, none needed locally.
    # httpTimeout: a hung Auth service would hold a request (a token's revocation check, a
    # /healthz probe) for minutes.
    return firebase_admin.initialize_app(
        options={"projectId": settings.project_id, "httpTimeout": AUTH_HTTP_TIMEOUT},
        name=f"ion-{settings.project_id}",
    )


@cache
def token_verifier():
    from common.auth import TokenVerifier

    settings = get_settings()
    return TokenVerifier(
        app=firebase_app(),
        check_revoked=settings.auth_check_revoked,
        cache_seconds=settings.auth_cache_seconds,
    )


@cache
def request_budget():
    """Each user's requests on this instance (common.edge.within_budget)."""
    from common.ratelimit import TokenBuckets

    settings = get_settings()
    return TokenBuckets(rate=settings.user_requests_per_second, burst=settings.user_request_burst)


@cache
def export_budget():
    """Each user's exports on this instance (GET /v2/profile/export)."""
    from common.ratelimit import TokenBuckets

    settings = get_settings()
    return TokenBuckets(rate=settings.exports_per_minute / 60, burst=settings.export_burst)


@cache
def firestore_client() -> Any:
    from google.cloud import firestore

    settings = get_settings()
    return firestore.Client(project=settings.project_id, database=settings.firestore_database)


@cache
def publisher_client() -> Any:
    """The GAPIC publisher: one synchronous call per publish with our own timeout, no background
    batching thread that could deliver an event after we gave up on it (the outbox retries)."""
    from google.pubsub_v1.services.publisher import PublisherClient

    emulator = os.environ.get("PUBSUB_EMULATOR_HOST")
    if emulator:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials

        return PublisherClient(
            client_options=ClientOptions(api_endpoint=emulator), credentials=AnonymousCredentials()
        )
    return PublisherClient()


@cache
def bigquery_client() -> Any:
    """BigQuery; the local emulator when BIGQUERY_EMULATOR_HOST is set (host:port)."""
    from google.cloud import bigquery

    settings = get_settings()
    emulator = os.environ.get("BIGQUERY_EMULATOR_HOST")
    if emulator:
        from google.auth.credentials import AnonymousCredentials

        return bigquery.Client(
            project=settings.project_id,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": f"http://{emulator}"},
        )
    return bigquery.Client(project=settings.project_id)


@cache
def analytics_writer():
    """The events table's writer behind a group commit: concurrent deliveries share a write."""
    from common.analytics.schema import TABLE
    from common.analytics.sink import GroupCommit
    from common.analytics.warehouse import BigQueryRowWriter

    settings = get_settings()
    table = f"{settings.project_id}.{settings.analytics_dataset}.{TABLE}"
    writer = BigQueryRowWriter(bigquery_client(), table=table)
    return GroupCommit(writer.insert, max_items=settings.analytics_batch_rows)


@cache
def dead_letter():
    from common.analytics.warehouse import PubSubDeadLetter

    settings = get_settings()
    return PubSubDeadLetter(
        publisher_client(), project_id=settings.project_id, topic=settings.dead_letter_topic
    )


@cache
def session_store():
    from common.adapters.firestore_sessions import FirestoreSessionStore

    return FirestoreSessionStore(firestore_client(), settings=get_settings())


@cache
def profile_store():
    from common.adapters.firestore_profiles import FirestoreProfileStore

    return FirestoreProfileStore(firestore_client(), session_store())


@cache
def preference_writer():
    from common.adapters.firestore_profiles import FirestorePreferenceWriter

    return FirestorePreferenceWriter(firestore_client())


@cache
def event_publisher():
    from common.adapters.pubsub_events import PubSubEventPublisher

    settings = get_settings()
    return PubSubEventPublisher(
        publisher_client(),
        project_id=settings.project_id,
        timeout_seconds=settings.publish_timeout_seconds,
    )


@cache
def response_generator():
    from common.replies import make_generator

    return make_generator(get_settings())


@cache
def fallback_generator():
    from common.replies import TemplateGenerator

    return TemplateGenerator()


@cache
def persona_model():
    """The model endpoint's client, or None when no endpoint is configured (baseline only)."""
    from common.breaker import CircuitBreaker
    from common.model_client import PersonaModelClient, PredictionCache

    settings = get_settings()
    if not settings.model_predict_url:
        return None
    return PersonaModelClient(
        url=settings.model_predict_url,
        timeout_seconds=settings.model_timeout_seconds,
        breaker=CircuitBreaker(
            failures=settings.model_breaker_failures,
            reset_seconds=settings.model_breaker_reset_seconds,
        ),
        cache=PredictionCache(settings.model_cache_size),
        google_auth=settings.model_google_auth,
    )


@cache
def router():
    from common.routing import ResonanceBasedRouter

    return ResonanceBasedRouter()


@cache
def messaging_app() -> Any:
    """The firebase app FCM is sent through. In the cloud: the function's service account.
    With FCM_BASE_URL (tests, the local stack) firebase-admin talks to that server instead,
    with a fixed token: there is no account to get a real one from, and the server ignores it."""
    import firebase_admin

    settings = get_settings()
    credential = None  # Application Default Credentials
    if settings.fcm_base_url:
        from firebase_admin import messaging
        from google.oauth2.credentials import Credentials

        # The SDK has no endpoint option; the service reads this class attribute when created.
        messaging._MessagingService.FCM_URL = (
            settings.fcm_base_url.rstrip("/") + "/v1/projects/{0}/messages:send"
        )

        class _FixedToken(Credentials):
            # google-auth refreshes the token and repeats a request answered 401 (twice), as
            # in the cloud; here there is nothing to refresh it from, and the server ignores it.
            def refresh(self, request: Any) -> None:
                pass

        credential = _FixedToken(token="local-fcm")  # noqa: S106 - not a secret
    return firebase_admin.initialize_app(
        credential,
        options={"projectId": settings.project_id, "httpTimeout": 10},  # the SDK's default: 120 s
        name=f"ion-fcm-{settings.project_id}",
    )


@cache
def device_store():
    from common.adapters.firestore_devices import FirestoreDeviceStore

    return FirestoreDeviceStore(firestore_client())


@cache
def push_store():
    from common.adapters.firestore_push import FirestorePushStore

    return FirestorePushStore(firestore_client(), session_store())


@cache
def push_sender():
    from common.adapters.fcm_sender import FcmSender

    return FcmSender(messaging_app(), max_deliveries=get_settings().push_max_deliveries)
