"""Reply generation: persona-voiced replies from templates (offline) or Gemini."""

from __future__ import annotations

from typing import TYPE_CHECKING

from common.replies.gemini import GeminiGenerator
from common.replies.prompt import Prompt, PromptBuilder, render_summary
from common.replies.template import TemplateGenerator
from common.replies.types import (
    ContextTurn,
    GenerationError,
    ReplyRequest,
    ResponseGenerator,
    Restart,
    WithheldForSafety,
)

if TYPE_CHECKING:
    from common.config import Settings

__all__ = [
    "ContextTurn",
    "GeminiGenerator",
    "GenerationError",
    "Prompt",
    "PromptBuilder",
    "ReplyRequest",
    "ResponseGenerator",
    "Restart",
    "TemplateGenerator",
    "WithheldForSafety",
    "make_generator",
    "render_summary",
]


def make_generator(settings: Settings) -> ResponseGenerator:
    """The generator that `settings.response_generator` names ("template" or "gemini")."""
    kind = settings.response_generator
    if kind == "template":
        return TemplateGenerator()
    if kind == "gemini":
        return GeminiGenerator(
            project=settings.google_cloud_project,
            location=settings.gemini_location,
            model=settings.gemini_model,
            base_url=settings.gemini_base_url,
            timeout_seconds=settings.gemini_timeout_seconds,
            max_output_tokens=settings.gemini_max_output_tokens,
            thinking_level=settings.gemini_thinking_level,
        )
    raise ValueError(f"unknown response generator {kind!r}")
