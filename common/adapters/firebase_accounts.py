"""Which uids Firebase Auth no longer has an account for (common.account_sweep), and whose
account an email address is (scripts/support.py)."""

from __future__ import annotations

from typing import Any


class FirebaseAccountDirectory:
    def __init__(self, app: Any) -> None:
        self._app = app

    def missing(self, uids: list[str]) -> set[str]:
        """One lookup of up to 100 uids (get_users' limit). Any failure raises: a uid is gone
        only when Auth says it has no such account."""
        from firebase_admin import auth

        result = auth.get_users([auth.UidIdentifier(uid) for uid in uids], app=self._app)
        return {identifier.uid for identifier in result.not_found}

    def uid_of(self, email: str) -> str | None:
        """The uid of the account with this email address; None when Auth has none."""
        from firebase_admin import auth

        try:
            return auth.get_user_by_email(email, app=self._app).uid
        except auth.UserNotFoundError:
            return None
