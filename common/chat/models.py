"""The chat API's request and response models (the contract in ARCHITECTURE.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

ClientTurnId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,128}$")]
# Server-made session ids are 32 lowercase hex characters; nothing else can name a session.
SESSION_ID_PATTERN = r"^[a-f0-9]{32}$"
SessionId = Annotated[str, StringConstraints(pattern=SESSION_ID_PATTERN)]
PersonaId = Literal["lua", "riri", "elro", "nana"]
MAX_MESSAGE_CHARS = 4000


def clean_message(value: str) -> str:
    """Trim; refuse empty, over-long and control characters other than newlines and tabs."""
    value = value.strip()
    if not value:
        raise ValueError("the message is empty")
    if len(value) > MAX_MESSAGE_CHARS:
        raise ValueError(f"the message is longer than {MAX_MESSAGE_CHARS} characters")
    if any(ord(c) < 32 and c not in "\n\t\r" for c in value) or "\x7f" in value:
        raise ValueError("the message contains control characters")
    return value


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TurnCreate(StrictBody):
    session_id: SessionId | None = None
    client_turn_id: ClientTurnId
    message: str
    persona: PersonaId | None = None
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
    id: str
    name: str
    score: float
    reasons: list[str] = []


class Alternative(BaseModel):
    id: str
    name: str
    score: float


class LabelScore(BaseModel):
    label: str
    confidence: float


class SentimentOut(BaseModel):
    label: str
    score: float


class EntityOut(BaseModel):
    text: str
    type: str


class AnalysisOut(BaseModel):
    sentiment: SentimentOut
    tone: LabelScore
    pace: LabelScore
    intent: LabelScore
    entities: list[EntityOut]


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
    degraded: list[str]


class TurnOut(BaseModel):
    turn_id: str
    turn_index: int
    message: str
    reply: str
    persona: str
    created_at: str


class SessionOut(BaseModel):
    session_id: str
    context_window: list[TurnOut]
    summary: str
    current_persona: str | None
    turn_count: int
    expires_at: str


class TurnPage(BaseModel):
    session_id: str
    turns: list[TurnOut]
    next_after: int | None
