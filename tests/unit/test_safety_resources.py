import pytest

from common.safety import crisis_reply, parse_locale, resources_for


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("en-GB,en;q=0.8", "en-GB"),
        ("de", "de"),
        (None, None),
        ("", None),
        ("*", None),
        ("x" * 100, None),
        ("en-US;q=0.9", "en-US"),
    ],
)
def test_parse_locale(header, locale):
    assert parse_locale(header) == locale


def test_resources_by_locale_then_language_then_default():
    assert any("116 123" in r for r in resources_for("en-GB", default_locale="en-US"))
    assert any("988" in r for r in resources_for(None, default_locale="en-US"))
    assert any("3114" in r for r in resources_for("fr-FR", default_locale="en-US"))
    assert any("findahelpline" in r for r in resources_for("pt-BR", default_locale="xx"))


@pytest.mark.parametrize(
    ("locale", "not_theirs"),
    [
        ("pt-BR", "988"),  # a named locale we have nothing for: not the default locale's (US)
        ("es-MX", "024"),  # Spain's line
        ("es-AR", "024"),
        ("fr-CA", "3114"),  # France's
        ("fr-BE", "3114"),
        ("de-AT", "0800 111 0"),  # Germany's
        ("de-CH", "0800 111 0"),
    ],
)
def test_no_user_is_given_another_countrys_helpline(locale, not_theirs):
    resources = resources_for(locale, default_locale="en-US")
    assert not any(not_theirs in r for r in resources)
    assert any("findahelpline" in r for r in resources)  # where to find their own


def test_the_crisis_reply_lists_every_resource_and_asks_about_safety():
    resources = resources_for("en-US", default_locale="en-US")
    reply = crisis_reply(resources)
    assert all(r in reply for r in resources)
    assert "safe" in reply
