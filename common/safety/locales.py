"""A request's locale (its Accept-Language tag) and the entry of a table of lines it reads: the
exact locale, another language's entry for the same country, the language, then "default".
Every file of lines by locale is read by these rules, the crisis resources' and the others'."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from common.safety.tables import Table, _resources

UNDETERMINED = "und"  # BCP 47's tag for "a language was named, but not one we can read"


# A q of 0 in Accept-Language means "not acceptable" (RFC 9110 12.4.2): no locale of theirs.
_REFUSED = re.compile(r";\s*q\s*=\s*0(?:\.0{0,3})?\s*(?:;|$)", re.IGNORECASE)


def parse_locale(accept_language: str | None) -> str | None:
    """The first usable language tag of an Accept-Language header ("en-GB,en;q=0.8" ->
    "en-GB"), also as apps write it ("en_GB", "en_GB.UTF-8"); None when there is no header, and
    UNDETERMINED when there is one but no tag in it can be read ("*"): that user must not be
    taken for one in the default locale. A tag with q=0 is refused, not theirs. When the first
    names no country, a later tag of the same language that does is taken: browsers send the
    UI language first ("fr,fr-FR;q=0.8" -> "fr-FR"), and only the country has its helplines;
    another language's country is not the user's ("de,en-US" stays "de")."""
    if not accept_language or not accept_language.strip():
        return None
    tags = []
    for item in accept_language.split(","):
        if _REFUSED.search(item):
            continue
        tag = item.split(";")[0].strip().replace("_", "-").split(".")[0].split("@")[0]
        if 1 < len(tag) <= 35 and tag.replace("-", "").isalnum():
            tags.append(tag)
    if not tags:
        return UNDETERMINED
    first = tags[0]
    if _region(first) is None:
        language = first.split("-")[0].lower()
        for later in tags[1:]:
            if later.split("-")[0].lower() == language and _region(later):
                return later
    return first


def _region(locale: str) -> str | None:
    """The region subtag of a language tag: "en-Latn-GB" -> "gb", "es-419" -> "419"."""
    for part in locale.lower().split("-")[1:]:
        if len(part) == 1:  # an extension or private use ("-u-ca-gregory") follows
            return None
        if (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            return part
    return None


@cache
def _by_region(table: Callable[[], Table]) -> Table:
    """A table's keys by their region subtag ("gb": ("en-gb",)), once."""
    keys: dict[str, list[str]] = {}
    for key in sorted(table()):
        if region := _region(key):
            keys.setdefault(region, []).append(key)
    return {region: tuple(found) for region, found in keys.items()}


def resource_key(locale: str, table: Callable[[], Table] = _resources) -> str:
    """The entry of the resources (or of another table of lines, such as _violence) a locale
    reads: the exact locale; then another language's entry for the same country (a Spanish
    speaker in the US is better served by 988 than by a line for Spanish speakers in general);
    then the language; then "default", the global one."""
    entries = table()  # keyed in lowercase
    locale = locale.lower()
    language, region = locale.split("-")[0], _region(locale)
    same_country = _by_region(table).get(region, ()) if region else ()
    for candidate in (locale, f"{language}-{region}", *same_country, language):
        if candidate in entries:
            return candidate
    return "default"


def lines_key(
    locale: str | None,
    *,
    default_locale: str,
    language: str | None = None,
    table: Callable[[], Table] = _resources,
) -> str:
    """The entry of the resources (or of _violence) a request reads: resource_key of its
    locale, the default locale only when it names none. `language`, a crisis's as its patterns
    tell (Safety.language), comes first in the locale's country ("Quiero morir." under en-US:
    es-US, 988 in Spanish); then, where the request names a country, the locale's entries as
    ever (fr-CA's before en-CA's for Spanish in Canada); else the language's own (死にたい with
    no header: ja, not the default locale's en-US, whose country nothing says is theirs)."""
    own = locale or default_locale
    if language is None:
        return resource_key(own, table)
    region = _region(own)
    if region and f"{language}-{region}" in table():
        return f"{language}-{region}"
    if locale is not None and region:
        return resource_key(locale, table)
    return resource_key(language, table)


def entry_in(
    table: Callable[[], Table],
    locale: str | None,
    *,
    default_locale: str,
    language: str | None = None,
) -> str | None:
    """The entry of `table` the request's locale reads (lines_key's rules, the default locale
    only when it names none); None when there is none for it: a table of lines other than the
    crisis resources need not have a "default"."""
    key = lines_key(locale, default_locale=default_locale, language=language, table=table)
    return key if key in table() else None


def lines_in(
    table: Callable[[], Table],
    locale: str | None,
    *,
    default_locale: str,
    language: str | None = None,
) -> tuple[str, ...]:
    """The lines of `table` the request's locale reads (entry_in); () when there are none."""
    key = entry_in(table, locale, default_locale=default_locale, language=language)
    return table()[key] if key else ()
