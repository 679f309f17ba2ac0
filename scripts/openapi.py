"""The API description, generated from the pydantic models: `make openapi` writes

- `openapi.yaml` (OpenAPI 3.1): the contract apps generate clients from and schemathesis tests;
- `terraform/api/openapi-gateway.yaml`: the same document with API Gateway's extensions (the
  backends as `${<function>_url}` placeholders that Terraform's `templatefile` fills in).

Every endpoint is one `Endpoint` entry in `scripts/openapi_endpoints.py`; `python -m
scripts.openapi --check` fails when a committed file differs from what the code generates now."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from common.chat.models import MAX_MESSAGE_CHARS
from common.http import DEFAULT_CACHE_CONTROL
from scripts.openapi_endpoints import (
    BACKEND_DEADLINE,
    BACKEND_PATHS,
    CACHE_CONTROL,
    DEFAULT_DEADLINE,
    ENDPOINTS,
    ERROR_CODES,
    GENERAL_ERRORS,
    REQUEST_MODELS,
    RESPONSE_MODELS,
    STATUSES,
    TAGS,
    Endpoint,
    ErrorBody,
    Param,
    Reply,
    turn_stream_event,
)

ROOT = Path(__file__).resolve().parent.parent
SPEC_FILE = ROOT / "openapi.yaml"
GATEWAY_FILE = ROOT / "terraform" / "api" / "openapi-gateway.yaml"
LOCAL_SERVER = "http://127.0.0.1:8080"


# --- The document ---------------------------------------------------------------------------


def _components() -> dict[str, dict]:
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation") for m in REQUEST_MODELS
    ] + [(m, "serialization") for m in RESPONSE_MODELS]
    _, defs = models_json_schema(pairs, ref_template="#/components/schemas/{model}")
    schemas = defs["$defs"]
    # Constraints the validators check in code (common.chat.models.clean_message, both bodies),
    # stated where the schema can say them. No maxLength: the server counts after trimming, so
    # a message of 4001 with a space at an end is accepted, which a schema maxLength (counting the
    # text as sent) would call invalid.
    message = {
        "minLength": 1,
        "description": f"1-{MAX_MESSAGE_CHARS} Unicode code points after trimming, not "
        "user-perceived characters (graphemes): an emoji sequence counts each of its code "
        "points (a family of four, 4 people joined by 3 zero-width joiners, is 7, so 600 of "
        "them are 4200 and refused); no control characters but newlines and tabs; a message of "
        "nothing but invisible characters (whitespace, format characters such as U+200B, the "
        "Hangul fillers, the Braille blank U+2800, marks with no letter to sit on) is empty. "
        f"A longer one is refused, unless the crisis patterns flag its first or last "
        f"{MAX_MESSAGE_CHARS}: that one gets the crisis reply alone, not stored (a long voice "
        "note that ends in a crisis)",
    }
    schemas["TurnCreate"]["properties"]["message"].update(message)
    schemas["LegacyChatRequest"]["properties"]["message"].update(message)
    schemas["TurnStreamEvent"] = turn_stream_event()
    return dict(sorted(schemas.items()))


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _headers(headers: dict[str, tuple[dict, str]], *, required: bool = False) -> dict:
    return {
        name: {"description": text, "schema": schema, **({"required": True} if required else {})}
        for name, (schema, text) in headers.items()
    }


def _error_response(ep: Endpoint, status: int, codes: list[str]) -> dict:
    """One error status of an operation: the codes it can send there, each with an example."""
    errors = {code: ERROR_CODES[code] for code in codes}
    always = all(e.retry_after for e in errors.values())  # else: the header says which codes
    listed = "\n".join(
        f"- `{code}`: {e.meaning}"
        + (" Sent with `Retry-After`." if e.retry_after and not always else "")
        for code, e in errors.items()
    )
    examples = {}
    for code, e in errors.items():
        message, field = ep.error_examples.get(code, (e.message, e.field))
        detail = {"code": code, "message": message} | ({"field": field} if field else {})
        examples[code] = {"value": {"error": detail}}
    out: dict[str, Any] = {
        "description": f"{STATUSES[status]}\n\n{listed}",
        "content": {"application/json": {"schema": _ref(ErrorBody), "examples": examples}},
    }
    if any(e.retry_after for e in errors.values()):
        out["headers"] = _headers(
            {"Retry-After": ({"type": "integer", "minimum": 0}, "Seconds to wait")},
            required=always,
        )
    return out


def _reply(reply: Reply) -> dict:
    out: dict[str, Any] = {"description": reply.description}
    # The functions always send them; a reply's own Cache-Control replaces the default.
    headers = {**reply.headers}
    headers.setdefault("Cache-Control", CACHE_CONTROL)
    out["headers"] = _headers(headers, required=True)
    if reply.status == 304 or (reply.model is None and reply.media_type == "application/json"):
        return out
    media: dict[str, Any] = {"schema": _ref(reply.model) if reply.model else {"type": "string"}}
    if reply.example is not None:
        media["example"] = reply.example
    out["content"] = {reply.media_type: media, **reply.extra_content}
    return out


def _parameter(param: Param) -> dict:
    out: dict[str, Any] = {
        "name": param.name,
        "in": param.location,
        "description": param.description,
        "required": param.required,
        "schema": param.schema,
    }
    if param.example is not None:
        out["example"] = param.example
    return out


def _operation(ep: Endpoint) -> dict:
    op: dict[str, Any] = {
        "operationId": ep.operation_id,
        "tags": [ep.tag],
        "summary": ep.summary,
    }
    if ep.description:
        op["description"] = ep.description
    if ep.params:
        op["parameters"] = [_parameter(p) for p in ep.params]
    if ep.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(ep.body), "example": ep.body_example}},
        }
    responses = {str(r.status): _reply(r) for r in ep.replies}
    responses |= {str(s): _error_response(ep, s, c) for s, c in ep.error_codes().items()}
    op["responses"] = dict(sorted(responses.items()))
    op["security"] = {
        "none": [],
        "user": [{"firebase": []}],
        "operator": [{"firebase": ["role:operator"]}],
    }[ep.auth]
    return op


def build() -> dict:
    """The OpenAPI 3.1 document."""
    paths: dict[str, dict] = {}
    for ep in ENDPOINTS:
        paths.setdefault(ep.path, {})[ep.method] = _operation(ep)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ION Mentoring API",
            "version": "2.0.0",
            "description": (
                "The mentoring chat backend. Every call but `/healthz` and the dashboard files "
                "carries `Authorization: Bearer <Firebase ID token>`; the user is the token's "
                "uid, never a field of the body. JSON in and out, UTF-8. Every error the API "
                'answers is `{"error": {"code", "message", "field"?}}`; 429 and 503 carry '
                "`Retry-After`. Every answer of the functions, errors included, carries "
                f"`Cache-Control: {DEFAULT_CACHE_CONTROL}` unless its operation documents "
                "another. Times are RFC 3339 in UTC, always with microseconds: "
                "`2026-12-02T12:00:00.000000Z` (the operators' metric rows keep BigQuery's "
                "values: an hour is `2026-12-02T12:00:00Z`). In production API Gateway "
                "answers a few itself, in its own shape: a 401 for a missing, expired or "
                "invalid token (see 401), a 504 when a backend has not answered within its "
                "deadline, and it refuses a path or method this document does not declare "
                "(so `route_not_found` and `method_not_allowed` reach clients of the local "
                "stack only). Each operation lists the codes it can answer under each error "
                "status; any request may also get these:\n\n"
                + "".join(
                    f"- {ERROR_CODES[code].status} `{code}`: {ERROR_CODES[code].meaning}\n"
                    for code in GENERAL_ERRORS
                )
                + "\nGenerated by `make openapi` from the pydantic models (`scripts/openapi.py`)."
            ),
        },
        "servers": [{"url": LOCAL_SERVER, "description": "The local stack (`make up`)"}],
        "tags": TAGS,
        "security": [{"firebase": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "firebase": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "A Firebase Auth ID token. `role:operator` means the token must carry "
                        "the custom claim `role: operator`."
                    ),
                }
            },
            "schemas": _components(),
        },
    }


# --- API Gateway's variant ------------------------------------------------------------------

FIREBASE_JWKS = (
    "https://www.googleapis.com/service_accounts/v1/metadata/x509/"
    "securetoken@system.gserviceaccount.com"
)


def _backend(function: str, path: str = "") -> dict:
    """A function as API Gateway's backend: the request's path appended to its URL, or, with
    `path`, always that path. The audience of its token is the function's URL either way."""
    url = "${" + function + "_url}"
    return {
        "address": url + path,
        "pathTranslation": "CONSTANT_ADDRESS" if path else "APPEND_PATH_TO_ADDRESS",
        "jwtAudience": url,
        "deadline": BACKEND_DEADLINE.get(function, DEFAULT_DEADLINE),
    }


def gateway(doc: dict) -> dict:
    """The document API Gateway reads (OpenAPI 3.x extensions): the backends are named at the
    root in `x-google-api-management`, each operation names its backend in `x-google-backend`,
    and the gateway checks Firebase ID tokens itself (`x-google-auth`). The functions still
    verify the token (it arrives in `X-Forwarded-Authorization`) and the operator claim."""
    out = json.loads(json.dumps(doc))  # a deep copy
    backends = {name: _backend(name) for name in sorted({ep.backend for ep in ENDPOINTS})}
    out["x-google-api-management"] = {"backends": backends}
    del out["servers"]  # the gateway's own host
    out["components"]["securitySchemes"] = {
        "firebase": {
            "type": "oauth2",
            "flows": {"implicit": {"authorizationUrl": "", "scopes": {}}},
            "x-google-auth": {
                "issuer": "https://securetoken.google.com/${project}",
                "jwksUri": FIREBASE_JWKS,
                "audiences": ["${project}"],
            },
        }
    }
    for ep in ENDPOINTS:
        op = out["paths"][ep.path][ep.method]
        op["x-google-backend"] = ep.backend
        if ep.path in BACKEND_PATHS:  # the function at another path (BACKEND_PATHS)
            op["x-google-backend"] = f"{ep.backend}_{ep.operation_id}"
            backends[op["x-google-backend"]] = _backend(ep.backend, BACKEND_PATHS[ep.path])
        if op["security"]:  # the claim is the function's to check; the gateway knows no roles
            op["security"] = [{"firebase": []}]
    return out


# --- Files ----------------------------------------------------------------------------------

HEADER = (
    "# Generated by `make openapi` (scripts/openapi.py) from the pydantic models: do not edit.\n"
)
GATEWAY_HEADER = (
    HEADER + "# API Gateway's variant of openapi.yaml; Terraform's templatefile fills in "
    "$${project} and $${<function>_url}.\n"
)


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # no &anchors: plain YAML for every tool
        return True


def render(doc: dict, *, template: bool = False) -> str:
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    if template:  # a literal "${" or "%{" elsewhere would be read as template syntax
        names = "|".join(["project", *sorted({f"{ep.backend}_url" for ep in ENDPOINTS})])
        text = re.sub(r"\$\{(?!(?:" + names + r")\})", "$${", text.replace("%{", "%%{"))
        return GATEWAY_HEADER + text
    return HEADER + text


def outputs() -> dict[Path, str]:
    doc = build()
    return {SPEC_FILE: render(doc), GATEWAY_FILE: render(gateway(doc), template=True)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    for path in stale:
        print(f"{path.relative_to(ROOT)} is out of date: run `make openapi`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
