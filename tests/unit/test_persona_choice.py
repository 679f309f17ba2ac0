from common.chat.persona_choice import Ranked, choose_persona

RANKED = [
    Ranked("elro", 0.62, ("a",)),
    Ranked("lua", 0.60, ("b",)),
    Ranked("riri", 0.40),
    Ranked("nana", 0.30),
]


def test_router_best_wins_for_a_new_conversation():
    c = choose_persona(RANKED, requested=None, current=None, frustration_rising=False)
    assert (c.chosen.id, c.source) == ("elro", "router")
    assert [a.id for a in c.alternatives] == ["lua", "riri"]


def test_user_choice_wins_and_is_explained():
    c = choose_persona(RANKED, requested="nana", current="elro", frustration_rising=False)
    assert (c.chosen.id, c.source) == ("nana", "requested")
    assert "You asked for Nana." in c.chosen.reasons
    assert "nana" not in [a.id for a in c.alternatives]
    assert len(c.alternatives) == 2


def test_current_persona_keeps_the_thread_within_the_margin():
    c = choose_persona(RANKED, requested=None, current="lua", frustration_rising=False)
    assert (c.chosen.id, c.source) == ("lua", "continuity")


def test_no_continuity_beyond_the_margin():
    c = choose_persona(RANKED, requested=None, current="riri", frustration_rising=False)
    assert c.chosen.id == "elro"


def test_rising_frustration_switches_away_from_the_current_persona():
    c = choose_persona(RANKED, requested=None, current="lua", frustration_rising=True)
    assert c.chosen.id == "elro"
    assert c.chosen.reasons[0].startswith("Switching from Lua")
