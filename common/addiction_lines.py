"""Lines for recovery from alcohol or drugs (data/addiction_resources.json), for the reply to
a relapse or a risky choice: the locale's, read by the crisis lines' rules, or none."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from common.safety import lines_key

ADDICTION_FILE = Path(__file__).parent / "data" / "addiction_resources.json"


@cache
def _addiction() -> dict[str, tuple[str, ...]]:
    raw = json.loads(ADDICTION_FILE.read_text(encoding="utf-8"))
    return {k.lower(): tuple(v) for k, v in raw.items() if not k.startswith("_")}


def addiction_lines(locale: str | None, *, default_locale: str) -> tuple[str, ...]:
    """The request's locale's lines (lines_key's rules; the default locale when it names
    none); () when there are none for it."""
    key = lines_key(locale, default_locale=default_locale, table=_addiction)
    return _addiction().get(key, ())
