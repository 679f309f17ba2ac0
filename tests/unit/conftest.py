"""Fixtures every unit test gets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from common import clients


@pytest.fixture(autouse=True)
def fresh_request_budgets() -> Iterator[None]:
    """Each test starts with full per-user request budgets: the instance's buckets (common.
    clients) would otherwise carry one test's requests of a uid ("u1") into the next's."""
    for budget in (clients.request_budget, clients.export_budget):
        budget.cache_clear()
    yield


@pytest.fixture(autouse=True)
def fresh_script_throttles() -> Iterator[None]:
    """Nor do the per-user throttles of a script's crisis turns (their line, their event: at
    most one a minute per uid) carry one test's "u1" into the next's."""
    from common.chat import service

    service._SCRIPTED_CRISIS._keys.clear()
    yield
