"""Set the analytics part of the erasures completed after a time back to pending (OPERATIONS.md,
"Restore a lost BigQuery table").

    ION_ENV=prod GOOGLE_CLOUD_PROJECT=$P \\
    .venv/bin/python -m scripts.reopen_analytics_erasures --since $AS_OF --database $DB --dry-run

An events table copied back from time travel holds the rows as they were at that time: those
of every user whose analytics erasure ran after it are back, and their erasure records say
`analytics: done` (the cleanup job also records an erasure done, with nothing to delete, while
the table is missing). Pending again, each is done again by the cleanup job's next run: it
deletes the user's rows up to the record's documents_gone_at, as the first time. --database:
the database the functions use (firestore_config.name), another than (default) after a restore.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from common.adapters.firestore_calls import Unchanged, write_unchanged
from common.adapters.firestore_profiles import ANALYTICS_COMPLETED_AT, DONE, ERASURES, PENDING
from scripts.operator_errors import EXIT_STATUS, google_errors, report


def reopen(
    db: Any, since: datetime, *, dry_run: bool = False, say: Callable[[str], None] = print
) -> int:
    """The erasures whose analytics part was completed after `since`, pending again (each only
    if unchanged since read: one written meanwhile is the cleanup job's, done again). How
    many."""
    from google.cloud.firestore_v1.base_query import FieldFilter

    query = db.collection(ERASURES).where(filter=FieldFilter(ANALYTICS_COMPLETED_AT, ">", since))
    done = [s for s in query.stream() if (s.to_dict() or {}).get("analytics") == DONE]
    writes = [Unchanged(s.reference, s.update_time, {"analytics": PENDING}) for s in done]
    held = writes if dry_run else write_unchanged(db, writes)
    for write in held:
        say(f"{'would reopen' if dry_run else 'reopened'} {write.ref.id}")
    say(f"{'would reopen' if dry_run else 'reopened'} {len(held)} analytics erasures")
    return len(held)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=EXIT_STATUS)
    parser.add_argument(
        "--since",
        required=True,
        type=datetime.fromisoformat,
        help="the time the table was copied back as of, with its time zone (+00:00)",
    )
    parser.add_argument(
        "--database",
        default="(default)",
        help="the functions' Firestore database (FIRESTORE_DATABASE): its erasure records",
    )
    parser.add_argument("--dry-run", action="store_true", help="say what, write nothing")
    args = parser.parse_args(argv)
    if args.since.tzinfo is None:
        parser.error("--since needs a time zone (+00:00)")

    from google.cloud import firestore

    from common.config import get_settings

    project = get_settings().project_id
    print(f"project {project}, database {args.database}")
    try:
        db = firestore.Client(project=project, database=args.database)
        reopen(db, args.since, dry_run=args.dry_run)
    except google_errors() as error:
        return report(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
