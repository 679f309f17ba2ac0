"""No answer is kept in a cache unless it says it may be: the client review found the turn pages,
the profile and its export sent without Cache-Control, which iOS URLSession's default URLCache
stores on the phone's disk, where message text outlives sign-out and DELETE /v2/profile."""

from __future__ import annotations

from types import ModuleType

import flask
import pytest

from common import clients
from common.auth import Caller
from common.chat import service as chat_service
from common.chat.models import TurnPage
from common.errors import NotFound
from common.http import handle_errors, json_response
from common.profile.models import ProfileOut, ProfileSettings
from tests.fakes import turns
from tests.fakes.functions import load_main

SESSION = "5d41402abc4b2a76b9719d911017c592"
app = flask.Flask(__name__)


def _answer(fn) -> flask.Response:
    with app.test_request_context("/"):
        return handle_errors(fn)()


def test_an_answer_without_a_cache_control_of_its_own_is_no_store():
    data = _answer(lambda: json_response({"message": "my secret"}))
    assert data.headers["Cache-Control"] == "no-store"


def test_an_error_is_no_store_too():
    def missing():
        raise NotFound("Gone.", code="session_not_found")

    def broken():
        raise RuntimeError("a bug")

    for fn in (missing, broken):
        assert _answer(fn).headers["Cache-Control"] == "no-store"


def test_an_answers_own_cache_control_stands():
    own = _answer(lambda: json_response({}, headers={"Cache-Control": "private, no-cache"}))
    assert own.headers.getlist("Cache-Control") == ["private, no-cache"]


# --- The functions' GETs of user data --------------------------------------------------------


def _get(function: ModuleType, entry: str, path: str) -> flask.Response:
    with app.test_request_context(path):
        return getattr(function, entry)(flask.request)


@pytest.fixture
def chat(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    chat = load_main("chat")
    monkeypatch.setattr(chat, "authenticate", lambda request, **_: Caller(uid="u1"))
    monkeypatch.setattr(clients, "session_store", lambda: None)
    return chat


@pytest.fixture
def profile(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    profile = load_main("profile")
    monkeypatch.setattr(profile, "authenticate", lambda request: Caller(uid="u1"))
    monkeypatch.setattr(clients, "profile_store", lambda: None)
    return profile


def test_a_page_of_turns_is_not_stored(chat, monkeypatch):
    page = TurnPage(session_id=SESSION, turns=[], next_after=None)
    monkeypatch.setattr(chat_service, "list_turns", lambda **_: page)
    r = _get(chat, "chat", f"/v2/sessions/{SESSION}/turns")
    assert (r.status_code, r.headers["Cache-Control"]) == (200, "no-store")


def test_a_session_stays_private_and_revalidated(chat, monkeypatch):
    """Its ETag lets an app ask cheaply whether it changed: that answer keeps its own header."""
    out = turns.session_out(SESSION)
    monkeypatch.setattr(chat_service, "get_session", lambda **_: out)
    r = _get(chat, "chat", f"/v2/sessions/{SESSION}")
    assert r.headers.getlist("Cache-Control") == ["private, no-cache"]


def test_the_profile_and_its_export_are_not_stored(profile, monkeypatch):
    out = ProfileOut(
        settings=ProfileSettings(),
        preferences={},
        favourite_persona=None,
        engagement=0,
        intent_mix={},
        hourly_activity=[0] * 24,
        turns=0,
        feedback_count=0,
    )
    monkeypatch.setattr(profile.service, "get_profile", lambda **_: out)
    monkeypatch.setattr(profile.service, "export_profile", lambda **_: {"uid": "u1"})
    for path in ("/v2/profile", "/v2/profile/export"):
        r = _get(profile, "profile", path)
        assert (r.status_code, r.headers["Cache-Control"]) == (200, "no-store"), path
