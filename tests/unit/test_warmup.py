"""The chat function's warm-up reads what a crisis turn needs before it takes traffic: a broken
crisis resources file fails the revision's start, not the first user in crisis with a 500.

The safety-operations review's probe: after Settings() and load_for_turns the resources file
had not been read (common.safety._resources' cache was empty)."""

from __future__ import annotations

import json

import pytest

from common import safety, warmup
from common.safety import tables


@pytest.fixture
def unread_resources():
    """common.safety's resources as a new process has them: not read yet (and not after)."""
    safety._resources.cache_clear()
    safety._by_region.cache_clear()
    yield
    safety._resources.cache_clear()
    safety._by_region.cache_clear()


def test_the_warm_up_reads_the_crisis_resources(unread_resources):
    warmup.load_for_turns(gemini=False)
    assert safety._resources.cache_info().currsize == 1


def test_a_broken_resources_file_fails_the_warm_up(unread_resources, monkeypatch, tmp_path):
    broken = tmp_path / "crisis_resources.json"
    broken.write_text('{"default": ["a line",')
    monkeypatch.setattr(tables, "RESOURCES_FILE", broken)
    with pytest.raises(json.JSONDecodeError):
        warmup.load_for_turns(gemini=False)


def test_the_warm_up_builds_the_safety_answers_patterns():
    # ~25 ms each instance's first user answering "Are you safe right now?" paid in a crisis turn.
    for built in (safety._not_safe, safety._no_then, safety._someone_else):
        built.cache_clear()
    warmup.load_for_turns(gemini=False)
    assert all(
        built.cache_info().currsize == 1
        for built in (safety._not_safe, safety._no_then, safety._someone_else)
    )


def test_the_warm_up_reads_the_spelling_words():
    """The respelled spelling's word lists (~65 ms to read and index), not a user's first turn."""
    from common.analysis import safety as patterns

    patterns._respelling.cache_clear()
    warmup.load_for_turns(gemini=False)
    assert patterns._respelling.cache_info().currsize == 1


def test_the_warm_up_reads_every_support_lines_file():
    """Every turn reads them (support_lines): a broken one fails the start, not every turn."""
    from common.locale_lines import _table
    from common.support_lines import CANCER_FILE, CARER_FILE, LONELINESS_FILE

    tables = [
        _table(CANCER_FILE, None),
        _table(CARER_FILE, "carers"),
        _table(CARER_FILE, "new_parents"),
        _table(LONELINESS_FILE, None),
    ]
    for table in tables:
        table.cache_clear()
    warmup.load_for_turns(gemini=False)
    assert all(table.cache_info().currsize == 1 for table in tables)
