"""A message's crisis scan covers at most SCAN_BUDGET_CHARS characters (the regex review: a
crafted 4,000-character message asked for 45 whole strings, ~0.6 s of CPU under load). The
message as written is always scanned, and a long message in a few spellings is scanned whole."""

from __future__ import annotations

import logging

import pytest

from common.analysis import safety
from common.chat.models import MAX_MESSAGE_CHARS

CRAFTED = ("Käll mysélf k1ll m\u200by$elf s u i c i d e i want to... really die dieee " * 60)[:4000]
RANT = (
    "Sooo I've been thinking about the café job... really, it's been a long week and I'm "
    "tired of the commute, the meetings, the emails that never stop. " * 30
)[:3960] + " i want to... really die"


@pytest.fixture
def scanned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The characters of each spelling's variants scanned, in order."""
    sizes: list[int] = []
    scan = safety._scan

    def counted(variants: list[str], rules, hits) -> None:
        sizes.append(sum(map(len, variants)))
        scan(variants, rules, hits)

    monkeypatch.setattr(safety, "_scan", counted)
    return sizes


def test_a_crafted_message_is_scanned_within_the_budget(scanned, caplog):
    spellings = safety.spellings(CRAFTED)
    assert len(spellings) == 15  # every respelling at once
    with caplog.at_level(logging.WARNING, logger=safety.__name__):
        safety.matched_patterns(CRAFTED)
    assert 0 < sum(scanned) <= safety.SCAN_BUDGET_CHARS
    assert len(scanned) < len(spellings)
    assert "scan was cut" in caplog.text and "k1ll" not in caplog.text  # no text logged


def test_the_message_as_written_is_always_scanned():
    """The longest message, its letter runs squeezed both ways, fits the budget."""
    assert safety.SCAN_BUDGET_CHARS >= 3 * MAX_MESSAGE_CHARS


def test_a_long_message_in_a_few_spellings_is_scanned_whole(scanned):
    hits = safety.matched_patterns(RANT)
    assert hits and len(scanned) == len(safety.spellings(RANT)) == 3
