"""`make demo` without the stack: one line that says so, not a traceback."""

from __future__ import annotations

import urllib.error

import httpx
import pytest

from scripts import demo
from scripts.auth_emulator import User


def _no_gateway(*args, **kwargs):
    raise httpx.ConnectError("[Errno 111] Connection refused")


def _no_auth_emulator() -> User:
    raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))


@pytest.mark.parametrize("down", ["auth", "gateway"])
def test_without_the_stack_the_demo_says_so_in_one_line(monkeypatch, capsys, down) -> None:
    if down == "auth":
        monkeypatch.setattr(demo, "sign_up", _no_auth_emulator)
    else:
        monkeypatch.setattr(demo, "sign_up", lambda: User(uid="u", id_token="t", email="e"))
        monkeypatch.setattr(httpx.Client, "post", _no_gateway)
    assert demo.main() == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach" in err and "make up" in err
