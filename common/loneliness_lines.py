"""Befriending and support lines for lonely or isolated people (data/loneliness_resources.json),
which the template's connection step and Gemini's loneliness rule name and the reply vet lets
through: the locale's, read by the crisis lines' rules, or none."""

from __future__ import annotations

from pathlib import Path

from common.locale_lines import locale_lines

LONELINESS_FILE = Path(__file__).parent / "data" / "loneliness_resources.json"


def loneliness_lines(locale: str | None, *, default_locale: str) -> tuple[str, ...]:
    """The request's locale's lines (lines_key's rules; the default locale when it names
    none); () when there are none for it."""
    return locale_lines(LONELINESS_FILE, locale, default_locale=default_locale)
