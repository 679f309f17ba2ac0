"""The crisis reply speaks the language the crisis was written in, with the lines for that
language in the user's country (the fairness review: "Quiero morir." under en-US, or with no
Accept-Language, got the English reply and the English 988 line, though es-US has "Llama al
988 y marca 2"; 死にたい with no header got English too)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from common.analysis import with_model
from common.analysis.safety import crisis_language, matched_patterns
from common.analysis.types import Distribution
from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.errors import RateLimited
from common.model_client import ModelPrediction
from common.replies.prompt import resource_line
from common.safety import (
    CARE_LIMITED,
    CARE_REASONS,
    CRISIS_REPLIES,
    crisis_reply,
    lines_key,
    resources_for,
)
from tests.fakes import turns
from tests.fakes.turns import NOW
from tests.unit import test_safety_languages

DEFAULT = Settings().safety_default_locale  # en-US


def _turns(
    messages: list[str], locale: str | None, analyze=turns.analyze_offline
) -> tuple[list[dict], list[dict]]:
    """The responses to `messages` in one session, and their crisis events' data."""
    ports = turns.turn_ports(turns.ActivityStore(), analyze=analyze, settings=Settings())
    said, session_id = [], None
    for minute, message in enumerate(messages):
        body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
        now = NOW + timedelta(minutes=minute)
        response, _ = service.take_turn(uid="u1", body=body, now=now, locale=locale, **ports)
        said.append(response)
        session_id = response["session_id"]
    events = [e.data for e in ports["publisher"].events if e.type == "safety.crisis_detected"]
    return said, events


def _lines(locale: str | None, language: str | None = None) -> tuple[str, ...]:
    return resources_for(locale, default_locale=DEFAULT, language=language)


def _turn(store, message: str, at, session_id=None, generator=None) -> dict:
    """One turn of an en-US phone; its response."""
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
    ports = turns.turn_ports(store, **({"generator": generator} if generator else {}))
    response, _ = service.take_turn(uid="u1", body=body, now=at, locale="en-US", **ports)
    return response


@pytest.mark.parametrize("locale", ["en-US", None])
def test_a_crisis_in_spanish_under_an_english_locale_is_answered_in_spanish_with_988_in_spanish(
    locale,
):
    (said,), (event,) = _turns(["Quiero morir."], locale)
    resources = tuple(said["safety"]["resources"])
    assert any("marca 2" in line for line in resources), resources
    assert said["reply"] == crisis_reply(resources, language="es")
    assert said["reply"].endswith(CRISIS_REPLIES["es"][2])  # "¿Estás a salvo ahora mismo?"
    assert said["persona"]["reasons"] == [CARE_REASONS["es"]]
    assert (event["reply_language"], event["resources_key"]) == ("es", "es-us")
    # With no header nothing says they live in the US: the directory of every country's lines.
    assert any("findahelpline" in line for line in resources) is (locale is None)


def test_a_no_to_the_spanish_question_is_answered_in_spanish():
    (_, answer), _ = _turns(["Quiero morir.", "no"], "en-US")
    assert answer["safety"]["crisis"] is True
    assert answer["reply"].startswith("Gracias por responderme.")


# The care turns after it: the reply's language review (the calm 429 in care and the lines a
# care turn reminds of were the locale's, 988 in English, after the Spanish crisis reply).
def test_the_care_turns_after_a_spanish_crisis_name_the_spanish_lines():
    store, model = turns.ActivityStore(), turns.RecordingGenerator()
    crisis = _turn(store, "Quiero morir.", NOW)
    care = _turn(
        store, "sí, estoy en casa", NOW + timedelta(minutes=1), crisis["session_id"], model
    )
    (asked,) = model.asked
    assert care["safety"]["crisis"] is False and asked.care
    assert asked.care_resources == _lines("en-US", "es") == tuple(crisis["safety"]["resources"])
    assert care["persona"]["reasons"] == [CARE_REASONS["es"]]


def test_care_after_a_spanish_no_names_the_spanish_lines_in_a_new_session_and_its_429():
    store, model = turns.ActivityStore(), turns.RecordingGenerator()
    start = NOW - timedelta(hours=2)  # past the hour that lifts the minute's limit
    crisis = _turn(store, "Quiero morir.", start)
    _turn(store, "no", start + timedelta(minutes=1), crisis["session_id"])
    new = _turn(store, "hola", NOW - timedelta(seconds=4), generator=model)
    assert model.asked[-1].care and model.asked[-1].care_resources == _lines("en-US", "es")
    assert new["persona"]["reasons"] == [CARE_REASONS["es"]]
    minute = Settings().anomaly_burst_minute_max
    for i in range(minute - 1):  # with "hola", the minute's turns
        _turn(store, f"estoy aqui {i}", NOW + timedelta(seconds=3 * i), new["session_id"])
    with pytest.raises(RateLimited) as refused:
        _turn(store, "sigo aqui", NOW + timedelta(seconds=3 * (minute - 1)), new["session_id"])
    assert str(refused.value) == CARE_LIMITED.format(listed=resource_line(_lines("en-US", "es")))


def test_a_later_crisis_in_english_replaces_the_spanish_lines_of_care():
    store, model = turns.ActivityStore(), turns.RecordingGenerator()
    first = _turn(store, "Quiero morir.", NOW)
    _turn(store, "no", NOW + timedelta(minutes=1), first["session_id"])
    other = _turn(store, "I want to die", NOW + timedelta(hours=1))
    _turn(store, "no", NOW + timedelta(hours=1, minutes=1), other["session_id"])
    _turn(store, "hi", NOW + timedelta(hours=2), generator=model)  # a third session
    assert model.asked[-1].care and model.asked[-1].care_resources == _lines("en-US")


def test_a_crisis_in_english_under_en_us_is_answered_as_before():
    (said,), (event,) = _turns(["I want to die"], "en-US")
    assert said["reply"] == crisis_reply(_lines("en-US"), language="en")
    assert (event["reply_language"], event["resources_key"]) == ("en", "en-us")


def test_a_crisis_in_japanese_with_no_header_is_answered_in_japanese_with_japans_lines():
    (said,), (event,) = _turns(["死にたい"], None)
    resources = tuple(said["safety"]["resources"])
    assert resources == _lines("ja")  # not the default locale's US lines
    assert any("0120-279-338" in line for line in resources)  # よりそいホットライン
    assert said["reply"] == crisis_reply(resources, language="ja")
    assert (event["reply_language"], event["resources_key"]) == ("ja", "ja")


def test_an_english_crisis_under_a_german_locale_is_answered_in_english_around_germanys_lines():
    (said,), _ = _turns(["I want to kill myself"], "de-DE")
    assert said["reply"] == crisis_reply(_lines("de-DE"), language="en")


class _FlagsEverything:
    """A persona model whose crisis head flags every message."""

    def predict(self, text: str) -> ModelPrediction:
        tone, pace = Distribution({"sad": 1.0}), Distribution({"reflective": 1.0})
        intent = Distribution({"emotional_support": 1.0})
        return ModelPrediction(tone, pace, intent, None, 0.9, True, "pm-test")


def test_a_crisis_the_model_alone_flags_keeps_the_locales_language():
    def analyze(text: str):
        return with_model.analyze(text, model=_FlagsEverything())

    message = "everything is grey and i cant see a way forward"  # no pattern: no language
    (said,), _ = _turns([message], "es-US", analyze=analyze)
    assert said["safety"]["crisis"] is True
    assert said["reply"] == crisis_reply(_lines("es-US"), language="es")


@pytest.mark.parametrize(
    ("message", "locale", "language"),
    [
        # "suicide" is French as well as English: the locale's language, if it is one of them
        ("je pense au suicide", "fr-FR", "fr"),
        ("je pense au suicide", "en-US", "en"),
        ("je pense au suicide", "de-DE", "fr"),  # else the message's words (je, au)
        # the review: words of one language in a pattern of several got the locale's language
        ("je suis suicidaire", "en-US", "fr"),
        ("I feel suicidal", "fr-FR", "en"),
        ("Tengo pensamientos suicidas.", "pt-BR", "es"),
        # "suicidio" is also the Portuguese suicídio without its accent
        ("Estou pensando em suicídio.", "en-US", "pt"),
        ("Pienso en el suicidio.", "en-US", "es"),
        ("suicidio", "en-US", "en"),  # nothing tells: the locale's, as before
    ],
)
def test_a_word_of_several_languages_is_read_in_the_locales_or_the_messages(
    message, locale, language
):
    (said,), _ = _turns([message], locale)
    assert said["reply"] == crisis_reply(_lines(locale, language), language=language)


def test_the_language_among_a_words_several_is_the_locales_else_the_messages_else_none():
    def read(text: str, locale: str | None = None) -> str | None:
        return crisis_language(with_model.as_read(text), locale=locale)

    assert read("suicidio") is None and read("suicidio", "en-US") is None
    assert read("suicidio", "pt-BR") == "pt" and read("suicidio", "es") == "es"
    assert read("Sofro violência doméstica, ela não para.") == "pt"
    assert read("Sufro violencia doméstica, ella no para y tengo miedo.") == "es"
    assert read("overdose", "pt-BR") == "pt"  # the locale first
    # the answer to the question is read with the message it was asked after
    assert crisis_language("no", with_model.as_read("Pienso en el suicidio.")) == "es"


def test_domestic_violence_named_in_portuguese_is_one_pattern_not_two():
    # The phrase data had it twice ("violência doméstica" once more after the Spanish and
    # Portuguese pattern that reads it without accents): two signs where there is one.
    for said in ("Sofro violência doméstica.", "Sufro violencia doméstica."):
        assert len(matched_patterns(with_model.as_read(said))) == 1, said


@pytest.mark.parametrize(
    ("language", "locale", "key"),
    [
        ("es", "en-US", "es-us"),  # the language in the user's country first
        ("es", None, "es-us"),  # the default locale's country, where it has lines in it
        ("ja", None, "ja"),  # else the language's own, not en-US's in English
        ("fr", None, "fr"),
        ("es", "fr-CA", "fr-ca"),  # a country with none in it: the locale's own, as ever
        ("ja", "en-US", "en-us"),
        ("es", "en", "es"),  # no country named: the language's
        ("es", "und", "es"),  # a header with no readable tag: not the global entry
        ("en", "de-LU", "de"),
        (None, "en-US", "en-us"),
    ],
)
def test_the_lines_for_a_crisis_language_are_looked_up_in_the_users_country_first(
    language, locale, key
):
    assert lines_key(locale, default_locale=DEFAULT, language=language) == key


@pytest.mark.parametrize("language", ["de", "fr", "es", "pt", "ja"])
def test_every_crisis_example_of_a_language_is_read_in_it(language):
    # The phrase data's "language" of each pattern: a wrong one would answer a Brazilian in
    # Spanish, and none (a pattern of several: "suicidaire" was tagged Spanish and Portuguese
    # too) the locale's, English on an en-US phone. With no locale: the words alone tell.
    for message in test_safety_languages.CRISIS[language]:
        text = message if isinstance(message, str) else message[0]
        assert crisis_language(with_model.as_read(text)) == language, text
