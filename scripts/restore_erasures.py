"""Erase again, in a restored copy of Firestore, the users erased after its restore point
(OPERATIONS.md, "Restore Firestore"), before the functions are switched to it.

    ION_ENV=prod GOOGLE_CLOUD_PROJECT=$P ANALYTICS_KEY=... \\
    .venv/bin/python -m scripts.restore_erasures --database $NEW erased.txt --dry-run

A restore to a point before an erasure brings back the user's documents and the erasure record
as it was then (or none): the user would have to send DELETE /v2/profile again, believing it
done. erased.txt lists the keys of the erasures since that point (whitespace-separated): the
erasure log's (terraform/stack/logs.tf) and, with --erased-since, the live database's records.
Most of a user's documents are named by their uid, which a key cannot be turned back into: the
script computes the key of every uid the restored copy knows (users/, activity/, the owners of
sessions, ratings and devices; and users/{uid}.user_key, the key from before an analytics-key
rotation) and erases each uid whose key is listed, as DELETE /v2/profile does (erase_user),
and a key listed from before a rotation by that key too (erase_user_key: the user may have no
users/{uid}.user_key to lead erase_user to it). A listed key no uid gives (a user whose
documents under their uid had all expired by the restore point) is erased where the key alone
names documents (erase_user_key). Either way the key gets its erasure record, the analytics
part pending: the cleanup job deletes the user's analytics rows (again, or at last if the live
database's record was still pending), and the profile updater and a dead-letter replay drop the
user's events from before it. Run again, it finds those users by their key alone, and only
writes their records again.

OLDER_ANALYTICS_KEYS (separated by commas or whitespace): the analytics key's versions before
the current one, if it was rotated since the restore point; keys logged before the rotation are
of those.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from common.adapters.firestore_calls import pages
from common.adapters.firestore_devices import device_owners
from common.adapters.firestore_profiles import ERASURES, erase_user, erase_user_key
from common.adapters.firestore_sessions import ACTIVITY, FEEDBACK, SESSIONS, USERS
from common.config import checked_analytics_key
from common.events import user_key
from common.profile.erasure import BY_RESTORE, ERASURE_DONE
from scripts.operator_errors import (
    EXIT_STATUS,
    fingerprint,
    google_errors,
    refuse_local_settings,
    report,
)

PAGE = 1000
# A user key as common.events.user_key makes it: 32 lowercase hex digits. Anything else listed
# (a log line's other field, a key cut in two) names no user and would be "erased by the key
# alone", the user's documents left in the copy.
USER_KEY = re.compile(r"[0-9a-f]{32}")
OWNED = (SESSIONS, FEEDBACK)  # documents that name their owner's uid (owner_uid)


def erased_since(db: Any, since: datetime) -> set[str]:
    """The keys of the erasures the live database records as asked for after `since`: those the
    erasure log lacks too (one still running, or cut off), or with its entries past retention."""
    from google.cloud.firestore_v1.base_query import FieldFilter

    query = db.collection(ERASURES).where(filter=FieldFilter("requested_at", ">", since))
    return {snap.id for snap in query.select([]).stream()}


def _every(query: Any) -> Iterator[Any]:
    from google.cloud.firestore_v1.field_path import FieldPath

    for page in pages(query.order_by(FieldPath.document_id()), PAGE):
        yield from page


def known_uids(db: Any) -> Iterator[tuple[str, str | None]]:
    """Every uid the database names (some more than once), with the key stored with the user's
    settings, if any."""
    for snap in _every(db.collection(USERS).select(["user_key"])):
        yield snap.id, (snap.to_dict() or {}).get("user_key")
    for snap in _every(db.collection(ACTIVITY).select([ERASURE_DONE])):
        if ERASURE_DONE not in (snap.to_dict() or {}):  # not an erasure's tombstone
            yield snap.id, None
    for collection in OWNED:
        for snap in _every(db.collection(collection).select(["owner_uid"])):
            if uid := (snap.to_dict() or {}).get("owner_uid"):
                yield uid, None
    cursor = None
    while True:
        owners, cursor = device_owners(db, limit=PAGE, cursor=cursor)
        yield from ((uid, None) for uid in owners)
        if cursor is None:
            return


def uids_by_key(db: Any, keys: set[str], hmac_keys: list[str]) -> dict[str, str]:
    """The uid of each of `keys` the database names, under any of the analytics keys."""
    found: dict[str, str] = {}
    for uid, stored in known_uids(db):
        for key in {stored, *(user_key(uid, hmac_key) for hmac_key in hmac_keys)}:
            if key in keys:
                found[key] = uid
    return found


def reapply(
    db: Any,
    keys: set[str],
    *,
    hmac_keys: list[str],
    now: datetime,
    dry_run: bool = False,
    say: Callable[[str], None] = print,
) -> dict[str, int]:
    """Erase the users of `keys` in `db`; `hmac_keys[0]` is the current analytics key. How many
    were erased by uid and by the key alone."""
    found = uids_by_key(db, keys, hmac_keys)
    uids = sorted(set(found.values()))
    by_key = sorted(keys - found.keys())
    verb = "would erase" if dry_run else "erased"
    for uid in uids:
        ukey = user_key(uid, hmac_keys[0])
        # A key listed from before an analytics-key rotation: erase_user reaches the older key
        # only through users/{uid}.user_key, which a user who never changed a setting has not.
        older = sorted(key for key, of in found.items() if of == uid and key != ukey)
        if not dry_run:
            erase_user(db, uid=uid, ukey=ukey, now=now, requested_by=BY_RESTORE)
            for key in older:
                erase_user_key(db, ukey=key, now=now, requested_by=BY_RESTORE)
        also = f", and the listed {', '.join(older)} of the same user by the key" if older else ""
        say(f"{verb} {ukey} by its uid{also}")
    for key in by_key:
        if not dry_run:
            erase_user_key(db, ukey=key, now=now, requested_by=BY_RESTORE)
        say(f"{verb} {key} by the key alone: no uid of the copy has it")
    say(f"{verb} {len(uids)} users by their uid and {len(by_key)} keys alone")
    return {"by_uid": len(uids), "by_key": len(by_key)}


def older_analytics_keys(value: str, ion_env: str) -> list[str]:
    """OLDER_ANALYTICS_KEYS' keys, separated by commas or whitespace (a key pasted with a space
    or a newline was no key of any user: their documents stayed in the copy, unsaid), each
    checked as ANALYTICS_KEY is (RuntimeError)."""
    keys = [key for key in re.split(r"[,\s]+", value) if key]
    for number, key in enumerate(keys, 1):
        checked_analytics_key(key, ion_env=ion_env, name=f"OLDER_ANALYTICS_KEYS' key {number}")
    return keys


def listed_keys(text: str) -> set[str]:
    """The keys of a listing, separated by whitespace. ValueError, naming its line, for one that
    is no user key."""
    keys: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        for key in line.split():
            if not USER_KEY.fullmatch(key):
                raise ValueError(f"line {number}: {key[:40]!r} is no user key (32 hex digits)")
            keys.add(key)
    return keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=EXIT_STATUS)
    parser.add_argument("keys", help="a file of the erased user keys, or - for stdin")
    parser.add_argument("--database", required=True, help="the restored copy's database id")
    parser.add_argument(
        "--erased-since",
        type=datetime.fromisoformat,
        help="the restore point (e.g. 2026-12-06T10:00:00+00:00), or the first listing's time "
        "(OPERATIONS step 5): also erase the keys the live database's erasure records have since",
    )
    parser.add_argument(
        "--live-database",
        default="(default)",
        help="for --erased-since: the database the functions served, the old one after the switch",
    )
    parser.add_argument("--dry-run", action="store_true", help="say what, write nothing")
    args = parser.parse_args(argv)
    if args.erased_since is not None and args.erased_since.tzinfo is None:
        parser.error("--erased-since needs a time zone (+00:00)")

    from google.cloud import firestore

    from common.config import get_settings
    from common.edge import utcnow

    try:
        settings = get_settings()
        hmac_keys = [settings.analytics_hmac_key()]
        hmac_keys += older_analytics_keys(
            os.environ.get("OLDER_ANALYTICS_KEYS", ""), settings.ion_env
        )
    except RuntimeError as error:
        parser.error(str(error))
    # With the local key every listed user would be "erased by the key alone", their documents
    # left in the copy.
    refuse_local_settings(parser, settings.ion_env, "Restore Firestore")
    try:
        with sys.stdin if args.keys == "-" else open(args.keys) as listed:
            keys = listed_keys(listed.read())
    except OSError as error:
        parser.error(f"cannot read {args.keys}: {error.strerror}")
    except ValueError as error:
        parser.error(f"{args.keys}: {error}")
    live = f" (live: {args.live_database})" if args.erased_since is not None else ""
    print(
        f"project {settings.project_id}, database {args.database}{live}, "
        f"ION_ENV={settings.ion_env}, analytics key {fingerprint(hmac_keys[0])}, "
        f"{len(keys)} keys listed"
    )
    try:
        if args.erased_since is not None:
            live_db = firestore.Client(project=settings.project_id, database=args.live_database)
            keys |= erased_since(live_db, args.erased_since)
        restored = firestore.Client(project=settings.project_id, database=args.database)
        reapply(restored, keys, hmac_keys=hmac_keys, now=utcnow(), dry_run=args.dry_run)
    except google_errors() as error:
        return report(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
