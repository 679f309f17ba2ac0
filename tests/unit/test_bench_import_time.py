"""The cold-start benchmark measures what production runs (benchmarks/import_time.py)."""

from __future__ import annotations

from benchmarks import import_time


def test_chat_is_measured_with_productions_gemini_replies_too() -> None:
    rows = {name: (path, config) for name, path, config in import_time.targets()}
    chat, template = rows["functions/chat"]
    assert template == {}  # the local stack's default: template replies
    assert rows["functions/chat (gemini)"] == (chat, {"RESPONSE_GENERATOR": "gemini"})
