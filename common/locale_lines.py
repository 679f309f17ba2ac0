"""Lines by locale kept in a data file (common/data/*_resources.json: recovery, loneliness,
cancer support, carers, rights at work), or in one section of one, read by the crisis lines'
rules (common.safety.lines_key): the locale's, or none."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

from common.safety import Table, lines_key


@cache
def _table(path: Path, section: str | None) -> Callable[[], Table]:
    """The file's table (or its `section`'s) as lines_key reads it: one callable per file and
    section, so that its cache of the table's regions is made once."""

    @cache
    def read() -> Table:
        raw = json.loads(path.read_text(encoding="utf-8"))
        entries = raw if section is None else raw[section]
        return {k.lower(): tuple(v) for k, v in entries.items() if not k.startswith("_")}

    return read


def locale_lines(
    path: Path,
    locale: str | None,
    *,
    default_locale: str,
    section: str | None = None,
    language: str | None = None,
) -> tuple[str, ...]:
    """The lines of the request's locale in the file at `path`, or in its `section` (lines_key's
    rules, `language` a crisis's; the default locale when it names none); () when there are
    none for it."""
    table = _table(path, section)
    key = lines_key(locale, default_locale=default_locale, language=language, table=table)
    return table().get(key, ())
