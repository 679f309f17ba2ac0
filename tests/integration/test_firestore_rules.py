"""firestore.rules on the emulator: a signed-in app user cannot read or write anything the API
owns, not even their own documents; only the server (the API's service accounts, `Bearer owner`
on the emulator) can. The emulator enforces the rules file the stack starts it with."""

from __future__ import annotations

import importlib
import re
import uuid
from pathlib import Path

import httpx
import pytest

from scripts import stack
from scripts.auth_emulator import User

DOCUMENTS = f"http://127.0.0.1:8086/v1/projects/{stack.PROJECT}/databases/(default)/documents"
SERVER = {"Authorization": "Bearer owner"}
ADAPTERS = Path(__file__).resolve().parents[2] / "common" / "adapters"


def _paths(uid: str) -> list[str]:
    """One document in every collection the API owns (as the code names them)."""
    s = uuid.uuid4().hex
    return [
        f"users/{uid}",
        f"users/{uid}/devices/d-{s}",
        f"sessions/s-{s}",
        f"sessions/s-{s}/turns/t-{s}",
        f"turn_keys/k-{s}",
        f"feedback/f-{s}",
        f"preferences/p-{s}",
        f"preferences/p-{s}/applied_events/e-{s}",
        f"activity/{uid}",
        f"outbox/o-{s}",
        f"erasures/e-{s}",
        f"deferred_notifications/n-{s}",
        f"push_notifications/p-{s}",
        f"producer_cursors/c-{s}",
        f"jobs/j-{s}",
    ]


def _named_collections() -> set[str]:
    """Every collection the adapters name by a constant: `.collection(USERS)`,
    `.collection_group(TURNS)`, `.document(JOB_STATE)` ("jobs/session_cleanup")."""
    named = set()
    for path in ADAPTERS.glob("*.py"):
        module = importlib.import_module(f"common.adapters.{path.stem}")
        for call, name in re.findall(
            r"\.(collection|collection_group|document)\((\w+)\)", path.read_text()
        ):
            value = getattr(module, name, None)  # not a constant: a variable of the call's
            if isinstance(value, str) and (call != "document" or "/" in value):
                named |= set(value.split("/")[::2])
    return named


def test_every_collection_the_adapters_name_is_checked() -> None:
    # A new collection fails this until _paths has a document of it.
    assert _named_collections() == {c for p in _paths("u") for c in p.split("/")[::2]}


def _fields(uid: str) -> dict:
    return {"fields": {"owner_uid": {"stringValue": uid}, "note": {"stringValue": "x"}}}


@pytest.fixture
def seeded(user: User):
    """The documents exist (written by the server), so a denial is the rules, not a 404."""
    paths = _paths(user.uid)
    with httpx.Client(timeout=10) as client:
        for path in paths:
            r = client.patch(f"{DOCUMENTS}/{path}", json=_fields(user.uid), headers=SERVER)
            assert r.status_code == 200, r.text
        yield paths
        for path in paths:
            client.delete(f"{DOCUMENTS}/{path}", headers=SERVER)


def test_the_server_reads_what_clients_cannot(seeded: list[str]) -> None:
    for path in seeded:
        assert httpx.get(f"{DOCUMENTS}/{path}", headers=SERVER).status_code == 200, path


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in user", "no token"])
def test_clients_cannot_read_or_list(seeded: list[str], user: User, signed_in: bool) -> None:
    headers = user.headers if signed_in else {}
    for path in seeded:
        r = httpx.get(f"{DOCUMENTS}/{path}", headers=headers)
        assert r.status_code == 403, f"{path}: {r.status_code}"
        assert r.json()["error"]["status"] == "PERMISSION_DENIED"
        collection = path.rsplit("/", 1)[0]
        assert httpx.get(f"{DOCUMENTS}/{collection}", headers=headers).status_code == 403


def test_clients_cannot_query(user: User) -> None:
    query = {
        "structuredQuery": {
            "from": [{"collectionId": "sessions"}],
            "where": {
                "fieldFilter": {
                    "field": {"fieldPath": "owner_uid"},
                    "op": "EQUAL",
                    "value": {"stringValue": user.uid},
                }
            },
        }
    }
    r = httpx.post(f"{DOCUMENTS}:runQuery", json=query, headers=user.headers)
    assert r.status_code == 403


def test_clients_cannot_create_change_or_delete(seeded: list[str], user: User) -> None:
    for path in seeded:
        url = f"{DOCUMENTS}/{path}"
        assert httpx.patch(url, json=_fields(user.uid), headers=user.headers).status_code == 403
        assert httpx.delete(url, headers=user.headers).status_code == 403
        created = f"{url.rsplit('/', 1)[0]}?documentId=new-{uuid.uuid4().hex}"
        assert httpx.post(created, json=_fields(user.uid), headers=user.headers).status_code == 403
    # Nothing changed: the server still sees its own value.
    doc = httpx.get(f"{DOCUMENTS}/{seeded[0]}", headers=SERVER).json()
    assert doc["fields"]["note"]["stringValue"] == "x"
