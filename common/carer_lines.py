"""Lines for carers and for new parents (data/carer_resources.json), for the replies to a
carer's strain and to low mood after a birth: the locale's, read by the crisis lines' rules, or
none."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from common.safety import lines_key

CARER_FILE = Path(__file__).parent / "data" / "carer_resources.json"


def _section(name: str) -> dict[str, tuple[str, ...]]:
    raw = json.loads(CARER_FILE.read_text(encoding="utf-8"))[name]
    return {k.lower(): tuple(v) for k, v in raw.items()}


@cache
def _carers() -> dict[str, tuple[str, ...]]:
    return _section("carers")


@cache
def _new_parents() -> dict[str, tuple[str, ...]]:
    return _section("new_parents")


def carer_lines(locale: str | None, *, default_locale: str) -> tuple[str, ...]:
    """The request's locale's lines for carers (lines_key's rules; the default locale when it
    names none); () when there are none for it."""
    key = lines_key(locale, default_locale=default_locale, table=_carers)
    return _carers().get(key, ())


def new_parent_lines(locale: str | None, *, default_locale: str) -> tuple[str, ...]:
    """The request's locale's lines for new parents, as carer_lines."""
    key = lines_key(locale, default_locale=default_locale, table=_new_parents)
    return _new_parents().get(key, ())
