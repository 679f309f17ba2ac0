"""What the API is, for `scripts/openapi.py` to write down: one `Endpoint` entry per operation
(path, backend function, models, examples, errors), and the models of the answers that the
handlers build as plain dicts (schemathesis holds them to what the functions really answer)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from common.chat.limits import REPEAT_MIN_CHARS
from common.chat.models import (
    Alternative,
    AnalysisOut,
    LegacyChatRequest,
    PersonaChoice,
    SafetyOut,
    SessionOut,
    TurnCreate,
    TurnPage,
    TurnResponse,
)
from common.config import Settings
from common.devices.models import DeviceCreate, DeviceOut
from common.errors import ErasureInProgress
from common.feedback.models import FeedbackCreate, FeedbackOut
from common.http import DEFAULT_CACHE_CONTROL
from common.insights.metrics import COMPLETE_DAYS, MAX_DAYS, METRICS
from common.profile.models import ProfileOut, ProfilePatch, ProfileSettings

# --- Shapes the handlers build as plain dicts (schemathesis checks them against the answers) ---


class ErrorDetail(BaseModel):
    code: str = Field(description="snake_case, stable: clients branch on it")
    message: str = Field(description="A human sentence; may change")
    field: str | None = Field(None, description="The request field the error is about")


class ErrorBody(BaseModel):
    """Every error, whatever its status."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


class StreamErrorDetail(ErrorDetail):
    """An error after the stream's 200: it carries its own status and Retry-After."""

    model_config = ConfigDict(extra="forbid")

    status: int = Field(description="The HTTP status the answer would have had")
    retry_after: int | None = Field(
        None,
        description="Seconds to wait, when the error has a Retry-After (a 429 or 503, or the "
        "409 `erasure_in_progress`); absent otherwise",
    )


class StreamError(BaseModel):
    """The data of an `error` event."""

    model_config = ConfigDict(extra="forbid")

    error: StreamErrorDetail


class DependencyState(BaseModel):
    model_config = ConfigDict(extra="allow")  # the model client adds its circuit and cache

    ok: bool
    latency_ms: float | None = None
    error: str | None = None


class HealthReport(BaseModel):
    status: Literal["ok", "degraded"]
    dependencies: dict[str, DependencyState]
    degraded: list[str] = Field(description="Features that do not work fully right now")


class StreamToken(BaseModel):
    """The data of a `token` event: the next piece of the reply."""

    text: str


class StreamReset(BaseModel):
    """The data of a `reset` event: discard the tokens so far (the reply starts over)."""

    model_config = ConfigDict(extra="forbid")


def _stream_event(name: str, data: type[BaseModel], description: str) -> dict:
    return {
        "type": "object",
        "description": description,
        "required": ["event", "data"],
        "properties": {
            "event": {"const": name},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": f"#/components/schemas/{data.__name__}"},
            },
        },
    }


def turn_stream_event() -> dict:
    """One Server-Sent Event of a streamed turn (OpenAPI 3.1 describes each event)."""
    return {
        "description": "One event of a streamed turn; its `data` is JSON.",
        "oneOf": [
            _stream_event("token", StreamToken, "The next piece of the reply"),
            _stream_event("reset", StreamReset, "Discard the tokens so far"),
            _stream_event("final", TurnResponse, "The whole turn, stored; the last event"),
            _stream_event("error", StreamError, "The stream failed after it started"),
        ],
    }


class LegacyChatResponse(BaseModel):
    """The earlier single-endpoint answer."""

    success: bool
    sessionId: str  # noqa: N815 - the old wire names
    response: str
    persona: PersonaChoice
    alternatives: list[Alternative]
    safety: SafetyOut
    degraded: list[str]
    analysis: AnalysisOut | None = Field(None, description="Only with enableAIAnalysis")


class ProfileErased(BaseModel):
    erased: bool
    deleted: dict[str, int] = Field(description="Documents deleted, per collection")


class ProfileExport(BaseModel):
    """Everything stored about the user (turn documents as stored). Every time in it is
    written as the API's others are (`2026-12-02T12:00:00.000000Z`)."""

    uid: str
    profile: dict[str, Any] = Field(
        description="users/{uid} as stored: `settings`, `settings_set_at` (setting: when the "
        "request that last set it was made), `user_key` and `updated_at`."
    )
    effective_settings: ProfileSettings = Field(
        description="The settings in effect, as GET /v2/profile shows them: those the user set "
        "and the defaults of the others (`profile.settings` has only the settings the user "
        "changed, none for a new user)."
    )
    learned_preferences: dict[str, Any]
    previous_learned_preferences: dict[str, Any] = Field(
        description="What was learned under analytics.previous_user_key, before the analytics "
        "key was rotated; empty when there is none."
    )
    sessions: list[dict[str, Any]] = Field(
        description="The user's conversations not yet deleted, each with its turns. A "
        "conversation expires 24 hours (SESSION_TTL_HOURS) after its last turn and the cleanup "
        "job then deletes it with its turns: an older one is in no export."
    )
    turns_without_session: list[dict[str, Any]] = Field(
        description="Turns whose session was deleted before them, oldest first, each as stored "
        "like the sessions' turns."
    )
    feedback: list[dict[str, Any]]
    devices: list[dict[str, Any]]
    pending_notifications: list[dict[str, Any]] = Field(
        description="Pushes waiting in deferred_notifications until they are due (quiet hours, "
        "or an FCM retry that would wait too long): each with its notification, collapse key, "
        "reason and due time."
    )
    push_notifications: list[dict[str, Any]] = Field(
        description="The delivery record of each push of the last 30 days, oldest first: its "
        "status (sent, failed, suppressed, deferred, replaced), reason, the devices that got it, "
        "and when. Records from before pushes were stored with their owner are not listed; they "
        "expire within 30 days."
    )
    recent_activity: dict[str, Any] = Field(
        description="The activity record (activity/{uid}) the anomaly limits read, as stored "
        "but with `recent` decoded: [time (UTC), message hash] pairs of the last turns (a turn "
        "older than the 10-minute repeat window with the hash null: it is not kept), without "
        "the random key of those hashes; also "
        "`limited_until`, `crisis_at` (the latest crisis turn), `not_safe_until` (care after a "
        "no to the crisis reply's safety question lasts until then, in any session) with "
        "`crisis_language` (the language of the crisis that care follows, whose lines it "
        "names), "
        "`heavy_at` (the latest turn about a heavy life event, kept 7 days: that week's "
        "insight push is held back), `leaning_at` with `leaning` (the latest turn that leaned "
        "on the mentor in place of people or asked to use the app less, and which: dependence, "
        "therapist or less; kept 30 days, during which no re-engagement nudge or weekly "
        "insight is sent), `devices_removed` (device id: when a sign-out removed "
        "it) and `expires_at`. Empty when there is none."
    )
    analytics: dict[str, str] = Field(
        description="The pseudonymous key (user_key) analytics rows about the user are kept "
        "under in BigQuery, the key from before an analytics-key rotation (previous_user_key) "
        "if the user has rows under one, and a note saying what that means; erasure removes "
        "those rows."
    )


class ChartSpec(BaseModel):
    kind: Literal["line", "bar", "table"]
    x: str | None
    series: list[str]
    split: str | None
    group: str | None
    columns: list[str]
    missing: Literal["zero", "gap"] = Field(
        description="What a series with no row at an x where other series have one is worth: "
        "`zero` where the metric counts things and no row means none (e.g. a persona without "
        "turns that day), `gap` where the value is unknown (a mean of nothing is not 0)"
    )


class MetricInfo(BaseModel):
    name: str
    title: str
    description: str
    dated: bool = Field(description="Whether `from` and `to` filter it")
    chart: ChartSpec


class MetricIndex(BaseModel):
    metrics: list[MetricInfo]


class MetricRows(MetricInfo):
    from_: str | None = Field(alias="from")
    to: str | None
    note: str | None = Field(
        description="Why fewer days are shown than asked for (events past retention), if so"
    )
    columns: list[str]
    rows: list[dict[str, Any]]


# Models that appear in the document, and in which direction (requests validate, answers serialise).
REQUEST_MODELS = (TurnCreate, LegacyChatRequest, FeedbackCreate, ProfilePatch, DeviceCreate)
RESPONSE_MODELS = (
    ErrorBody,
    TurnResponse,
    StreamToken,
    StreamReset,
    StreamError,
    SessionOut,
    TurnPage,
    LegacyChatResponse,
    HealthReport,
    FeedbackOut,
    ProfileOut,
    ProfileExport,
    ProfileErased,
    DeviceOut,
    MetricIndex,
    MetricRows,
)


# --- Errors ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorCode:
    """One `error.code` the functions send: its status, when, and a message it comes with."""

    status: int
    meaning: str
    message: str
    field: str | None = None  # the example's `field`
    retry_after: bool = False  # sent with Retry-After


# The request budgets' defaults (common/ratelimit.py), as the document states them.
_BUDGET = {name: field.default for name, field in Settings.model_fields.items()}

# Every code the API's functions send, the one table the document's errors come from: each
# operation lists its own (Endpoint.errors, plus those of its sign-in and body), and
# tests/unit/test_openapi.py checks this table against the codes the code raises.
ERROR_CODES: dict[str, ErrorCode] = {
    "invalid_input": ErrorCode(
        400,
        "The body is not a JSON object, or a field (or query parameter) is missing, unknown, of "
        "the wrong type or out of range; `field` names the first.",
        "'message': the message is empty.",
        "message",
    ),
    "invalid_json": ErrorCode(
        400, "The body is not JSON, or nests deeper than 32 levels.", "The body is not valid JSON."
    ),
    "invalid_utf8": ErrorCode(
        400,
        "The body is not UTF-8, or holds an unpaired surrogate (`\\ud800`).",
        "The body is not valid UTF-8.",
    ),
    "invalid_range": ErrorCode(
        400,
        "The days asked for: `to` before `from`, outside the days there are, or longer than the "
        "metric allows.",
        "'to' must not be before 'from'.",
        "to",
    ),
    "missing_token": ErrorCode(
        401,
        "No bearer token.",
        "Sign in first: send 'Authorization: Bearer <Firebase ID token>'.",
    ),
    "invalid_token": ErrorCode(
        401, "Not a valid Firebase ID token of this project.", "The sign-in token is not valid."
    ),
    "token_expired": ErrorCode(401, "The ID token has expired.", "Your sign-in has expired."),
    "token_revoked": ErrorCode(
        401, "The user's tokens were revoked: sign in again.", "Your sign-in was revoked."
    ),
    "user_disabled": ErrorCode(401, "The account is disabled.", "This account is disabled."),
    "forbidden": ErrorCode(
        403, "The token lacks the custom claim `role: operator`.", "This needs an operator account."
    ),
    "user_mismatch": ErrorCode(
        403,
        "`userId` is not the signed-in user's uid.",
        "userId does not match the signed-in user.",
    ),
    "session_not_found": ErrorCode(
        404,
        "No such session of the user's: never made, another user's, expired or deleted.",
        "This session does not exist or has expired; start a new one.",
    ),
    "turn_not_found": ErrorCode(
        404,
        "No such turn in the user's sessions (another user's, or its session expired).",
        "There is no such turn in your conversations.",
    ),
    "device_not_found": ErrorCode(
        404,
        "The token is not registered to the user (another user's is as unknown), or no longer: "
        "a removal sent again after its answer was lost; treat it as done.",
        "This device is not registered.",
    ),
    "metric_not_found": ErrorCode(
        404, "No metric of that name.", "There is no metric named 'daily_users'."
    ),
    "route_not_found": ErrorCode(404, "No such path.", "There is nothing at this path."),
    "method_not_allowed": ErrorCode(
        405,
        "The path does not take this method; `Allow` names those it does.",
        "PUT is not allowed on this path.",
    ),
    "client_turn_id_reused": ErrorCode(
        409,
        "The `client_turn_id` names a stored turn with another message.",
        "This client_turn_id was already used for a different message.",
        "client_turn_id",
    ),
    "erasure_in_progress": ErrorCode(
        409,
        "The user's erasure (`DELETE /v2/profile`) is running; it usually ends within seconds.",
        ErasureInProgress().message,
        retry_after=True,
    ),
    "profile_erased": ErrorCode(
        409,
        "The user erased their data while this message was answered: the turn was not stored.",
        "Your data was erased while this message was being answered, so it was not kept. Send "
        "it again to start afresh.",
    ),
    "feedback_busy": ErrorCode(
        409,
        "Other ratings of the turn kept changing it meanwhile; try again.",
        "This turn is being rated elsewhere; try again.",
    ),
    "payload_too_large": ErrorCode(
        413, "The body is over the limit.", "The body is larger than 65536 bytes."
    ),
    "unsupported_media_type": ErrorCode(
        415,
        "The body's Content-Type is not application/json.",
        "Send the body as JSON with Content-Type: application/json.",
    ),
    "rate_limited": ErrorCode(
        429,
        "A turn: turns faster than a conversation needs, or too many of the user's at once; "
        "wait `Retry-After` before sending any message. Any operation: more of the user's "
        "requests than the instance that answered takes from one user "
        f"({_BUDGET['user_requests_per_second']:g} a second after a burst of "
        f"{_BUDGET['user_request_burst']}, which the app never comes near; the export has a "
        "budget of its own, and a turn the crisis patterns flag is never refused); wait "
        "`Retry-After` before the next request.",
        "You're sending requests faster than the app needs; wait a moment.",
        retry_after=True,
    ),
    "repeated_message": ErrorCode(
        429,
        "The same message (ignoring case and spacing) a 4th time within 10 minutes, and no "
        f"other limit reached; a message under {REPEAT_MIN_CHARS} characters (`ok`, `thanks`) "
        "is never counted as a repeat. `Retry-After` applies to that text only: it is when the "
        "same message may be sent again; any other message goes through now. `field` is "
        "`message`.",
        "You've sent this same message several times in a few minutes; send something "
        "different, or wait to send it again.",
        "message",
        retry_after=True,
    ),
    "internal": ErrorCode(500, "A bug: no detail is given.", "Something went wrong on our side."),
    "auth_unavailable": ErrorCode(
        503,
        "The token cannot be checked now (Firebase Auth, or the certificates that sign tokens,"
        " cannot be reached or read).",
        "Sign-in cannot be checked right now.",
        retry_after=True,
    ),
    "storage_unavailable": ErrorCode(
        503,
        "Firestore is unreachable, or failed or refused the call.",
        "Conversation storage is unavailable; try again shortly.",
        retry_after=True,
    ),
    "session_busy": ErrorCode(
        503,
        "Other turns of the session kept committing first.",
        "This conversation is busy; try again.",
        retry_after=True,
    ),
    "analytics_unavailable": ErrorCode(
        503,
        "BigQuery is unreachable, failed the query or took too long.",
        "Analytics cannot be read right now.",
        retry_after=True,
    ),
    "metric_unavailable": ErrorCode(
        503,
        "The metric's view is not deployed (yet).",
        "This metric's view is not available.",
        retry_after=True,
    ),
}
# What each status means, before the list of its codes.
STATUSES = {
    400: "Invalid input.",
    401: "Not signed in: no token, or one that is not (or no longer) valid. In production API "
    "Gateway checks the token first and answers a missing, expired or invalid one itself, in "
    'its own shape, not this one (`{"code": 401, "message": "Jwt is missing"}`, `"Jwt is '
    'expired"`, ...): treat any 401 as: refresh the ID token and retry once.',
    403: "Signed in, but not allowed.",
    404: "Not found (another user's data too).",
    405: "Method not allowed.",
    409: "Conflict with what is stored.",
    413: "The body is too large.",
    415: "The body is not JSON.",
    429: "Rate limited: wait `Retry-After` seconds (after a `repeated_message`, only to send that "
    "message again).",
    500: "Unexpected failure.",
    503: "A dependency is down or busy: retry after `Retry-After` seconds.",
}
AUTH_ERRORS = (  # every signed-in call: a bad token, or the token check cannot run
    "missing_token",
    "invalid_token",
    "token_expired",
    "token_revoked",
    "user_disabled",
    "auth_unavailable",
)
OPERATOR_ERRORS = ("forbidden",)
# Every user's call: the user's request budget on the instance (common.edge.within_budget).
# Operators' insights calls are not counted.
USER_ERRORS = ("rate_limited",)
BODY_ERRORS = (  # every JSON body
    "invalid_input",
    "invalid_json",
    "invalid_utf8",
    "payload_too_large",
    "unsupported_media_type",
)
# Any request may get these, whatever its operation: the document says so once.
GENERAL_ERRORS = ("route_not_found", "method_not_allowed", "internal")


# --- Backends -------------------------------------------------------------------------------

# How long API Gateway waits for a backend's whole answer before it answers 504 itself (its
# `deadline`, in seconds); the local gateway applies the same.
DEFAULT_DEADLINE = 15.0  # API Gateway's default
BACKEND_DEADLINE = {
    "chat": 60.0,  # a streamed reply can take a while
    # The function's own timeout (terraform/stack/functions.tf). Its 503 for a failing metric
    # query comes 39 s into the query (common.adapters.bigquery_metrics.FAILURE_ANSWERED_BY),
    # after the token check (up to 15 s with Google's Auth slow: common.clients), a cold start
    # and a wait for one of the few slots (a dashboard asks for ~20 metrics at once). 40 s
    # left 1 s for all that: in a BigQuery incident the dashboard got the gateway's 504, not the
    # 503 analytics_unavailable with its Retry-After.
    "insights": 60.0,
    "profile": 300.0,  # the function's own timeout: an erasure deletes in batches
}


# Cloud Run's front end answers some paths ending in "z" itself, /healthz among them (a known
# issue of Cloud Run: the request never reaches the function, the caller gets Google's 404). API
# Gateway keeps the public path and calls the function at this one instead.
BACKEND_PATHS = {"/healthz": "/health"}


# --- Endpoints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    location: Literal["path", "query", "header"]
    schema: dict
    description: str
    example: Any = None
    required: bool = False


# The Cache-Control of every answer that documents no other (common.http.handle_errors).
CACHE_CONTROL = (
    {"type": "string"},
    f"`{DEFAULT_CACHE_CONTROL}`: not to be kept in any cache, the app's own included",
)


@dataclass(frozen=True)
class Reply:
    """One success answer: a status, its model (None: no body) and an example."""

    status: int
    description: str
    model: type[BaseModel] | None = None
    example: Any = None
    # name -> (schema, text); CACHE_CONTROL unless they name a Cache-Control of their own
    headers: dict[str, tuple[dict, str]] = field(default_factory=dict)
    media_type: str = "application/json"
    extra_content: dict[str, dict] = field(default_factory=dict)  # other media types


@dataclass(frozen=True)
class Endpoint:
    """One operation: everything the document says about it comes from this entry."""

    method: str
    path: str  # OpenAPI form, e.g. /v2/sessions/{session_id}
    backend: str  # the function serving it (folder under functions/, a Terraform backend)
    operation_id: str
    tag: str
    summary: str
    description: str
    replies: tuple[Reply, ...]
    errors: tuple[str, ...] = ()  # its own codes (ERROR_CODES): those of sign-in and body added
    body: type[BaseModel] | None = None
    body_example: dict | None = None
    params: tuple[Param, ...] = ()
    auth: Literal["user", "operator", "none"] = "user"
    # code -> (message, field) of its example here, where ERROR_CODES' would not fit
    error_examples: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def error_codes(self) -> dict[int, list[str]]:
        """The codes it can answer, by status, each in ERROR_CODES' order."""
        codes = set(self.errors)
        if self.auth != "none":
            codes |= set(AUTH_ERRORS)
        if self.auth == "user":
            codes |= set(USER_ERRORS)
        if self.auth == "operator":
            codes |= set(OPERATOR_ERRORS)
        if self.body is not None:
            codes |= set(BODY_ERRORS)
        out: dict[int, list[str]] = {}
        for code in ERROR_CODES:
            if code in codes:
                out.setdefault(ERROR_CODES[code].status, []).append(code)
        return dict(sorted(out.items()))


# Example ids. The schemathesis test swaps these for the ids of a real session it created.
EXAMPLE_SESSION = "5d41402abc4b2a76b9719d911017c592"
EXAMPLE_TURN = "7d793037a0760186574b0282f2f435e7"
EXAMPLE_UID = "example-firebase-uid"
EXAMPLE_TOKEN = "fcm-token-example_0123456789:APA91bExample"  # noqa: S105 - an FCM token

TURN_EXAMPLE = {
    "session_id": EXAMPLE_SESSION,
    "turn_id": EXAMPLE_TURN,
    "turn_index": 0,
    "persona": {
        "id": "riri",
        "name": "Riri",
        "score": 0.61,
        "reasons": ["Riri suits an urgent pace: short, concrete steps."],
    },
    "alternatives": [
        {"id": "elro", "name": "Elro", "score": 0.22},
        {"id": "lua", "name": "Lua", "score": 0.11},
    ],
    "reply": "Let's get those tests green. First: run only the failing one and read its error.",
    "analysis": {
        "sentiment": {"label": "negative", "score": -0.42},
        "tone": {"label": "frustrated", "confidence": 0.71},
        "pace": {"label": "urgent", "confidence": 0.83},
        "intent": {"label": "problem_solving", "confidence": 0.77},
        "entities": [
            {"text": "Python", "type": "tool"},
            {"text": "tomorrow", "type": "date_time"},
        ],
    },
    "safety": {"crisis": False, "resources": []},
    "degraded": [],
}
TURN_OUT_EXAMPLE = {
    "turn_id": EXAMPLE_TURN,
    "turn_index": 0,
    "message": "My Python tests keep failing and the demo is tomorrow!!",
    "reply": TURN_EXAMPLE["reply"],
    "persona": "riri",
    "created_at": "2026-11-22T09:15:02.123456Z",
}
SSE_EXAMPLE = (
    'event: token\ndata: {"text":"Let\'s get those tests green. "}\n\n'
    'event: token\ndata: {"text":"First: run only the failing one and read its error."}\n\n'
    f"event: final\ndata: {json.dumps(TURN_EXAMPLE, separators=(',', ':'))}\n\n"
)
METRIC_EXAMPLE = METRICS["daily_active_users"].describe()
PROFILE_EXAMPLE: dict[str, Any] = {
    "settings": {
        "personalization": True,
        "anonymize_analytics": False,
        "retention_days": 90,
        "timezone": "UTC",
        "quiet_hours": {"start": "22:00", "end": "08:00"},
        "notifications": True,
    },
    "preferences": {
        "riri": {"satisfaction": 0.74, "evidence": 6.2},
        "lua": {"satisfaction": 0.55, "evidence": 1.5},
    },
    "favourite_persona": "riri",
    "engagement": 0.42,
    "intent_mix": {"problem_solving": 5, "planning": 2},
    "hourly_activity": [0] * 9 + [3, 2, 0, 0, 0, 1] + [0] * 9,
    "turns": 7,
    "feedback_count": 3,
}

IDEMPOTENT_REPLAYED = (
    {"type": "string", "enum": ["true", "false"]},
    "`true` when this repeats a stored turn",
)
SESSION_PARAM = Param(
    "session_id",
    "path",
    {"type": "string", "pattern": r"^[a-f0-9]{32}$"},
    "The session's id (from a turn's response).",
    EXAMPLE_SESSION,
    True,
)

# What taking a turn can answer, through /v2 or the legacy endpoint.
TURN_ERRORS = (
    "session_not_found",
    "client_turn_id_reused",
    "erasure_in_progress",
    "profile_erased",
    "rate_limited",
    "repeated_message",
    "storage_unavailable",
    "session_busy",
)

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "post",
        "/v2/chat/turns",
        "chat",
        "createTurn",
        "chat",
        "Send a message: one turn of the conversation",
        "The persona that fits best answers; two alternatives are named. Every reply is written "
        "by an AI, whose voices the personas are: show an AI disclosure at the start of each "
        "session, before the first reply (README, Audience and safeguarding). `client_turn_id` "
        "is the idempotency key: the same id with the same message returns the stored turn (`200`, "
        "`Idempotent-Replayed: true`), with another message it is a `409`. A `session_id` that "
        "has expired is a `404`, except for a message in crisis: it is answered in a new session "
        "(the response's `session_id`). Nor is a message in crisis refused by the per-user turn "
        "limits, by storage that is down or by the user's erasure: it gets the crisis reply with "
        '`safety.resources`, and one not stored says so in `degraded` (`"not_stored"`: its '
        "`turn_id` names nothing, and its `turn_index` is provisional: a stored turn may take "
        'it). With `"stream": '
        'true` the answer is `text/event-stream`: `token` events (`{"text"}`) as the reply is '
        "written, possibly a `reset` event (discard the tokens so far), then one `final` event "
        "whose data is the full turn response; an `error` event (the error shape) ends a stream "
        "that failed after it started: the HTTP status is already 200 then, so its `error` also "
        "carries `status` (what the status would have been) and, when the error has a "
        "`Retry-After` (a 429 or 503, or the 409 `erasure_in_progress`), `retry_after` (seconds).",
        (
            Reply(
                201,
                "The turn, stored.",
                TurnResponse,
                TURN_EXAMPLE,
                {"Idempotent-Replayed": IDEMPOTENT_REPLAYED},
            ),
            Reply(
                200,
                "A repeated `client_turn_id`: the stored turn. Every streamed answer too.",
                TurnResponse,
                TURN_EXAMPLE,
                {
                    "Idempotent-Replayed": IDEMPOTENT_REPLAYED,
                    "Cache-Control": (
                        {"type": "string"},
                        f"`{DEFAULT_CACHE_CONTROL}`; `no-cache` on a stream (`text/event-stream`)",
                    ),
                },
                extra_content={
                    "text/event-stream": {
                        "schema": {"$ref": "#/components/schemas/TurnStreamEvent"},
                        "example": SSE_EXAMPLE,
                    }
                },
            ),
        ),
        errors=TURN_ERRORS,
        body=TurnCreate,
        body_example={
            "session_id": None,
            "client_turn_id": "b7f3c1d2-0001",
            "message": "My Python tests keep failing and the demo is tomorrow!!",
            "persona": None,
            "stream": False,
        },
        params=(
            Param(
                "Accept-Language",
                "header",
                {"type": "string"},
                "Picks the crisis resources' locale, and the language of the crisis reply and "
                "of the care line in `persona.reasons` (German, French, Spanish, Japanese, "
                "Portuguese; else English).",
                "en-GB,en;q=0.8",
            ),
        ),
    ),
    Endpoint(
        "get",
        "/v2/sessions/{session_id}",
        "chat",
        "getSession",
        "chat",
        "A session: the last turns, the summary of older ones, expiry",
        "Send the `ETag` back as `If-None-Match` to get a `304` while nothing changed.",
        (
            Reply(
                200,
                "The session.",
                SessionOut,
                {
                    "session_id": EXAMPLE_SESSION,
                    "context_window": [TURN_OUT_EXAMPLE],
                    "summary": "",
                    "current_persona": "riri",
                    "turn_count": 1,
                    "expires_at": "2026-11-23T09:15:02.123456Z",
                },
                {
                    "ETag": ({"type": "string"}, "The version of this answer"),
                    "Cache-Control": ({"type": "string"}, "`private, no-cache`"),
                },
            ),
            Reply(
                304,
                "Not modified since the `ETag` sent (compared weakly: `W/` tags match too).",
                headers={
                    "ETag": ({"type": "string"}, "The version of the answer"),
                    "Cache-Control": ({"type": "string"}, "`private, no-cache`"),
                },
            ),
        ),
        errors=("session_not_found", "storage_unavailable"),
        params=(
            SESSION_PARAM,
            Param(
                "If-None-Match",
                "header",
                {"type": "string"},
                "An `ETag` from an earlier answer.",
                '"0f1e2d3c4b5a69788796a5b4c3d2e1f0"',
            ),
        ),
    ),
    Endpoint(
        "get",
        "/v2/sessions/{session_id}/turns",
        "chat",
        "listTurns",
        "chat",
        "The session's turns after an index (offline sync and history)",
        "Turns with `turn_index` > `after`, oldest first, at most `limit`; `next_after` is the "
        "`after` of the next page, `null` on the last one.",
        (
            Reply(
                200,
                "One page of turns.",
                TurnPage,
                {"session_id": EXAMPLE_SESSION, "turns": [TURN_OUT_EXAMPLE], "next_after": None},
            ),
        ),
        errors=("invalid_input", "session_not_found", "storage_unavailable"),
        error_examples={"invalid_input": ("'limit' must be between 1 and 200.", "limit")},
        params=(
            SESSION_PARAM,
            Param(
                "after",
                "query",
                {"type": "integer", "minimum": -1, "maximum": 10**9, "default": -1},
                "Only turns with a larger `turn_index` (-1: from the first).",
                -1,
            ),
            Param(
                "limit",
                "query",
                {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                "At most this many turns.",
                50,
            ),
        ),
    ),
    Endpoint(
        "post",
        "/api/chat/enhanced",
        "chat",
        "legacyChat",
        "legacy",
        "The earlier single-endpoint chat shape (existing web clients)",
        "`userId` must be the signed-in user's uid. An `Idempotency-Key` header makes retries "
        "safe; without one, a retry within two minutes is recognised by its content.",
        (
            Reply(
                200,
                "The reply in the earlier shape.",
                LegacyChatResponse,
                {
                    "success": True,
                    "sessionId": EXAMPLE_SESSION,
                    "response": TURN_EXAMPLE["reply"],
                    "persona": TURN_EXAMPLE["persona"],
                    "alternatives": TURN_EXAMPLE["alternatives"],
                    "safety": TURN_EXAMPLE["safety"],
                    "degraded": [],
                    "analysis": TURN_EXAMPLE["analysis"],
                },
            ),
        ),
        errors=("user_mismatch", *TURN_ERRORS),
        body=LegacyChatRequest,
        body_example={
            "userId": EXAMPLE_UID,
            "message": "How should I plan my week?",
            "sessionId": None,
            "enableAIAnalysis": True,
            "conversationHistory": [],
        },
        params=(
            Param(
                "Idempotency-Key",
                "header",
                {"type": "string"},
                "The same key returns the same turn.",
                "web-4f6c2a",
            ),
        ),
    ),
    Endpoint(
        "get",
        "/healthz",
        "chat",
        "health",
        "operations",
        "Each dependency's state and the features that degrade",
        "Public (the uptime check has no user). `503` when a dependency users' requests need "
        "is down: its body is the same report (not the error shape), naming what is down and "
        "what degrades. Pub/Sub or BigQuery alone down (events wait in the outbox; insights) is "
        "a `200` with status `degraded`.",
        (
            Reply(
                200,
                "Everything users need works (`degraded` names what waits, if anything).",
                HealthReport,
                {
                    "status": "ok",
                    "dependencies": {"firestore": {"ok": True, "latency_ms": 1.4}},
                    "degraded": [],
                },
            ),
            Reply(
                503,
                "A dependency is down: ask again after `Retry-After` seconds.",
                HealthReport,
                {
                    "status": "degraded",
                    "dependencies": {
                        "firestore": {"ok": True, "latency_ms": 1.4},
                        "persona_model": {"ok": False, "error": "ConnectError", "latency_ms": 3.2},
                    },
                    "degraded": ["persona_model"],
                },
                {"Retry-After": ({"type": "integer", "minimum": 0}, "Seconds to wait")},
            ),
        ),
        auth="none",
    ),
    Endpoint(
        "post",
        "/v2/feedback",
        "feedback",
        "submitFeedback",
        "feedback",
        "Rate a turn you own",
        "`up`, `down` or 1-5, with an optional comment. Idempotent per user and turn: the last "
        "rating stands and counts once.",
        (
            Reply(
                201,
                "The first rating of this turn.",
                FeedbackOut,
                {
                    "turn_id": EXAMPLE_TURN,
                    "session_id": EXAMPLE_SESSION,
                    "rating": "up",
                    "reward": 1.0,
                    "created": True,
                    "changed": True,
                },
            ),
            Reply(
                200,
                "A later rating of this turn: it replaces the stored one (`changed: true`), or "
                "repeats it, comment and all, and nothing changes (`changed: false`). A rating "
                "sent before the stored one (from another device) does not replace it: the answer "
                "carries the stored rating and reward, with `changed: false`.",
                FeedbackOut,
                {
                    "turn_id": EXAMPLE_TURN,
                    "session_id": EXAMPLE_SESSION,
                    "rating": "down",
                    "reward": 0.0,
                    "created": False,
                    "changed": True,
                },
            ),
        ),
        errors=("turn_not_found", "erasure_in_progress", "feedback_busy", "storage_unavailable"),
        error_examples={
            "invalid_input": (
                "'rating': Input should be 'up', 'down' or a whole number from 1 to 5.",
                "rating",
            )
        },
        body=FeedbackCreate,
        body_example={
            "turn_id": EXAMPLE_TURN,
            "session_id": EXAMPLE_SESSION,
            "rating": "up",
            "comment": "Exactly the push I needed.",
        },
    ),
    Endpoint(
        "get",
        "/v2/profile",
        "profile",
        "getProfile",
        "profile",
        "Your settings and what was learned about you",
        "",
        (Reply(200, "The profile.", ProfileOut, PROFILE_EXAMPLE),),
        errors=("storage_unavailable",),
    ),
    Endpoint(
        "patch",
        "/v2/profile",
        "profile",
        "updateProfile",
        "profile",
        "Change settings (only the fields sent change)",
        "",
        (
            Reply(
                200,
                "The profile after the change. A setting a later request set (this one's "
                "write landing after it) keeps that request's value, though this answer shows "
                "this request's.",
                ProfileOut,
                {
                    **PROFILE_EXAMPLE,
                    "settings": {
                        **PROFILE_EXAMPLE["settings"],
                        "retention_days": 30,
                        "timezone": "Europe/Berlin",
                        "quiet_hours": {"start": "22:00", "end": "07:30"},
                    },
                },
            ),
        ),
        errors=("erasure_in_progress", "storage_unavailable"),
        error_examples={"invalid_input": ("'timezone': not an IANA time zone.", "timezone")},
        body=ProfilePatch,
        body_example={
            "retention_days": 30,
            "timezone": "Europe/Berlin",
            "quiet_hours": {"start": "22:00", "end": "07:30"},
        },
    ),
    Endpoint(
        "delete",
        "/v2/profile",
        "profile",
        "eraseProfile",
        "profile",
        "Erase you everywhere",
        "Sessions, turns, feedback, preferences and devices go now; analytics rows through a "
        "pending erasure the cleanup job completes. While an erasure of yours is still running "
        "(the same request sent again), a `409` `erasure_in_progress`: retry after it.",
        (
            Reply(
                200,
                "What was deleted.",
                ProfileErased,
                {"erased": True, "deleted": {"sessions": 2, "turns": 9, "feedback": 3}},
            ),
        ),
        errors=("erasure_in_progress", "storage_unavailable"),
    ),
    Endpoint(
        "get",
        "/v2/profile/export",
        "profile",
        "exportProfile",
        "profile",
        "Everything stored about you",
        "Served as an attachment (`ion-export.json`). It reads everything stored about you, so "
        f"an instance takes {_BUDGET['export_burst']} from a user at once, then "
        f"{_BUDGET['exports_per_minute']:g} a minute (`EXPORT_BURST`, `EXPORTS_PER_MINUTE`): a "
        "`429` `rate_limited` says when to ask again. Streamed as it is read (chunked): a "
        "failure before the body starts is a `503`; one after it drops the connection before "
        "the body's end (the download fails, and what came is not valid JSON): ask again.",
        (
            Reply(
                200,
                "The export.",
                ProfileExport,
                {
                    "uid": EXAMPLE_UID,
                    "profile": {},
                    "effective_settings": PROFILE_EXAMPLE["settings"],
                    "learned_preferences": {},
                    "previous_learned_preferences": {},
                    "sessions": [],
                    "turns_without_session": [],
                    "feedback": [],
                    "devices": [],
                    "pending_notifications": [],
                    "push_notifications": [],
                    "recent_activity": {},
                    "analytics": {
                        "user_key": "9f2c4e…",
                        "note": "Analytics events about your use of the app are kept in "
                        "BigQuery under user_key, a pseudonymous key…",
                    },
                },
                {"Content-Disposition": ({"type": "string"}, "attachment")},
            ),
        ),
        errors=("rate_limited", "storage_unavailable"),
        error_examples={
            "rate_limited": ("You asked for an export a moment ago; try again in a minute.", None)
        },
    ),
    Endpoint(
        "post",
        "/v2/devices",
        "devices",
        "registerDevice",
        "devices",
        "Register this device's FCM token for push",
        "Call it on every app start, and whenever FCM hands the app a new token: a device not "
        "registered again for 30 days (`DEVICE_STALE_DAYS`) is removed and gets no more "
        "pushes. A refreshed token replaces the old one when `previous_token` names it; "
        "registering a known token again only moves its last-seen time (`200`).",
        (
            Reply(
                201,
                "Registered.",
                DeviceOut,
                {
                    "device_id": "9a0364b9e99bb480dd25e1f0284c8555",
                    "platform": "android",
                    "created_at": "2026-11-22T09:15:02.123456Z",
                    "last_seen_at": "2026-11-22T09:15:02.123456Z",
                    "created": True,
                },
            ),
            Reply(
                200,
                "Known already: last seen now.",
                DeviceOut,
                {
                    "device_id": "9a0364b9e99bb480dd25e1f0284c8555",
                    "platform": "android",
                    "created_at": "2026-11-20T08:00:00.000000Z",
                    "last_seen_at": "2026-11-22T09:15:02.123456Z",
                    "created": False,
                },
            ),
        ),
        errors=("erasure_in_progress", "storage_unavailable"),
        error_examples={
            "invalid_input": ("'platform': Input should be 'ios', 'android' or 'web'.", "platform")
        },
        body=DeviceCreate,
        body_example={"token": EXAMPLE_TOKEN, "platform": "android"},
    ),
    Endpoint(
        "delete",
        "/v2/devices/{token}",
        "devices",
        "removeDevice",
        "devices",
        "Stop push to a device (sign-out)",
        "Only your own devices; any other token is a `404`. So is one already removed: a "
        "DELETE sent again after its answer was lost gets `404` `device_not_found`; treat it "
        "as done (the device gets no more pushes either way).",
        (Reply(204, "Removed."),),
        errors=("invalid_input", "device_not_found", "storage_unavailable"),
        error_examples={"invalid_input": ("This is not an FCM registration token.", "token")},
        params=(
            Param(
                "token",
                "path",
                {"type": "string", "pattern": r"^[A-Za-z0-9_:.\-]{16,4096}$"},
                "The FCM registration token.",
                EXAMPLE_TOKEN,
                True,
            ),
        ),
    ),
    Endpoint(
        "get",
        "/v2/insights/metrics",
        "insights",
        "listMetrics",
        "insights",
        "The metrics there are and how to draw them (operators)",
        "",
        (
            Reply(
                200,
                "The metrics.",
                MetricIndex,
                {"metrics": [METRIC_EXAMPLE]},
            ),
        ),
        auth="operator",
    ),
    Endpoint(
        "get",
        "/v2/insights/metrics/{name}",
        "insights",
        "readMetric",
        "insights",
        "One metric's rows for a range of days (operators)",
        f"`to` defaults to today (UTC), `from` to the week ending at `to`; at most {MAX_DAYS} "
        "days. A metric computed from the events (the hourly service metrics among them) "
        f"starts {COMPLETE_DAYS} days ago at the earliest (retention deletes older events of "
        "some users) and says so in `note`.",
        (
            Reply(
                200,
                "The rows.",
                MetricRows,
                {
                    **METRIC_EXAMPLE,
                    "from": "2026-11-16",
                    "to": "2026-11-22",
                    "note": None,
                    "columns": ["day", "active_users", "sessions"],
                    "rows": [{"day": "2026-11-16", "active_users": 42, "sessions": 57}],
                },
            ),
        ),
        errors=(
            "invalid_input",
            "invalid_range",
            "metric_not_found",
            "analytics_unavailable",
            "metric_unavailable",
        ),
        error_examples={
            "invalid_input": (
                "'from': Input should be a valid date or datetime, input is too short.",
                "from",
            )
        },
        params=(
            Param(
                "name",
                "path",
                {"type": "string", "enum": sorted(METRICS)},
                "The metric.",
                "daily_active_users",
                True,
            ),
            Param(
                "from",
                "query",
                {"type": "string", "format": "date"},
                "First day (UTC).",
                "2026-11-16",
            ),
            Param(
                "to", "query", {"type": "string", "format": "date"}, "Last day (UTC).", "2026-11-22"
            ),
        ),
        auth="operator",
    ),
    *(
        Endpoint(
            "get",
            f"/v2/insights/{asset}",
            "insights",
            op_id,
            "insights",
            f"The operators' dashboard: {what}",
            "Public static file holding no data: the page reads the operator's token from the URL "
            "fragment and every number comes from the metrics API.",
            (
                Reply(
                    200,
                    what.capitalize() + ".",
                    media_type=media,
                    example=None,
                    headers={"Cache-Control": ({"type": "string"}, "`no-cache`")},
                ),
            ),
            auth="none",
        )
        for asset, op_id, what, media in (
            ("dashboard", "dashboardPage", "the page", "text/html"),
            ("dashboard.js", "dashboardScript", "its script", "text/javascript"),
            ("dashboard.css", "dashboardStyle", "its style sheet", "text/css"),
        )
    ),
)

TAGS = [
    {"name": "chat", "description": "Turns, sessions and sync"},
    {"name": "feedback", "description": "Ratings that teach the persona choice"},
    {"name": "profile", "description": "Settings, export and erasure"},
    {"name": "devices", "description": "Push notification tokens"},
    {"name": "insights", "description": "Operators only (custom claim `role: operator`)"},
    {"name": "legacy", "description": "The earlier shape, kept for existing web clients"},
    {"name": "operations", "description": "Health"},
]
