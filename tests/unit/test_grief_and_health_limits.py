"""Replies and ranking for a grieving user and for a user with a chronic illness or disability
(the grief review): deaths said without "died", health limits, and both holding over the next
turns. The sensitive patterns alone are in test_sensitive_matters."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from common.analysis.baseline import analyze_baseline
from common.chat import service, wiring
from common.chat.models import TurnCreate
from common.end_of_life import end_of_life_reply
from common.locale_lines import locale_lines
from common.notifications.models import AFTER_HEAVY_EVENT
from common.notifications.weekly import weekly_insight
from common.personalization.preferences import PersonaStats, Profile
from common.personas import PERSONAS
from common.replies import ContextTurn, PromptBuilder, ReplyRequest, TemplateGenerator
from common.replies.prompt import _HEAVY_EVENT_RULE
from common.routing.ensemble import Conversation
from common.safety import resources_for
from common.support_lines import CANCER_FILE, SupportLines
from tests.fakes import turns
from tests.fakes.analysis import make_analysis
from tests.fakes.model import flagging
from tests.unit.test_notification_producers import KEY, NOW, _recipient

GEN = TemplateGenerator()
MORNING = turns.NOW.replace(hour=9)  # Riri's hour (no time zone set: the user's hour too)


def reply(message: str, persona: str, analysis=None, window=()) -> str:
    analysis = analysis or analyze_baseline(message)
    return GEN.generate(ReplyRequest(PERSONAS[persona], message, analysis, window=window))


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("tone", ["calm", "frustrated"])
def test_a_suicide_loss_without_died_gets_no_upbeat_or_frustrated_opener(persona, tone):
    text = reply("my son hanged himself last spring", persona, make_analysis(tone=tone))
    assert not any(w in text for w in ("grounded", "frustrating", "settled", "Ugh")), text


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_a_death_in_a_car_crash_gets_no_debugging_steps(persona):
    message = "my best friend died in a car crash on saturday"
    for analysis in (make_analysis(intent="problem_solving"), analyze_baseline(message)):
        text = reply(message, persona, analysis)
        assert not any(w in text for w in ("logs", "reproduce", "recent change")), text


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_grief_read_as_frustration_gets_the_sad_opener(persona):
    text = reply("my dad died of cancer last week", persona, make_analysis(tone="frustrated"))
    assert "frustrat" not in text and "grating" not in text, text


HEALTH = [
    "my fibromyalgia flared up again and I missed another deadline",
    "my depression makes it hard to start anything",
    "I'm having a flare and can't do anything today",
    "I'm in a wheelchair and the office has no ramp",
    "how can I be more productive with ME/CFS?",
    # The illness review: Riri's "Ugh, frustrating!... Pick one and go, you've got this!", and
    # for a cancer that is back "Step outside for a ten-minute walk"
    "I'm deaf and video interviews are hell",
    "my diabetes means I need breaks, my manager says no",
    "my cancer is back",
    "I'm back at work after chemo and I get tired by lunchtime",
    "I have endometriosis and some days I can barely stand",
    "I get migraines and the office lights make them worse",
    "I'm going back to work after a stroke and I'm nervous",
]
# "Fast track for your energy": Riri's rush, under gentleness too
PUSH = ("Ugh", "25-minute timer", "25 focused minutes", "Go,", "cut it down to size", "walk",
        "Fast track")  # fmt: skip


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("message", HEALTH)
@pytest.mark.parametrize(
    ("tone", "intent"),
    [("frustrated", "motivation"), ("overwhelmed", "learning"), ("sad", "emotional_support")],
)
def test_health_limits_get_no_push_or_cheer(persona, message, tone, intent):
    text = reply(message, persona, make_analysis(tone=tone, intent=intent))
    assert not any(w in text for w in PUSH), text


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_health_limits_get_pacing_steps_in_place_of_motivation(persona):
    text = reply("my long covid means I can only work 2 hours a day", persona,
                 make_analysis(intent="motivation"))  # fmt: skip
    assert "your energy" in text and "rest" in text, text


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_a_loss_holds_on_the_next_turn(persona):
    """ "people keep asking when we'll try again": no cheer, no check-in win, and "again" is no
    suggestion of ours that failed."""
    first = "our son was stillborn on tuesday"
    earlier = reply(first, persona, make_analysis(tone="sad", intent="check_in"))
    window = (ContextTurn(0, first, earlier, persona, "sad"),)
    for analysis in (
        make_analysis(tone="frustrated", intent="check_in"),
        make_analysis(tone="sad", intent="motivation"),
    ):
        text = reply("people keep asking when we'll try again", persona, analysis, window)
        assert not any(w in text for w in ("you've got this", "one win", "didn't")), text


def _turn(store, message: str, at: datetime, session_id=None, persona=None) -> dict:
    body = TurnCreate(
        client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id, persona=persona
    )
    response, _ = service.take_turn(
        uid="u1", body=body, **turns.turn_ports(store, rank=wiring.rank_personas), now=at
    )
    return response


def test_riri_is_not_chosen_for_a_heavy_event_nor_the_turn_after():
    """The real ranking at 09:00, when Riri led."""
    store = turns.MemoryStore()
    first = _turn(store, "my best friend died in a car crash on saturday", MORNING)
    assert first["persona"]["id"] != "riri"
    after = _turn(store, "what do I do now", MORNING + timedelta(minutes=1), first["session_id"])
    assert after["persona"]["id"] != "riri"


@pytest.mark.parametrize("message", HEALTH)
def test_riri_does_not_stay_on_for_health_limits(message):
    """A session with Riri (asked for), then health limits: continuity kept her."""
    store = turns.MemoryStore()
    first = _turn(store, "help me get going on my report", MORNING, persona="riri")
    later = _turn(store, message, MORNING + timedelta(minutes=1), first["session_id"])
    assert later["persona"]["id"] != "riri"


def test_a_policy_that_would_pick_riri_leaves_the_pick_to_the_ensemble_after_a_loss():
    liked = Profile(stats={**Profile().stats, "riri": PersonaStats(40.0, 1.0)}, turns=60,
                    feedback_count=40)  # fmt: skip
    analysis, _ = turns.analyze_offline("my best friend died in a car crash on saturday")
    for gentle in (False, True):
        ranking = wiring.rank_personas(
            analysis=analysis,
            convo=Conversation(local_hour=9, gentle=gentle),
            requested=None,
            seed="t1",
            profile=liked,
            policy_name="thompson",
        )
        assert (ranking.chosen.id == "riri") is not gentle


def test_a_heavy_turn_is_stamped_on_the_activity_record_and_kept_after():
    store = turns.ActivityStore()
    first = _turn(store, "we lost the baby at 12 weeks", turns.NOW)
    assert store.activity["u1"]["heavy_at"] == turns.NOW
    _turn(store, "thanks", turns.NOW + timedelta(minutes=1), first["session_id"])
    record = store.activity["u1"]
    assert record["heavy_at"] == turns.NOW  # a later turn keeps it
    assert record["expires_at"] >= turns.NOW + timedelta(days=7)  # for that week's insight


def test_no_weekly_insight_after_a_heavy_event_in_the_week():
    heavy = replace(_recipient(), heavy_at=NOW - timedelta(days=2))
    assert weekly_insight(heavy, now=NOW, key=KEY) == (None, AFTER_HEAVY_EVENT)
    last_week = replace(heavy, heavy_at=NOW - timedelta(days=9))
    note, _ = weekly_insight(last_week, now=NOW, key=KEY)
    assert note is not None and "you liked" in note.body


class _Recording(TemplateGenerator):
    """The template generator, keeping each request it answers."""

    def __init__(self) -> None:
        self.requests: list[ReplyRequest] = []

    def generate(self, req: ReplyRequest) -> str:
        self.requests.append(req)
        return super().generate(req)


def test_ranking_template_and_prompt_agree_on_a_loss_only_in_the_windows_first_turn():
    generator, convos = _Recording(), []

    def rank(**kw):
        convos.append(kw["convo"])
        return turns.rank(**kw)

    ports = turns.turn_ports(turns.MemoryStore(), rank=rank, generator=generator)
    messages = ["my dad died last week", *(f"my build fails on step {i}" for i in range(5))]
    session_id = None
    for i, message in enumerate(messages):
        body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
        said, _ = service.take_turn(
            uid="u1", body=body, now=turns.NOW + timedelta(minutes=i), **ports
        )
        session_id = said["session_id"]
    req = generator.requests[-1]
    assert req.window[0].message == messages[0] and len(req.window) == 5
    assert convos[-1].gentle and req.gentleness.heavy and not req.gentleness.heavy_now
    assert "heavy life event" in PromptBuilder().build(req).system_instruction
    assert not any(w in said["reply"] for w in ("you've got this", "25-minute timer")), said


# A terminal prognosis of their own (the illness review): with nothing flagged, "I don't have
# long left, how do I tell my team" got "25 focused minutes on one official tutorial", "I've
# been given 6 months to live, what do I do with my career" Elro's "Option A: run a small,
# reversible test" and, with Riri asked for, "Go, and tell me how step 1 goes!"; with the model,
# the last five got the suicide reply (0.55 to 0.99, 0.29 for the stopped chemo).
PROGNOSIS = [
    "I don't have long left, how do I tell my team",
    "I've been given 6 months to live, what do I do with my career",
    "my doctor says there's nothing more they can do, it's palliative now",
    "I'm moving into hospice care next month, how do I tell my team",
    "terminal diagnosis, 6 months, what do I do with my career",
    "I'm dying of cancer and I want to stop working",
    "I won't be here next year, the cancer has spread",
    "I'm going to die soon, the doctors say months",
    "I want to write goodbye letters to my kids before the cancer takes me",
    "I've stopped chemo, I'd rather have good months than more months",
]
STEPS = ("Option A", "tutorial", "reversible", "Go,", "milestones", "in writing")


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("message", PROGNOSIS)
def test_a_terminal_prognosis_gets_the_end_of_life_reply_with_no_steps(persona, message):
    text = reply(message, persona)
    assert not any(w in text for w in STEPS), text
    assert "palliative care team" in text and "crisis line" in text, text


@pytest.mark.parametrize("message", PROGNOSIS[:2])
def test_riri_asked_for_gives_no_steps_either_and_names_the_locales_cancer_line(message):
    said = turns.take_turn(uid="u1", message=message, analyze=turns.analyze_offline,
                           persona="riri", locale="en-GB")  # fmt: skip
    assert not any(w in said["reply"] for w in STEPS), said["reply"]
    assert "Macmillan Support Line (0808 808 00 00" in said["reply"]
    assert said["safety"]["crisis"] is False


@pytest.mark.parametrize("message", PROGNOSIS)
def test_a_terminal_prognosis_gets_the_heavy_event_and_end_of_life_rules(message):
    lines = ("If it's cancer, in the UK the Macmillan Support Line (0808 808 00 00) can help.",)
    req = ReplyRequest(
        PERSONAS["elro"],
        message,
        analyze_baseline(message),
        support_lines=SupportLines(cancer=lines),
    )
    rules = PromptBuilder().build(req).system_instruction
    assert _HEAVY_EVENT_RULE in rules
    assert "They say they are dying or have a terminal prognosis" in rules
    assert f"name this line as written: {lines[0]}" in rules


# The model alone flags a prognosis told with no plan, means or wish to hasten death: the
# end-of-life reply, its lines listed, no care. What the patterns read ("I want to die"), or a
# plan or a means, stays a crisis; so does another person's prognosis.
FLAGGED_PROGNOSIS = PROGNOSIS[5:]
STILL_A_CRISIS = [
    "I have cancer and I want to die before it gets worse",
    "I'm dying of cancer and I've saved up my morphine to end it",
    "I want to look into assisted dying, I'm terminal",
    "I'm terminal and I don't want to wait, I want to end it now",
    "my dad has 6 months to live",
    "I'm terminal and I'm only waiting for the nerve to finish the job",
]


@pytest.mark.parametrize("message", FLAGGED_PROGNOSIS)
def test_the_models_flag_alone_on_a_prognosis_gets_the_end_of_life_reply_with_the_lines(message):
    analyze = flagging(message)
    analysis, _ = analyze(message)
    assert analysis.safety.crisis is False and analysis.safety.end_of_life is True
    store, publisher = turns.ActivityStore(), turns.Publisher()
    said = turns.take_turn(uid="u1", message=message, analyze=analyze, store=store,
                           publisher=publisher)  # fmt: skip
    lines = resources_for(None, default_locale="en-US")
    assert said["reply"] == end_of_life_reply(
        locale_lines(CANCER_FILE, None, default_locale="en-US"), lines
    )
    assert "988" in said["reply"] and "Are you safe right now?" not in said["reply"]
    assert said["safety"]["crisis"] is False
    assert not [e for e in publisher.events if e.type == "safety.crisis_detected"]
    turn = next(e for e in publisher.events if e.type == "chat.turn.completed")
    assert turn.data["end_of_life"] is True
    assert store.activity["u1"]["crisis_at"] is None


@pytest.mark.parametrize("message", STILL_A_CRISIS)
def test_a_wish_to_die_a_plan_a_means_or_someone_elses_prognosis_stays_a_crisis(message):
    analysis, _ = flagging(message)(message)
    assert analysis.safety.crisis is True and analysis.safety.end_of_life is False
    said = turns.take_turn(uid="u1", message=message, analyze=flagging(message))
    assert said["safety"]["crisis"] is True and "Are you safe right now?" in said["reply"]
