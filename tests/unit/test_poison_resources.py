"""The lines for poisoning and urgent medical advice (common/data/poison_resources.json): the
emergency review found none, so "my kid swallowed a battery" could be told no poison line, and a
model's right "Call Poison Control at 1-800-222-1222" was refused as a number no resource names."""

import json
import re

import pytest

from common import safety, warmup
from common.safety import POISON_FILE, poison_key, poison_resources_for


def _table() -> dict[str, list[str]]:
    raw = json.loads(POISON_FILE.read_text(encoding="utf-8"))
    return {key: lines for key, lines in raw.items() if not key.startswith("_")}


# How each country entry's line names its country (a user with no Accept-Language reads the
# default locale's, and must know whose number it is).
COUNTRY = {
    "en-US": "(US)",
    "es-US": "(EE. UU.)",
    "en-CA": "(Canada)",
    "fr-CA": "(Canada)",
    "en-GB": "(UK)",
    "en-IE": "(Ireland)",
    "en-AU": "(Australia)",
    "en-NZ": "(New Zealand)",
    "de-AT": "in Österreich",
    "de-CH": "in der Schweiz",
    "fr-CH": "(Suisse)",
    "fr-BE": "(Belgique)",
    "nl-BE": "(Belgium)",
    "es-ES": "(España)",
    "pt-BR": "(Brasil)",
    "pt-PT": "(Portugal)",
    "ja-JP": "日本中毒情報センター",
}


@pytest.mark.parametrize("key", sorted(_table()))
def test_every_poison_entry_is_one_line_with_a_number_and_no_emergency_line(key):
    (line,) = _table()[key]  # one line an entry: the reply stays short
    assert re.search(r"\d[\d -]{1,}\d", line), line  # a number to dial
    assert not safety._EMERGENCY.search(line)  # the crisis list's emergency line stays first


@pytest.mark.parametrize("key", sorted(k for k in _table() if "-" in k))
def test_every_country_entry_names_its_country(key):
    assert key in COUNTRY, f"{key}: add how its line names its country to COUNTRY"
    assert COUNTRY[key] in _table()[key][0]


def test_a_language_entry_names_the_country_of_its_number():
    assert [k for k in _table() if "-" not in k] == ["ja"]
    assert _table()["ja"][0].startswith("日本国内")


@pytest.mark.parametrize(
    ("locale", "key"),
    [
        ("en-US", "en-us"),
        (None, "en-us"),  # no Accept-Language: the default locale's
        ("es-US", "es-us"),
        ("de-US", "en-us"),  # the country's, in another language
        ("en-GB", "en-gb"),  # NHS 111
        ("ja", "ja"),
        ("de-DE", None),  # regional poison centres only: none listed
        ("fr-FR", None),
        ("en", None),
    ],
)
def test_the_poison_lines_are_read_by_the_crisis_resources_rules(locale, key):
    assert poison_key(locale, default_locale="en-US") == key
    assert bool(poison_resources_for(locale, default_locale="en-US")) == (key is not None)


def test_every_poison_entry_has_a_row_in_the_operations_table():
    operations = POISON_FILE.parents[2] / "docs" / "OPERATIONS.md"
    text = operations.read_text(encoding="utf-8")
    section = text.split("## Lines for poisoning and urgent medical advice", 1)[1]
    rows = [line for line in section.split("\n## ")[0].splitlines() if line.startswith("| `")]
    listed = {key for row in rows for key in re.findall(r"`([^`]+)`", row.split("|")[1])}
    assert set(_table()) <= listed


def test_the_warm_up_reads_the_poison_lines():
    safety._poison.cache_clear()
    try:
        warmup.load_for_turns(gemini=False)
        assert safety._poison.cache_info().currsize == 1
    finally:
        safety._poison.cache_clear()
