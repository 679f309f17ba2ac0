"""Goodbye letters with any determiner or none, and asking for the means in the first person, are
crisis signs; a writer's, a student's or a work farewell's words are not (the creative review:
"I'm writing my goodbye letter" and "how many pills would it take to kill me" were missed by
the patterns, which are all a user has when the model is down or in another language)."""

from __future__ import annotations

import pytest

from common.analysis import assess_safety
from common.analysis.safety import crisis_language, matched_patterns

GOODBYE_LETTERS = [
    "I'm writing my goodbye letter",
    "I wrote my goodbye letter",
    "writing goodbye letters to my family",
    "just sent a goodbye text to my sister",
]
WORK_FAREWELLS = [
    "wrote a goodbye note to my team for my last day",
    "sent a goodbye message to the crew",
    "writing goodbye letters to everyone on the floor",
    "drafting a goodbye message for the department",
    "writing goodbye messages to my class",
]
MEANS = [
    ("how many pills would it take to kill me", "en"),
    ("which pills would kill me fastest", "en"),
    ("how many paracetamol to die", "en"),
    ("how many of my sleeping pills would kill me", "en"),
    ("Wie viele Tabletten brauche ich, um zu sterben?", "de"),
    ("welche Tabletten töten mich am schnellsten", "de"),
    ("Combien de comprimés faut-il prendre pour mourir ?", "fr"),
    ("¿Cuántas pastillas necesito para morir?", "es"),
    ("Quantos comprimidos preciso tomar para morrer?", "pt"),
]
# Not of the user: a character, someone, or a dose with no one named. "what is the lethal dose
# of acetaminophen" is asked for an exam, on a ward or over a toddler as often: no crisis, and
# the reply names no dose (test_reply_vet.py).
NOT_THEIRS = [
    "what is the lethal dose of acetaminophen for my pharmacology exam",
    "what is the lethal dose of acetaminophen",
    "for my novel, how many sleeping pills would actually kill someone?",
    "how much ibuprofen can I take for a migraine",
]


@pytest.mark.parametrize("message", GOODBYE_LETTERS)
def test_a_goodbye_letter_is_read_with_any_determiner_and_in_the_singular(message):
    assert assess_safety(message).crisis


@pytest.mark.parametrize("message", WORK_FAREWELLS)
def test_a_work_farewell_is_not(message):
    assert not assess_safety(message).crisis


@pytest.mark.parametrize(("message", "language"), MEANS)
def test_asking_for_the_means_in_the_first_person_is_a_crisis(message, language):
    assert assess_safety(message).crisis
    assert crisis_language(message) == language


@pytest.mark.parametrize("message", NOT_THEIRS)
def test_the_means_of_someone_else_or_of_no_one_is_not(message):
    assert not assess_safety(message).crisis


def test_a_characters_dose_reads_nothing_more_than_its_overdose():
    # "overdoses" alone is read as ever; the question about her adds nothing
    asked = matched_patterns("my character overdoses, how many would she need?")
    assert asked == matched_patterns("my character overdoses")
