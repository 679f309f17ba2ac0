"""The Terraform configuration agrees with the code.

Parses every *.tf file with python-hcl2 (no provider, no network) and checks, per environment:
every functions/<name>/main.py is deployed with entry point <name> from that folder; every
environment variable set on a function is a field of common.config.Settings with a valid value;
the code's default topics exist; TTL fields are `expires_at`; no primitive role is granted and
outbox_relay is never public. Also: variables and outputs are sorted, bundles are named by
content hash, and `terraform fmt -check` passes.

HCL expressions are evaluated just enough for these checks: literals, `local.*`, `var.*` (with
`optional()` defaults), `each.*`, `path.*`, `merge()`, `upper()`/`lower()`, and `module.<m>.name`
of a pubsub module. Anything else (resource attributes, ...) is UNKNOWN: known only at apply.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest
from pydantic import ValidationError

from common.config import Settings

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
FUNCTIONS = REPO / "functions"
ENVIRONMENTS = ("dev", "prod")
FUNCTION_MODULE = "modules/function"
PUBSUB_MODULE = "modules/pubsub"
FIRESTORE_MODULE = "modules/firestore"

SETTINGS_ENV_VARS = {field.upper() for field in Settings.model_fields}
PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
PUBLIC_MEMBERS = {"allUsers", "allAuthenticatedUsers"}
# Roles that must be granted on one resource (a topic, a secret), never on the whole project.
RESOURCE_SCOPED_ROLES = {
    "roles/pubsub.publisher",
    "roles/pubsub.subscriber",
    "roles/secretmanager.secretAccessor",
}
TTL_COLLECTIONS = ("sessions", "turns", "turn_keys")
EVERY_FUNCTION_SETS = {"GOOGLE_CLOUD_PROJECT", "ION_ENV", "LOG_LEVEL", "EVENTS_TOPIC"}
CHAT_SETS = {
    "CONTEXT_WINDOW_TURNS",
    "GEMINI_LOCATION",
    "GEMINI_MODEL",
    "RESPONSE_GENERATOR",
    "SESSION_TTL_HOURS",
}


class _Unknown:
    """A value known only at apply time."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


class _Unresolvable(Exception):
    pass


# --- parsing -----------------------------------------------------------------------------------


def _load(path: Path) -> dict[str, list[Any]]:
    text = path.read_text(encoding="utf-8")
    options_cls = getattr(hcl2, "SerializationOptions", None)
    if options_cls is None:  # python-hcl2 < 8 strips quotes and takes no options
        return hcl2.loads(text)
    options = options_cls(strip_string_quotes=True, with_comments=False, explicit_blocks=False)
    return hcl2.loads(text, serialization_options=options)


def _tf_files() -> list[Path]:
    return sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)


def _tf_dirs() -> list[Path]:
    return sorted({path.parent for path in _tf_files()})


@cache
def _config(directory: Path) -> dict[str, list[Any]]:
    """All top-level blocks of the *.tf files in one directory, by block type."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        for block_type, blocks in _load(path).items():
            merged.setdefault(block_type, []).extend(blocks)
    return merged


def _labelled(config: dict[str, list[Any]], block_type: str) -> dict[str, Any]:
    return {name: body for block in config.get(block_type, []) for name, body in block.items()}


# --- evaluation --------------------------------------------------------------------------------

_WHOLE = re.compile(r"^\$\{(.*)\}$", re.S)
_INTERPOLATION = re.compile(r"\$\{([^{}]*)\}")
_REFERENCE = re.compile(r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\"[^\"]*\"\]|\[\d+\])*$")
_REFERENCE_PART = re.compile(r"[A-Za-z_][\w-]*|\[\"([^\"]*)\"\]|\[(\d+)\]")
_OPTIONAL_DEFAULT = re.compile(
    r"(\w+)\s*=\s*optional\(\s*\w+\s*,\s*(\"(?:[^\"\\]|\\.)*\"|-?\d+(?:\.\d+)?|true|false)\s*\)"
)


def _is_one_expression(inner: str) -> bool:
    """True if "${inner}" is a single interpolation, not "${a}-${b}"."""
    depth = 0
    for char in inner:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _split_arguments(text: str) -> list[str]:
    args, depth, current, quoted = [], 0, "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "([{":
            depth += 1
        elif not quoted and char in ")]}":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            args.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        args.append(current.strip())
    return args


def _literal(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"'):
        return text[1:-1]
    return float(text) if "." in text else int(text)


def _walk(value: Any, path: list[str]) -> Any:
    for part in path:
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return UNKNOWN
    return value


class Root:
    """One Terraform root or module directory, with a small expression evaluator."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        config = _config(directory)
        self.locals = {k: v for block in config.get("locals", []) for k, v in block.items()}
        self.variables = _labelled(config, "variable")
        self.modules = _labelled(config, "module")
        self.resources = config.get("resource", [])

    def module_calls(self, source_suffix: str) -> dict[str, dict[str, Any]]:
        return {
            name: body
            for name, body in self.modules.items()
            if str(body.get("source", "")).rstrip("/").endswith(source_suffix)
        }

    def value(self, raw: Any, each: tuple[str, Any] | None = None) -> Any:
        if isinstance(raw, dict):
            return {key: self.value(item, each) for key, item in raw.items()}
        if isinstance(raw, list):
            return [self.value(item, each) for item in raw]
        if not isinstance(raw, str):
            return raw
        whole = _WHOLE.match(raw)
        if whole and _is_one_expression(whole.group(1)):
            return self.expression(whole.group(1), each)

        def interpolate(match: re.Match[str]) -> str:
            result = self.expression(match.group(1), each)
            if result is UNKNOWN or isinstance(result, (dict, list)):
                raise _Unresolvable
            return str(result)

        try:
            return _INTERPOLATION.sub(interpolate, raw)
        except _Unresolvable:
            return UNKNOWN

    def expression(self, text: str, each: tuple[str, Any] | None) -> Any:
        text = text.strip()
        if text == "null":
            return None
        if re.fullmatch(r"true|false|-?\d+(?:\.\d+)?", text):
            return _literal(text)
        if re.fullmatch(r'"[^"]*"', text):
            return self.value(text[1:-1], each)
        call = re.fullmatch(r"(\w+)\((.*)\)", text, re.S)
        if call:
            return self._call(call.group(1), _split_arguments(call.group(2)), each)
        if not _REFERENCE.match(text):
            return UNKNOWN
        parts = [m.group(1) or m.group(2) or m.group(0) for m in _REFERENCE_PART.finditer(text)]
        head, rest = parts[0], parts[1:]
        if head == "each" and each is not None and rest:
            return each[0] if rest == ["key"] else _walk(each[1], rest[1:])
        if head == "local" and rest and rest[0] in self.locals:
            return _walk(self.value(self.locals[rest[0]]), rest[1:])
        if head == "var" and rest:
            return _walk(self.variable_default(rest[0]), rest[1:])
        if head == "path" and rest and rest[0] in ("root", "module", "cwd"):
            return str(self.directory)
        if head == "module" and len(rest) == 2 and rest[1] == "name":
            # A pubsub module's `name` output is its `name` input: the topic name.
            call = self.module_calls(PUBSUB_MODULE).get(rest[0])
            return UNKNOWN if call is None else self.value(call.get("name"))
        return UNKNOWN

    def _call(self, function: str, args: list[str], each: tuple[str, Any] | None) -> Any:
        values = [self.expression(arg, each) for arg in args]
        if function == "merge" and all(isinstance(v, dict) for v in values):
            merged: dict[str, Any] = {}
            for v in values:
                merged.update(v)
            return merged
        if function in ("upper", "lower") and len(values) == 1 and isinstance(values[0], str):
            return values[0].upper() if function == "upper" else values[0].lower()
        return UNKNOWN

    def variable_default(self, name: str) -> Any:
        body = self.variables.get(name)
        if body is None or "default" not in body:
            return UNKNOWN
        default = self.value(body["default"])
        if isinstance(default, dict):
            optional = {
                m.group(1): _literal(m.group(2))
                for m in _OPTIONAL_DEFAULT.finditer(str(body.get("type", "")))
            }
            default = {**optional, **default}
        return default


@cache
def _root(directory: Path) -> Root:
    return Root(directory)


def _environment(name: str) -> Root:
    directory = TERRAFORM / "environments" / name
    assert directory.is_dir(), f"terraform/environments/{name} is missing"
    return _root(directory)


def _instances(root: Root, source_suffix: str) -> dict[str, dict[str, Any]]:
    """Module instances from `source_suffix`, by their `name` input, arguments evaluated."""
    instances: dict[str, dict[str, Any]] = {}
    for call_name, call in root.module_calls(source_suffix).items():
        if "for_each" in call:
            collection = root.value(call["for_each"])
            assert isinstance(collection, dict), f"module.{call_name}: for_each is not a known map"
            items: list[tuple[str, Any] | None] = list(collection.items())
        else:
            items = [None]
        for each in items:
            arguments = {
                key: root.value(raw, each)
                for key, raw in call.items()
                if key not in ("source", "for_each", "depends_on", "providers")
            }
            name = arguments.get("name")
            assert isinstance(name, str), f"module.{call_name}: name does not resolve"
            instances[name] = arguments
    return instances


def _path(value: Any) -> Path:
    assert isinstance(value, str), f"path does not resolve: {value!r}"
    return Path(value).resolve()


def _function_folders() -> list[str]:
    if not FUNCTIONS.is_dir():
        return []
    return sorted(p.name for p in FUNCTIONS.iterdir() if (p / "main.py").is_file())


def _strings_under(node: Any, keys: set[str]) -> list[str]:
    """Every string value found under any of `keys`, anywhere in a parsed configuration."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in keys:
                found.extend(v for v in (value if isinstance(value, list) else [value]) if v)
            found.extend(_strings_under(value, keys))
    elif isinstance(node, list):
        for item in node:
            found.extend(_strings_under(item, keys))
    return [s for s in found if isinstance(s, str)]


# --- tests -------------------------------------------------------------------------------------


def test_every_terraform_file_parses() -> None:
    files = _tf_files()
    assert files, "no Terraform files under terraform/"
    for path in files:
        assert isinstance(_load(path), dict), path


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_function_folder_is_deployed_in_each_environment(env: str) -> None:
    instances = _instances(_environment(env), FUNCTION_MODULE)
    problems = []
    for folder in _function_folders():
        instance = instances.get(folder)
        if instance is None:
            problems.append(f"functions/{folder} has no function module instance")
            continue
        entry_point = instance["function_config"].get("entry_point")
        if entry_point != folder:
            problems.append(f"{folder}: entry_point is {entry_point!r}")
        source_dir = instance["bundle_config"].get("source_dir")
        if _path(source_dir) != (FUNCTIONS / folder).resolve():
            problems.append(f"{folder}: source_dir {source_dir!r} is not functions/{folder}")
    assert not problems, f"{env}: " + "; ".join(problems)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_deployed_function_has_its_code(env: str) -> None:
    instances = _instances(_environment(env), FUNCTION_MODULE)
    assert instances, f"{env}: no function module instances"
    problems = []
    for name, instance in instances.items():
        bundle, config = instance["bundle_config"], instance["function_config"]
        main = _path(bundle["source_dir"]) / "main.py"
        entry_point = config.get("entry_point")
        if not main.is_file():
            problems.append(f"{name}: {main.relative_to(REPO)} does not exist")
        elif not re.search(rf"^(async\s+)?def\s+{entry_point}\s*\(", main.read_text(), re.M):
            problems.append(f"{name}: {main.relative_to(REPO)} does not define {entry_point}()")
        for directory in bundle.get("extra_dirs", {}).values():
            if not _path(directory).is_dir():
                problems.append(f"{name}: bundled folder {directory} does not exist")
        for file in bundle.get("extra_files", {}).values():
            if not _path(file).is_file():
                problems.append(f"{name}: bundled file {file} does not exist")
    assert not problems, f"{env}: " + "; ".join(problems)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_function_environment_variables_are_settings_fields(env: str) -> None:
    instances = _instances(_environment(env), FUNCTION_MODULE)
    assert instances, f"{env}: no function module instances"
    for name, instance in instances.items():
        variables = instance.get("environment_variables", {})
        secrets = instance.get("secrets", {})
        assert isinstance(variables, dict), f"{name}: environment_variables do not resolve"
        assert isinstance(secrets, dict), f"{name}: secrets do not resolve"
        unknown = (set(variables) | set(secrets)) - SETTINGS_ENV_VARS
        assert not unknown, f"{env}/{name}: not Settings fields: {sorted(unknown)}"
        assert not set(variables) & set(secrets), f"{env}/{name}: set both plain and secret"
        missing = EVERY_FUNCTION_SETS - set(variables)
        assert not missing, f"{env}/{name}: missing {sorted(missing)}"

    chat = instances.get("chat")
    assert chat is not None, f"{env}: no chat function"
    assert not CHAT_SETS - set(chat["environment_variables"]), f"{env}: chat misses settings"
    assert "ANALYTICS_KEY" in chat["secrets"], f"{env}: chat does not get ANALYTICS_KEY"
    assert "ANALYTICS_KEY" not in chat["environment_variables"], "a secret set as plain text"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_function_environment_values_are_valid_settings(env: str) -> None:
    for name, instance in _instances(_environment(env), FUNCTION_MODULE).items():
        variables = instance["environment_variables"]
        assert variables.get("ION_ENV") == env, f"{env}/{name}: ION_ENV={variables.get('ION_ENV')}"
        known = {k.lower(): v for k, v in variables.items() if v is not UNKNOWN}
        try:
            Settings(**known)
        except ValidationError as error:
            pytest.fail(f"{env}/{name}: the code would reject these settings: {error}")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_code_default_topics_exist(env: str) -> None:
    root = _environment(env)
    topics = {root.value(call.get("name")) for call in root.module_calls(PUBSUB_MODULE).values()}
    defaults = {
        Settings.model_fields["events_topic"].default,
        Settings.model_fields["notifications_topic"].default,
    }
    assert defaults <= topics, f"{env}: missing topics {sorted(defaults - topics)}"
    assert "events-dead-letter" in topics, f"{env}: no dead-letter topic for events"
    for name, instance in _instances(root, FUNCTION_MODULE).items():
        for variable in ("EVENTS_TOPIC", "NOTIFICATIONS_TOPIC"):
            value = instance["environment_variables"].get(variable)
            if value is not None:
                assert value in topics, f"{env}/{name}: {variable}={value!r} is not a topic"


def test_no_primitive_roles() -> None:
    roles: list[str] = []
    for directory in _tf_dirs():
        roles += _strings_under(_config(directory), {"role", "roles", "project_roles"})
    literal_roles = {r for r in roles if r.startswith("roles/")}
    assert "roles/datastore.user" in literal_roles, "role scan found nothing: parser changed?"
    assert not literal_roles & PRIMITIVE_ROLES, sorted(literal_roles & PRIMITIVE_ROLES)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_topic_and_secret_roles_are_never_project_wide(env: str) -> None:
    root = _environment(env)
    for name, instance in _instances(root, FUNCTION_MODULE).items():
        project_roles = set(instance.get("service_account_config", {}).get("project_roles", []))
        assert not project_roles & PRIMITIVE_ROLES, f"{env}/{name}: {project_roles}"
        assert not project_roles & RESOURCE_SCOPED_ROLES, f"{env}/{name}: {project_roles}"
    project_members = [
        body
        for block in root.resources
        for body in block.get("google_project_iam_member", {}).values()
    ]
    for body in project_members:
        assert root.value(body.get("role")) not in RESOURCE_SCOPED_ROLES | PRIMITIVE_ROLES


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_outbox_relay_is_never_public(env: str) -> None:
    instances = _instances(_environment(env), FUNCTION_MODULE)
    relay = instances.get("outbox_relay")
    assert relay is not None, f"{env}: no outbox_relay function"
    invokers = relay.get("invoker_config", {})
    assert invokers.get("allow_unauthenticated", False) is False
    members = invokers.get("members", {})
    assert isinstance(members, dict), "outbox_relay invokers do not resolve"
    assert members, "outbox_relay has no invoker: the scheduler could not call it"
    for member in members.values():
        assert member is UNKNOWN or member not in PUBLIC_MEMBERS, member


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_ttl_fields_are_expires_at(env: str) -> None:
    root = _environment(env)
    calls = [root.value(call) for call in root.module_calls(FIRESTORE_MODULE).values()]
    assert len(calls) == 1, f"{env}: expected one Firestore module, found {len(calls)}"
    ttl_fields = calls[0].get("ttl_fields", {})
    for collection in TTL_COLLECTIONS:
        assert ttl_fields.get(collection, {}).get("field") == "expires_at", collection
    assert _path(calls[0]["rules_file"]) == REPO / "firestore.rules"


def test_firestore_module_turns_ttl_fields_into_ttl_policies() -> None:
    config = _config(TERRAFORM / "modules" / "firestore")
    fields = [
        body
        for block in config.get("resource", [])
        for body in block.get("google_firestore_field", {}).values()
    ]
    assert fields, "modules/firestore declares no google_firestore_field"
    ttl = [f for f in fields if "ttl_config" in f]
    assert ttl, "no google_firestore_field with ttl_config"
    assert ttl[0]["for_each"] == "${var.ttl_fields}"
    assert ttl[0]["collection"] == "${each.key}"
    assert ttl[0]["field"] == "${each.value.field}"


def test_function_bundles_are_named_by_content_hash() -> None:
    config = _config(TERRAFORM / "modules" / "function")
    objects = [
        body
        for block in config.get("resource", [])
        for body in block.get("google_storage_bucket_object", {}).values()
    ]
    assert len(objects) == 1, "modules/function must upload exactly one bundle object"
    assert re.search(r"data\.archive_file\.\w+\.output_(md5|sha\w*)", objects[0]["name"])


@pytest.mark.parametrize("directory", _tf_dirs(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_variables_and_outputs_are_sorted(directory: Path) -> None:
    for block_type in ("variable", "output"):
        names = [name for block in _config(directory).get(block_type, []) for name in block]
        per_file = {}
        for path in sorted(directory.glob("*.tf")):
            per_file[path.name] = [n for b in _load(path).get(block_type, []) for n in b]
        for file, file_names in per_file.items():
            assert file_names == sorted(file_names), f"{file}: {block_type}s not sorted"
        assert len(names) == len(set(names)), f"duplicate {block_type}"


def test_terraform_fmt() -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not on PATH")
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout or result.stderr
