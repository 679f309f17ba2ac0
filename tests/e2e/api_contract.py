"""What the hardening tests read from the contract: the operations of openapi.yaml (so a new
endpoint cannot be left out), the error shape of ARCHITECTURE.md, and ID tokens edited by hand."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from scripts import openapi
from scripts.auth_emulator import User, sign_in, sign_up

SNAKE = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # OpenAPI template, e.g. /v2/sessions/{session_id}
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    header_params: tuple[str, ...]
    body_schema: dict | None  # resolved JSON Schema of the JSON body
    signed_in: bool  # any security requirement

    def url(self, **values: str) -> str:
        path = self.path
        for name in self.path_params:
            path = path.replace("{" + name + "}", values[name])
        return path


@cache
def spec() -> dict:
    return yaml.safe_load(openapi.SPEC_FILE.read_text())


def resolve(schema: dict) -> dict:
    """Follow a local $ref (components/schemas only)."""
    while "$ref" in schema:
        schema = spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


@cache
def operations() -> tuple[Operation, ...]:
    out = []
    default_security = spec().get("security", [])
    for path, item in spec()["paths"].items():
        for method, op in item.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            params = op.get("parameters", [])
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json")
            security = op.get("security", default_security)
            out.append(
                Operation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    path=path,
                    path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                    query_params=tuple(p["name"] for p in params if p["in"] == "query"),
                    header_params=tuple(p["name"] for p in params if p["in"] == "header"),
                    body_schema=resolve(body["schema"]) if body else None,
                    signed_in=bool(security and any(security)),
                )
            )
    return tuple(out)


def error_problems(response: Any) -> str | None:
    """What is wrong with an error answer, or None when it is in the one error shape:
    {"error": {"code": snake_case, "message": sentence, "field"?: str}}, Retry-After on 429/503."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return f"{response.status_code} without a JSON body: {response.content[:200]!r}"
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return f"not the error shape: {body!r:.300}"
    error = body["error"]
    if not set(error) <= {"code", "message", "field"}:
        return f"unknown keys in {error}"
    if not isinstance(error.get("code"), str) or not SNAKE.fullmatch(error["code"]):
        return f"bad code in {error}"
    if not isinstance(error.get("message"), str) or not error["message"].strip():
        return f"no message in {error}"
    if error.get("field") is not None and not isinstance(error["field"], str):
        return f"bad field in {error}"
    if response.status_code in (429, 503) and not response.headers.get("Retry-After", "").isdigit():
        return f"{response.status_code} without Retry-After"
    return None


def _b64decode(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _b64encode(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def token_claims(token: str) -> dict:
    return _b64decode(token.split(".")[1])


def edit_token(token: str, *, drop: tuple[str, ...] = (), **claims: Any) -> str:
    """The same token with its payload edited by hand: header and signature part kept."""
    header, payload, signature = token.split(".")
    edited = {k: v for k, v in _b64decode(payload).items() if k not in drop} | claims
    return f"{header}.{_b64encode(edited)}.{signature}"


def operator_user() -> User:
    """A user whose ID token carries `role: operator`, set with firebase-admin as an admin
    would; signing in again picks the claim up."""
    from firebase_admin import auth

    from common.clients import firebase_app

    fresh = sign_up()
    auth.set_custom_user_claims(fresh.uid, {"role": "operator"}, app=firebase_app())
    return sign_in(fresh.email)
