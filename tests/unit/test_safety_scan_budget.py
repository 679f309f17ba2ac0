"""A message's crisis scan is bounded: every spelling as written (18 at most), and their letter
runs squeezed in at most SQUEEZE_BUDGET_CHARS characters (the regex review: a crafted
4,000-character message asked for 45 whole strings, ~0.6 s of CPU under load). The message as
written always has its squeezes, and a real long message is read in every spelling."""

from __future__ import annotations

import logging

import pytest

from common.analysis import safety
from common.analysis.with_model import as_read
from common.chat.models import MAX_MESSAGE_CHARS

CRAFTED = (
    "Käll mysélf k1ll m\u200by$elf s u i c i d e i want to... really die dieee period " * 60
)[:4000]
RANT = (
    "Sooo I've been thinking about the café job... really, it's been a long week and I'm "
    "tired of the commute, the meetings, the emails that never stop. " * 30
)[:3960] + " i want to... really die"
# The own-diff review's message: letter runs, an emoji with a joiner, an address, "1st", an
# accent; only its spelling without pauses says it ("i want to... die"), the 6th of 9.
DAY = (
    (
        "sooo today was honestly the worst day, i had my 1st shift at 10pm and my manager yelled "
        "at me again and i just sat outside the café for like an hour. i texted jess@gmail.com "
        "about the rent and she never answered \U0001f926\u200d\u2640\ufe0f i keep thinking about "
        "how everything went wrong since last year, school, the job, my family not talking to me. "
    )
    * 40
)[:3900] + " i dont know anymore. i want to... die"


@pytest.fixture
def scanned(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The strings each spelling was scanned in, in order."""
    calls: list[list[str]] = []
    scan = safety._scan

    def counted(variants: list[str], rules, hits) -> None:
        calls.append(variants)
        scan(variants, rules, hits)

    monkeypatch.setattr(safety, "_scan", counted)
    return calls


def test_a_crafted_message_is_scanned_within_the_bound(scanned, caplog):
    assert len(safety.spellings(CRAFTED)) == 18  # every respelling at once
    with caplog.at_level(logging.WARNING, logger=safety.__name__):
        assert safety.matched_patterns(CRAFTED)  # "k1ll m$elf" still read in its spelling
    assert len(scanned) == 18  # every spelling, as written
    squeezed = sum(len(s) for variants in scanned for s in variants[1:])
    assert 0 < squeezed <= safety.SQUEEZE_BUDGET_CHARS
    assert sum(len(variants) for variants in scanned) < 45
    assert "without their letter runs squeezed" in caplog.text and "k1ll" not in caplog.text


def test_the_message_as_written_always_has_its_squeezes():
    """The longest message, its letter runs squeezed both ways, fits the budget."""
    assert safety.SQUEEZE_BUDGET_CHARS >= 2 * MAX_MESSAGE_CHARS


@pytest.mark.parametrize("message", [RANT, DAY])
def test_a_long_message_in_several_spellings_is_read_in_each(scanned, message):
    text = as_read(message)
    assert safety.assess_safety(text).crisis
    assert len(scanned) == len(set(safety.spellings(text)))
