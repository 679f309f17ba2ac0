"""The local BigQuery emulator runs without time-travel snapshots (scripts/bigquery_emulator.py)."""

from bqemulator.domain.events import TableDataChanged
from bqemulator.versioning.snapshots import SnapshotManager

from scripts import bigquery_emulator, stack


class _Bus:
    def __init__(self) -> None:
        self.events: list[object] = []

    def publish(self, event: object) -> None:
        self.events.append(event)


class _NoCopies:
    def execute(self, sql: str) -> None:
        raise AssertionError(f"the table was copied: {sql}")


def test_a_write_is_announced_without_copying_the_table() -> None:
    bus = _Bus()
    manager = SnapshotManager(
        engine=_NoCopies(), catalog=None, clock=None, events=bus, retention_days=7
    )
    manager.record_change("p", "d", "events")
    assert bus.events == [TableDataChanged("p", "d", "events")]


def test_the_stack_starts_the_emulator_through_the_launcher() -> None:
    cmd = stack.BY_NAME["bigquery"].cmd
    assert (
        bigquery_emulator.__file__ in cmd
        and cmd[cmd.index(bigquery_emulator.__file__) + 1] == "start"
    )
