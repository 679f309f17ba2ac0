"""Lines for carers and for new parents (data/carer_resources.json, a section each), for the
replies to a carer's strain and to low mood after a birth: the locale's, read by the crisis
lines' rules, or none."""

from __future__ import annotations

from pathlib import Path

from common.locale_lines import locale_lines

CARER_FILE = Path(__file__).parent / "data" / "carer_resources.json"


def carer_lines(locale: str | None, *, default_locale: str) -> tuple[str, ...]:
    """The request's locale's lines for carers (lines_key's rules; the default locale when it
    names none); () when there are none for it."""
    return locale_lines(CARER_FILE, locale, default_locale=default_locale, section="carers")


def new_parent_lines(locale: str | None, *, default_locale: str) -> tuple[str, ...]:
    """The request's locale's lines for new parents, as carer_lines."""
    return locale_lines(CARER_FILE, locale, default_locale=default_locale, section="new_parents")
