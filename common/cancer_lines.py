"""Cancer-support lines for work and money questions (data/cancer_support_resources.json), which
the end-of-life reply (common.end_of_life) and Gemini's end-of-life rule name and the reply vet
lets through: the locale's, read by the crisis lines' rules, or none."""

from __future__ import annotations

from pathlib import Path

from common.locale_lines import locale_lines

CANCER_FILE = Path(__file__).parent / "data" / "cancer_support_resources.json"


def cancer_lines(locale: str | None, *, default_locale: str) -> tuple[str, ...]:
    """The locale's cancer-support lines for work and money questions, or ()."""
    return locale_lines(CANCER_FILE, locale, default_locale=default_locale)
