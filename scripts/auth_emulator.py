"""Sign users in through the Firebase Auth emulator, as an app would (REST, any API key)."""

from __future__ import annotations

import json
import urllib.request
import uuid
from dataclasses import dataclass

AUTH = "http://127.0.0.1:9099"
PROJECT = "demo-ion"
# the REST endpoints an app signs in with (any API key works against the emulator)
SIGN_UP = f"{AUTH}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=local"
SIGN_IN = f"{AUTH}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=local"


@dataclass(frozen=True)
class User:
    uid: str
    id_token: str
    email: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.id_token}"}


def _post(url: str, body: dict, *, owner: bool = False) -> dict:
    headers = {"Content-Type": "application/json"}
    if owner:
        headers["Authorization"] = "Bearer owner"
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def sign_up(email: str | None = None, password: str = "demo-password") -> User:
    email = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
    data = _post(
        SIGN_UP,
        {"email": email, "password": password, "returnSecureToken": True},
    )
    return User(uid=data["localId"], id_token=data["idToken"], email=email)


def sign_in(email: str, password: str = "demo-password") -> User:
    data = _post(
        SIGN_IN,
        {"email": email, "password": password, "returnSecureToken": True},
    )
    return User(uid=data["localId"], id_token=data["idToken"], email=email)


def set_claims(uid: str, claims: dict) -> None:
    _post(
        f"{AUTH}/identitytoolkit.googleapis.com/v1/projects/{PROJECT}/accounts:update",
        {"localId": uid, "customAttributes": json.dumps(claims)},
        owner=True,
    )
