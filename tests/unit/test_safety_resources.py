import pytest

from common.safety import (
    CRISIS_REPLIES,
    SOMEONE_ELSE_REPLIES,
    answers_not_safe,
    crisis_reply,
    parse_locale,
    reply_language,
    resources_for,
)


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("en-GB,en;q=0.8", "en-GB"),
        ("de", "de"),
        (None, None),
        ("", None),
        ("*", "und"),  # a header, but no language in it: not the default locale's
        ("x" * 100, "und"),
        ("en-US;q=0.9", "en-US"),
        # As apps write it (Flutter's localeName, Java's Locale.toString(), POSIX): the locale
        # review found each gave US helplines.
        ("en_GB", "en-GB"),
        ("pt_BR.UTF-8", "pt-BR"),
        ("*, en-GB", "en-GB"),
        ("en-GB@euro", "en-GB"),
        # A browser sends its UI language first, the country later (the resources review:
        # Firefox in French got the generic French entry, no 3114).
        ("fr,fr-FR;q=0.8,en-US;q=0.5,en;q=0.3", "fr-FR"),
        ("ja,en-US;q=0.9,en;q=0.8", "ja"),  # Chrome in Japanese: the US is not their country
        # Chrome for UK English: its first tag has a country already, a later one is no better
        ("en-GB,en-US;q=0.9,en;q=0.8", "en-GB"),
        ("de,en-US", "de"),
        ("en-US;q=0, en-GB", "en-GB"),  # q=0: not acceptable
        ("en-US;q=0.0", "und"),
    ],
)
def test_parse_locale(header, locale):
    assert parse_locale(header) == locale


def test_a_french_browser_gets_frances_helplines():
    locale = parse_locale("fr,fr-FR;q=0.8,en-US;q=0.5,en;q=0.3")
    resources = resources_for(locale, default_locale="en-US")
    assert any("3114" in r for r in resources)


def test_resources_by_locale_then_language_then_default():
    assert any("116 123" in r for r in resources_for("en-GB", default_locale="en-US"))
    assert any("988" in r for r in resources_for(None, default_locale="en-US"))
    assert any("3114" in r for r in resources_for("fr-FR", default_locale="en-US"))
    # Japanese has crisis patterns, so it has resources too (the words review: none before)
    assert any("119" in r for r in resources_for("ja-JP", default_locale="en-US"))
    ja_br = resources_for("ja-BR", default_locale="en-US")  # Brazil's lines, not Japan's
    assert any("188" in r for r in ja_br) and not any("119" in r for r in ja_br)
    assert any("findahelpline" in r for r in resources_for("pt-AO", default_locale="xx"))


@pytest.mark.parametrize(
    ("locale", "not_theirs"),
    [
        ("pt-AO", "988"),  # a named locale we have nothing for: not the default locale's (US)
        ("pt-AO", "188"),  # Brazil's line
        ("es-AR", "024"),  # Spain's line
        ("es-AR", "800 911 2000"),  # Mexico's
        ("fr-LU", "3114"),  # France's
        ("de-LU", "0800 111 0"),  # Germany's
        ("de-IT", "0800 111 0"),
    ],
)
def test_no_user_is_given_another_countrys_helpline(locale, not_theirs):
    resources = resources_for(locale, default_locale="en-US")
    assert not any(not_theirs in r for r in resources)
    assert any("findahelpline" in r for r in resources)  # where to find their own


@pytest.mark.parametrize(
    ("locale", "not_theirs"),
    [
        ("fr-BE", "3114"),  # France's
        ("fr-CH", "3114"),
        ("de-AT", "0800 111 0"),  # Germany's
        ("de-CH", "0800 111 0"),
        ("en-NZ", "13 11 14"),  # Australia's
        ("en-NZ", "000"),
    ],
)
def test_a_neighbours_entry_in_the_same_language_is_not_read(locale, not_theirs):
    assert not any(not_theirs in r for r in resources_for(locale, default_locale="en-US"))


@pytest.mark.parametrize(
    ("locale", "line"),
    [
        ("es-US", "988"),  # the country's line, in another language, before a generic one
        ("fr-CA", "9-8-8"),
        ("hi-IN", "14416"),
        ("cy-GB", "116 123"),
        ("en-Latn-GB", "116 123"),  # a script subtag
        ("en-US-u-ca-gregory", "988"),  # an extension
    ],
)
def test_a_countrys_line_is_found_whatever_the_language_or_subtags(locale, line):
    assert any(line in r for r in resources_for(locale, default_locale="en-US"))


def test_no_header_gets_the_default_locales_lines_and_where_to_find_ones_own():
    # Native apps often send no Accept-Language: the user may be anywhere, not in the US.
    us = resources_for("en-US", default_locale="en-US")
    directory = [r for r in resources_for("xx", default_locale="en-US") if "findahelpline" in r]
    assert not any("findahelpline" in r for r in us)  # named explicitly: unchanged
    assert resources_for(None, default_locale="en-US") == (*us, *directory)
    # A default locale whose lines already point to the directory gets it once.
    for default_locale in ("ja-JP", "xx"):
        resources = resources_for(None, default_locale=default_locale)
        assert sum("findahelpline" in r for r in resources) == 1


def test_a_header_with_no_readable_language_gets_the_global_default_not_the_default_locales():
    resources = resources_for(parse_locale("*"), default_locale="en-US")
    assert any("findahelpline" in r for r in resources) and not any("988" in r for r in resources)


def test_the_crisis_reply_lists_every_resource_and_asks_about_safety():
    resources = resources_for("en-US", default_locale="en-US")
    reply = crisis_reply(resources)
    assert all(r in reply for r in resources)
    assert "safe" in reply


@pytest.mark.parametrize(
    ("locale", "language"),
    [("ja-u-ca-japanese", "ja"), ("en-u-ca-gregory", "en"), ("pt-u-ca-gregory", "pt")],
)
def test_an_extension_after_the_language_is_no_region(locale, language):
    # "-u-ca-..." names a calendar: its "ca" is no country (read as one, it gave Canada's 988).
    resources = resources_for(locale, default_locale="en-US")
    assert resources == resources_for(language, default_locale="en-US")
    assert not any("988" in r or "9-8-8" in r for r in resources)  # the US's, or Canada's


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("de-DE", "de"),
        ("de-AT", "de"),  # Austria's entry, in German
        ("fr-CA", "fr"),
        ("es-MX", "es"),
        ("ja", "ja"),
        ("en-GB", "en"),
        ("pt-BR", "pt"),
        ("pt-PT", "pt"),  # one Portuguese reply, written to read in Portugal and Brazil
        ("und", "en"),
        (None, "en"),  # no header: the default locale's language
    ],
)
def test_the_crisis_reply_is_in_the_users_language_when_there_is_one(locale, language):
    assert reply_language(locale, default_locale="en-US") == language


def test_no_header_gets_the_default_locales_language():
    assert reply_language(None, default_locale="de-DE") == "de"


@pytest.mark.parametrize("language", sorted(CRISIS_REPLIES))
def test_each_language_lists_the_resources_and_a_no_to_its_question_keeps_the_crisis(language):
    # Its own resources exist (the reply is never in one language around lines of another for
    # a user whose locale names only the language).
    resources = resources_for(language, default_locale="en-US")
    assert resources != resources_for("xx", default_locale="en-US")
    first = crisis_reply(resources, language=language)
    second = crisis_reply(resources, again=True, language=language)
    assert all(f"• {r}" in first and f"• {r}" in second for r in resources)
    question = CRISIS_REPLIES[language][2]
    assert first.endswith(question) and not second.endswith(question) and first != second
    no = {"de": "nein", "fr": "non", "es": "no", "ja": "いいえ", "pt": "não", "en": "no"}[language]
    assert answers_not_safe(first, no)
    assert not answers_not_safe(second, no)  # the second reply asks no yes-or-no question


@pytest.mark.parametrize(
    ("language", "if_worse", "emergency"),
    [
        ("en", "If these feelings get stronger", "call your local emergency number now"),
        ("de", "Wenn diese Gefühle", "Notruf"),
        ("fr", "Si ces sentiments", "numéro d'urgence"),
        ("es", "Si estos sentimientos", "número de emergencias"),
        ("ja", "もし気持ちがもっと", "緊急通報番号"),
        ("pt", "Se esses sentimentos", "ligue imediatamente para o número de emergência local"),
    ],
)
def test_the_follow_up_to_a_no_asks_them_to_reach_out_now(language, if_worse, emergency):
    # The crisis-path review: a user who had just said they are not safe ("no. i have the pills
    # next to me") was told to reach out only "if these feelings get stronger".
    follow_up = crisis_reply(("x",), again=True, language=language)
    assert if_worse not in follow_up
    assert emergency in follow_up


@pytest.mark.parametrize(
    ("language", "hedged", "emergency"),
    [
        ("en", "Since you may not be safe right now", "local emergency number"),
        ("de", "Weil du gerade vielleicht nicht in Sicherheit bist", "den Notruf an (112)"),
        ("fr", "Comme vous n'êtes peut-être pas en sécurité", "numéro d'urgence local"),
        ("es", "Como puede que ahora mismo no estés a salvo", "número de emergencias local"),
        ("ja", "今は安全ではないかもしれないので", "119番（日本国外では現地の緊急通報番号）"),
        ("pt", "Como pode não estar em segurança agora", "número de emergência local"),
    ],
)
def test_the_follow_up_does_not_tell_an_unsure_user_they_are_not_safe(language, hedged, emergency):
    # The translations review: "idk", "no sé" or "help" (each read as a no) were answered
    # "Since you're not safe right now", as if they had said so.
    follow_up = crisis_reply(("x",), again=True, language=language)
    assert hedged in follow_up and emergency in follow_up


def test_the_portuguese_replies_read_in_portugal_as_in_brazil():
    # The translations review: "você" ten times, "estou levando", "aplicativo", "contato" read
    # Brazilian to a user in Portugal, who gets the same reply.
    texts = (*CRISIS_REPLIES["pt"], SOMEONE_ELSE_REPLIES["pt"])
    for brazilian in ("você", "estou levando", "aplicativo", "contato"):
        assert not any(brazilian in text.lower() for text in texts), brazilian
    assert "estes serviços também existem para quem apoia" in SOMEONE_ELSE_REPLIES["pt"]


def test_a_user_in_portugal_is_given_portugals_line_and_112():
    resources = resources_for("pt-PT", default_locale="en-US")
    assert any("1411" in r for r in resources) and any("112" in r for r in resources)
    assert not any("188" in r for r in resources)  # Brazil's


def test_an_unknown_language_gets_english():
    assert crisis_reply(("988",), language="it") == crisis_reply(("988",))
    assert reply_language("it-IT", default_locale="en-US") == "en"


def test_a_brazilian_gets_the_portuguese_reply_around_brazils_lines_and_a_nao_keeps_it():
    # "não aguento mais, quero morrer" from a Brazilian phone was answered in English (when it
    # was read at all: the patterns did not read Portuguese).
    resources = resources_for(parse_locale("pt-BR,pt;q=0.9,en;q=0.8"), default_locale="en-US")
    language = reply_language("pt-BR", default_locale="en-US")
    first = crisis_reply(resources, language=language)
    assert first.startswith("Ainda bem que me contou")
    assert "• Ligue 188 (CVV" in first and "192 (SAMU)" in first
    assert first.endswith(" Está em segurança agora?")
    assert answers_not_safe(first, "não")
    assert crisis_reply(resources, again=True, language=language).startswith(
        "Obrigado por responder."
    )
    assert SOMEONE_ELSE_REPLIES["pt"].startswith("Obrigado por se preocupar com essa pessoa")


NATURAL_NO = {
    "de": ["Nein, nicht wirklich", "nicht wirklich", "ich bin nicht in Sicherheit", "nö",
           "nein ich bin nicht sicher", "weiß nicht", "Mir geht's nicht gut", "keine Ahnung",
           "Nein, bin ich nicht", "nein, gerade nicht", "im Moment nicht", "ich glaube nicht",
           "ich bin gerade nicht in Sicherheit", "überhaupt nicht", "nein ich bin nicht okay",
           "ich fühl mich nicht sicher", "ich weiß nicht mehr was ich tun soll"],
    "fr": ["non, pas vraiment", "pas vraiment", "je ne sais pas", "ça va pas", "Non !",
           "non je ne suis pas en sécurité", "je sais pas", "non, je ne le suis pas",
           "pas en ce moment", "je ne suis pas en sécurité en ce moment", "je pense pas",
           "je ne suis pas en securite", "pas sur", "je ne sais pas quoi faire"],
    "es": ["no estoy a salvo", "no sé", "no realmente", "No, no estoy bien", "¡No!",
           "la verdad es que no", "para nada", "no, no lo estoy", "ahora mismo no",
           "no estoy a salvo ahora mismo", "creo que no", "no me siento segura",
           "no sé qué hacer"],
    "ja": ["安全じゃない", "わからない", "いや", "いいえ、安全じゃないです", "いいえ？",
           "大丈夫じゃない", "今は安全じゃない", "安全じゃありません", "分からないです",
           "いえ、安全じゃないです", "いいえ安全じゃないです"],
    "pt": ["não", "Não.", "nao", "naum", "ñ", "não estou", "Não, não estou", "não muito",
           "acho que não", "não sei", "nao sei o que fazer", "agora não", "não, agora não",
           "nem um pouco", "não to bem", "Não tô bem", "não estou bem", "não estou segura",
           "não me sinto seguro", "não estou em segurança agora", "não, não estou a salvo",
           "de jeito nenhum", "na verdade não", "não mesmo", "não tá tudo bem", "tô mal",
           "não no momento", "eu não sei", "nunca", "agora mesmo não"],
}  # fmt: skip
NATURAL_YES = {
    "de": ["ja", "Ja, alles gut", "nein, mir geht es gut", "ja bin ich", "nein danke",
           "nicht schlecht", "jetzt ja", "ich glaube schon"],
    "fr": ["oui", "non, ça va", "oui ça va", "non merci", "pas mal", "je crois que oui"],
    "es": ["sí", "sí, estoy bien", "estoy bien", "no gracias", "ahora sí"],
    "ja": ["はい", "はい、大丈夫です", "大丈夫です", "いや大丈夫です"],
    "pt": ["sim", "Sim, estou bem", "estou bem", "tô bem", "não, obrigado", "agora sim",
           "acho que sim", "sim, to seguro", "não sei dizer, mas acho que sim"],
}  # fmt: skip


@pytest.mark.parametrize("language", sorted(NATURAL_NO))
def test_a_natural_no_in_the_questions_language_keeps_the_crisis(language):
    asked = crisis_reply(("x",), language=language)
    assert [a for a in NATURAL_NO[language] if not answers_not_safe(asked, a)] == []
    assert [a for a in NATURAL_YES[language] if answers_not_safe(asked, a)] == []
