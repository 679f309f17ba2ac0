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
