"""A user who says someone at home hurts them is given a line for violence at home (kind
"violence" of the crisis patterns, common/data/violence_resources.json), not only suicide lines:
right after the emergency line, then the rest of the crisis list."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from common import safety
from common.analysis.safety import assess_safety, crisis_kinds
from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.safety import (
    VIOLENCE_FILE,
    crisis_reply,
    resources_for,
    tables,
    violence_key,
    violence_resources_for,
    with_violence_lines,
)
from tests.fakes import turns
from tests.fakes.turns import NOW

HURT = [
    "my husband hits me",
    "he is hitting me again",
    "i'm being abused",
    "my boyfriend threatened to kill me",
    "domestic violence",
    "mein Mann schlägt mich",
    "il me frappe",
    "mi pareja me pega",
    "ele me bate",
    "DVを受けている",
    "彼氏に殴られた",
]


@pytest.mark.parametrize("message", HURT)
def test_someone_hurting_the_user_is_kind_violence_and_still_a_crisis(message):
    assert "violence" in crisis_kinds(message)
    assert assess_safety(message).crisis


# The bystander review (H4): an adult hurt by someone, at work too, or stalked, got a cheerful
# reply: neither the patterns nor the model flagged them.
HURT_BY_ANYONE = [
    "my manager touched me inappropriately",
    "he attacked me",
    "my partner pushed me down the stairs",
    "my coworker threatened to shoot up the office",
    "my coworker said he'll bring a gun to work",
    "my boyfriend assaulted me",
    "my ex assaulted me",
    "my manager assaulted me",
    "my uncle sexually assaulted me",
    "my boss groped me",
    "mein Chef hat mich geschlagen",
    "mon patron m'a frappé",
    "mi jefe me pegó",
    "meu chefe me bateu",
    "上司に殴られた",
    "my ex is stalking me",
    "i'm being stalked",
    "mein Ex verfolgt mich",
    "元彼にストーカーされている",
]
# The same words in ordinary messages. "Pushed me into the deep end" is an idiom of work (a
# task too hard too soon), as "threw me under the bus": no place a body is pushed against.
NOT_HURT = [
    "the tests attacked the bug",
    "he attacked the problem",
    "he attacked me in the code review",
    "my boss verbally attacked me",
    "i've been stalking the job board all week",
    "recruiters keep stalking me on linkedin",
    "my boss pushed me to apply",
    "my manager pushed me into the deep end",
    "she threw me under the bus in the meeting",
    "he said he'd bring a knife to the office party for the cake",
    "das Pech verfolgt mich",
    "sie verfolgt mich in meinen Träumen",
    "上司に叩かれた",  # criticised as often as hit
]


@pytest.mark.parametrize("message", HURT_BY_ANYONE)
def test_anyone_hurting_or_stalking_the_user_is_violence(message):
    assert crisis_kinds(message) == {"violence"}
    assert assess_safety(message).crisis


@pytest.mark.parametrize("message", NOT_HURT)
def test_the_same_words_in_ordinary_messages_are_not_violence(message):
    assert crisis_kinds(message) == set()


# The money review: financial abuse with a threat or violence matched no pattern, and the
# model's flag alone (0.214 against a 0.2130 threshold) gave 988 and no line for violence at home.
FINANCIAL_ABUSE = [
    "my husband takes my whole paycheck and gets violent if any is missing",
    "he took out loans in my name and threatened me",
    "he took out loans in my name and says I'll regret it if I tell anyone",
    "My stepdad takes my whole paycheck and gets violent if any of it is missing.",
]


@pytest.mark.parametrize("message", FINANCIAL_ABUSE)
def test_financial_abuse_with_a_threat_is_kind_violence_and_a_crisis(message):
    assert crisis_kinds(message) == {"violence"}
    assert assess_safety(message).crisis


@pytest.mark.parametrize(
    ("message", "kinds"),
    [
        # Economic abuse is abuse, but alone no danger now: a sign that needs a second one, which
        # then brings the line for violence at home with the crisis reply.
        ("he won't let me have my own bank account and checks every receipt", {"violence"}),
        ("my husband takes my whole salary and won't let me see the bank statements", {"violence"}),
        ("my husband controls all my money and I feel trapped", {"violence", "distress"}),
        # the same words, no one controlling them
        ("I took out a loan in my name for the car", set()),
        ("my dad put the house in my name, he said I'd regret not doing it sooner", set()),
        ("he took my card to pay for lunch, threatened to buy dessert too lol", set()),
    ],
)
def test_money_control_alone_is_a_weak_sign_of_violence(message, kinds):
    safety = assess_safety(message)
    assert crisis_kinds(message) == kinds
    assert safety.crisis is (len(kinds) > 1), safety


@pytest.mark.parametrize(
    "message",
    ["I'm not safe right now", "I'm in danger", "I don't feel safe", "i'm not safe at home"],
)
def test_not_safe_says_no_one_did_it_and_stays_danger(message):
    assert crisis_kinds(message) == {"danger"}


def _turn(message: str, locale: str | None) -> dict:
    ports = turns.turn_ports(turns.ActivityStore(), settings=Settings())
    body = TurnCreate(client_turn_id="t1", message=message)
    said, _ = service.take_turn(uid="u1", body=body, now=NOW, locale=locale, **ports)
    return said


@pytest.mark.parametrize(
    ("locale", "message", "emergency", "line", "language"),
    [
        ("en-US", "my husband hits me", "911", "1-800-799-7233", "en"),
        *(("en-US", message, "911", "1-800-799-7233", "en") for message in FINANCIAL_ABUSE[:2]),
        # in English: the reply in English, around the country's lines
        ("de-DE", "my husband hits me", "112", "116 016", "en"),
        ("fr-FR", "my husband hits me", "112", "3919", "en"),
        ("de-DE", "mein Mann schlägt mich", "112", "116 016", "de"),
        ("fr-FR", "il me frappe", "112", "3919", "fr"),
    ],
)
def test_the_crisis_reply_lists_the_violence_line_right_after_the_emergency_line(
    locale, message, emergency, line, language
):
    said = _turn(message, locale)
    resources = tuple(said["safety"]["resources"])
    general = resources_for(locale, default_locale="en-US")
    violence = violence_resources_for(locale, default_locale="en-US")  # maybe a child line too
    assert emergency in resources[0] and line in resources[1], resources
    assert resources[1 : 1 + len(violence)] == violence
    rest = resources[1 + len(violence) :]
    assert sorted(rest) == sorted(r for r in general if r != resources[0])  # no doubles
    assert said["reply"] == crisis_reply(resources, language=language)


@pytest.mark.parametrize("locale", ["en-US", "de-DE", "fr-FR"])
def test_a_suicidal_message_gets_the_crisis_list_as_before(locale):
    said = _turn("I want to kill myself", locale)
    assert tuple(said["safety"]["resources"]) == resources_for(locale, default_locale="en-US")


@pytest.mark.parametrize("locale", ["en-CA", "de-CH", "en", "es-MX"])
def test_a_locale_with_no_violence_line_gets_exactly_the_crisis_list(locale):
    assert violence_resources_for(locale, default_locale="en-US") == ()
    said = _turn("my husband hits me", locale)
    listed = tuple(said["safety"]["resources"])
    assert sorted(listed) == sorted(resources_for(locale, default_locale="en-US"))
    assert safety._EMERGENCY.search(listed[0])  # no one's thoughts: the emergency line first


# The bystander review (H2): someone else being abused got the suicide wording ("If they might
# act on it now ... If you are having thoughts like these yourself") and the crisis lines alone,
# while the UK's National Domestic Abuse Helpline is for "someone you know" too.
SOMEONE_ELSE_HURT = [
    "my friend's boyfriend beats her, what can I do",
    "my sister is being abused by her husband",
    "my friend's dad hits her",
]


@pytest.mark.parametrize("message", SOMEONE_ELSE_HURT)
def test_someone_else_hurt_gets_the_line_for_violence_at_home_and_a_reply_for_it(message):
    assert crisis_kinds(message) == {"third_party_violence"}
    said = _turn(message, "en-GB")
    resources = tuple(said["safety"]["resources"])
    violence = violence_resources_for("en-GB", default_locale="en-US")
    assert resources == with_violence_lines(
        resources_for("en-GB", default_locale="en-US"), violence
    )
    assert "0808 2000 247" in said["reply"]
    assert "act on it" not in said["reply"] and "thoughts like these" not in said["reply"]
    assert said["reply"] == crisis_reply(resources, someone_else=True, hurt=True)
    assert said["reply"].startswith(safety.SOMEONE_ELSE_HURT_REPLIES["en"][:60])


# The re-read (H2): the hurt reply was chosen whenever the violence lines were listed, over a
# suicide risk told with it ("... wants to kill herself and her ex keeps hitting her") and over
# the adult's reply: a parent was told "even if you promised to keep it secret".
@pytest.mark.parametrize(
    ("message", "said_for_suicide"),
    [
        ("my friend wants to kill herself and her ex keeps hitting her", "already taken something"),
        ("my wife wants to kill herself and her ex keeps hitting her", "Ask them directly"),
    ],
)
def test_someone_else_hurt_and_suicidal_gets_the_suicide_advice_with_the_violence_line(
    message, said_for_suicide
):
    assert crisis_kinds(message) == {"third_party", "third_party_violence"}
    said = _turn(message, "en-GB")
    assert said_for_suicide in said["reply"]
    assert "0808 2000 247" in said["reply"]
    assert "believe them" not in said["reply"]


def test_a_parent_of_someone_hurt_gets_the_hurt_reply_without_the_promise():
    said = _turn("my daughter told me her boyfriend hits her", "en-GB")
    assert "believe them" in said["reply"] and "0808 2000 247" in said["reply"]
    assert "promised to keep it secret" not in said["reply"]
    assert "trusted adult" not in said["reply"]


def test_each_hurt_reply_has_the_promise_sentence_the_adults_variant_leaves_out():
    for language, text in safety.SOMEONE_ELSE_HURT_REPLIES.items():
        kept = crisis_reply(("x",), someone_else=True, hurt=True, language=language)
        left = crisis_reply(
            ("x",), someone_else=True, hurt=True, responsible=True, language=language
        )
        assert safety._KEEP_SECRET[language] in text, language
        assert left == kept.replace(safety._KEEP_SECRET[language], ""), language
        assert left != kept, language


# The bystander review (M2): violence the model alone caught got the crisis list alone and, after
# a no, "If you might act on these thoughts": no pattern said someone hurt the user.
MODEL_CAUGHT = [
    "my ex said he will kill me",
    "my husband will kill me if he finds out",  # a weak sign alone: said of a purchase as often
    "my partner shoved me into the wall",
    "he locked me in the room",
    "my ex keeps following me home",
]
# "Will kill me" for being late, failing or forgetting, in jest, a purchase found out, a prank.
KILL_ME_HYPERBOLE = [
    "my boss will kill me if I miss this",
    "my boss will kill me if I forget the slides",
    "my boss will kill me if I'm late",
    "my mum will kill me if I fail this exam",
    "my team lead said he'd kill me if I push to main again lol",
    "my wife will kill me if she finds out I bought another guitar",
    "my brother locked me in the bathroom lol",
]


@pytest.mark.parametrize("message", MODEL_CAUGHT)
def test_violence_the_model_catches_is_violence_to_the_patterns_too(message):
    assert "violence" in crisis_kinds(message)


@pytest.mark.parametrize("message", KILL_ME_HYPERBOLE)
def test_kill_me_as_hyperbole_is_no_sign(message):
    assert crisis_kinds(message) == set()


def test_a_threat_only_the_model_flags_gets_the_violence_line_and_the_danger_follow_up():
    def model(text: str):  # the model flags it; the patterns say who (a weak sign alone)
        analysis, degraded = turns.analyze_offline(text)
        flagged = replace(analysis.safety, crisis=True, probability=0.97, detected_by=("model",))
        return replace(analysis, safety=flagged), degraded

    store = turns.ActivityStore()
    ports = turns.turn_ports(store, analyze=model, settings=Settings())
    said, _ = service.take_turn(
        uid="u1",
        body=TurnCreate(client_turn_id="t1", message="my husband will kill me if he finds out"),
        now=NOW,
        locale="en-GB",
        **ports,
    )
    assert "0808 2000 247" in " ".join(said["safety"]["resources"])
    answer, _ = service.take_turn(
        uid="u1",
        body=TurnCreate(client_turn_id="t2", message="no", session_id=said["session_id"]),
        now=NOW + timedelta(minutes=1),
        locale="en-GB",
        **ports,
    )
    assert "If you are in danger right now" in answer["reply"]
    assert "act on these thoughts" not in answer["reply"]


def test_the_crisis_event_names_the_violence_entry_shown():
    ports = turns.turn_ports(turns.ActivityStore(), settings=Settings())
    for message in ("my husband hits me", "I want to kill myself"):
        body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message)
        service.take_turn(uid="u1", body=body, now=NOW, locale="en-GB", **ports)
    hurt, suicidal = (
        e.data for e in ports["publisher"].events if e.type == "safety.crisis_detected"
    )
    assert (hurt["violence_key"], suicidal["violence_key"]) == ("en-gb", None)


@pytest.mark.parametrize(
    ("locale", "key"),
    [
        ("en-US", "en-us"),
        ("tr-DE", "de-de"),  # another language in Germany: Germany's line (in 18 languages)
        ("es-US", "en-us"),
        ("ja-JP", "ja"),  # the language's entry, which names Japan
        (None, "en-us"),  # no Accept-Language: the default locale's
        ("en", None),  # no default entry: nothing for a language with no country
    ],
)
def test_the_violence_lines_are_looked_up_as_the_crisis_resources_are(locale, key):
    assert violence_key(locale, default_locale="en-US") == key


def test_a_language_entry_is_read_in_every_country_of_the_language(monkeypatch, tmp_path):
    table = tmp_path / "violence_resources.json"
    table.write_text(json.dumps({"de": ["in Deutschland: 116 016"], "de-CH": ["CH line"]}))
    monkeypatch.setattr(tables, "VIOLENCE_FILE", table)
    safety._violence.cache_clear()
    safety._by_region.cache_clear()
    try:
        assert violence_resources_for("de-AT", default_locale="en-US") == (
            "in Deutschland: 116 016",
        )
        assert violence_resources_for("fr-CH", default_locale="en-US") == ("CH line",)
        assert violence_resources_for("fr-FR", default_locale="en-US") == ()
    finally:
        safety._violence.cache_clear()
        safety._by_region.cache_clear()


def test_lines_already_in_the_crisis_list_are_not_listed_twice():
    crisis = ("a helpline", "If you are in immediate danger, call 112", "shared line")
    assert with_violence_lines(crisis, ("shared line", "dv line")) == (
        "If you are in immediate danger, call 112",
        "shared line",
        "dv line",
        "a helpline",
    )
    assert with_violence_lines(crisis, ()) == crisis


def _table() -> dict[str, list[str]]:
    raw = json.loads(VIOLENCE_FILE.read_text(encoding="utf-8"))
    return {key: lines for key, lines in raw.items() if not key.startswith("_")}


@pytest.mark.parametrize("key", sorted(_table()))
def test_every_violence_entry_is_non_empty_strings(key):
    lines = _table()[key]
    assert lines and all(isinstance(line, str) and line.strip() for line in lines)


@pytest.mark.parametrize("key", sorted(safety._resources()))
def test_every_crisis_entry_has_an_emergency_line_the_violence_lines_follow(key):
    assert any(safety._EMERGENCY.search(line) for line in safety._resources()[key]), key


@pytest.mark.parametrize("key", sorted(k for k in _table() if "-" not in k))
def test_a_violence_language_entry_names_the_country_of_its_numbers(key):
    # ja is read wherever Japanese is: its line says it is Japan's.
    assert all(line.startswith("日本国内") for line in _table()[key]) and key == "ja"


def test_every_violence_entry_has_a_row_in_the_operations_table():
    operations = VIOLENCE_FILE.parents[2] / "docs" / "OPERATIONS.md"
    section = operations.read_text(encoding="utf-8").split("## Lines for violence at home", 1)[1]
    rows = [line for line in section.split("\n## ")[0].splitlines() if line.startswith("| `")]
    listed = {key for row in rows for key in [row.split("`")[1]]}
    assert set(_table()) <= listed


# A child hurt at home is the case these lines serve, and the product holds no age: the UK,
# Germany, France and the US list their child line after the line for violence at home, worded
# so an adult reader sees it is for young people (the minors review of 2026-12-07).
CHILD_LINES = {
    "en-GB": ("0800 1111", "under 19"),
    "de-DE": ("116 111", "Kinder und Jugendliche"),
    "fr-FR": ("119", "jusqu'à 21 ans"),
    "en-US": ("1-800-422-4453", "children and teens"),
}


@pytest.mark.parametrize(("locale", "child"), sorted(CHILD_LINES.items()))
def test_a_child_hurt_at_home_is_given_the_child_line_after_the_violence_line(locale, child):
    number, for_whom = child
    said = _turn("my stepdad hits me", locale)
    resources = tuple(said["safety"]["resources"])
    assert number in resources[2] and for_whom in resources[2], resources
    assert number not in " ".join(resources_for(locale, default_locale="en-US"))  # only here


@pytest.mark.parametrize("key", sorted(_table()))
def test_an_entry_lists_at_most_one_child_line_after_its_violence_line(key):
    assert len(_table()[key]) <= 2
    assert len(_table()[key]) == 1 or key in CHILD_LINES


def test_the_no_to_are_you_safe_after_violence_keeps_its_lines():
    store, said = turns.MemoryStore(), None
    for message in ("my stepdad hits me", "no"):
        said = turns.take_turn(
            uid="u1",
            message=message,
            analyze=turns.analyze_offline,
            store=store,
            session_id=said and said["session_id"],
            locale="en-GB",
        )
    resources = tuple(said["safety"]["resources"])
    violence = violence_resources_for("en-GB", default_locale="en-US")
    assert "999" in resources[0] and resources[1 : 1 + len(violence)] == violence, resources
    assert said["reply"] == crisis_reply(resources, again=True, in_danger=True, language="en")
