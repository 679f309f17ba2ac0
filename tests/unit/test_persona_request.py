"""A persona asked for, or said no to, in the message: request wording only."""

import pytest

from common.analysis.persona_request import persona_request


@pytest.mark.parametrize(
    ("message", "wanted"),
    [
        ("I want Lua", "lua"),
        ("Riri please", "riri"),
        ("ok, lua please", "lua"),
        ("can I talk to Elro?", "elro"),
        ("could I have Nana for this one", "nana"),
        ("switch back to Riri", "riri"),
        ("give me elro", "elro"),
        ("bring Nana back", "nana"),
        ("bring back Nana!", "nana"),
        ("I'd rather have Elro this time", "elro"),
        ("can I talk to Elro instead of Riri?", "elro"),
        ("I want Riri, I want to die", "riri"),  # the crisis comes first: the service's
        ("I want Lua 😊", "lua"),
        ("Ich möchte mit Elro sprechen", "elro"),
        ("je veux parler à Lua", "lua"),
        ("quiero hablar con Elro", "elro"),
        ("Nana por favor", "nana"),
        ("quero falar com a Nana", "nana"),
    ],
)
def test_a_request_names_the_persona(message: str, wanted: str) -> None:
    assert persona_request(message) == (wanted, None)


@pytest.mark.parametrize(
    ("message", "refused"),
    [
        ("not Riri again", "riri"),
        (
            "not Riri again please, she's too pushy. I need to fix this bug before the "
            "deadline today!!",
            "riri",
        ),
        ("no more Nana", "nana"),
        ("I don't want Riri", "riri"),
        ("keine Riri mehr", "riri"),
        ("no quiero a Riri", "riri"),
    ],
)
def test_a_refusal_names_the_persona(message: str, refused: str) -> None:
    assert persona_request(message) == (None, refused)


def test_one_persona_refused_and_another_asked_for() -> None:
    assert persona_request("not Riri again. can I talk to Elro?") == ("elro", "riri")


@pytest.mark.parametrize(
    "message",
    [
        "I want to learn Lua for game modding",
        "learn Lua",
        "my Lua script crashes",
        "my nana is in hospital",
        "talk to my nana",
        "I need to talk to nana about the holidays",
        "switch to Lua 5.4",
        "I like Lua",
        "It's not Nana's fault",
        "hi Riri",
        "I'm using Lua for scripting",
    ],
)
def test_a_name_outside_a_request_is_none(message: str) -> None:
    assert persona_request(message) == (None, None)
