"""scripts/operators.py against a fake of firebase-admin's auth module: the operator role is
granted only to a verified e-mail, revoked with the user's refresh tokens in the same run, and
listed; other custom claims stay (the access review: granting was a one-liner that checked
nothing, revoking two steps by hand)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from firebase_admin import auth as firebase_auth

from common.config import get_settings
from scripts import operators


@dataclass
class User:
    uid: str
    email: str
    email_verified: bool = True
    custom_claims: dict[str, Any] | None = None


@dataclass
class FakeAuth:
    """firebase_admin.auth's calls the script makes, on users in memory."""

    users: list[User]
    calls: list[tuple] = field(default_factory=list)

    def get_user_by_email(self, email: str, app: Any = None) -> User:
        for user in self.users:
            if user.email == email:
                return User(**vars(user))  # a record as read: a copy
        raise firebase_auth.UserNotFoundError(f"No user record found for the email: {email}")

    def set_custom_user_claims(self, uid: str, claims: dict, app: Any = None) -> None:
        self.calls.append(("set_custom_user_claims", uid, claims))
        next(u for u in self.users if u.uid == uid).custom_claims = claims

    def revoke_refresh_tokens(self, uid: str, app: Any = None) -> None:
        self.calls.append(("revoke_refresh_tokens", uid))

    def list_users(self, app: Any = None) -> Any:
        users = [User(**vars(u)) for u in self.users]
        return type("Page", (), {"iterate_all": lambda self: iter(users)})()


def _run(monkeypatch, fake: FakeAuth, *argv: str) -> int:
    """The command on the local stack's settings, its Auth emulator stood in for by `fake`."""
    monkeypatch.delenv("ION_ENV", raising=False)
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
    monkeypatch.setattr(operators, "_admin", lambda: (fake, None))
    get_settings.cache_clear()
    try:
        return operators.main(list(argv))
    finally:
        get_settings.cache_clear()


def test_revoke_removes_the_role_and_revokes_the_refresh_tokens_in_one_run(
    monkeypatch, capsys
) -> None:
    claims = {"role": "operator", "team": "care"}
    fake = FakeAuth([User("op-1", "ops@example.com", custom_claims=claims)])
    assert _run(monkeypatch, fake, "revoke", "ops@example.com") == 0
    assert fake.calls == [
        ("set_custom_user_claims", "op-1", {"team": "care"}),  # the other claim stays
        ("revoke_refresh_tokens", "op-1"),  # the ID tokens issued before are refused too
    ]
    out = capsys.readouterr().out
    assert out.startswith("project demo-ion, ION_ENV=local\n")  # the target, first
    assert "op-1 (ops@example.com) is no operator; refresh tokens revoked" in out


def test_grant_refuses_an_unverified_email_and_writes_nothing(monkeypatch, capsys) -> None:
    fake = FakeAuth([User("u-2", "boss@example.com", email_verified=False)])
    assert _run(monkeypatch, fake, "grant", "boss@example.com") == 2
    assert fake.calls == []
    assert "boss@example.com is not verified" in capsys.readouterr().err


def test_grant_keeps_the_other_claims(monkeypatch) -> None:
    fake = FakeAuth([User("u-3", "new@example.com", custom_claims={"team": "care"})])
    assert _run(monkeypatch, fake, "grant", "new@example.com") == 0
    assert fake.calls == [("set_custom_user_claims", "u-3", {"team": "care", "role": "operator"})]


def test_an_unknown_email_is_one_line_on_stderr(monkeypatch, capsys) -> None:
    assert _run(monkeypatch, FakeAuth([]), "revoke", "nobody@example.com") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: UserNotFoundError:") and len(err.splitlines()) == 1


def test_list_shows_exactly_the_operators(monkeypatch, capsys) -> None:
    fake = FakeAuth(
        [
            User("op-1", "ops@example.com", custom_claims={"role": "operator"}),
            User(
                "op-2", "old@example.com", email_verified=False, custom_claims={"role": "operator"}
            ),
            User("u-1", "user@example.com"),
            User("u-2", "admin@example.com", custom_claims={"role": "admin"}),
            User("u-3", "list@example.com", custom_claims={"role": ["operator"]}),
        ]
    )
    assert [u.uid for u in operators.operators(fake, None)] == ["op-1", "op-2"]
    assert _run(monkeypatch, fake, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == [
        "op-1\tops@example.com",
        "op-2\told@example.com (e-mail not verified)",  # granted before grant checked it
        "2 operators",
    ]
    assert fake.calls == []


def test_a_run_on_the_local_default_without_the_auth_emulator_is_refused(
    monkeypatch, capsys
) -> None:
    # ION_ENV unset and no emulator: the accounts of project demo-ion, or whatever
    # GOOGLE_CLOUD_PROJECT says, not the production settings meant.
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    monkeypatch.delenv("ION_ENV", raising=False)
    monkeypatch.setattr(operators, "_admin", lambda: pytest.fail("no call before the check"))
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            operators.main(["list"])
    finally:
        get_settings.cache_clear()
    assert exited.value.code == 2
    assert "ION_ENV is local" in capsys.readouterr().err
