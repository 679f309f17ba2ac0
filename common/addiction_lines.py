"""Lines for recovery from alcohol or drugs (data/addiction_resources.json), for the reply to
a relapse or a risky choice: the locale's, read by the crisis lines' rules, or none."""

from __future__ import annotations

from pathlib import Path

from common.locale_lines import locale_lines

ADDICTION_FILE = Path(__file__).parent / "data" / "addiction_resources.json"


def addiction_lines(locale: str | None, *, default_locale: str) -> tuple[str, ...]:
    """The request's locale's lines (lines_key's rules; the default locale when it names
    none); () when there are none for it."""
    return locale_lines(ADDICTION_FILE, locale, default_locale=default_locale)
