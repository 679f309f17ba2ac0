"""The BigQuery emulator (`bqemulator start ...`, same arguments) without time-travel snapshots.

bqemulator 1.4.0 copies the whole table into a snapshot after every write (insertAll, DML,
load, Storage Write), so that `FOR SYSTEM_TIME AS OF` can read the past. Nothing here uses time
travel, and production BigQuery keeps its history on Google's machines, not ours. On this
2-core machine the copies are the emulator's costliest work under load: they cost CPU that the
functions under test need, and memory (1.49 GB instead of 0.22 GB after 1,500 single-row
inserts into the events table; a retention of 0 days only shortens how long copies are kept,
and they are dropped once a minute at most). Writes still announce
the change (`TableDataChanged`: materialised views and the query cache listen for it);
`CREATE SNAPSHOT TABLE` still works.
"""

from __future__ import annotations

import sys

from bqemulator.cli import main
from bqemulator.domain.events import TableDataChanged
from bqemulator.versioning.snapshots import SnapshotManager


def _announce_only(self: SnapshotManager, project_id: str, dataset_id: str, table_id: str) -> None:
    self._events.publish(TableDataChanged(project_id, dataset_id, table_id))


# The emulator's own method replaced, on purpose (the docstring above).
SnapshotManager.record_change = _announce_only  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
