"""The relay's batches: each claimed at the time it is claimed, so a lease taken late in a long
run is not already over (the emulator tests are in tests/integration/test_outbox_relay.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common import outbox
from common.events import Event
from common.outbox import relay_outbox

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


class Outbox:
    def __init__(self, entries: int) -> None:
        self.left = [Event("test.event", NOW, "k", event_id=f"e{i}") for i in range(entries)]
        self.claims: list[datetime] = []

    def claim_due(self, *, now, limit, lease_seconds):
        self.claims.append(now)
        taken, self.left = self.left[:limit], self.left[limit:]
        return taken

    def delete_outbox(self, event_ids):
        pass


class PubSub:
    def publish(self, events):
        pass


def test_each_batch_is_claimed_at_its_own_time(monkeypatch) -> None:
    ticks = iter(range(0, 10_000, 40))  # a long run: each look at the clock, 40 s later
    monkeypatch.setattr(outbox.time, "monotonic", lambda: next(ticks))
    store = Outbox(entries=25)
    report = relay_outbox(publisher=PubSub(), outbox=store, now=NOW, batch_size=10)
    assert (report.claimed, report.published) == (25, 25)
    assert store.claims == [NOW + timedelta(seconds=s) for s in (40, 80, 120, 160)]


def test_a_run_says_when_the_backlog_outlasts_it(caplog) -> None:
    caplog.set_level("INFO")
    report = relay_outbox(
        publisher=PubSub(), outbox=Outbox(entries=25), now=NOW, batch_size=5, max_batches=3
    )
    assert (report.published, report.more_due) == (15, True)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    caplog.clear()
    report = relay_outbox(
        publisher=PubSub(), outbox=Outbox(entries=12), now=NOW, batch_size=5, max_batches=3
    )
    assert (report.published, report.more_due) == (12, False)
    quiet = relay_outbox(publisher=PubSub(), outbox=Outbox(entries=0), now=NOW, batch_size=5)
    assert quiet.claimed == 0 and [r.levelname for r in caplog.records] == ["INFO"]
