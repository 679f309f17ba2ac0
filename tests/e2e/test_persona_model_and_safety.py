"""The persona model in the loop, its fallback, and crisis safety, through the gateway."""

from __future__ import annotations

import time
import uuid

from scripts import stack
from tests.stack_fixtures import new_turn

CRISIS = (
    "i've been giving my things away and writing letters. i don't think i'll be here much longer"
)


def test_turns_use_the_model_and_healthz_shows_its_cache(api, user):
    text = f"How do I get better at system design interviews? ({uuid.uuid4().hex[:6]})"
    r = new_turn(api, user, text)
    assert r.status_code == 201
    assert r.json()["degraded"] == []
    new_turn(api, user, text)  # the same words again: a cache hit in this instance
    health = api.get("/healthz").json()
    model = health["dependencies"]["persona_model"]
    assert model["ok"] and model["circuit"] == "closed"
    assert model["cache"]["hits"] >= 1 and 0 < model["cache"]["hit_rate"] <= 1


def test_when_the_model_server_stops_turns_degrade_and_recover(api, user, other_user):
    session_id = new_turn(api, user, "starting a plan for my portfolio site").json()["session_id"]
    stack.stop("model")
    try:
        for i in range(4):
            text = f"still planning the site, step {i} {uuid.uuid4().hex[:6]}"
            r = new_turn(api, user, text, session_id)
            assert r.status_code == 201, r.text
            body = r.json()
            assert body["degraded"] == ["persona_model"]
            assert body["persona"]["id"] in {"lua", "riri", "elro", "nana"}
            assert len(body["alternatives"]) == 2
        health = api.get("/healthz")
        assert health.status_code == 503
        assert health.headers["Retry-After"].isdigit()
        assert "persona_model" in health.json()["degraded"]
    finally:
        stack.start(stack.BY_NAME["model"])
    # After its reset period the circuit lets a trial through, and the model is back.
    degraded = None
    for _ in range(6):
        time.sleep(1.0)
        r = new_turn(api, other_user, f"back again {uuid.uuid4().hex[:6]}")
        assert r.status_code == 201
        degraded = r.json()["degraded"]
        if not degraded:
            break
    assert degraded == []


def test_a_user_in_crisis_gets_care_and_resources(api, user, events):
    session_id = new_turn(api, user, "work has been rough lately").json()["session_id"]
    r = new_turn(api, user, CRISIS, session_id)
    assert r.status_code == 201
    turn = r.json()
    assert turn["safety"]["crisis"] is True
    assert any("988" in res for res in turn["safety"]["resources"])
    assert all(res in turn["reply"] for res in turn["safety"]["resources"])
    got = events.pull(until=2, session_id=session_id)
    crisis_events = [e for e in got if e["type"] == "safety.crisis_detected"]
    assert len(crisis_events) == 1
    assert crisis_events[0]["data"]["turn_index"] == 1
    assert CRISIS[:20] not in str(crisis_events)

    # The next turns go on with care, Lua by default: right after the crisis reply, a thank-you
    # (common.safety.CARE_JUST_AFTER), not "how are you holding up since earlier?".
    follow = new_turn(api, user, "i don't know. can you help me plan tomorrow?", session_id).json()
    assert follow["safety"]["crisis"] is False
    assert follow["reply"].startswith("Thank you for telling me.")
    assert follow["persona"]["id"] == "lua"


def test_crisis_resources_follow_the_users_locale(api, user):
    headers = {**user.headers, "Accept-Language": "en-GB,en;q=0.8"}
    r = api.post(
        "/v2/chat/turns",
        headers=headers,
        json={"client_turn_id": uuid.uuid4().hex, "message": "I want to end my life tonight"},
    )
    assert r.status_code == 201
    assert any("116 123" in res for res in r.json()["safety"]["resources"])


def _answered(r) -> dict:
    assert r.status_code == 201, r.text
    return r.json()


def test_a_user_hurt_at_home_gets_the_line_for_violence_at_home_after_the_emergency_line(api, user):
    said = _answered(new_turn(api, user, "my husband hits me", None, language="en-US"))
    resources = said["safety"]["resources"]
    assert said["safety"]["crisis"] is True
    assert "911" in resources[0] and "1-800-799-7233" in resources[1], resources
    assert all(res in said["reply"] for res in resources)


def test_a_german_speaker_in_crisis_is_answered_in_german_and_a_nein_keeps_the_care(api, user):
    def turn(message: str, session_id: str | None = None) -> dict:
        return _answered(new_turn(api, user, message, session_id, language="de-DE,de;q=0.9"))

    first = turn("ich will nicht mehr leben")
    assert first["safety"]["crisis"] is True
    assert any("Telefonseelsorge" in res for res in first["safety"]["resources"])
    assert all(res in first["reply"] for res in first["safety"]["resources"])
    assert first["reply"].endswith("Bist du gerade in Sicherheit?")
    answer = turn("nein", first["session_id"])
    assert answer["safety"]["crisis"] is True  # "no" to the German question
    assert answer["reply"].startswith("Danke, dass du mir geantwortet hast.")


def test_a_brazilian_in_crisis_is_answered_in_portuguese_and_a_nao_keeps_the_care(api, user):
    # The persona model reads English only: the Portuguese patterns alone read this message.
    def turn(message: str, session_id: str | None = None) -> dict:
        return _answered(new_turn(api, user, message, session_id, language="pt-BR,pt;q=0.9"))

    first = turn("não aguento mais, quero morrer")
    assert first["safety"]["crisis"] is True
    assert any("188" in res for res in first["safety"]["resources"])  # CVV
    assert all(res in first["reply"] for res in first["safety"]["resources"])
    assert first["reply"].endswith("Está em segurança agora?")
    answer = turn("não", first["session_id"])
    assert answer["safety"]["crisis"] is True  # "no" to the Portuguese question
    assert answer["reply"].startswith("Obrigado por responder.")


def test_alarming_words_in_ordinary_use_are_answered_normally(api, user):
    for text in (
        "this deadline is killing me, how do I split the work?",
        "how do I kill the process that hogs port 8080?",
        "dead tired after the hackathon but we won!!",
    ):
        turn = new_turn(api, user, text).json()
        assert turn["safety"]["crisis"] is False, text
        assert turn["safety"]["resources"] == []
        assert "988" not in turn["reply"]
