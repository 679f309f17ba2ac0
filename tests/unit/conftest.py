"""Fixtures every unit test gets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from common import clients, logs


@pytest.fixture(autouse=True)
def fresh_request_budgets() -> Iterator[None]:
    """Each test starts with full per-user request budgets: the instance's buckets (common.
    clients) would otherwise carry one test's requests of a uid ("u1") into the next's."""
    for budget in (clients.request_budget, clients.export_budget):
        budget.cache_clear()
    yield


@pytest.fixture(autouse=True)
def fresh_log_throttles() -> Iterator[None]:
    """Nor do the instance's log throttles (common.logs.Throttle: a script's crisis turns per
    uid, the crisis scan's cut, a failed publish...) carry one test's lines into the next's: on
    the real clock, a line held back for up to a minute made a test that reads it pass or fail
    by the order the tests ran in."""
    logs.forget_all_throttles()
    yield
