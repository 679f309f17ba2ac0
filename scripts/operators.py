"""Grant, revoke and list the operator role (custom claim `role: operator`, common/auth.py): the
insights API and dashboard, which show per-user rows (OPERATIONS.md, "Operators: grant and
remove access").

    ION_ENV=prod GOOGLE_CLOUD_PROJECT=$P .venv/bin/python -m scripts.operators grant EMAIL
    ION_ENV=prod GOOGLE_CLOUD_PROJECT=$P .venv/bin/python -m scripts.operators revoke EMAIL
    ION_ENV=prod GOOGLE_CLOUD_PROJECT=$P .venv/bin/python -m scripts.operators list

grant refuses an account whose e-mail is not verified: anyone can sign up with an address
that is not theirs. revoke removes the claim and revokes the user's refresh tokens in one run:
the claim alone would stay in the ID tokens issued before, for up to an hour. Both keep the
user's other custom claims.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from common.config import get_settings
from scripts.operator_errors import EXIT_STATUS, google_errors, refuse_local_settings, report

ROLE, OPERATOR = "role", "operator"


class Refused(Exception):
    """The account may not be given the role (its e-mail is not verified)."""


def grant(auth: Any, app: Any, email: str) -> Any:
    """The user of `email`, given the role (their other claims kept)."""
    user = auth.get_user_by_email(email, app=app)
    if not user.email_verified:
        raise Refused(
            f"{email} is not verified: anyone can sign up with an address; have them verify "
            "it first"
        )
    claims = {**(user.custom_claims or {}), ROLE: OPERATOR}
    auth.set_custom_user_claims(user.uid, claims, app=app)
    return user


def revoke(auth: Any, app: Any, email: str) -> Any:
    """The user of `email`, without the role claim (their other claims kept), their refresh
    tokens revoked: the functions check revocation, so the ID tokens issued before are refused
    too (within AUTH_CACHE_SECONDS)."""
    user = auth.get_user_by_email(email, app=app)
    claims = {k: v for k, v in (user.custom_claims or {}).items() if k != ROLE}
    auth.set_custom_user_claims(user.uid, claims, app=app)
    auth.revoke_refresh_tokens(user.uid, app=app)
    return user


def operators(auth: Any, app: Any) -> list[Any]:
    """Every user whose role claim is operator."""
    users = auth.list_users(app=app).iterate_all()
    return [u for u in users if (u.custom_claims or {}).get(ROLE) == OPERATOR]


def _admin() -> tuple[Any, Any]:
    """firebase-admin's auth module, and the app of the settings' project."""
    from firebase_admin import auth

    from common import clients

    return auth, clients.firebase_app()


def main(argv: list[str] | None = None) -> int:
    epilog = f"{EXIT_STATUS}; grant's refusal of an e-mail not verified is a 2 too"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=epilog)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("grant", "give the role to the account of EMAIL (its e-mail must be verified)"),
        ("revoke", "take the role from the account of EMAIL and revoke its refresh tokens"),
    ):
        commands.add_parser(name, help=text).add_argument("email")
    commands.add_parser("list", help="every account with the role")
    args = parser.parse_args(argv)

    from firebase_admin.exceptions import FirebaseError

    try:
        settings = get_settings()
    except RuntimeError as error:
        parser.error(str(error))
    # Without the Auth emulator that would be a real project's accounts under the local
    # default project id (demo-ion), or the wrong one.
    refuse_local_settings(
        parser,
        settings.ion_env,
        "Operators",
        emulator="FIREBASE_AUTH_EMULATOR_HOST",
        real="GOOGLE_CLOUD_PROJECT",
    )
    print(f"project {settings.project_id}, ION_ENV={settings.ion_env}")
    try:
        auth, app = _admin()
        if args.command == "grant":
            user = grant(auth, app, args.email)
            print(f"{user.uid} ({user.email}) is an operator: from their next ID token on")
        elif args.command == "revoke":
            user = revoke(auth, app, args.email)
            was = "" if (user.custom_claims or {}).get(ROLE) == OPERATOR else " (was none)"
            print(f"{user.uid} ({user.email}) is no operator{was}; refresh tokens revoked")
        else:
            found = operators(auth, app)
            for user in found:
                verified = "" if user.email_verified else " (e-mail not verified)"
                print(f"{user.uid}\t{user.email}{verified}")
            print(f"{len(found)} operators")
    except Refused as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (*google_errors(), FirebaseError) as error:
        return report(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
