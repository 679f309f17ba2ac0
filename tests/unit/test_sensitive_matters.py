"""Which professional a question is for (common.replies.sensitive.professional_kind); the
replies that name them are in test_template_generator."""

from __future__ import annotations

import pytest

from common.replies.sensitive import heavy_event, professional_kind


def test_their_diagnosis_is_a_matter_as_it_is_a_heavy_event():
    """One diagnosis pattern for both: the matters' had no "their" (the heavy events' had)."""
    message = "My partner got their diagnosis last week. Should I tell my manager?"
    assert heavy_event(message)
    assert professional_kind(message) == "disclosure"


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        # A medicine, a legal step, money before the employment questions ...
        ("Should I stop taking my sertraline before my review at work?", "medical"),
        ("Should I sue my employer for discrimination?", "legal"),
        # ... which come before "is it legal ...?", then whether to tell work.
        ("Is it legal to fire me for my visa status?", "employment"),
        ("Is it legal for my boss to ask about my diagnosis?", "legal"),
        ("Should I tell my boss about my epilepsy?", "disclosure"),
        ("Should I tell my boss I'm taking Friday off?", ""),
    ],
)
def test_the_first_kind_that_matches_names_the_professional(message, kind):
    assert professional_kind(message) == kind


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        # The pattern began with a backspace byte where \b was meant, and never matched.
        ("Will my background check show my DUI?", "employment"),
        ("background check STILL pending, ugh", ""),  # an errand, as the corpus has it
    ],
)
def test_a_background_check_about_a_record_is_an_employment_question(message, kind):
    assert professional_kind(message) == kind
