"""Look a user up for customer support, or end their crisis care (OPERATIONS.md, "Support").

    ION_ENV=prod GOOGLE_CLOUD_PROJECT=$P \\
    ANALYTICS_KEY=$(gcloud secrets versions access latest --secret=analytics-key --project=$P) \\
    .venv/bin/python -m scripts.support lookup --email someone@example.com

lookup finds the uid of an email address in Firebase Auth and prints what support may see, and
nothing the user wrote: their settings and notices, the crisis and care times of their activity
record, each live session's expiry, care and turn count, their devices' platform and last-seen
time (never a token), their erasure record's state and the learned per-persona counts. The last
two are stored under the user key, which is derived here and never printed (nor is the
analytics key: its fingerprint tells which one was used).

end-care clears the care that follows a crisis turn, on the activity record (not_safe_until: a
no to "Are you safe right now?", in every session) and on the live sessions (not_safe_until,
care_until), with the crisis_language that care speaks on each, for a user whose crisis turn
was not one ("I was only joking about my deadline"). It prints an operator action line to keep
with the ticket.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from common.adapters.firestore_sessions import SESSIONS
from common.adapters.firestore_support import end_care, support_view
from common.events import user_key
from common.timestamps import rfc3339
from scripts.operator_errors import (
    EXIT_STATUS,
    fingerprint,
    google_errors,
    refuse_local_settings,
    report,
)

NOT_DONE = 3  # no such account in Firebase Auth, or records a turn kept changing


def accounts() -> Any:
    """Firebase Auth of the project (common.adapters.firebase_accounts)."""
    from common import clients
    from common.adapters.firebase_accounts import FirebaseAccountDirectory

    return FirebaseAccountDirectory(clients.firebase_app())


def lookup(
    db: Any,
    directory: Any,
    *,
    email: str | None,
    uid: str | None,
    hmac_key: str,
    now: datetime,
    say: Callable[[str], None] = print,
) -> int:
    """Say the user's uid and what is stored about them (support_view); NOT_DONE when Firebase
    Auth has no such account (by uid, what is stored under it is said still)."""
    if email is not None:
        try:
            uid = directory.uid_of(email)
        except ValueError as error:  # firebase-admin's word on a malformed address
            print(f"error: {error}", file=sys.stderr)
            return 2
        if uid is None:
            say(f"Firebase Auth has no account with {email} (deleted, or another address)")
            return NOT_DONE
    assert uid is not None
    gone = email is None and bool(directory.missing([uid]))
    if gone:
        say(f"uid {uid}: Firebase Auth has no such account (deleted?); stored under it:")
    else:
        say(f"uid {uid}")
    view = support_view(db, uid=uid, ukey=user_key(uid, hmac_key), now=now)
    say(json.dumps(view, indent=2, ensure_ascii=False))
    return NOT_DONE if gone else 0


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without USER)
        return "unknown"


def end(db: Any, *, uid: str, now: datetime, say: Callable[[str], None] = print) -> int:
    """End the user's care (end_care), and say so in an operator action line."""
    written, left = end_care(db, uid=uid, now=now)
    sessions = sorted(p.split("/")[1] for p in written if p.startswith(f"{SESSIONS}/"))
    if written:
        action = {
            "severity": "NOTICE",
            "message": "operator action",
            "action": "end_care",
            "operator": _operator(),
            "at": rfc3339(now),
            "activity_record": len(sessions) < len(written),
            "sessions": sessions,
        }
        say(json.dumps(action))
    else:
        say("nothing to end: no care on the activity record or on a live session")
    if left:
        say(f"{len(left)} records changed by the user's turns meanwhile, not written: run it again")
        return NOT_DONE
    return 0


def _uid(value: str) -> str:
    if not value or "/" in value:
        raise argparse.ArgumentTypeError("not a Firebase uid")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=f"{EXIT_STATUS}; 3 Firebase Auth has no such account (lookup --uid still says "
        "what is stored under it), or end-care met records a turn kept changing: run it again",
    )
    parser.add_argument(
        "--database",
        default="(default)",
        help="the functions' Firestore database (FIRESTORE_DATABASE)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    find = commands.add_parser("lookup", help="what support may see of a user (no text)")
    who = find.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="the address the user signed up with")
    who.add_argument("--uid", type=_uid, help="the user's Firebase uid")
    stop = commands.add_parser("end-care", help="clear the user's crisis care")
    stop.add_argument("--uid", type=_uid, required=True, help="the user's Firebase uid")
    args = parser.parse_args(argv)

    from firebase_admin.exceptions import FirebaseError
    from google.cloud import firestore

    from common.config import get_settings
    from common.edge import utcnow

    try:
        settings = get_settings()
        # end-care needs no user key: nor the secret
        hmac_key = settings.analytics_hmac_key() if args.command == "lookup" else ""
    except RuntimeError as error:
        parser.error(str(error))
    # With the local key the user key names nobody: no preferences, no erasure found.
    refuse_local_settings(parser, settings.ion_env, "Support")
    key = f", analytics key {fingerprint(hmac_key)}" if hmac_key else ""
    print(
        f"project {settings.project_id}, database {args.database}, ION_ENV={settings.ion_env}{key}"
    )
    try:
        db = firestore.Client(project=settings.project_id, database=args.database)
        if args.command == "end-care":
            return end(db, uid=args.uid, now=utcnow())
        directory = accounts()
        return lookup(
            db, directory, email=args.email, uid=args.uid, hmac_key=hmac_key, now=utcnow()
        )
    except (*google_errors(), FirebaseError) as error:
        return report(error)


if __name__ == "__main__":
    sys.exit(main())
