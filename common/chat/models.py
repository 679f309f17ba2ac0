"""The chat API's request and response models (the contract in ARCHITECTURE.md)."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from common import formats
from common.labels import (
    PERSONA_IDS,
    EntityType,
    Intent,
    Pace,
    PersonaId,
    SentimentLabel,
    Tone,
)
from common.timestamps import Timestamp

ClientTurnId = Annotated[
    str,
    formats.pattern(
        r"^[A-Za-z0-9_-]{1,128}$",
        "must be 1 to 128 characters, each a letter A-Z or a-z, a digit, a hyphen or an underscore",
    ),
]
# Server-made session ids are 32 lowercase hex characters; nothing else can name a session.
SESSION_ID_PATTERN = r"^[a-f0-9]{32}$"
SessionId = Annotated[
    str, formats.pattern(SESSION_ID_PATTERN, "must be 32 characters, each a digit or a letter a-f")
]
# The label fields of a turn's answer are typed by their sets (common.labels), so the schema
# lists them: what a turn computes now is always in its set (the analysis and the ranking name
# only these labels). A persona id read back from a stored turn or session is typed for the
# schema only: reading does not refuse an id outside the set, as that would make a whole
# session unreadable (a 500).
StoredPersonaId = Annotated[str, WithJsonSchema({"type": "string", "enum": list(PERSONA_IDS)})]
MAX_MESSAGE_CHARS = 4000
# Letters that show nothing: the Hangul fillers and the Braille blank, which "invisible text"
# tools paste to send a message that looks empty.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _shows_nothing(c: str) -> bool:
    """Whitespace, a format character (U+200B, U+FEFF, U+200E...), a blank letter, or a mark
    that only changes the character before it (a variation selector, U+034F): marks alone,
    with no letter or symbol to sit on, show nothing either."""
    return c.isspace() or c in _BLANK_LETTERS or unicodedata.category(c) in ("Cf", "Mn")


def clean_message(value: str) -> str:
    """Trim; refuse empty (nothing but invisible characters counts as empty), over-long, and
    control characters (C0, DEL and C1: a C1 CSI starts a terminal escape) other than newlines
    and tabs."""
    value = value.strip()
    if all(_shows_nothing(c) for c in value):
        raise ValueError("the message is empty")
    if len(value) > MAX_MESSAGE_CHARS:
        raise ValueError(f"the message is longer than {MAX_MESSAGE_CHARS} characters")
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t\r" for c in value):
        raise ValueError("the message contains control characters")
    return value


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TurnCreate(StrictBody):
    session_id: SessionId | None = None
    client_turn_id: ClientTurnId
    message: str
    persona: PersonaId | None = Field(
        None,
        description='The persona the user chose: it answers (its reason: "You asked for '
        'Riri."), except on a crisis turn and the care turns after one, which the care '
        'persona answers. Null: the one asked for in the message ("can I talk to Riri?"), '
        "else the one asked for earlier in the session, here or in a message, unless the "
        'message says no to it ("not Riri again"), else the best fit.',
    )
    stream: bool = False

    _clean = field_validator("message")(clean_message)


class HistoryItem(BaseModel):
    """An earlier message of the conversation, as an old client keeps it."""

    # Only the history's length is used (in the legacy retry key), so whatever old clients send
    # passes: their own roles, extra fields, a null content, replies of any length. The body
    # limit bounds it.
    model_config = ConfigDict(extra="ignore")

    role: Any = None
    content: Any = None


class LegacyChatRequest(StrictBody):
    """The earlier single-endpoint shape kept for existing web clients."""

    model_config = ConfigDict(extra="ignore", strict=True)  # old clients send extra fields

    userId: str = Field(min_length=1, max_length=128)  # noqa: N815 - the old wire names
    message: str
    sessionId: SessionId | None = None  # noqa: N815
    enableAIAnalysis: bool = True  # noqa: N815
    conversationHistory: list[HistoryItem] = Field(default_factory=list)  # noqa: N815

    _clean = field_validator("message")(clean_message)


class PersonaChoice(BaseModel):
    id: PersonaId
    name: str
    score: float
    reasons: list[str] = []


class Alternative(BaseModel):
    id: PersonaId
    name: str
    score: float


class LabelScore(BaseModel):
    """A signal's most likely label; each signal's subclass names its label set."""

    label: str
    confidence: float


class ToneScore(LabelScore):
    label: Tone


class PaceScore(LabelScore):
    label: Pace


class IntentScore(LabelScore):
    label: Intent


class SentimentOut(BaseModel):
    label: SentimentLabel
    score: float


class EntityOut(BaseModel):
    text: str
    type: EntityType


class AnalysisOut(BaseModel):
    sentiment: SentimentOut
    tone: ToneScore
    pace: PaceScore
    intent: IntentScore
    entities: list[EntityOut] = Field(
        description="What the message names (dates, durations, money, organisations, tools, "
        "roles), as typed, in order. Read as English text: in another language mostly only "
        "amounts and well-known names are found."
    )


class SafetyOut(BaseModel):
    crisis: bool
    resources: list[str]


class TurnResponse(BaseModel):
    session_id: str
    turn_id: str
    turn_index: int
    persona: PersonaChoice
    alternatives: list[Alternative]
    reply: str
    analysis: AnalysisOut
    safety: SafetyOut
    degraded: list[str] = Field(
        description="What this answer lacks, and why: `persona_model` (the persona model did not "
        "answer: the lexicon read the message), `reply_generator` (Gemini failed: the template "
        "wrote the reply), `not_stored` (a crisis reply given while storage refused the turn: "
        "nothing of it was kept; its `turn_index` is provisional: a stored turn, from this device "
        "or another, may take the same index). Empty when nothing is missing."
    )


class TurnOut(BaseModel):
    turn_id: str
    turn_index: int
    message: str
    reply: str
    persona: StoredPersonaId
    created_at: Timestamp


class SessionOut(BaseModel):
    session_id: str
    context_window: list[TurnOut]
    summary: str = Field(
        description="Notes on the turns older than the window, for the reply model: English, "
        "in its words (what they tried, names, topics, tone labels). Not meant for display."
    )
    current_persona: StoredPersonaId | None
    turn_count: int
    expires_at: Timestamp


class TurnPage(BaseModel):
    session_id: str
    turns: list[TurnOut]
    next_after: int | None
