"""Lines by locale kept in a data file (common/data/*_resources.json: recovery, loneliness,
cancer support), read by the crisis lines' rules (common.safety.lines_key): the locale's, or
none."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

from common.safety import Table, lines_key


@cache
def _table(path: Path) -> Callable[[], Table]:
    """The file's table as lines_key reads it: one callable per file, so that its cache of
    the table's regions is made once."""

    @cache
    def read() -> Table:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {k.lower(): tuple(v) for k, v in raw.items() if not k.startswith("_")}

    return read


def locale_lines(path: Path, locale: str | None, *, default_locale: str) -> tuple[str, ...]:
    """The lines of the request's locale in the file at `path` (lines_key's rules; the default
    locale when it names none); () when there are none for it."""
    table = _table(path)
    return table().get(lines_key(locale, default_locale=default_locale, table=table), ())
