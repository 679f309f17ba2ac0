"""What a user said in crisis is never handed back as a topic or a failed attempt (the product
review: "I tried to overdose" came back as "that overdose didn't help; let's try another way")."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from common.analysis.baseline import analyze_baseline
from common.safety import CRISIS_REPLIES, answers_not_safe, crisis_reply
from common.sessions.state import SessionState
from tests.fakes import turns

CRISIS = "I tried to overdose last night but it didn't work"

offline = turns.analyze_offline  # the baseline alone, no model


def _conversation(
    *messages: str, every: timedelta = timedelta(minutes=1)
) -> tuple[list[dict], SessionState]:
    store, session_id, replies = turns.MemoryStore(), None, []
    for i, message in enumerate(messages):
        response = turns.take_turn(
            uid="u1",
            message=message,
            analyze=offline,
            store=store,
            session_id=session_id,
            now=turns.NOW + i * every,
        )
        session_id = response["session_id"]
        replies.append(response)
    return replies, store.sessions[session_id]


def test_the_next_turns_do_not_recall_the_crisis_message_as_something_tried():
    replies, _ = _conversation(
        CRISIS, "I'm safe now, I'm at my mum's", "talking didn't help though"
    )
    assert replies[0]["safety"]["crisis"] is True
    for later in replies[1:]:
        assert "overdose" not in later["reply"].lower()


def test_the_summary_keeps_no_words_of_a_crisis_turn():
    # past the care turns that follow it (CARE_TURNS_AFTER_CRISIS, 3), which add no words either
    later = [f"my thesis chapter {n} is due and I tried outlining it" for n in range(9)]
    _, state = _conversation(CRISIS, *later)
    summary = state.summary
    assert summary.turns_folded == 5  # the crisis turn and its care turns have left the window
    folded = " ".join((*summary.tried, *summary.topics, *summary.entities)).lower()
    assert "overdose" not in folded and "night" not in folded
    assert any("outlining" in t for t in summary.tried)  # ordinary turns still count


def test_what_a_care_turn_says_never_comes_back_as_something_tried():
    # The summaries review (c3b): the care turn's hotline call was folded in, and 2 h 40 later
    # the template said "I hear that the idea to rate your energy ... (and calling the
    # hotline) didn't help", and Gemini's notes "Earlier they tried: calling the hotline".
    replies, state = _conversation(
        "I can't get my budget spreadsheet to balance.",
        "I want to kill myself.",
        "I already tried calling the hotline but nobody answered.",  # care
        "ok. my sister is here now.",
        "thanks",
        "Can we look at the spreadsheet again?",
        "The totals are off by 200 euros.",
        "I checked every formula.",
        "It's still wrong, nothing works.",
        every=timedelta(minutes=20),
    )
    assert state.summary.turns_folded == 4  # the care turn has left the window
    assert state.summary.tried == ()
    assert "hotline" not in replies[-1]["reply"] and "hotline" not in str(state.summary)


def test_a_care_turns_words_are_no_topic_once_care_is_over():
    # The summaries review (c3): what care turns said came back as "Topics: stockpiling,
    # medication, weeks" in an ordinary prompt, with no crisis or care rule beside it.
    from common.replies.prompt import render_summary

    _, state = _conversation(
        "I need help planning my thesis chapters.",
        "I want to kill myself.",
        "I have been stockpiling my medication for weeks.",  # care
        "I looked up how many paracetamol it takes.",  # care
        "I'm ok now, I'll call my sister tonight.",  # care
        "Can we look at the thesis again?",
        "Chapter two is the literature review.",
        "How long should the methods chapter be?",
        "What should I write first tomorrow?",
        every=timedelta(minutes=20),
    )
    notes = render_summary(state.summary)
    assert state.summary.turns_folded == 4 and "thesis" in notes  # ordinary turns still count
    for word in ("stockpiling", "medication", "paracetamol", "sister"):
        assert word not in notes
    assert len(state.summary.tones) == 4  # their tone still counts


def test_only_a_no_to_the_safety_question_is_thanked_for_answering():
    # The safety review: any crisis turn after a crisis turn got "Thank you for answering me",
    # "i took all my pills" after a "no" too, though it answers nothing.
    replies, _ = _conversation("I want to kill myself", "no", "i took all my pills")
    resources = tuple(replies[0]["safety"]["resources"])
    assert [r["safety"]["crisis"] for r in replies] == [True, True, True]
    assert replies[1]["reply"] == crisis_reply(resources, again=True)
    # the first reply and its question, the emergency number first for pills taken
    taken = tuple(replies[2]["safety"]["resources"])
    assert replies[2]["reply"] == crisis_reply(taken, taken=True)
    # A second statement in a row is not an answer either.
    replies, _ = _conversation("I feel hopeless and I want to die", "I still want to die")
    assert replies[1]["reply"] == replies[0]["reply"] == crisis_reply(resources)


def test_care_turns_read_no_mood_as_fine_and_give_no_plan_or_steps():
    # The words review: "ok" got "You sound grounded", and "I feel calm now, I've made my
    # decision" got "run a small, reversible test of one option first".
    replies, _ = _conversation(
        "I want to kill myself", "ok", "I feel calm now, I've made my decision", "I'm excited!"
    )
    for r in replies[1:]:
        text = r["reply"]
        assert not re.search(r"grounded|excitement|curious|\d\)|Option|First,|step", text), text


def test_care_checks_in_once_then_only_reminds():
    from common.safety import CARE_JUST_AFTER, CARE_REMINDER

    replies, _ = _conversation(
        "I feel hopeless and I want to die", "ok", "can we get back to my thesis plan?", "thanks"
    )
    care = [r["reply"] for r in replies[1:]]
    assert care[0].startswith(CARE_JUST_AFTER) and CARE_REMINDER not in care[0]
    for later in care[1:]:
        assert CARE_JUST_AFTER not in later and later.endswith(CARE_REMINDER)


def test_the_turn_after_a_no_is_not_asked_how_it_is_holding_up_since_earlier():
    # The crisis-journey review (j2): the "no" turn's reply asks "Would you like to tell me a
    # little more about how you're doing?"; "idk" a minute later got "how are you holding up
    # since earlier? If things feel heavy again ...".
    replies, _ = _conversation("I want to kill myself", "no", "idk")
    assert [r["safety"]["crisis"] for r in replies] == [True, True, False]
    text = replies[2]["reply"]
    assert "since earlier" not in text and "again" not in text, text


def test_after_a_no_to_are_you_safe_care_outlasts_its_three_turns():
    # The safety review: care ended three turns after the "no": at index 5 "are you there"
    # got "I like that you're curious about this", at 7 "please" "You sound grounded".
    from common.safety import CARE_REMINDER

    later = ["i cant", "i just cant", "everything hurts", "im scared", "are you there", "please"]
    replies, state = _conversation("I want to kill myself", "no", *later, "ok", "whatever")
    assert [r["persona"]["id"] for r in replies[2:]] == ["lua"] * 8
    for r in replies[3:]:
        assert r["reply"].endswith(CARE_REMINDER), r["reply"]
    assert state.in_care(turns.NOW + timedelta(minutes=10))
    # A first crisis signal alone (maybe a false alarm) keeps its three turns of care.
    replies, state = _conversation("I want to kill myself", "yes, I'm at home", *later)
    assert not state.in_care(turns.NOW) and not replies[-1]["reply"].endswith(CARE_REMINDER)


def test_care_after_a_no_ends_a_day_after_the_sessions_latest_crisis_turn():
    # The review: care after a no lasted as long as the session, and each turn pushes its
    # expiry a day: a user who came back every few hours was in care for good.
    from common.safety import CARE_REMINDER

    later = ["ok", "thanks", "still here", "my thesis plan is late", "what should I do first?"]
    replies, state = _conversation(
        "I want to kill myself", "no", *later, "thanks", "bye", every=timedelta(hours=4)
    )
    # the "no" at 4 h: its three care turns (to 16 h), then care until 28 h, not at it
    cared = [r["reply"].endswith(CARE_REMINDER) for r in replies[3:]]
    assert cared == [True, True, True, True, False, False]
    assert state.said_not_safe and not state.in_care(turns.NOW + timedelta(hours=36))


def test_a_no_that_says_more_keeps_care_for_a_day_as_a_bare_no_does():
    # The review: only a whole no kept care for a day, so the most alarming answers ("no, i
    # have a knife") got three care turns while a bare "no" got the day.
    later = ["ok", "thanks", "can we talk about my thesis?", "my thesis plan is late"]
    for answer in (
        "no",
        "not really, just tired",
        "no. i have the pills next to me",
        "no, he's still here",
        "no i have a knife",
        "no im alone and scared",
    ):
        replies, state = _conversation("I want to kill myself", answer, *later)
        assert replies[1]["safety"]["crisis"] is True and replies[1]["safety"]["resources"]
        assert state.said_not_safe and state.in_care(turns.NOW + timedelta(hours=23)), answer
    # A no that reassures is no crisis, and keeps no care past the first crisis's turns.
    for answer in ("no no, I'm fine", "no, it was about work", "no i didnt mean it literally"):
        replies, state = _conversation("I want to kill myself", answer, *later)
        assert replies[1]["safety"]["crisis"] is False, answer
        assert not state.said_not_safe and not state.in_care(turns.NOW + timedelta(minutes=6))


def test_no_to_are_you_safe_is_answered_as_a_crisis():
    # The crisis reply asks "Are you safe right now?"; a bare "No" got an upbeat persona reply
    # with no resources (the care review): no detector flags it without the question.
    # ´ for ' as some keyboards type it (the i18n review: NFKC alone made "I´m" "i m").
    for answer in ("No", "not really", "idk", "No, I'm not", "I´m not safe", "I don´t know"):
        replies, _ = _conversation("i want to kill myself", answer)
        first, second = replies
        assert first["reply"].endswith("Are you safe right now?")
        assert second["safety"]["crisis"] is True, answer
        assert second["safety"]["resources"] == first["safety"]["resources"]
        assert all(r in second["reply"] for r in first["safety"]["resources"])


def test_no_said_in_more_words_is_still_no_and_safe_said_after_no_is_not():
    asked = crisis_reply(("988",))
    for answer in (
        "no not safe",
        "No. Not safe.",
        "No, not at all.",
        "no no",
        "No. I'm not.",
        "Honestly no",
        "nope, not safe",
        "No I don't think so",
        "no, not right now",
        "I'm not safe right now",
        "No, I'm not safe right now",
        "not at the moment",
        "I am not safe at the moment",
        "I'm really not",
        "not really tbh",
        "I'm not really safe",
        "im not very safe",
        "Non.",
        "nein",
        "いいえ",
        # each spelling of the answer once (the mutation review: dropping any of them went
        # unnoticed, and the crisis patterns flag none of these)
        "I'm not okay",
        "im not ok",
        "not sure",
        "I'm not sure",
        "Noo",
        "never",
        "hardly",
        "not tonight",
        "not anymore",
        "unsure",
        "ううん",
        "no, not really, not sure",
        "No. I am not okay right now. Not really. Not at the moment.",  # 58 characters
        "I´m not safe",  # ´ (U+00B4) for ', as some keyboards type it
        "I don´t know",
        "I’m not safe",
    ):
        assert answers_not_safe(asked, answer), answer
    for answer in (
        "no im safe",
        "No, I am safe",
        "no, but thanks",
        "yes im safe",
        "never better",
        "not now, im fine",
        "not bad",
        "no, im ok",
        "no worries",
        "No. I'm safe.",
        "nope im good",
    ):
        assert not answers_not_safe(asked, answer), answer
    assert not answers_not_safe("Should I take the offer?", "no")
    # A longer message is not a whole answer (it is not read as one: a repeated answer ending
    # in something else took 13 s with 22 repeats when answers could be spelled two ways); up
    # to 200 characters its leading no alone is read, past them nothing.
    assert not answers_not_safe(asked, "No, not at all. " * 22 + "sorry")
    assert answers_not_safe(asked, "No, not at all. " * 6)


# The safety review: a no that says more, or in other words, was not read as no ("no. i have
# the pills next to me" got the care check-in with no resources while the model was down).
NOT_SAFE = [
    "no. i have the pills next to me",
    "no.. i have pills",
    "no, he's here",
    "no and i dont want to be",
    "no i'm scared",
    "No I'm not fine",
    "not ok",
    "not okay",
    "not fine",
    "I'm not fine",
    "probably not",
    "help",
    "please help me",
    "Honestly no, I have a plan",
    # read so before, still
    "no",
    "nope",
    "no im not",
    "not really",
    "idk",
    "no :(",
    # "not really" answers the question; being tired does not take it back (a crisis turn,
    # with the usual care turns: test_a_no_read_from_its_first_word_...)
    "not really, just tired",
    "no joke, i have pills",  # an intensifier, not a joke
    "no i'm not joking",
    "no lol",  # a filler alone reassures no one
    # The review: a take-back read as a bare prefix let a restated no through as safe, and
    # asking why takes nothing back
    "no i meant it",
    "no, I meant what I said",
    "no, I meant I'm not safe",
    "no i just meant i cant go on",
    "no, I did not mean it as a joke",
    "no, I didn't mean to scare you but I'm not safe",
    "no, you misunderstood, I'm not safe",
    "no why",
    "nah why",
    "no, why?",
    # nor does a reassurance that what follows says not safe again
    "no i'm ok but i dont want to live",
    "no im fine but i have the pills",
    "no thanks, i have a knife",
    "no, it was a joke, i really want to die",
    "no, it was about work. i can't go on",
    "no, I was kidding... not really",
    "nah, it was a joke. i mean it though",
    "no worries, but I still want to die",
    # The support review: a bare "jk" after the no takes the crisis back, but not when the
    # danger is said after it, nor as an intensifier
    "no lol i want to die",
    "no jk i want to die",
    "no jk lol im done",
    "no jk, im fine but i have the pills",
    "no joke",
    "no kidding",
    # The dark-humour review: laughter before the no leaves it a no, as after it ("no lol"),
    # and a no after a joke no longer holds care's no-help text once they say they are fine
    "lol no",
    "haha no",
    "lmao no",
    "omg no",
    "hahaha nah",
    "lol no i have the pills",
    # The dark-humour review: "not literally" takes the words back, but not with more after it
    "not literally but i do want to die",
    "no, not literally, i just want to disappear",
]
SAFE = [
    "no i'm fine",
    "No, I'm fine.",
    "nah im good",
    "no im okay",
    "no worries im ok",
    "no thanks",
    "no, but thanks",
    "not now, im fine",
    "not bad",
    "not too bad",
    "yes",
    "yes i'm safe",
    "i think so",
    # The review: read as not safe, so care held for good (the reassurance came after a filler
    # or a second no, or took the crisis reply's reading back)
    "no no, i'm fine",
    "no lol i'm fine",
    "no, I'm not suicidal",
    "no, I'm not in danger",
    "no, I'm not going to hurt myself",
    "no, it was a joke",
    "no, everything is fine",
    "no, I was joking",
    "nah, wrong read, I'm fine",
    "no i didnt mean it literally",
    "no, sorry, I meant the sprint",
    "no you misunderstood",
    # still reassured with what the take-back means, or a reassurance after it
    "no, you misunderstood, I'm fine",
    "no, it was about work",
    "no, im ok. why?",
    "no im fine, not going to hurt myself",
    "no, I'm fine, I don't want to die",
    "no thanks for the help",
    "no I'm not suicidal, just exhausted",
    # The support review: a crisis reply to a joke about a deadline, then 24 h of care for "no
    # jk" (while "no, it was a joke" reassured)
    "no jk",
    "nope, joke",
    "no lol jk",
    "no jk lol",
    "no, joking",
    "nah kidding",
    "no jk im fine",
    # The dark-humour review: "not literally", as README's "no, I didn't mean it literally", was
    # read as a no, and a day of care
    "not literally",
    "not literally lol",
    "no, not literally",
    "no not literally lol",
    "not literally, im fine",
    "not suicidal",
    "lol no im fine",
    "haha no jk",
    "lol",
]


@pytest.mark.parametrize("answer", NOT_SAFE)
def test_a_no_that_says_more_is_read_as_not_safe(answer):
    assert answers_not_safe(crisis_reply(("988",)), answer)


@pytest.mark.parametrize("answer", SAFE)
def test_a_no_followed_by_a_reassurance_is_not(answer):
    assert not answers_not_safe(crisis_reply(("988",)), answer)


def test_a_joke_taken_back_with_jk_starts_no_day_of_care():
    replies, state = _conversation("this deadline will kill me lol i want to die", "no jk")
    assert replies[0]["safety"]["crisis"] is True
    assert replies[1]["safety"]["crisis"] is False and state.not_safe_until is None
    # a bare no is read as it was: a day of care
    replies, state = _conversation("this deadline will kill me lol i want to die", "no")
    assert replies[1]["safety"]["crisis"] is True and state.not_safe_until is not None


# The dark-humour review: a take-back that repeats the flagged words ("i'm not going to kill
# myself, it was a joke") is read as a crisis by the patterns, and got the first crisis reply
# and its question again, every time it was said.
@pytest.mark.parametrize(
    "take_back",
    [
        "i'm not going to kill myself, it was a joke",
        "no i'm not gonna kms lol",
        "im not gonna kill myself lol",
        "i wont kill myself, i was joking",
    ],
)
def test_a_take_back_in_the_words_just_answered_is_not_asked_again(take_back):
    replies, state = _conversation("kms this standup is 45 min again", take_back, take_back)
    resources = tuple(replies[0]["safety"]["resources"])
    for later in replies[1:]:
        assert later["safety"]["crisis"] is True and later["safety"]["resources"], take_back
        assert later["reply"] == crisis_reply(resources, taken_back=True)
        assert not later["reply"].endswith("Are you safe right now?")
    assert state.not_safe_until is None  # no day of care: it was no "no"


def test_a_take_back_with_a_sign_of_danger_gets_the_first_reply_again():
    for said in (
        "i'm not going to kill myself, i have the pills",
        "im not gonna kill myself... i want to die",
    ):
        replies, _ = _conversation("kms this standup is 45 min again", said)
        assert replies[1]["reply"] == replies[0]["reply"], said


def test_a_no_that_says_more_gets_the_resources_with_the_model_down():
    replies, _ = _conversation("I want to kill myself", "no. i have the pills next to me")
    assert replies[1]["safety"]["crisis"] is True and replies[1]["safety"]["resources"]


def test_yes_to_are_you_safe_and_no_to_other_questions_are_not_a_crisis():
    replies, _ = _conversation("i want to kill myself", "yes, I'm at home with my sister")
    assert replies[1]["safety"]["crisis"] is False
    replies, _ = _conversation("should I take the job offer?", "no")
    assert replies[1]["safety"]["crisis"] is False


def test_a_crisis_written_into_an_expired_session_is_answered_in_a_new_one():
    # The app resumed yesterday's session: an ordinary message gets 404 session_not_found, a
    # crisis the resources (the care review: it got the 404, and no resources).
    from common.errors import NotFound

    store = turns.MemoryStore()
    old = turns.take_turn(uid="u1", message="rough day at work", analyze=offline, store=store)
    later = turns.NOW + timedelta(hours=25)
    sid = old["session_id"]
    with pytest.raises(NotFound):
        turns.take_turn(uid="u1", message="hi again", analyze=offline, store=store,
                        session_id=sid, now=later)  # fmt: skip
    crisis = turns.take_turn(uid="u1", message="i want to kill myself", analyze=offline,
                             store=store, session_id=sid, now=later)  # fmt: skip
    assert crisis["safety"]["crisis"] is True and crisis["safety"]["resources"]
    assert crisis["session_id"] != sid and crisis["turn_index"] == 0
    assert store.sessions[crisis["session_id"]].care_until is not None


@pytest.mark.parametrize(
    "message", ["I don't want to live anymore", "I don´t want to live anymore"]
)
def test_a_crisis_past_the_burst_limit_is_answered_however_its_apostrophe_is_typed(
    monkeypatch, message
):
    # Nine messages in the last minute (the burst limit is eight) and no analysis slot left,
    # so only the patterns read the raw message before the limit is judged: with ´ (U+00B4)
    # they read "don t" and the crisis got a 429 (the i18n review).
    from dataclasses import replace

    from common.chat import service
    from common.chat.limits import activity_doc, unsalted_hash

    class BusyUser(turns.MemoryStore):
        def read_turn_context(self, **kw):
            context = super().read_turn_context(**kw)
            sent = [
                (turns.NOW - timedelta(seconds=5 * i), unsalted_hash(f"m{i}")) for i in range(9)
            ]
            return replace(context, activity=activity_doc(sent, limited_until=None))

    monkeypatch.setattr(service, "_SLOTS", service._Slots(0, 0))
    answered = turns.take_turn(uid="u1", message=message, analyze=offline, store=BusyUser())
    assert answered["safety"]["crisis"] is True and answered["safety"]["resources"]


def test_the_crisis_event_says_what_detected_it():
    # analysis_source names the model whenever it answered: the patterns' catches, and a no
    # to the safety question, were indistinguishable in the crisis view (the care review).
    store, publisher = turns.MemoryStore(), turns.Publisher()
    first = turns.take_turn(uid="u1", message="i want to kill myself", analyze=offline,
                            store=store, publisher=publisher)  # fmt: skip
    later = turns.NOW + timedelta(minutes=1)
    turns.take_turn(uid="u1", message="no", analyze=offline, store=store, publisher=publisher,
                    session_id=first["session_id"], now=later)  # fmt: skip
    crises = [e.data["detected_by"] for e in publisher.events if e.type == "safety.crisis_detected"]
    assert crises == ["patterns", "safety_answer"]


def test_a_crisis_only_the_model_reads_in_an_expired_session_is_answered_too():
    from dataclasses import replace

    from common.analysis.types import Safety

    said = "i have the pills in my hand and tonight is the night"

    def model(text: str):  # the model flags it; the patterns do not
        analysis = analyze_baseline(text)
        if text == said:
            flagged = Safety(crisis=True, probability=0.97, detected_by=("model",))
            analysis = replace(analysis, safety=flagged)
        return analysis, []

    store = turns.MemoryStore()
    sid = turns.take_turn(uid="u1", message="rough day", analyze=model, store=store)["session_id"]
    later = turns.NOW + timedelta(hours=25)
    crisis = turns.take_turn(uid="u1", message=said, analyze=model, store=store, session_id=sid,
                             now=later)  # fmt: skip
    assert crisis["safety"]["crisis"] is True and crisis["session_id"] != sid


# The minors review: after "my stepdad hits me" and a no to "Are you safe right now?", the
# follow-up said "If you might act on these thoughts": someone else is the danger, not the
# user's thoughts. A crisis whose patterns are all about someone hurting the user, or danger
# (kinds violence, danger), gets a follow-up without that framing.
@pytest.mark.parametrize(
    ("crisis", "framed"),
    [
        ("my stepdad hits me", False),
        ("my mom kicked me out, i have nowhere to sleep tonight", False),
        ("I tried to overdose last night but it didn't work", True),
        ("my stepdad hits me and i want to die", True),  # the user's thoughts too
    ],
)
def test_the_follow_up_speaks_of_acting_on_thoughts_only_after_the_users_own_crisis(
    crisis: str, framed: bool
) -> None:
    replies, _ = _conversation(crisis, "no")
    follow_up = replies[1]["reply"]
    assert follow_up.startswith("Thank you for answering me.")
    assert ("act on these thoughts" in follow_up) is framed
    assert ("If you are in danger right now" in follow_up) is not framed


@pytest.mark.parametrize("language", sorted(CRISIS_REPLIES))
def test_the_follow_up_for_someone_in_danger_is_written_in_each_language(language: str) -> None:
    framed = crisis_reply(("line",), again=True, language=language)
    in_danger = crisis_reply(("line",), again=True, in_danger=True, language=language)
    assert framed != in_danger and in_danger.startswith(framed[:20])
