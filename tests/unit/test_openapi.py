"""The committed OpenAPI files are what the code generates, and they describe every route the
functions and the gateway serve, with honest examples and the error shape everywhere."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
import yaml

from common import errors, labels
from common.adapters.bigquery_metrics import FAILURE_ANSWERED_BY
from common.chat.models import TurnOut, TurnResponse
from common.clients import AUTH_HTTP_TIMEOUT
from common.errors import NotFound, RateLimited
from common.sse import stream_events
from scripts import openapi
from scripts import openapi_endpoints as api
from scripts.gateway import ROUTES as GATEWAY_ROUTES
from scripts.stack import FUNCTION_PORTS
from tests.fakes.functions import load_main

FUNCTIONS = Path(openapi.ROOT) / "functions"
METHODS = {"get", "post", "put", "patch", "delete"}


@cache
def spec() -> dict:
    return openapi.build()


def operations() -> list[tuple[str, str, dict]]:
    return [
        (method, path, op)
        for path, item in spec()["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


@cache
def function_routes() -> dict[str, set[tuple[str, str]]]:
    """Each HTTP function's (method, OpenAPI path) pairs, read from its Routes table."""
    out = {}
    for main in sorted(FUNCTIONS.glob("*/main.py")):
        if "Routes(" not in main.read_text(encoding="utf-8"):
            continue  # event-driven: no public paths
        module = load_main(main.parent.name)
        out[main.parent.name] = {
            (method.lower(), re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
            for rule in module.ROUTES._map.iter_rules()
            for method in rule.methods
            if method.lower() in METHODS
        }
    return out


def test_committed_files_are_current():
    for path, text in openapi.outputs().items():
        assert path.exists(), f"{path.name} is missing: run `make openapi`"
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: `make openapi`"


def test_the_files_are_plain_yaml_of_the_document():
    assert yaml.safe_load(openapi.SPEC_FILE.read_text(encoding="utf-8")) == spec()
    assert spec()["openapi"].startswith("3.1")


def test_every_route_a_function_serves_is_documented_by_its_backend():
    documented = {(m, p): op for m, p, op in operations()}
    backend_of = {(ep.method, ep.path): ep.backend for ep in api.ENDPOINTS}
    public = {inner: outer for outer, inner in api.BACKEND_PATHS.items()}
    for function, routes in function_routes().items():
        for method, path in routes:
            route = (method, public.get(path, path))  # a path only the gateway calls
            assert route in documented, f"{function} serves {route} but openapi.yaml lacks it"
            assert backend_of[route] == function, f"{route} is served by {function}"


def test_the_gateway_asks_cloud_run_for_healthz_at_a_path_it_does_not_reserve():
    # Cloud Run answers some paths ending in "z" itself: /healthz never reached the function.
    gateway = openapi.gateway(spec())
    backend = gateway["paths"]["/healthz"]["get"]["x-google-backend"]
    target = gateway["x-google-api-management"]["backends"][backend]
    assert target["address"] == "${chat_url}/health" and not target["address"].endswith("z")
    assert target["pathTranslation"] == "CONSTANT_ADDRESS"
    assert ("get", "/health") in function_routes()["chat"]


def test_every_documented_operation_is_served():
    served = {(m, p): fn for fn, routes in function_routes().items() for m, p in routes}
    for ep in api.ENDPOINTS:
        served_by = served.get((ep.method, ep.path))
        assert served_by == ep.backend, f"{ep.method} {ep.path}: served by {served_by}"


def _concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", "x", path)


def _gateway_port(path: str) -> int | None:
    concrete = _concrete(path)
    return next(
        (
            port
            for prefix, port in GATEWAY_ROUTES
            if concrete == prefix.rstrip("/") or concrete.startswith(prefix)
        ),
        None,
    )


def test_the_local_gateway_routes_every_documented_path_to_its_function():
    for ep in api.ENDPOINTS:
        if ep.backend not in FUNCTION_PORTS:
            continue  # a function not yet on the local stack
        assert _gateway_port(ep.path) == FUNCTION_PORTS[ep.backend], ep.path


def test_every_gateway_route_is_documented():
    public = [(prefix, port) for prefix, port in GATEWAY_ROUTES if not prefix.startswith("/_")]
    for prefix, port in public:
        assert any(
            _gateway_port(path) == port and _concrete(path).startswith(prefix.rstrip("/"))
            for _, path, _ in operations()
        ), f"the gateway routes {prefix} but openapi.yaml documents nothing there"


# Answers of 4xx/5xx status that are not errors: a degraded /healthz is its own report.
NOT_ERRORS = {("get", "/healthz", "503")}


def test_errors_are_documented_in_the_one_shape():
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for method, path, op in operations():
        responses = op["responses"]
        signed_in = bool(op["security"])
        if signed_in:
            assert {"401", "503"} <= responses.keys(), (method, path)
        if "requestBody" in op:
            assert {"400", "413", "415"} <= responses.keys(), (method, path)
        for status, response in responses.items():
            if int(status) < 400 or (method, path, status) in NOT_ERRORS:
                continue
            media = response["content"]["application/json"]
            assert media["schema"] == error_ref, (method, path, status)
            assert media["examples"], (method, path, status)
            for code, example in media["examples"].items():
                error = api.ErrorBody.model_validate(example["value"]).error
                assert error.code == code and f"`{code}`" in response["description"]
            if status in ("429", "503"):
                assert response["headers"]["Retry-After"]["required"] is True


def test_a_degraded_healthz_is_documented_as_its_report_with_retry_after():
    """What the function answers (tests/unit/test_chat_function.py): uptime checks read it."""
    response = spec()["paths"]["/healthz"]["get"]["responses"]["503"]
    media = response["content"]["application/json"]
    assert media["schema"] == {"$ref": "#/components/schemas/HealthReport"}
    api.HealthReport.model_validate(media["example"])
    assert response["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert response["headers"]["Retry-After"]["required"] is True


def test_writes_refused_while_an_erasure_runs_document_their_409_and_retry_after():
    """ErasureInProgress (common/errors.py): a turn, a rating, a device registration, a
    settings change and a second erasure answer it, with Retry-After; the header is required
    where it is the only 409."""
    for path, method, only in (
        ("/v2/chat/turns", "post", False),  # also client_turn_id_reused, without the header
        ("/v2/feedback", "post", False),  # also feedback_busy, without the header
        ("/v2/devices", "post", True),
        ("/v2/profile", "patch", True),
        ("/v2/profile", "delete", True),
    ):
        response = spec()["paths"][path][method]["responses"]["409"]
        assert "erasure_in_progress" in response["content"]["application/json"]["examples"]
        header = response["headers"]["Retry-After"]
        assert header["schema"]["type"] == "integer" and header.get("required", False) is only


def test_feedback_statuses_say_what_the_function_answers():
    """201 only for the first rating (functions/feedback/main.py); a changed one is a 200."""
    responses = spec()["paths"]["/v2/feedback"]["post"]["responses"]
    created = api.FeedbackOut.model_validate(
        responses["201"]["content"]["application/json"]["example"]
    )
    again = api.FeedbackOut.model_validate(
        responses["200"]["content"]["application/json"]["example"]
    )
    assert created.created and created.changed
    assert not again.created
    assert "changed" not in responses["201"]["description"]
    assert "changed: true" in responses["200"]["description"]


def test_operator_endpoints_say_so_and_answer_403():
    for ep in api.ENDPOINTS:
        op = spec()["paths"][ep.path][ep.method]
        if ep.path.startswith("/v2/insights/metrics"):
            assert op["security"] == [{"firebase": ["role:operator"]}]
            assert "403" in op["responses"]


def test_examples_are_valid_for_their_models():
    for ep in api.ENDPOINTS:
        if ep.body is not None:
            assert ep.body_example is not None, ep.operation_id
            ep.body.model_validate_json(json.dumps(ep.body_example))
        for reply in ep.replies:
            if reply.model is not None and reply.example is not None:
                reply.model.model_validate(reply.example)


def _json_schema_validator(schema: dict):
    jsonschema_rs = pytest.importorskip("jsonschema_rs")  # schemathesis's, in the dev tools
    root = {"components": {"schemas": spec()["components"]["schemas"]}, **schema}
    return jsonschema_rs.Draft202012Validator(root)


def test_every_json_example_is_valid_for_its_schema_as_documented():
    """Against the document's schemas, not only the models: a schema-only enum (a stored
    persona id) is checked too."""
    for method, path, op in operations():
        media = [*op.get("requestBody", {}).get("content", {}).items()]
        media += [m for r in op["responses"].values() for m in r.get("content", {}).items()]
        for media_type, content in media:
            if media_type != "application/json":
                continue
            examples = [e["value"] for e in content.get("examples", {}).values()]
            for example in [content["example"]] if "example" in content else examples:
                errors = list(_json_schema_validator(content["schema"]).iter_errors(example))
                assert not errors, (method, path, [str(e) for e in errors[:3]])


def test_fixed_label_sets_are_enums_in_the_schema():
    """Clients switch on these labels: the schema lists each set (common.labels) where a label
    is answered, the maps keyed by one included."""
    schemas = spec()["components"]["schemas"]

    def prop(model: str, name: str) -> dict:
        schema = schemas[model]["properties"][name]
        return next(s for s in schema.get("anyOf", [schema]) if s.get("type") != "null")

    expected = {
        ("ToneScore", "label"): labels.TONES,
        ("PaceScore", "label"): labels.PACES,
        ("IntentScore", "label"): labels.INTENTS,
        ("SentimentOut", "label"): labels.SENTIMENTS,
        ("EntityOut", "type"): labels.ENTITY_TYPES,
        ("PersonaChoice", "id"): labels.PERSONA_IDS,
        ("Alternative", "id"): labels.PERSONA_IDS,
        ("TurnOut", "persona"): labels.PERSONA_IDS,
        ("SessionOut", "current_persona"): labels.PERSONA_IDS,
        ("TurnCreate", "persona"): labels.PERSONA_IDS,
        ("ProfileOut", "favourite_persona"): labels.PERSONA_IDS,
    }
    for (model, name), values in expected.items():
        assert prop(model, name)["enum"] == list(values), (model, name)
    assert prop("ProfileOut", "preferences")["propertyNames"]["enum"] == list(labels.PERSONA_IDS)
    assert prop("ProfileOut", "intent_mix")["propertyNames"]["enum"] == list(labels.INTENTS)
    analysis = prop("LegacyChatResponse", "analysis")
    assert analysis == {"$ref": "#/components/schemas/AnalysisOut"}


@pytest.mark.parametrize("body", ["TurnCreate", "LegacyChatRequest"])
def test_the_message_limit_is_documented_as_the_code_counts_it(body):
    """The 4000 are Unicode code points (len()): a client counting graphemes, 600 family emoji
    of 7 code points each, got a 400 it could not foresee (the i18n review). The schema has no
    maxLength: the server counts after trimming, so a message one over with a space at an end is
    accepted, and the contract tests would call that accepting invalid data."""
    from common.chat.models import MAX_MESSAGE_CHARS, TurnCreate

    message = spec()["components"]["schemas"][body]["properties"]["message"]
    assert message["minLength"] == 1 and "maxLength" not in message
    assert f"1-{MAX_MESSAGE_CHARS} Unicode code points after trimming" in message["description"]
    TurnCreate(client_turn_id="c", message="x" * MAX_MESSAGE_CHARS + " ")
    assert "Unicode code points" in message["description"]
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    assert len(family) == 7 and "is 7" in message["description"]
    TurnCreate(client_turn_id="c", message=family * (MAX_MESSAGE_CHARS // 7))
    with pytest.raises(ValueError, match="longer than"):
        TurnCreate(client_turn_id="c", message=family * 600)


def test_a_stored_persona_outside_the_set_is_still_read():
    """The schema lists the set, but a turn a past version stored is not refused (a 500)."""
    turn = TurnOut(
        turn_id="t",
        turn_index=0,
        message="m",
        reply="r",
        persona="retired",
        created_at=datetime(2026, 12, 2, 12, tzinfo=UTC),
    )
    assert turn.persona == "retired"


def test_a_streamed_turn_is_documented_as_server_sent_events():
    content = spec()["paths"]["/v2/chat/turns"]["post"]["responses"]["200"]["content"]
    stream = content["text/event-stream"]["example"]
    final = stream.split("event: final\ndata: ", 1)[1].strip()
    TurnResponse.model_validate_json(final)


def _streamed_error(fail: Exception) -> dict:
    def work(sink):
        sink.token("Hel")
        raise fail

    text = stream_events(work).get_data(as_text=True)
    return json.loads(text.split("event: error\ndata: ", 1)[1])


def test_a_streamed_error_event_is_documented_as_common_sse_sends_it():
    """Its `error` also carries `status` and, with a Retry-After, `retry_after`: the document
    names them, and names nothing else."""
    events = spec()["components"]["schemas"]["TurnStreamEvent"]["oneOf"]
    error = next(e for e in events if e["properties"]["event"]["const"] == "error")
    schema = error["properties"]["data"]["contentSchema"]
    name = schema["$ref"].rsplit("/", 1)[1]
    detail = spec()["components"]["schemas"][name]["properties"]["error"]["$ref"].rsplit("/")[-1]
    documented = spec()["components"]["schemas"][detail]
    assert {"status", "retry_after"} <= documented["properties"].keys()
    assert documented["additionalProperties"] is False
    for fail in (RateLimited("Slow down.", retry_after=30), NotFound("Gone.", code="x")):
        data = _streamed_error(fail)
        errors = list(_json_schema_validator(schema).iter_errors(data))
        assert not errors and data["error"]["status"] == fail.status, errors


def test_gateway_variant_names_a_backend_for_every_operation():
    text = openapi.GATEWAY_FILE.read_text(encoding="utf-8")
    doc = openapi.gateway(spec())
    backends = doc["x-google-api-management"]["backends"]
    for ep in api.ENDPOINTS:
        backend = doc["paths"][ep.path][ep.method]["x-google-backend"]
        url = "${" + ep.backend + "_url}"
        assert backends[backend]["address"] == url + api.BACKEND_PATHS.get(ep.path, "")
        assert backends[backend]["jwtAudience"] == url  # the function's own URL
    # The only template expressions are the placeholders Terraform fills in.
    names = set(re.findall(r"(?<!\$)\$\{(\w+)\}", text))
    assert names == {"project", *(f"{ep.backend}_url" for ep in api.ENDPOINTS)}
    assert "%{" not in text.replace("%%{", "")


# --- Error codes: the table (api.ERROR_CODES) against the code that raises them ------------

ERROR_CLASSES = {
    name: cls
    for name, cls in vars(errors).items()
    if isinstance(cls, type) and issubclass(cls, errors.ApiError)
}
SOURCES = ("common", "functions")
# Unavailable's own code: raised only where the scheduled jobs run (the cleanup's time budget,
# also in the erasure it shares with DELETE /v2/profile, which gives it no budget: only that
# function of the shared file; the outbox relay). The API's 503s each name what is down. A
# file, or a file and the function the error is raised in.
JOBS_ONLY = {
    "unavailable": {
        "common/adapters/firestore_cleanup.py",
        "common/adapters/firestore_profiles.py:_Deletes.remove",
        "functions/outbox_relay/main.py",
    }
}


@dataclass(frozen=True)
class Raised:
    code: str
    status: int
    message: str | None  # None: not a literal
    file: str
    line: int
    where: str  # the function it is raised in, dotted ("Class.method", "outer.inner")

    def jobs_only(self) -> bool:
        exempt = JOBS_ONLY.get(self.code, ())
        return self.file in exempt or f"{self.file}:{self.where}" in exempt


def _calls(node: ast.AST, where: str = "") -> Iterator[tuple[ast.Call, str]]:
    """Each call under `node`, with the function (or class) it is in."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield from _calls(child, f"{where}.{child.name}" if where else child.name)
            continue
        if isinstance(child, ast.Call):
            yield child, where
        yield from _calls(child, where)


@cache
def raised() -> tuple[Raised, ...]:
    """Each construction of an ApiError (of common.errors) in the code, with the code it sends:
    its `code=` argument, else the class's own (ErasureInProgress sets it itself)."""
    out = []
    root = Path(openapi.ROOT)
    for path in sorted(p for d in SOURCES for p in (root / d).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {  # local name -> class, as imported from common.errors
            alias.asname or alias.name: ERROR_CLASSES[alias.name]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "common.errors"
            for alias in node.names
            if alias.name in ERROR_CLASSES
        }
        for node, where in _calls(tree):
            if getattr(node.func, "id", None) not in names:
                continue
            cls, file = names[node.func.id], str(path.relative_to(root))
            given = next((k.value for k in node.keywords if k.arg == "code"), None)
            if given is not None:
                assert isinstance(given, ast.Constant), f"{file}:{node.lineno}: code not literal"
                code = given.value
            elif node.args or node.keywords:
                code = cls.code
            else:
                code = cls().code  # e.g. ErasureInProgress(): its __init__ names it
            first = node.args[0] if node.args else None
            message = first.value if isinstance(first, ast.Constant) else None
            out.append(Raised(code, cls.status, message, file, node.lineno, where))
    assert len(out) > 40, "the search found too little: has the code moved?"
    return tuple(out)


def documented() -> dict[str, set[tuple[str, str]]]:
    """Each code the document lists, with the operations it is listed on."""
    out: dict[str, set[tuple[str, str]]] = {}
    for method, path, op in operations():
        for response in op["responses"].values():
            examples = response.get("content", {}).get("application/json", {}).get("examples", {})
            for code in examples:
                out.setdefault(code, set()).add((method, path))
    return out


def test_every_code_the_code_sends_is_in_the_table_with_its_status():
    for r in raised():
        if r.jobs_only():
            continue
        assert r.code in api.ERROR_CODES, f"{r.file}:{r.line} sends {r.code}: add it to the table"
        assert api.ERROR_CODES[r.code].status == r.status, r


def test_every_code_in_the_table_is_sent_and_documented():
    sent = {r.code for r in raised()}
    listed = documented()
    for code in api.ERROR_CODES:
        assert code in sent, f"{code} is documented but nothing sends it"
        assert code in listed or code in api.GENERAL_ERRORS, f"no operation lists {code}"
    for code in api.GENERAL_ERRORS:
        assert f"`{code}`" in spec()["info"]["description"]


def test_an_example_message_is_one_the_code_sends_where_every_sender_writes_it_out():
    for code, e in api.ERROR_CODES.items():
        messages = {r.message for r in raised() if r.code == code}
        if None not in messages:
            assert e.message in messages, (code, e.message, messages)


@pytest.mark.parametrize("backend", sorted({ep.backend for ep in api.ENDPOINTS}))
def test_the_codes_a_functions_own_code_sends_are_on_its_operations(backend):
    """What functions/<backend>/ and common/<backend>/ raise is listed on an operation of that
    function (shared code, e.g. the adapters, is covered by the table test above)."""
    own = {
        r.code
        for r in raised()
        if r.file.split("/")[:2] in (["functions", backend], ["common", backend])
    }
    mine = {(ep.method, ep.path) for ep in api.ENDPOINTS if ep.backend == backend}
    listed = documented()
    for code in own - set(api.GENERAL_ERRORS):
        assert listed.get(code, set()) & mine, (
            f"{backend} sends {code} but none of its operations lists it"
        )


def test_each_operation_lists_known_codes_under_their_status():
    for ep in api.ENDPOINTS:
        assert set(ep.errors) <= api.ERROR_CODES.keys(), ep.operation_id
        assert set(ep.error_examples) <= set(ep.errors) | set(api.BODY_ERRORS), ep.operation_id
        for status, codes in ep.error_codes().items():
            assert all(api.ERROR_CODES[c].status == status for c in codes)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", code) for code in api.ERROR_CODES)


def test_the_legacy_403_is_only_a_user_mismatch_and_404s_name_their_thing():
    """The review's cases: one generic example per status said what these never send."""
    ops = spec()["paths"]
    legacy = ops["/api/chat/enhanced"]["post"]["responses"]["403"]
    assert list(legacy["content"]["application/json"]["examples"]) == ["user_mismatch"]
    assert "not_found" not in documented() and "unavailable" not in documented()
    assert {"feedback_busy", "profile_erased", "session_busy", "invalid_range"} <= set(documented())


def test_every_backend_has_a_deadline_and_insights_outlasts_its_query():
    """API Gateway gives a backend `deadline` seconds for its whole answer (15 unless set, then a
    504 of its own): a failing metric query is answered 503 by the function itself, after the
    token check (a 504 would hide its Retry-After), and an erasure may take the profile
    function's whole 300 s timeout."""
    backends = openapi.gateway(spec())["x-google-api-management"]["backends"]
    deadlines = {name: backend["deadline"] for name, backend in backends.items()}
    assert deadlines["chat"] == deadlines["chat_health"] == 60
    # The token check before the query, Google's Auth slow: the public keys' fetch (one
    # attempt), then the revocation lookup and firebase-admin's one retry of it.
    auth = AUTH_HTTP_TIMEOUT + 2 * AUTH_HTTP_TIMEOUT
    assert deadlines["insights"] >= auth + FAILURE_ANSWERED_BY
    assert deadlines["profile"] == 300
    others = {n for n in deadlines if n not in ("chat", "chat_health", "insights", "profile")}
    assert others and all(deadlines[name] == 15 for name in others)


def test_the_401_says_production_answers_in_the_gateways_shape():
    description = api.STATUSES[401]
    assert "Jwt is missing" in description and "retry once" in description
