"""Lines by locale kept in a data file (common/data/*_resources.json: recovery, loneliness,
cancer support, carers, rights at work), or in one section of one, read as the helpline tables
are (common.safety.tables.read_table, common.safety.locales.lines_in): the locale's, or none."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from common.safety.locales import lines_in
from common.safety.tables import Table, read_table


@cache
def _table(path: Path, section: str | None) -> Callable[[], Table]:
    """The file's table (or its `section`'s) as lines_key reads it: one callable per file and
    section, so that its cache of the table's regions is made once."""

    @cache
    def read() -> Table:
        return read_table(path, section)

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
    return lines_in(_table(path, section), locale, default_locale=default_locale, language=language)
