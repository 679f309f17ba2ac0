"""A user worried about someone else ("my friend wants to kill herself what do i do") gets a
reply for them, not the first-person crisis reply (the care review: they were told "What you're
carrying sounds very heavy ... Are you safe right now?"). Only when the patterns that matched
are all about another person (kind third_party): the model's flag does not say who is in
danger, and a message about both is answered as the user's own crisis."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from common.analysis.baseline import analyze_baseline
from common.analysis.safety import about_someone_else, crisis_kinds, load_rules
from common.analysis.types import Safety
from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.safety import (
    _SAFETY_QUESTIONS,
    CRISIS_REPLIES,
    RESPONSIBLE_REPLIES,
    SOMEONE_ELSE_HURT_REPLIES,
    SOMEONE_ELSE_REPLIES,
    answers_for_someone_else,
    answers_not_safe,
    crisis_reply,
    poison_resources_for,
    resources_for,
    responsible_for,
)
from tests.fakes import turns
from tests.unit.test_crisis_reply_path import Model

FRIEND = "my friend wants to kill herself what do i do"
BOTH = "my friend wants to kill herself and i want to die too"  # a first-person pattern too
MODEL_ONLY = "my sister is in a really bad place and i dont know how to reach her"


def _resources(locale: str | None) -> tuple[str, ...]:
    return resources_for(locale, default_locale=Settings().safety_default_locale)


def _turn(
    message: str,
    *,
    locale: str | None = None,
    store: turns.MemoryStore | None = None,
    session_id: str | None = None,
    analyze=turns.analyze_offline,
    publisher: turns.Publisher | None = None,
    generator=None,
    minutes: int = 0,
) -> dict:
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
    ports = turns.turn_ports(
        store or turns.MemoryStore(),
        analyze=analyze,
        publisher=publisher or turns.Publisher(),
        **({"generator": generator} if generator else {}),
    )
    response, _ = service.take_turn(
        uid="u1", body=body, **ports, now=turns.NOW + timedelta(minutes=minutes), locale=locale
    )
    return response


@pytest.mark.parametrize(
    ("locale", "message", "language"),
    [
        ("en-US", FRIEND, "en"),
        ("de-DE", "mein Freund will sich umbringen", "de"),
        ("fr-FR", "mon amie veut se suicider", "fr"),
        ("es-ES", "mi amiga se quiere matar", "es"),
        ("pt-BR", "minha amiga quer se matar", "pt"),
        # No Japanese pattern reads someone else's crisis (a quoted 死にたい reads as the user's
        # own): the reply is in the message's language, around Japan's lines. The Japanese one
        # follows "いいえ、私ではなく同僚のことです" to the safety question.
        ("ja-JP", FRIEND, "en"),
    ],
)
def test_a_message_about_someone_else_gets_the_reply_for_a_worried_friend(
    locale, message, language
):
    model, publisher = Model(), turns.Publisher()
    said = _turn(message, locale=locale, publisher=publisher, generator=model)
    resources = _resources(locale)
    assert said["safety"] == {"crisis": True, "resources": list(resources)}
    expected = crisis_reply(resources, someone_else=True, language=language)
    assert said["reply"] == expected
    assert expected.startswith(SOMEONE_ELSE_REPLIES[language].split("\n")[0])
    assert all(r in said["reply"] for r in resources)
    assert not said["reply"].rstrip().endswith(_SAFETY_QUESTIONS)  # it asks nothing
    assert model.asked == []  # never a generator's: persona-independent, as the crisis reply
    assert [e.type for e in publisher.events].count("safety.crisis_detected") == 1


def test_every_language_of_the_crisis_reply_has_one_for_a_worried_friend():
    assert SOMEONE_ELSE_REPLIES.keys() == CRISIS_REPLIES.keys()
    for language, text in SOMEONE_ELSE_REPLIES.items():
        assert text.count("{resources}") == 1, language
        assert not text.rstrip().endswith(_SAFETY_QUESTIONS), language


def test_a_message_about_someone_else_and_oneself_gets_the_first_person_reply():
    assert not about_someone_else(BOTH) and about_someone_else(FRIEND)
    said = _turn(BOTH)
    assert said["safety"]["crisis"] is True
    assert said["reply"] == crisis_reply(_resources(None))
    assert said["reply"].endswith("Are you safe right now?")


@pytest.mark.parametrize(
    "message",
    [  # the own-diff review: each got the friend reply, which asks the user nothing
        "my friend wants to kill herself and honestly same",
        "my brother said he wants to die, i feel like that too sometimes",
        "my brother wants to kill himself, me too",
        "my mom wants to die. so do i",
        "my friend wants to die and honestly i dont see the point in living either",
        "my friend wants to kill herself, i'm scared i'll do the same",
        "my friend wants to kill herself lol same tbh",
        "my friend wants to kill herself and i feel the same way",
        "she wants to kill herself because of me",
        # the bystander review: a pact, or the same said indirectly, got the friend reply
        "my friend wants to kill herself and we made a pact",
        "my friend wants to kill herself and i might join her",
        "my friend wants to kill herself, we both do",
        "my friend wants to kill herself and tbh I've thought about it too",
        "my friend wants to kill herself, i've felt that way",
        # and said of both, no pattern at all
        "my friend and I want to kill ourselves",
        "my girlfriend and i are going to end it together",
    ],
)
def test_a_user_who_says_the_same_of_themselves_gets_the_first_person_reply(message):
    said = _turn(message)
    assert said["safety"]["crisis"] is True
    assert said["reply"].endswith("Are you safe right now?"), message


@pytest.mark.parametrize(
    "message",
    [
        FRIEND,
        "my brother said he wants to kill himself",
        "my mom keeps saying she wants to die",
        "my roommate keeps talking about killing herself, how do i help",
    ],
)
def test_a_message_only_about_someone_else_still_gets_the_friend_reply(message):
    assert about_someone_else(message), message


# The bystander review: another person's crisis told in words the patterns read as the user's
# own ("suicidal", "overdosed", "took a bunch of pills", "goodbye forever") got the first-person
# reply ("Are you safe right now?"), and told in others (a boss, a mate, "going to jump", "sie
# will sterben") nothing from the patterns at all.
OTHERS_IN_DANGER = [
    ("en-US", "my girlfriend is suicidal and I don't know what to do"),
    ("en-US", "my sister attempted suicide"),
    ("en-US", "my friend wrote a suicide note"),
    ("en-US", "my friend overdosed last night"),
    ("en-US", "my report told me he's been cutting"),
    ("en-US", "my mate is self harming"),
    ("en-US", "he sent me a text saying goodbye forever"),
    ("en-US", "my mum took all her pills"),
    ("en-US", "my friend took a bunch of pills and won't wake up"),
    ("en-US", "my boss wants to die"),
    ("en-GB", "my manager wants to die"),
    ("en-GB", "my uncle wants to die"),
    ("en-GB", "my niece wants to die"),
    ("en-GB", "my grandma wants to die"),
    ("en-US", "my friend said she wants to end it"),
    ("en-US", "my mentee said she doesn't want to be here anymore"),
    ("en-US", "my dad said everyone would be better off without him"),
    ("en-US", "she said she's going to jump tonight"),
    ("en-US", "my friend texted me goodbye and now her phone is off"),
    ("de-DE", "meine Freundin hat gesagt, dass sie sterben will"),
    ("de-DE", "meine Schwester ritzt sich"),
    ("fr-FR", "ma sœur veut mourir"),
    ("es-ES", "mi hermano dice que quiere morir"),
    ("pt-BR", "meu irmão disse que quer morrer"),
]


@pytest.mark.parametrize(("locale", "message"), OTHERS_IN_DANGER)
def test_another_persons_crisis_in_any_words_gets_the_reply_for_a_worried_friend(locale, message):
    assert about_someone_else(message), message
    said = _turn(message, locale=locale)
    language = locale.split("-")[0]
    # One the user answers for ("my report", "my mentee") gets the adult's variant of it.
    responsible = responsible_for(message)
    resources = tuple(said["safety"]["resources"])  # pills taken: the poison line too
    poison = poison_resources_for(locale, default_locale="en-US")
    assert set(resources) - set(_resources(locale)) <= set(poison)
    assert said["reply"] == crisis_reply(
        resources, someone_else=True, responsible=responsible, language=language
    )


# The same words about another person in ordinary messages.
OTHERS_ORDINARY = [
    "my friend said she wants to end it with her boyfriend",
    "my girlfriend wants to end it",
    "my colleague said she doesn't want to be here anymore, she hates the job",
    "my mum said we would be better off without him",
    "my coach told me to jump",
    "he's going to jump on the call",
    "she's going to jump ship",
    "my report is cutting corners",
    "my friend is cutting her hair short",
    "my mum took all her pills this morning",
    "my colleague sent me a goodbye message, it's her last day",
    "my friend overdosed on coffee lol",
    "elle ne veut pas mourir",
    "ma sœur veut mourir de rire",
    "mi hermano no quiere morir",
    "mi hermana se corta el pelo",
    "meu irmão não quer morrer",
    "Er verletzt sich beim Sport",
    "we're killing ourselves to hit this deadline",
    "we want to end it together with the vendor",
]


@pytest.mark.parametrize("message", OTHERS_ORDINARY)
def test_the_same_words_about_another_person_in_ordinary_messages_are_not(message):
    assert crisis_kinds(message) == set(), message


# What a pattern about another person reads is theirs; what the user says of themselves in the
# same message is still read as theirs.
@pytest.mark.parametrize(
    "message",
    [
        "my friend is suicidal and i want to die too",
        "my sister attempted suicide and now i'm suicidal too",
        "my mum knows i self harm",
        "she caught me self harming",
        "my mum took all her pills and i took all my pills too",
    ],
)
def test_the_users_own_signs_beside_another_persons_crisis_are_still_theirs(message):
    assert not about_someone_else(message), message
    assert crisis_kinds(message) - {"third_party"}, message


# Each language's "call the emergency number now if they have already taken something": in the
# reply for a friend, and as the first sentence of the adult's variant, with the locale's number
# (the emergency review: "my husband took a bunch of pills and won't wake up" was first told to
# ask him whether he is thinking of suicide).
TAKEN_NOW = {  # language: (its locale, the friend's reply says, the adult's variant opens with)
    "en": (
        "en-US",
        "If they have already taken something or hurt themselves, call your local emergency "
        "number now.",
        "If they have already taken something, are unconscious or not breathing, call 911 now.",
    ),
    "de": (
        "de-DE",
        "Wenn sie schon etwas eingenommen oder sich verletzt hat, ruf sofort den Notruf an (112).",
        "Wenn sie schon etwas eingenommen hat, bewusstlos ist oder nicht atmet, ruf sofort den "
        "Notruf an (112).",
    ),
    "fr": (
        "fr-FR",
        "Si elle a déjà pris quelque chose ou s'est fait du mal, appelez tout de suite le numéro "
        "d'urgence.",
        "Si elle a déjà pris quelque chose, est inconsciente ou ne respire pas, appelez tout de "
        "suite le 112 ou 15.",
    ),
    "es": (
        "es-ES",
        "Si ya ha tomado algo o se ha hecho daño, llama ahora mismo al número de emergencias.",
        "Si ya ha tomado algo, está inconsciente o no respira, llama ahora mismo al 112.",
    ),
    "pt": (
        "pt-BR",
        "Se ela já tiver tomado alguma coisa ou já estiver ferida, ligue imediatamente para o "
        "número de emergência local.",
        "Se ela já tomou alguma coisa, está inconsciente ou não respira, ligue já para o 192 "
        "(SAMU) ou 190 (polícia).",
    ),
}


@pytest.mark.parametrize("responsible", [False, True])
@pytest.mark.parametrize("language", sorted(TAKEN_NOW))
def test_the_reply_for_a_worried_friend_says_to_call_now_if_they_have_taken_something(
    language, responsible
):
    locale, friend, adult = TAKEN_NOW[language]
    said = crisis_reply(
        _resources(locale), someone_else=True, responsible=responsible, language=language
    )
    if responsible:
        assert said.startswith(adult), said
    else:
        assert friend in said, said


def test_a_partner_who_took_pills_and_wont_wake_up_is_told_to_call_now_first():
    said = _turn("my husband took a bunch of pills and won't wake up", locale="en-US")
    first, _ = said["reply"].split(". ", 1)
    assert first == (
        "If they have already taken something, are unconscious or not breathing, call 911 now"
    )
    assert said["safety"]["resources"][:2] == [  # the emergency line first, the poison line next
        "If you are in immediate danger in the US, call 911",
        "Poison Help (US): call 1-800-222-1222 (free, confidential, 24/7)",
    ]


def test_a_crisis_only_the_model_reads_gets_the_first_person_reply():
    def model(text: str):  # the model flags it; no pattern matches
        flagged = Safety(crisis=True, probability=0.97, detected_by=("model",))
        return replace(analyze_baseline(text), safety=flagged), []

    assert not about_someone_else(MODEL_ONLY)
    said = _turn(MODEL_ONLY, analyze=model)
    assert said["safety"]["crisis"] is True
    assert said["reply"] == crisis_reply(_resources(None))


def test_a_brazilian_in_crisis_is_answered_in_portuguese_and_a_nao_keeps_the_care():
    # "não aguento mais, quero morrer" from a Brazilian phone: read by the patterns alone (no
    # model here, as for any language but English), answered in Portuguese around Brazil's
    # lines, and "não" to its question keeps the crisis and its care, as in the other languages.
    store = turns.MemoryStore()
    first = _turn("não aguento mais, quero morrer", locale="pt-BR", store=store)
    assert first["safety"] == {"crisis": True, "resources": list(_resources("pt-BR"))}
    assert any("188" in r for r in first["safety"]["resources"])
    assert first["reply"] == crisis_reply(_resources("pt-BR"), language="pt")
    answer = _turn("não", locale="pt-BR", store=store, session_id=first["session_id"], minutes=1)
    assert answer["safety"]["crisis"] is True
    assert answer["reply"].startswith("Obrigado por responder.")
    assert store.sessions[first["session_id"]].not_safe_until is not None


def test_a_no_after_the_reply_for_a_worried_friend_is_not_read_as_not_safe():
    store = turns.MemoryStore()
    first = _turn(FRIEND, store=store)
    answer = _turn("no", store=store, session_id=first["session_id"], minutes=1)
    assert answer["safety"]["crisis"] is False
    state = store.sessions[first["session_id"]]
    assert state.not_safe_until is None
    # Everything else about a crisis turn stays: its care turns follow it.
    assert state.care_until is not None and answer["persona"]["id"] == "lua"


def test_a_worried_friend_past_the_request_budget_gets_their_reply_too():
    # The crisis reply made without reading the session (common.chat.service._unread_crisis).
    said, _ = service.crisis_past_budget(
        uid="u1",
        body=TurnCreate(client_turn_id=uuid.uuid4().hex, message="mein Freund will sich umbringen"),
        baseline=turns.read_without_model,
        rank=turns.rank,
        settings=Settings(),
        now=turns.NOW,
        locale="de-DE",
        sink=None,
    )
    assert said["reply"] == crisis_reply(_resources("de-DE"), someone_else=True, language="de")


def test_with_no_header_every_crisis_reply_points_to_a_helpline_in_the_users_country():
    # The resources review: a request with no Accept-Language (native apps) got only the
    # default locale's (US) lines, nothing for a user anywhere else.
    store = turns.MemoryStore()
    first = _turn("I want to kill myself", store=store)
    answered = _turn("no", store=store, session_id=first["session_id"], minutes=1)
    friend = _turn(FRIEND)
    for said in (first, answered, friend):
        assert said["safety"]["crisis"] is True
        assert any("findahelpline" in r for r in said["safety"]["resources"])
        assert "findahelpline" in said["reply"]
    assert answered["reply"] == crisis_reply(tuple(first["safety"]["resources"]), again=True)


# The sensitive-disclosures review: "No, it's not me, it's my colleague" after the crisis reply
# was read as a no to "Are you safe right now?": "Since you may not be safe right now, please
# contact one of them now", a day of care and a crisis event detected_by safety_answer.
FOR_SOMEONE_ELSE = [
    "No, it's not me, it's my colleague",
    "no, not me, my coworker",
    "No, I'm asking for a colleague",
    "no, this is about someone else",
    "Not me, my best friend",
    "no sorry, it's about my sister",
    "no, it's my friend who wants to kill herself",  # about them, not a sign of the user's own
    "nope, I was talking about my roommate. she said she wants to die",
    # The bystander review: people at work and wider family were read as a no (a day of care)
    "no, it's my boss",
    "no, my client",
    "no, my mate",
    "no, my team member",
    "no its my direct report",
    "no, one of my reports",
]
STILL_NOT_SAFE = [
    "no, not me, I have the pills",  # a renewed first-person sign
    "no, it's my friend, and honestly same",
    "no it's my colleague but i want to die too",
    "no, not me, my friend. but I'm scared",
    "no, he's here",
    "no, my ex",  # as often the one they are not safe from
    # The one named is with them or coming: why they are not safe, not whose crisis it is (the
    # bystander review: "no, my husband is here" got the reply for a worried friend).
    "no, my husband is here",
    "no my boyfriend is outside",
    "no, my dad came home",
    "no, my husband is home",
    "no, my partner is on his way",
    "nein, mein Mann ist hier",
    "non, mon mari est là",
    "no, mi esposo está aquí",
    "não, meu marido está aqui",
]


@pytest.mark.parametrize("answer", FOR_SOMEONE_ELSE)
def test_a_no_that_says_it_is_someone_elses_is_not_read_as_not_safe(answer):
    asked = crisis_reply(("988",))
    assert not answers_not_safe(asked, answer), answer
    assert answers_for_someone_else(asked, answer), answer
    assert not answers_for_someone_else(crisis_reply(("988",), someone_else=True), answer)


@pytest.mark.parametrize("answer", STILL_NOT_SAFE)
def test_a_no_with_a_sign_of_the_users_own_crisis_stays_not_safe(answer):
    asked = crisis_reply(("988",))
    assert answers_not_safe(asked, answer), answer
    assert not answers_for_someone_else(asked, answer), answer


# The re-read of 2026-12-07: "someone else's crisis" was read in English and Spanish only, while
# the third_party crisis patterns and the "me too" check cover German, French and Portuguese.
FOR_SOMEONE_ELSE_IN = [
    ("de", "Nein, nicht ich, es geht um meinen Kollegen"),
    ("de", "Nein, es geht um meine Freundin"),
    ("de", "Ich frage für einen Freund"),
    ("de", "nicht ich, meine Mitbewohnerin"),
    ("de", "nein, es geht nicht um mich"),
    ("de", "Nein, nicht ich, keine Angst"),  # "don't worry", not fear
    ("fr", "Non, ce n'est pas moi, c'est mon collègue"),
    ("fr", "Non, c'est ma sœur"),
    ("fr", "Je demande pour un ami"),
    ("fr", "pas moi, ma coloc"),
    ("fr", "Non, il s'agit de quelqu'un d'autre"),
    ("pt", "Não, não sou eu, é o meu colega"),
    ("pt", "Não, é a minha amiga"),
    ("pt", "Estou perguntando para um amigo"),
    ("pt", "nao, e sobre a minha irma"),
    ("es", "No, es otra persona"),
    ("ja", "いいえ、私ではなく同僚のことです"),
    ("ja", "私じゃないです、友達のことです"),
]
# A renewed first-person sign after it: not safe, in each language. The English and Spanish
# ones were read as someone else's (a crisis pattern about the user but no English word of
# _STILL_NOT_SAFE after it, or no Spanish word at all), or as neither (no no before them).
STILL_NOT_SAFE_IN = [
    ("de", "Nein, nicht ich, ich habe die Tabletten"),
    ("de", "nicht ich, mein Mann schlägt mich"),
    ("de", "Nein, es geht um meine Freundin, und ich auch"),
    ("de", "Nein, nicht ich, ich will sterben"),
    ("fr", "Non, ce n'est pas moi, j'ai les cachets"),
    ("fr", "Non, c'est mon collègue, moi aussi"),
    ("fr", "Non, pas moi, je veux mourir"),
    ("pt", "Não, não sou eu, tenho os comprimidos"),
    ("pt", "Não, é o meu colega, eu também"),
    ("pt", "Não sou eu, eu quero morrer"),
    ("es", "No, no soy yo, tengo las pastillas"),
    ("ja", "いいえ、私ではなく同僚のことです。でも私も死にたい"),
    ("en", "no, my husband hits me"),
    ("en", "not me, I've been cutting myself again"),
    ("en", "asking for a friend. honestly same"),
]


@pytest.mark.parametrize(("language", "answer"), FOR_SOMEONE_ELSE_IN)
def test_a_no_that_says_it_is_someone_elses_is_read_in_every_language(language, answer):
    asked = crisis_reply(("112",), language=language)
    assert answers_for_someone_else(asked, answer), answer
    assert not answers_not_safe(asked, answer), answer


@pytest.mark.parametrize(("language", "answer"), STILL_NOT_SAFE_IN)
def test_a_renewed_sign_after_it_is_not_safe_in_every_language(language, answer):
    asked = crisis_reply(("112",), language=language)
    assert answers_not_safe(asked, answer), answer
    assert not answers_for_someone_else(asked, answer), answer


# The people someone else's crisis is said of: one list per language in safety_phrases.json, read
# by the English third_party crisis pattern and by the safety answer (hand-copied in both before,
# they had drifted apart). An answer naming one, after a no, in each language.
RELATIONS = load_rules().relations
NAMED_AFTER_A_NO = {
    "en": "no, it's my {}",
    "es": "no, es mi {}",
    "de": "nein, es geht um meinen {}",
    "fr": "non, c'est mon {}",
    "pt": "não, é o meu {}",
}


def _a_word(relation: str) -> str:
    """A word the relation reads: "neighbou?r" -> "neighbour", "amig[oa]" -> "amigo"."""
    return re.sub(r"\[(.)[^]]*\]", r"\1", relation).replace("\\s+", " ").replace("?", "")


def test_every_language_of_the_relations_has_an_answer_naming_one():
    assert NAMED_AFTER_A_NO.keys() == RELATIONS.keys()


@pytest.mark.parametrize(
    ("language", "relation"),
    [(language, relation) for language, words in RELATIONS.items() for relation in words],
)
def test_the_crisis_patterns_and_the_safety_answer_read_the_same_people(language, relation):
    person = _a_word(relation)
    assert re.fullmatch(relation, person)
    asked = crisis_reply(("988",))
    said = answers_for_someone_else(asked, NAMED_AFTER_A_NO[language].format(person))
    # "report" is a person to the patterns (a direct report), not in an answer: "no, it was
    # about my report" names a document as often; "no, my ex" the one the user fears as often.
    assert said is (relation not in ("report", "ex")), person
    if language == "en":
        assert about_someone_else(f"my {person} wants to die"), person


# Flagged by the model alone in the review (a false alarm the user then puts right).
IVF = "I'm going through IVF and need time off without telling anyone why"


def _flags_ivf(text: str):
    analysis, degraded = turns.analyze_offline(text)
    if text != IVF:
        return analysis, degraded
    flagged = Safety(crisis=True, probability=0.93, detected_by=("model",))
    return replace(analysis, safety=flagged), degraded


@pytest.mark.parametrize(
    ("answer", "locale", "language"),
    [
        ("No, it's not me, it's my colleague", None, "en"),
        ("No, I'm asking for a colleague", "en-GB", "en"),
        ("No, no soy yo, es mi compañera", "es-ES", "es"),  # the no-then reading's Spanish "no"
        ("Nein, nicht ich, es geht um meinen Kollegen", "de-DE", "de"),
    ],
)
def test_a_no_that_says_it_is_someone_elses_gets_the_reply_for_a_worried_friend(
    answer, locale, language
):
    store, publisher = turns.MemoryStore(), turns.Publisher()
    first = _turn(IVF, store=store, analyze=_flags_ivf, locale=locale, publisher=publisher)
    assert first["reply"].endswith(_SAFETY_QUESTIONS)
    said = _turn(
        answer,
        store=store,
        session_id=first["session_id"],
        analyze=_flags_ivf,
        locale=locale,
        publisher=publisher,
        minutes=1,
    )
    resources = _resources(locale)
    assert said["safety"] == {"crisis": True, "resources": list(resources)}
    assert said["reply"] == crisis_reply(resources, someone_else=True, language=language)
    assert store.sessions[first["session_id"]].not_safe_until is None  # no day of care
    events = [e.data for e in publisher.events if e.type == "safety.crisis_detected"]
    assert [(e["detected_by"], e["reply"]) for e in events] == [
        ("model", "first"),
        ("safety_answer", "someone_else"),
    ]


def test_a_no_with_a_renewed_sign_after_the_clarification_still_gets_the_follow_up():
    store = turns.MemoryStore()
    first = _turn(IVF, store=store, analyze=_flags_ivf)
    said = _turn(
        "no, not me, I have the pills",
        store=store,
        session_id=first["session_id"],
        analyze=_flags_ivf,
        minutes=1,
    )
    assert said["reply"] == crisis_reply(_resources(None), again=True)
    assert store.sessions[first["session_id"]].not_safe_until is not None


def test_a_german_no_with_a_renewed_sign_after_the_clarification_gets_the_follow_up():
    store = turns.MemoryStore()
    first = _turn(IVF, store=store, analyze=_flags_ivf, locale="de-DE")
    said = _turn(
        "Nein, nicht ich, ich habe die Tabletten",
        store=store,
        session_id=first["session_id"],
        analyze=_flags_ivf,
        locale="de-DE",
        minutes=1,
    )
    assert said["reply"] == crisis_reply(_resources("de-DE"), again=True, language="de")
    assert store.sessions[first["session_id"]].not_safe_until is not None


# The minors review: a young user told of a friend's danger has often promised to keep it
# secret ("she made me promise not to tell"); the reply says telling is right all the same.
@pytest.mark.parametrize(
    ("message", "locale", "told"),
    [
        (
            "my friend at school told me she wants to kill herself and made me promise not to tell",
            "en-GB",
            "even if you promised to keep it secret",
        ),
        ("my friend's dad hits her", None, "even if you promised to keep it secret"),
        ("mein Freund will sich umbringen", "de-DE", "auch wenn du versprochen hast"),
    ],
)
def test_the_reply_for_a_worried_friend_says_telling_someone_is_right_despite_a_promise(
    message: str, locale: str | None, told: str
) -> None:
    said = _turn(message, locale=locale)
    resources = tuple(said["safety"]["resources"])  # a dad who hits: the lines for violence too
    assert said["reply"] == crisis_reply(
        resources,
        someone_else=True,
        hurt="hits" in message,
        language="de" if locale == "de-DE" else "en",
    )
    assert told in said["reply"]


@pytest.mark.parametrize("language", sorted(SOMEONE_ELSE_REPLIES))
def test_every_language_of_the_reply_for_a_worried_friend_speaks_of_the_promise(language):
    promise = {"en": "promised", "de": "versprochen", "fr": "promis", "es": "prometido"}
    promise |= {"ja": "約束", "pt": "prometido"}
    assert promise[language] in SOMEONE_ELSE_REPLIES[language]
    assert promise[language] in SOMEONE_ELSE_HURT_REPLIES[language]


# The bystander review: "Telling a trusted adult ... even if you promised to keep it secret" is
# what a manager or a parent read; one who answers for the person gets the adult's variant.
@pytest.mark.parametrize(
    ("message", "locale", "language"),
    [
        ("my report told me he wants to die", None, "en"),
        ("my son said he wants to die", "en-GB", "en"),
        ("my wife wants to kill herself", None, "en"),
        ("mein Sohn will sich umbringen", "de-DE", "de"),
        ("ma fille veut se suicider", "fr-FR", "fr"),
        ("mi hijo quiere suicidarse", "es-ES", "es"),
        ("meu filho quer se matar", "pt-BR", "pt"),
    ],
)
def test_one_who_answers_for_the_person_gets_the_adults_variant(message, locale, language):
    said = _turn(message, locale=locale)
    expected = crisis_reply(
        _resources(locale), someone_else=True, responsible=True, language=language
    )
    assert said["reply"] == expected
    lead, rest = RESPONSIBLE_REPLIES[language].split("{call}")
    assert expected.startswith(lead) and rest.split("\n")[0] in expected
    if language == "en":
        assert "trusted adult" not in said["reply"] and "promised" not in said["reply"]
        assert "Ask them directly whether they are thinking of suicide" in said["reply"]
        assert "remove or lock away" in said["reply"] and "a doctor" in said["reply"]


@pytest.mark.parametrize(
    ("message", "locale", "language"),
    [
        (FRIEND, None, "en"),
        ("my friend wants to kill herself", None, "en"),
        ("my kid brother wants to die", None, "en"),  # a young user's own family
        ("my boyfriend wants to kill himself", None, "en"),  # the young have them too
        ("my friend's son said he wants to die", None, "en"),  # someone else's son
        ("my best friend's wife wants to kill herself", None, "en"),
        ("mein Freund will sich umbringen", "de-DE", "de"),
    ],
)
def test_a_friend_without_that_responsibility_keeps_the_reply_for_the_young(
    message, locale, language
):
    said = _turn(message, locale=locale)
    assert said["reply"] == crisis_reply(_resources(locale), someone_else=True, language=language)
    assert SOMEONE_ELSE_REPLIES[language].split("\n")[0] in said["reply"]


def test_a_no_that_names_ones_son_gets_the_adults_variant():
    store = turns.MemoryStore()
    first = _turn("I want to die", store=store)
    answer = _turn("no, it's my son", store=store, session_id=first["session_id"], minutes=1)
    assert answer["reply"] == crisis_reply(_resources(None), someone_else=True, responsible=True)


def test_every_language_whose_relations_are_read_has_the_adults_variant():
    # Japanese has no relations (no pattern reads someone else's crisis in it): its reply for
    # a worried friend is the one it has.
    assert RESPONSIBLE_REPLIES.keys() == load_rules().relations.keys()
    for language, text in RESPONSIBLE_REPLIES.items():
        assert text.count("{resources}") == 1, language
        assert not text.rstrip().endswith(_SAFETY_QUESTIONS), language
    assert crisis_reply((), someone_else=True, responsible=True, language="ja") == crisis_reply(
        (), someone_else=True, language="ja"
    )


def test_every_language_of_the_crisis_reply_has_one_for_someone_else_hurt():
    assert SOMEONE_ELSE_HURT_REPLIES.keys() == CRISIS_REPLIES.keys()
    for language, text in SOMEONE_ELSE_HURT_REPLIES.items():
        assert text.count("{resources}") == 1, language
        assert not text.rstrip().endswith(_SAFETY_QUESTIONS), language
