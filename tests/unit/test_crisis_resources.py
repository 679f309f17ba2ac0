"""The crisis resources themselves (common/data/crisis_resources.json), as users read them."""

import json
import re

import pytest

from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.safety import (
    CRISIS_REPLIES,
    RESOURCES_FILE,
    crisis_reply,
    parse_locale,
    resource_key,
    resources_for,
)
from tests.fakes import turns
from tests.fakes.turns import NOW


def _lines(locale: str | None) -> tuple[str, ...]:
    return resources_for(locale, default_locale="en-US")


def test_a_user_in_japan_is_first_given_a_japanese_line_open_all_night():
    # ja-JP had only TELL: in English, 9-23 (the resources review).
    first = _lines("ja-JP")[0]
    assert "0120-279-338" in first and "24時間" in first


def test_a_japanese_locale_with_no_region_gets_japans_lines_labelled_as_japans():
    # Chrome with a Japanese interface sends "ja,en-US;q=0.9": it named no number at all.
    lines = _lines("ja")
    japan = [line for line in lines if line.startswith("日本国内")]
    assert any("119" in line for line in japan) and any("0120-279-338" in line for line in japan)
    assert any("findahelpline.com" in line for line in lines)  # for the few elsewhere


# Each country's emergency numbers (any one of them in a line will do): an entry for a
# country must carry one, and a new country's entry needs its row here.
EMERGENCY = {
    "us": ("911",),
    "ca": ("911", "9-1-1"),  # Canada writes 9-1-1
    "mx": ("911",),
    "gb": ("999",),
    "ie": ("112", "999"),
    "au": ("000",),
    "in": ("112",),
    "de": ("112",),
    "fr": ("112", "15"),
    "es": ("112",),
    "jp": ("119",),
    "br": ("192",),
    "pt": ("112",),
    "at": ("112", "144"),  # 144: Rettung
    "ch": ("112", "144"),  # 144: ambulance
    "be": ("112",),
    "nz": ("111",),
    "nl": ("112",),
}
# The country as each country entry names it: a user whose request sends no Accept-Language
# reads SAFETY_DEFAULT_LOCALE's list, and must know whose emergency number it is.
COUNTRY = {
    "en-US": "in the US",
    "en-CA": "in Canada",
    "en-GB": "in the UK",
    "en-IE": "in Ireland",
    "en-AU": "in Australia",
    "en-IN": "in India",
    "de-DE": "in Deutschland",
    "fr-FR": "en France",
    "es-ES": "en España",
    "ja-JP": "日本国内",
    "es-US": "en EE. UU.",
    "fr-CA": "au Canada",
    "es-MX": "en México",
    "pt-BR": "no Brasil",
    "pt-PT": "em Portugal",
    "de-AT": "in Österreich",
    "de-CH": "in der Schweiz",
    "fr-CH": "en Suisse",
    "fr-BE": "en Belgique",
    "en-NZ": "in New Zealand",
    "nl-BE": "in Belgium",
    "nl-NL": "in the Netherlands",
}
KEY = re.compile(r"[a-z]{2,3}(-([a-z]{2}|[0-9]{3}))?")  # language[-REGION], as resource_key reads


def _table() -> dict[str, list[str]]:
    raw = json.loads(RESOURCES_FILE.read_text(encoding="utf-8"))
    return {key: lines for key, lines in raw.items() if not key.startswith("_")}


@pytest.mark.parametrize("key", sorted(_table()))
def test_every_entry_is_well_formed(key):
    lines = _table()[key]
    assert key == "default" or KEY.fullmatch(key.lower()), key
    assert lines and all(isinstance(line, str) and line.strip() for line in lines)


def _emergency_lines(key: str) -> list[str]:
    """The lines of a country entry with its emergency number, as a whole number: not the 911
    inside a line's own "800 911 2000"."""
    region = key.lower().split("-")[1]
    assert region in EMERGENCY, f"{key}: add its country's emergency numbers to EMERGENCY"
    number = re.compile(rf"(?<!\d)(?<!\d )({'|'.join(EMERGENCY[region])})(?! ?\d)")
    return [line for line in _table()[key] if number.search(line)]


@pytest.mark.parametrize("key", sorted(k for k in _table() if "-" in k))
def test_every_country_entry_carries_its_emergency_number(key):
    assert _emergency_lines(key)


@pytest.mark.parametrize("key", sorted(k for k in _table() if "-" in k))
def test_every_country_entrys_emergency_line_names_its_country(key):
    # en-US, the default locale's, said "call 911" to anyone, without saying it is the US's.
    assert key in COUNTRY, f"{key}: add how its lines name its country to COUNTRY"
    assert all(COUNTRY[key] in line for line in _emergency_lines(key))


@pytest.mark.parametrize("key", sorted(k for k in _table() if "-" not in k))
def test_every_language_entry_and_the_default_say_where_to_find_a_local_line(key):
    # A language entry is read in every country that speaks it.
    assert any("findahelpline.com" in line for line in _table()[key])


@pytest.mark.parametrize(
    ("locale", "says"),
    [
        ("default", ("112 in Europe", "911 in the US and Canada")),  # not all the Americas
        ("es", ("112 en Europa", "911 en gran parte de América")),  # most speak it in America
        ("fr", ("112 en Europe", "911 au Canada")),
        ("pt", ("112 na Europa", "192 no Brasil")),
    ],
)
def test_a_global_emergency_number_is_given_with_where_it_is_one(locale, says):
    # It said "112 in most countries": 112 is Europe's, not most countries'.
    line = _table()[locale][0]
    assert all(s in line for s in says), line


@pytest.mark.parametrize("key", ["en-CA", "fr-CA"])
def test_canadas_numbers_are_written_as_canada_writes_them(key):
    # The translations review: Canada's services write 9-8-8 and 9-1-1 (CAMH).
    lines = " ".join(_table()[key])
    assert "9-8-8" in lines and "9-1-1" in lines
    assert not re.search(r"(?<![\d-])(?:988|911)(?![\d-])", lines)


def test_the_list_names_only_what_answers_now_no_email():
    # en-GB listed Samaritans' email, whose replies can take a while; the list is for now.
    assert [line for lines in _table().values() for line in lines if "@" in line] == []


@pytest.mark.parametrize(
    ("locale", "key"),
    [
        ("es-US", "es-us"),  # 988 in Spanish, no longer in English
        ("fr-CA", "fr-ca"),
        ("es-MX", "es-mx"),  # Mexico's own, no longer the generic Spanish lines
        ("pt-BR", "pt-br"),
        ("de-US", "en-us"),  # a country with no entry in the language: still its country's
        ("en-MX", "es-mx"),
        ("es-419", "es"),  # Latin America: no country, the language's
        ("pt-PT", "pt-pt"),  # not Brazil's: Portugal's own
    ],
)
def test_the_entries_for_spanish_in_the_us_french_in_canada_mexico_and_brazil_are_read(locale, key):
    assert resource_key(locale) == key


def test_a_spanish_speaker_in_the_us_is_told_how_to_reach_988_in_spanish():
    assert any("marca 2" in line and "988" in line for line in _lines("es-US"))


@pytest.mark.parametrize(
    ("header", "key", "line"),
    [
        ("de-AT", "de-at", "TelefonSeelsorge in Österreich: 142"),
        ("de,de-AT;q=0.8", "de-at", "TelefonSeelsorge in Österreich: 142"),  # a browser in German
        ("de-CH,de;q=0.9", "de-ch", "Die Dargebotene Hand in der Schweiz: 143"),
        ("fr-CH", "fr-ch", "La Main Tendue au 143 (Suisse"),
        ("fr-BE", "fr-be", "Centre de Prévention du Suicide au 0800 32 123 (Belgique"),
        ("en-NZ", "en-nz", "Need to talk? Call or text 1737 (New Zealand"),
        # Dutch speakers: Flanders' own line, not the French-speaking one next to it
        ("nl-BE", "nl-be", "Zelfmoordlijn on 1813 (Belgium, in Dutch"),
        ("nl-NL", "nl-nl", "113 Zelfmoordpreventie on 0800-0113"),
        ("nl,nl-NL;q=0.8", "nl-nl", "113 Zelfmoordpreventie on 0800-0113"),
    ],
)
def test_austria_switzerland_belgium_and_new_zealand_get_their_own_lines(header, key, line):
    # They got their language's entry: no national line, no national emergency number.
    locale = parse_locale(header)
    assert resource_key(locale) == key
    assert any(line in r for r in _lines(locale))


@pytest.mark.parametrize(
    ("header", "message", "language"),
    [
        ("de-AT", "ich will nicht mehr leben", "de"),
        ("de-CH,de;q=0.9", "ich will nicht mehr leben", "de"),
        ("fr-CH", "je veux mourir", "fr"),
        ("fr-BE", "je veux mourir", "fr"),
        ("en-NZ", "I want to kill myself", "en"),
    ],
)
def test_a_crisis_turn_in_each_of_those_countries_lists_its_lines_in_its_language(
    header, message, language
):
    # Through the chat service, as the user reads it: the first crisis reply in their language
    # around their country's lines, the lines shown being those the turn reports.
    ports = turns.turn_ports(turns.ActivityStore(), settings=Settings())
    body = TurnCreate(client_turn_id="t1", message=message)
    locale = parse_locale(header)
    said, _ = service.take_turn(uid="u1", body=body, now=NOW, locale=locale, **ports)
    resources = said["safety"]["resources"]
    assert said["safety"]["crisis"] and tuple(resources) == _lines(locale)
    assert said["reply"] == crisis_reply(_lines(locale), language=language)
    assert said["reply"].endswith(f" {CRISIS_REPLIES[language][2]}")  # its question
    assert not any("findahelpline" in r for r in resources)  # their own lines, not the directory


def test_every_entry_has_a_row_in_the_operations_table_of_when_it_was_checked():
    # docs/OPERATIONS.md, "Crisis resources": numbers must be re-checked by a person.
    operations = RESOURCES_FILE.parents[2] / "docs" / "OPERATIONS.md"
    section = operations.read_text(encoding="utf-8").split("## Crisis resources", 1)[1]
    rows = [line for line in section.split("\n## ")[0].splitlines() if line.startswith("| `")]
    listed = {key for row in rows for key in re.findall(r"`([^`]+)`", row.split("|")[1])}
    assert set(_table()) <= listed
