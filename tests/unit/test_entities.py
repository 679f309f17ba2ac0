"""Entities a user mentions come back as typed, once, in order, with the right type."""

from __future__ import annotations

import pytest

from common.analysis import extract_entities
from common.labels import ENTITY_TYPES


def pairs(text: str) -> list[tuple[str, str]]:
    return [(e.text, e.type) for e in extract_entities(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Dates and times.
        (
            "Meeting next Friday at 3pm, then Monday at 10:30",
            [
                ("next Friday", "date_time"),
                ("3pm", "date_time"),
                ("Monday", "date_time"),
                ("10:30", "date_time"),
            ],
        ),
        (
            "due March 5, or 2026-12-01, at the latest by the end of the month",
            [
                ("March 5", "date_time"),
                ("2026-12-01", "date_time"),
                ("end of the month", "date_time"),
            ],
        ),
        (
            "tonight I study, tomorrow morning I code",
            [("tonight", "date_time"), ("tomorrow morning", "date_time")],
        ),
        ("I start next week", [("next week", "date_time")]),
        ("we launch on 5th of March", [("5th of March", "date_time")]),
        # Durations.
        (
            "It takes 2 weeks, maybe three months, an hour or 45 minutes",
            [
                ("2 weeks", "duration"),
                ("three months", "duration"),
                ("an hour", "duration"),
                ("45 minutes", "duration"),
            ],
        ),
        ("I code 2 hours a day", [("2 hours", "duration")]),
        ("give me a second", [("a second", "duration")]),
        # Money.
        (
            "they offered $5k, €300, £40, 50 dollars and 2000 euros",
            [
                ("$5k", "money"),
                ("€300", "money"),
                ("£40", "money"),
                ("50 dollars", "money"),
                ("2000 euros", "money"),
            ],
        ),
        ("the role pays an 80k salary", [("80k", "money")]),
        ("I make 80k a year", [("80k a year", "money")]),
        ("$20 an hour is too low", [("$20 an hour", "money")]),
        ("I have 20k in student debt", [("20k", "money")]),
        ("I still owe him 2 grand", [("2 grand", "money")]),
        (
            "they offered 80k but I was hoping for 95k",
            [("80k", "money"), ("95k", "money")],
        ),
        (
            "I make 3k a month and rent is 1.2k",
            [("3k a month", "money"), ("1.2k", "money")],
        ),
        # Organisations, from the list and from "at/join/offer from <Capitalised>".
        ("should I take the offer from Stripe or stay?", [("Stripe", "organization")]),
        (
            "I work at Acme Corp and want to join Globex",
            [("Acme Corp", "organization"), ("Globex", "organization")],
        ),
        (
            "bootcamp or university?",
            [("bootcamp", "organization"), ("university", "organization")],
        ),
        ("GOT THE JOB AT GOOGLE!!!", [("GOOGLE", "organization")]),
        ("I drive for Uber at night", [("Uber", "organization")]),
        (
            "I started at Initech last week",
            [("Initech", "organization"), ("last week", "date_time")],
        ),
        ("I got an offer from Acme Corp", [("Acme Corp", "organization")]),
        ("I got hired by Umbrella Health", [("Umbrella Health", "organization")]),
        ("I work for the City Council", [("City Council", "organization")]),
        ("I have an interview with Google", [("Google", "organization")]),
        # Tools.
        (
            "I use Python, React, SQL, Excel, Jira, Slack, Figma and Notion",
            [
                ("Python", "tool"),
                ("React", "tool"),
                ("SQL", "tool"),
                ("Excel", "tool"),
                ("Jira", "tool"),
                ("Slack", "tool"),
                ("Figma", "tool"),
                ("Notion", "tool"),
            ],
        ),
        (
            "AWS, Docker, Kubernetes, Git, GitHub, Linux, Photoshop, LinkedIn",
            [
                ("AWS", "tool"),
                ("Docker", "tool"),
                ("Kubernetes", "tool"),
                ("Git", "tool"),
                ("GitHub", "tool"),
                ("Linux", "tool"),
                ("Photoshop", "tool"),
                ("LinkedIn", "tool"),
            ],
        ),
        ("C++ or C#? maybe Node.js", [("C++", "tool"), ("C#", "tool"), ("Node.js", "tool")]),
        (
            "Google Sheets at Google",
            [("Google Sheets", "tool"), ("Google", "organization")],
        ),
        ("I'm learning Go", [("Go", "tool")]),
        ("rewriting the service in Go", [("Go", "tool")]),
        ("Go code is verbose", [("Go", "tool")]),
        ("Python or Go?", [("Python", "tool"), ("Go", "tool")]),
        ("Should I learn Ruby or Python?", [("Ruby", "tool"), ("Python", "tool")]),
        ("my Ruby code is slow", [("Ruby", "tool")]),
        ("i'm learning ruby", [("ruby", "tool")]),
        ("Ruby on Rails", [("Ruby on Rails", "tool")]),
        ("I'm learning Unity", [("Unity", "tool")]),
        ("our Spark jobs are slow", [("Spark", "tool")]),
        ("Java or Kotlin?", [("Java", "tool"), ("Kotlin", "tool")]),
        # Roles.
        (
            "my manager, my team lead, the CTO and HR",
            [("manager", "role"), ("team lead", "role"), ("CTO", "role"), ("HR", "role")],
        ),
        (
            "my boss, a recruiter, my mentor and two colleagues",
            [("boss", "role"), ("recruiter", "role"), ("mentor", "role"), ("colleagues", "role")],
        ),
        ("my lead wants me to lead the project", [("lead", "role")]),
        ("my boss wants the report", [("boss", "role")]),
        ("the boss shot down my idea", [("boss", "role")]),
    ],
)
def test_extracts_entities(text: str, expected: list[tuple[str, str]]) -> None:
    assert pairs(text) == expected


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Go to bed early", "go"),
        ("let's go!", "go"),
        ("I want to go home", "go"),
        ("how should I react to my boss's email?", "react"),
        ("I excel at public speaking", "excel"),
        ("cut me some slack", "slack"),
        ("the notion that I'm not enough", "notion"),
        ("I walked 10k steps", "10k"),
        ("I ran 10k in the park", "10k"),
        ("I'm uber stressed", "uber"),
        ("I lost 10 pounds", "10 pounds"),
        ("one day I'll get there", "one day"),
        ("look at This", "this"),
        ("I am at Home", "home"),
        ("hr is short for hour", "hr"),
        ("take the lead on this", "lead"),
        # an ordinal or a compound noun, no span of time ("Plan around a second and tomorrow.")
        ("I have a second interview tomorrow", "a second"),
        ("I need a second pair of eyes", "a second"),
        ("I still have a day job", "a day"),
        ("we have a sprint review on Friday", "a sprint"),
        # a game's boss (the creative review: "Keep your boss in view")
        ("I keep dying on the last boss", "boss"),
        ("the boss fight is brutal", "boss"),
    ],
)
def test_ordinary_words_are_not_entities(text: str, word: str) -> None:
    assert word not in [e.text.casefold() for e in extract_entities(text)]


@pytest.mark.parametrize(
    "text",
    [
        "my daughter Ruby has been sick all week",
        "My colleague Ruby keeps taking credit for my work",
        "Spark joy?",
        "Unity in the team matters more than speed",
        "I bought Java beans for the office",
    ],
)
def test_a_name_or_word_spelled_like_a_tool_is_no_tool(text: str) -> None:
    # The entities review: "my daughter Ruby has been sick all week and I keep missing
    # standups" got Riri's "Pick one small concept in Ruby".
    assert [e for e in extract_entities(text) if e.type == "tool"] == []


@pytest.mark.parametrize(
    "text",
    [
        "I am so angry at Mike right now",  # a bare "at": only after a work word
        "I'm so mad at Dad",
        "I work for Mom",  # kinship words are no names of organisations
        "I work for Dad",
        "my sister wants me to join Grandma for lunch",
        "I got an offer from Mike",  # one word after "offer from" is more often a person
        "I have an interview with Sarah on Monday",  # ... and after "interview with"
        "I've been working for Jennifer since May",
        "I got hired by Mike last year",
        "I joined Dr. Patel's team",  # titles are no names
        "I work for Mr. Hughes",
    ],
)
def test_people_after_an_organisation_cue_are_not_organisations(text: str) -> None:
    # The signals review: "I am so angry at Mike right now" gave Mike/organization, and the
    # replies said "Keep Mike in view, without letting it crowd you." The entities review:
    # "work for Mr. Hughes" gave "Mr", and a reply "Factor in the specifics you named: Dr."
    assert [e for e in extract_entities(text) if e.type == "organization"] == []


def test_keeps_casing_and_deduplicates_case_insensitively() -> None:
    assert pairs("python, then Python, then PYTHON and Docker and docker") == [
        ("python", "tool"),
        ("Docker", "tool"),
    ]


def test_every_type_is_a_known_entity_type() -> None:
    text = (
        "Tomorrow at 9am my manager at Spotify wants 2 weeks of Python work for $5k; "
        "my recruiter says the bootcamp takes three months"
    )
    entities = extract_entities(text)
    assert {e.type for e in entities} == set(ENTITY_TYPES)
    starts = [text.index(e.text) for e in entities]
    assert starts == sorted(starts)


def test_empty_text_has_no_entities() -> None:
    assert extract_entities("") == ()


def test_a_games_boss_is_no_entity_at_all():
    assert extract_entities("I keep dying on the last boss") == ()
