"""The Terraform configuration agrees with the code.

Parses every *.tf file with python-hcl2 (no provider, no network) and evaluates the thin
environment roots through the shared stack (terraform/stack) with a small HCL expression
evaluator: literals, templates, local/var/each/path references, `optional()` defaults of variable
types, for expressions, conditionals and the handful of functions the configuration uses. What
only the cloud knows (resource attributes, module outputs) is UNKNOWN and never passes a check
by accident. Then, per environment: every function folder is deployed with its entry point and
environment; every topic the code publishes to exists; the schema and SQL files are the ones
Terraform reads; scheduler targets exist; TTL field names match the code; every query the
adapters send has its index; no primitive role and no public invoker on job or push functions;
log-based metrics match the lines the code writes and every alert links an entry of
docs/OPERATIONS.md.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import hcl2
import pytest
from pydantic import ValidationError

from common.config import Settings

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
STACK = TERRAFORM / "stack"
FUNCTIONS = REPO / "functions"
ANALYTICS = REPO / "common" / "analytics"
ENVIRONMENTS = ("dev", "prod")

SETTINGS_ENV_VARS = {field.upper() for field in Settings.model_fields}
PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
PUBLIC_MEMBERS = {"allUsers", "allAuthenticatedUsers"}
# Roles that must be granted on one resource (a topic, a secret, a dataset), never project-wide.
RESOURCE_SCOPED_ROLES = {
    "roles/pubsub.publisher",
    "roles/pubsub.subscriber",
    "roles/secretmanager.secretAccessor",
    "roles/bigquery.dataEditor",
    "roles/bigquery.dataViewer",
}
EVERY_FUNCTION_SETS = {"GOOGLE_CLOUD_PROJECT", "ION_ENV", "LOG_LEVEL"}
CHAT_SETS = {
    "CONTEXT_WINDOW_TURNS",
    "EXPERIMENTS",
    "GEMINI_LOCATION",
    "GEMINI_MODEL",
    "MODEL_GOOGLE_AUTH",
    "MODEL_PREDICT_URL",
    "PERSONALIZATION_POLICY",
    "RESPONSE_GENERATOR",
}
# Functions that turn a uid into the analytics user_key, so need the HMAC key.
# Exactly these (common/config.py's analytics_hmac_key refuses to run without it when deployed).
NEEDS_ANALYTICS_KEY = {
    "chat",
    "feedback",
    "notification_producers",
    "profile",
    "push_sender",
    "session_cleanup",
}
ROOT_FILES = {
    "backend.tf",
    "main.tf",
    "outputs.tf",
    "providers.tf",
    "variables.tf",
    "versions.tf",
}


class _Unknown:
    """A value known only at apply time."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


# --- parsing -----------------------------------------------------------------------------------


def _load(path: Path) -> dict[str, list[Any]]:
    text = path.read_text(encoding="utf-8")
    options = hcl2.SerializationOptions(
        strip_string_quotes=True, with_comments=False, explicit_blocks=False
    )
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


def _resources(directory: Path, resource_type: str) -> dict[str, Any]:
    return {
        name: body
        for block in _config(directory).get("resource", [])
        for name, body in block.get(resource_type, {}).items()
    }


# --- an HCL expression evaluator ---------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>\d+(?:\.\d+)?)
    | (?P<string>"(?:[^"\\$]|\\.|\$(?!\{)|\$\{(?:[^{}"]|"[^"]*"|\{[^{}]*\})*\})*")
    | (?P<heredoc><<-?(?P<tag>\w+)\n.*?\n\s*(?P=tag))
    | (?P<op>=>|==|!=|>=|<=|&&|\|\||\.\.\.|[-+*/%<>!?:,.=(){}\[\]])
    | (?P<ident>[A-Za-z_][\w-]*)
    )""",
    re.S | re.X,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise SyntaxError(f"cannot tokenize {text[pos : pos + 40]!r}")
        pos = match.end()
        kind = next(k for k in ("number", "string", "heredoc", "op", "ident") if match.group(k))
        out.append((kind, match.group(kind)))
    return out


@dataclass(frozen=True)
class TypeSpec:
    kind: str  # "object", "map", "list", "any"
    fields: dict[str, tuple[TypeSpec, bool, Any]] | None = None  # name -> (type, optional, default)
    element: TypeSpec | None = None


ANY_TYPE = TypeSpec("any")


def _apply_type(value: Any, spec: TypeSpec) -> Any:
    """Fill in optional() defaults the way Terraform converts a value to a variable's type."""
    if value is None or value is UNKNOWN:
        return value
    if spec.kind == "object" and isinstance(value, dict) and spec.fields is not None:
        out = dict(value)
        for name, (field_type, optional, default) in spec.fields.items():
            if name not in out or out[name] is None:
                out[name] = default if optional else None
            out[name] = _apply_type(out[name], field_type)
        return out
    if spec.kind == "map" and isinstance(value, dict) and spec.element is not None:
        return {k: _apply_type(v, spec.element) for k, v in value.items()}
    if spec.kind == "list" and isinstance(value, list) and spec.element is not None:
        return [_apply_type(v, spec.element) for v in value]
    return value


class Parser:
    """Recursive descent over HCL's expression grammar, evaluating as it goes."""

    def __init__(self, text: str, scope: Scope, *, types: bool = False) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.scope = scope
        self.types = types

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise SyntaxError(f"expected {value!r}, got {token!r}")
        self.pos += 1
        return token

    def at(self, value: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "op" and token[1] == value

    def parse(self) -> Any:
        value = self.expression()
        if self.peek() is not None:
            raise SyntaxError(f"trailing {self.peek()!r}")
        return value

    def expression(self) -> Any:
        condition = self.binary(0)
        if self.at("?"):
            self.take("?")
            yes = self.result()
            self.take(":")
            no = self.result()
            if condition is UNKNOWN:
                return UNKNOWN
            chosen = yes if condition else no
            if isinstance(chosen, Exception):
                raise chosen
            return chosen
        return condition

    def result(self) -> Any:
        """One result of a conditional. Terraform reports an error of the result it picks only
        (`x == null ? true : x >= 1` is how a validation allows null): a result that fails is
        read again with every name unknown, to get past it, and its error kept."""
        start = self.pos
        try:
            return self.expression()
        except (TypeError, ArithmeticError) as error:
            self.pos, scope, self.scope = start, self.scope, _Unknowns(self.scope.module)
            try:
                self.expression()
            finally:
                self.scope = scope
            return error

    _LEVELS = (("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%"))

    def binary(self, level: int) -> Any:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() and self.peek()[0] == "op" and self.peek()[1] in self._LEVELS[level]:
            op = self.take()[1]
            right = self.binary(level + 1)
            left = _binary(op, left, right)
        return left

    def unary(self) -> Any:
        if self.at("!"):
            self.take()
            value = self.unary()
            return UNKNOWN if value is UNKNOWN else not value
        if self.at("-"):
            self.take()
            value = self.unary()
            return UNKNOWN if value is UNKNOWN else -value
        return self.postfix(self.primary())

    def postfix(self, value: Any) -> Any:
        while True:
            if self.at("."):
                self.take()
                kind, name = self.take()
                value = _get(value, int(name) if kind == "number" else name)
            elif self.at("["):
                self.take()
                key = self.expression()
                self.take("]")
                value = UNKNOWN if key is UNKNOWN else _get(value, key)
            else:
                return value

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "string":
            return self.scope.template(_unescape(text[1:-1]))
        if kind == "heredoc":
            return self.scope.template(text.split("\n", 1)[1].rsplit("\n", 1)[0])
        if kind == "op" and text == "(":
            value = self.expression()
            self.take(")")
            return value
        if kind == "op" and text == "[":
            return self.sequence()
        if kind == "op" and text == "{":
            return self.mapping()
        if kind == "ident":
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
            if self.at("("):
                return self.call(text)
            if self.types and text in ("string", "number", "bool", "any"):
                return ANY_TYPE
            return self.scope.name(text)
        raise SyntaxError(f"unexpected {text!r}")

    def sequence(self) -> Any:
        if self.peek() == ("ident", "for"):
            return self.for_expression("]")
        items = []
        while not self.at("]"):
            items.append(self.expression())
            if self.at(","):
                self.take()
        self.take("]")
        return items

    def mapping(self) -> Any:
        if self.peek() == ("ident", "for"):
            return self.for_expression("}")
        out: dict[Any, Any] = {}
        while not self.at("}"):
            kind, text = self.peek()
            if kind == "ident" and self.peek(1) and self.peek(1)[1] in ("=", ":"):
                self.take()
                key: Any = text
            elif kind == "op" and text == "(":
                key = self.primary()
            else:
                key = self.expression()
            self.take()  # = or :
            out[key] = self.expression()
            if self.at(","):
                self.take()
        self.take("}")
        return out

    def _capture(self, stops: set[str]) -> list[tuple[str, str]]:
        """The tokens of one sub-expression up to a stop token at depth 0 (not evaluated)."""
        start, depth = self.pos, 0
        while self.peek() is not None:
            kind, text = self.peek()
            if depth == 0 and kind in ("op", "ident") and text in stops:
                break
            if kind == "op" and text in "([{":
                depth += 1
            if kind == "op" and text in ")]}":
                if depth == 0:
                    break
                depth -= 1
            self.pos += 1
        return self.tokens[start : self.pos]

    def for_expression(self, close: str) -> Any:
        self.take("for")
        names = [self.take()[1]]
        if self.at(","):
            self.take()
            names.append(self.take()[1])
        self.take("in")
        collection = Parser.from_tokens(self._capture({":"}), self.scope).parse()
        self.take(":")
        key_tokens = self._capture({"=>", "if", close}) if close == "}" else []
        if close == "}":
            self.take("=>")
        value_tokens = self._capture({"if", "..."})
        if self.at("..."):
            self.take()
        cond_tokens = []
        if self.peek() == ("ident", "if"):
            self.take()
            cond_tokens = self._capture(set())
        self.take(close)
        if collection is UNKNOWN:
            return UNKNOWN
        items = (
            list(collection.items())
            if isinstance(collection, dict)
            else list(enumerate(collection))
        )
        out: Any = {} if close == "}" else []
        for k, v in items:
            bound = dict(zip(names, [k, v] if len(names) == 2 else [v], strict=True))
            scope = self.scope.bind(bound)
            if cond_tokens:
                keep = Parser.from_tokens(cond_tokens, scope).parse()
                if keep is UNKNOWN:
                    return UNKNOWN
                if not keep:
                    continue
            value = Parser.from_tokens(value_tokens, scope).parse()
            if close == "}":
                key = Parser.from_tokens(key_tokens, scope).parse()
                if key is UNKNOWN:
                    return UNKNOWN
                out[key] = value
            else:
                out.append(value)
        return out

    @classmethod
    def from_tokens(cls, tokens: list[tuple[str, str]], scope: Scope) -> Parser:
        parser = cls.__new__(cls)
        parser.tokens, parser.pos, parser.scope, parser.types = tokens, 0, scope, False
        return parser

    def call(self, function: str) -> Any:
        self.take("(")
        args, expand = [], False
        while not self.at(")"):
            args.append(self.expression())
            if self.at("..."):
                self.take()
                expand = True
            if self.at(","):
                self.take()
        self.take(")")
        if expand and args and isinstance(args[-1], list):
            args = args[:-1] + args[-1]
        if self.types:
            return _type_call(function, args)
        return _call(function, args)


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def _get(value: Any, key: Any) -> Any:
    if isinstance(value, dict) and key in value:
        return value[key]
    if isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
        return value[key]
    return UNKNOWN


def _binary(op: str, left: Any, right: Any) -> Any:
    if op == "&&" and (left is False or right is False):
        return False
    if op == "||" and (left is True or right is True):
        return True
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    return {
        "||": lambda: left or right,
        "&&": lambda: left and right,
        "==": lambda: left == right,
        "!=": lambda: left != right,
        "<": lambda: left < right,
        ">": lambda: left > right,
        "<=": lambda: left <= right,
        ">=": lambda: left >= right,
        "+": lambda: left + right,
        "-": lambda: left - right,
        "*": lambda: left * right,
        "/": lambda: left / right,
        "%": lambda: left % right,
    }[op]()


def _type_call(function: str, args: list[Any]) -> Any:
    if function == "object":
        fields = {}
        for name, spec in args[0].items():
            if isinstance(spec, tuple):  # optional(type, default)
                fields[name] = (spec[0], True, spec[1])
            else:
                fields[name] = (spec, False, None)
        return TypeSpec("object", fields=fields)
    if function == "optional":
        return (args[0], args[1] if len(args) > 1 else None)
    if function in ("map", "list", "set"):
        return TypeSpec("map" if function == "map" else "list", element=args[0])
    return ANY_TYPE


def _call(function: str, args: list[Any]) -> Any:
    if function == "try":
        return next((a for a in args if a is not UNKNOWN), UNKNOWN)
    if function in ("file", "templatefile", "filebase64", "sha256", "md5", "timestamp"):
        return UNKNOWN
    if function == "fileexists":
        return UNKNOWN if args[0] is UNKNOWN else Path(args[0]).is_file()
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    simple = {
        "merge": lambda *m: {k: v for d in m for k, v in d.items()},
        "lookup": lambda m, k, d=None: m.get(k, d),
        "contains": lambda c, v: v in c,
        "keys": lambda m: sorted(m),
        "values": lambda m: [m[k] for k in sorted(m)],
        "concat": lambda *ls: [x for lst in ls for x in lst],
        "upper": str.upper,
        "lower": str.lower,
        "min": min,
        "max": max,
        "toset": lambda xs: sorted(set(xs)),
        "tostring": str,
        "length": len,
        "coalesce": lambda *xs: next((x for x in xs if x not in (None, "")), None),
        "basename": lambda p: Path(p).name,
        "trimsuffix": lambda s, x: s[: -len(x)] if x and s.endswith(x) else s,
        "replace": lambda s, a, b: s.replace(a, b),
        "startswith": str.startswith,
        "alltrue": all,
        "flatten": lambda xs: [y for x in xs for y in (x if isinstance(x, list) else [x])],
        "join": lambda sep, xs: sep.join(xs),
        "base64encode": lambda s: s,
    }
    return simple[function](*args) if function in simple else UNKNOWN


class Scope:
    """What names mean inside one module: its locals, its variables (the caller's arguments or
    the defaults), path.*, each.* and for-expression bindings."""

    def __init__(
        self,
        module: Module,
        bindings: dict[str, Any] | None = None,
    ) -> None:
        self.module = module
        self.bindings = bindings or {}

    def bind(self, names: dict[str, Any]) -> Scope:
        return Scope(self.module, {**self.bindings, **names})

    def name(self, name: str) -> Any:
        if name in self.bindings:
            return self.bindings[name]
        if name == "local":
            return _Lazy(self.module.local)
        if name == "var":
            return _Lazy(self.module.variable)
        if name == "path":
            return {"module": str(self.module.directory), "root": str(self.module.directory)}
        if name == "module":
            return _Lazy(self.module.module_output)
        return UNKNOWN  # resources, data sources: known at apply

    def template(self, text: str) -> Any:
        return _template(text, self)

    def value(self, raw: Any) -> Any:
        """A value as python-hcl2 gives it (strings hold the expressions), evaluated."""
        if isinstance(raw, dict):
            return {key: self.value(item) for key, item in raw.items()}
        if isinstance(raw, list):
            return [self.value(item) for item in raw]
        if isinstance(raw, str):
            return self.template(raw)
        return raw


class _Unknowns(Scope):
    """Every name unknown (Parser.result)."""

    def name(self, name: str) -> Any:
        return UNKNOWN


class _Lazy(dict):
    """local / var / module: looked up (and evaluated) on first access."""

    def __init__(self, lookup) -> None:
        super().__init__()
        self.lookup = lookup

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: Any) -> Any:
        return self.lookup(key)


def _split_template(text: str) -> list[tuple[bool, str]]:
    """Literal text and ${...} parts (nested braces and quoted strings respected)."""
    parts, i, literal = [], 0, ""
    while i < len(text):
        if text.startswith("$${", i):
            literal += "${"
            i += 3
            continue
        if text.startswith("${", i):
            depth, j, quoted = 1, i + 2, False
            while j < len(text) and depth:
                char = text[j]
                if char == "\\":
                    j += 2
                    continue
                if char == '"':
                    quoted = not quoted
                elif not quoted and char == "{":
                    depth += 1
                elif not quoted and char == "}":
                    depth -= 1
                j += 1
            if literal:
                parts.append((False, literal))
                literal = ""
            parts.append((True, text[i + 2 : j - 1]))
            i = j
            continue
        literal += text[i]
        i += 1
    if literal:
        parts.append((False, literal))
    return parts


def _template(text: str, scope: Scope) -> Any:
    parts = _split_template(text)
    if len(parts) == 1 and parts[0][0]:
        return Parser(parts[0][1], scope).parse()
    out = ""
    for is_expr, part in parts:
        if not is_expr:
            out += part
            continue
        value = Parser(part, scope).parse()
        if value is UNKNOWN or isinstance(value, (dict, list)):
            return UNKNOWN
        out += str(value).lower() if isinstance(value, bool) else str(value)
    return out


class Module:
    """One module instance: a directory and the arguments its caller passed."""

    def __init__(self, directory: Path, arguments: dict[str, Any] | None = None) -> None:
        self.directory = directory
        self.arguments = arguments or {}
        config = _config(directory)
        self.raw_locals = {k: v for block in config.get("locals", []) for k, v in block.items()}
        self.variables = _labelled(config, "variable")
        self.calls = _labelled(config, "module")
        self._locals: dict[str, Any] = {}
        self.scope = Scope(self)

    def local(self, name: str) -> Any:
        if name not in self._locals:
            if name not in self.raw_locals:
                return UNKNOWN
            self._locals[name] = self.scope.value(self.raw_locals[name])
        return self._locals[name]

    def variable(self, name: str) -> Any:
        body = self.variables.get(name)
        if body is None:
            return UNKNOWN
        value = self.arguments[name] if name in self.arguments else body.get("default", UNKNOWN)
        if isinstance(value, str) and "default" not in body and name not in self.arguments:
            return UNKNOWN
        if "default" in body and name not in self.arguments:
            value = self.scope.value(body["default"])
        type_text = body.get("type")
        if isinstance(type_text, str) and value is not UNKNOWN:
            spec = _parse_type(type_text)
            value = _apply_type(value, spec)
        return value

    def module_output(self, name: str) -> Any:
        """module.<name>: only a pubsub module's `name` is known (it is its `name` input)."""
        call = self.calls.get(name)
        if call is None or "for_each" in call:
            return UNKNOWN
        if str(call.get("source", "")).endswith("modules/pubsub"):
            return {"name": self.scope.value(call.get("name"))}
        return UNKNOWN

    def instances(self, source_suffix: str) -> dict[str, dict[str, Any]]:
        """Calls of a module from `source_suffix`, by instance key (for_each key or call name),
        their arguments evaluated."""
        out: dict[str, dict[str, Any]] = {}
        for call_name, call in self.calls.items():
            if not str(call.get("source", "")).rstrip("/").endswith(source_suffix):
                continue
            skip = {"source", "for_each", "depends_on", "providers", "count"}
            if "for_each" in call:
                collection = self.scope.value(call["for_each"])
                assert isinstance(collection, dict), f"module.{call_name}: for_each is unknown"
                for key, value in collection.items():
                    scope = self.scope.bind({"each": {"key": key, "value": value}})
                    out[key] = {k: scope.value(v) for k, v in call.items() if k not in skip}
            else:
                out[call_name] = {k: self.scope.value(v) for k, v in call.items() if k not in skip}
        return out

    def child(self, call_name: str) -> Module:
        call = self.calls[call_name]
        directory = (self.directory / call["source"]).resolve()
        arguments = {
            k: self.scope.value(v)
            for k, v in call.items()
            if k not in ("source", "for_each", "depends_on", "providers")
        }
        return Module(directory, arguments)


@cache
def _parse_type(text: str) -> TypeSpec:
    parts = _split_template(text)
    inner = parts[0][1] if len(parts) == 1 and parts[0][0] else text
    spec = Parser(inner, Scope(Module.__new__(Module)), types=True).parse()
    return spec if isinstance(spec, TypeSpec) else ANY_TYPE


@cache
def _stack(env: str) -> Module:
    """The stack module as environment `env` instantiates it."""
    root = Module(TERRAFORM / "environments" / env)
    calls = [n for n, c in root.calls.items() if str(c["source"]).rstrip("/").endswith("stack")]
    assert len(calls) == 1, f"{env}: expected one call of terraform/stack, found {calls}"
    return root.child(calls[0])


def _functions(env: str) -> dict[str, dict[str, Any]]:
    return _stack(env).instances("modules/function")


def _function_folders() -> list[str]:
    return sorted(p.name for p in FUNCTIONS.iterdir() if (p / "main.py").is_file())


def _path(value: Any) -> Path:
    assert isinstance(value, str), f"path does not resolve: {value!r}"
    return Path(value).resolve()


def _block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """A nested block (python-hcl2 gives a list of them)."""
    value = body[name]
    return value[0] if isinstance(value, list) else value


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


# --- structure ---------------------------------------------------------------------------------


def test_every_terraform_file_parses() -> None:
    files = _tf_files()
    assert files, "no Terraform files under terraform/"
    for path in files:
        assert isinstance(_load(path), dict), path


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_roots_are_thin(env: str) -> None:
    directory = TERRAFORM / "environments" / env
    assert {p.name for p in directory.glob("*.tf")} <= ROOT_FILES
    config = _config(directory)
    assert not config.get("resource") and not config.get("locals") and not config.get("data")
    call = _labelled(config, "module")["ion"]
    assert call["source"] == "../../stack" and call["env"] == env
    main = (directory / "main.tf").read_text().splitlines()
    assert len(main) <= 40, f"{env}/main.tf has {len(main)} lines: shared values go in the stack"


def _undeclared(value: Any, spec: TypeSpec, where: str) -> list[str]:
    """Attributes of `value` that `spec`'s object types do not declare, nested."""
    if spec.kind == "object" and isinstance(value, dict) and spec.fields is not None:
        return [
            problem
            for key, item in value.items()
            for problem in (
                _undeclared(item, spec.fields[key][0], f"{where}.{key}")
                if key in spec.fields
                else [f"{where}.{key}"]
            )
        ]
    if spec.kind == "map" and isinstance(value, dict) and spec.element is not None:
        return [p for k, v in value.items() for p in _undeclared(v, spec.element, f"{where}.{k}")]
    if spec.kind == "list" and isinstance(value, list) and spec.element is not None:
        return [
            p for i, v in enumerate(value) for p in _undeclared(v, spec.element, f"{where}[{i}]")
        ]
    return []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environments_set_only_attributes_the_stack_declares(env: str) -> None:
    """Terraform converts a value to an object type by dropping the attributes the type does
    not declare, with no error: `app_config = { sesion_ttl_hours = 48 }` plans with the default
    24 hours. A misspelled attribute is found here instead."""
    directory = TERRAFORM / "environments" / env
    # With and without a billing account: a conditional sets `budget` only in one of them.
    undeclared = set()
    for inputs in ({}, {"billing_account": "000000-000000-000000"}):
        stack = Module(directory, inputs).child("ion")
        for name, value in stack.arguments.items():
            spec = _parse_type(stack.variables[name].get("type", "any"))
            undeclared.update(_undeclared(value, spec, name))
    assert not undeclared, f"{env}/main.tf sets what terraform/stack/variables.tf does not declare"


# Addresses that earlier commits applied and a refactor renamed or dropped. Each must be moved
# to its new address (kept) or removed with destroy = false (forgotten): otherwise an
# environment that applied that commit plans a destroy and a create of the same role or binding
# with no order between them (the create fails on the existing custom role, or the destroy
# revokes the binding the new address declares).
FORMER_ADDRESSES: dict[Path, dict[str, str]] = {
    STACK: {
        "google_bigquery_table_iam_member.cleanup_events": "moved",
        "google_bigquery_table_iam_member.sink_events": "moved",
        "google_project_iam_custom_role.chat_predict": "moved",
        'google_project_iam_member.chat_predict["chat"]': "moved",
        "google_project_iam_custom_role.push_send": "moved",  # 909c192, renamed by 179ab41
        'google_project_iam_member.push_send["push_sender"]': "moved",
    },
    # 41443c3: views that read their table functions moved from tier 2 to tier 1.
    TERRAFORM / "modules" / "bigquery": {
        f'google_bigquery_table.views_tier2["{name}"]': "moved"
        for name in (
            "alternative_persona_use",
            "daily_active_users",
            "engagement_trend",
            "intent_mix",
            "multi_turn_adoption",
            "persona_distribution",
            "satisfaction_by_persona",
            "weekly_active_users",
        )
    },
    TERRAFORM / "modules" / "pubsub": {
        "google_pubsub_topic_iam_member.dead_letter_publisher": "removed",
        # 07a5c7e, dropped by 34a3b07
        "google_pubsub_topic_iam_member.dead_letter_topic_publisher": "removed",
    },
}


def _address(value: str) -> tuple[str, str, str | None]:
    """(type, name, key) of an address python-hcl2 gives as "${type.name["key"]}"."""
    match = re.fullmatch(r'\$\{(\w+)\.(\w+)(?:\["([\w-]+)"\])?\}', value)
    assert match, value
    return match.group(1), match.group(2), match.group(3)


@pytest.mark.parametrize("directory", list(FORMER_ADDRESSES), ids=lambda d: d.name)
def test_renamed_and_dropped_resources_are_moved_or_forgotten(directory: Path) -> None:
    config = _config(directory)
    moved = {m["from"].strip("${}"): m["to"] for m in config.get("moved", [])}
    removed = {
        r["from"].strip("${}"): _block(r, "lifecycle")["destroy"] for r in config.get("removed", [])
    }
    for address, how in FORMER_ADDRESSES[directory].items():
        if how == "removed":
            assert removed.get(address) is False, (
                f"{address}: no removed block with destroy = false"
            )
            continue
        assert address in moved, f"{address}: no moved block"
        resource_type, name, key = _address(moved[address])
        target = _resources(directory, resource_type).get(name)
        assert target is not None, f"{address} moves to an undeclared {moved[address]}"
        if key is not None:
            keys = (
                {name for name, r in _view_refs().items() if not r}  # views.tf's tier 1
                if directory.name == "bigquery"
                else _stack("prod").scope.value(target["for_each"])
            )
            assert key in keys, f"{address} moves to {moved[address]}, not a for_each key"
    if directory == STACK:
        # A moved custom role keeps its role_id (a new one would replace the role all the same).
        roles = _stack("prod").local("function_custom_roles")
        assert {name: role["id"] for name, role in roles.items()} == {
            "chat": "chat_predict",
            "push_sender": "push_send",
        }


def test_what_the_first_targeted_apply_creates_waits_for_the_services() -> None:
    """Deploy from zero applies the services, the secret and the registry in one targeted run
    (docs/OPERATIONS.md, terraform/README.md): without a dependency the secret or the registry
    may be created before its API is on (403 SERVICE_DISABLED). A dependency on the services
    defers a dependent module's data sources whenever one more API is added, so no module
    that reads one (a function's bundle) may have it."""
    services = "${google_project_service.services}"
    modules = _labelled(_config(STACK), "module")
    waiting = {
        f"module.{name}": call
        for name, call in modules.items()
        if services in call.get("depends_on", [])
    }
    for name, call in waiting.items():
        assert not _config((STACK / call["source"]).resolve()).get("data"), name
    for block in _config(STACK).get("resource", []):
        for resource_type, resources in block.items():
            for name, body in resources.items():
                if services in body.get("depends_on", []):
                    waiting[f"{resource_type}.{name}"] = body
    documented = {}
    for doc in (REPO / "docs" / "OPERATIONS.md", TERRAFORM / "README.md"):
        targets = re.findall(r"-target=module\.ion\.([\w.]+)", doc.read_text())
        assert "google_project_service.services" in targets, doc.name
        for target in set(targets) - {"google_project_service.services"}:
            assert any(target == w or target.startswith(w + ".") for w in waiting), (doc, target)
        documented[doc.name] = sorted(targets)
    # One first apply: the build's serving-image step pushes to the registry before its
    # terraform-apply, so a document that leaves the registry out makes a first build fail.
    assert documented["OPERATIONS.md"] == documented["README.md"], documented


def test_dev_and_prod_differ_only_in_their_values() -> None:
    dev, prod = (_labelled(_config(TERRAFORM / "environments" / e), "module") for e in ENVIRONMENTS)
    assert set(dev) == set(prod) == {"ion"}
    for name in ("backend.tf", "outputs.tf", "providers.tf", "versions.tf"):
        texts = [(TERRAFORM / "environments" / e / name).read_text() for e in ENVIRONMENTS]
        assert texts[0].replace("dev", "prod") == texts[1], f"{name} differs beyond the name"


def test_evaluator_reads_the_configuration() -> None:
    """The evaluator itself: known values come out known, unknown ones UNKNOWN."""
    stack = _stack("prod")
    assert stack.variable("env") == "prod"
    assert stack.variable("app_config")["session_ttl_hours"] == 24  # an optional() default
    sink_env = stack.local("function_specs")["analytics_sink"]["env"]
    assert sink_env["DEAD_LETTER_TOPIC"] == "events-dead-letter"  # module.events_dead_letter.name
    assert stack.local("settings_env")["FIRESTORE_DATABASE"] is UNKNOWN  # a module output
    assert stack.local("functions")["chat"]["min_instances"] == 1  # prod's override
    assert _stack("dev").local("functions")["chat"]["min_instances"] == 0


# --- functions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_function_folder_is_deployed_with_its_entry_point(env: str) -> None:
    instances = _functions(env)
    problems = []
    for folder in _function_folders():
        instance = instances.get(folder)
        if instance is None:
            problems.append(f"functions/{folder} has no spec in terraform/stack/functions.tf")
            continue
        if instance["function_config"]["entry_point"] != folder:
            problems.append(f"{folder}: entry_point {instance['function_config']['entry_point']}")
        if _path(instance["bundle_config"]["source_dir"]) != (FUNCTIONS / folder).resolve():
            problems.append(f"{folder}: source_dir is not functions/{folder}")
    assert not problems, f"{env}: " + "; ".join(problems)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_deployed_function_has_its_code(env: str) -> None:
    instances = _functions(env)
    assert {"chat", "outbox_relay", "session_cleanup"} <= set(instances)
    problems = []
    for name, instance in instances.items():
        bundle = instance["bundle_config"]
        main = _path(bundle["source_dir"]) / "main.py"
        entry_point = instance["function_config"]["entry_point"]
        if not main.is_file():
            problems.append(f"{name}: {main} does not exist")
        elif not re.search(rf"^(async\s+)?def\s+{entry_point}\s*\(", main.read_text(), re.M):
            problems.append(f"{name}: {main.relative_to(REPO)} does not define {entry_point}()")
        for directory in bundle["extra_dirs"].values():
            if not _path(directory).is_dir():
                problems.append(f"{name}: bundled folder {directory} does not exist")
        for file in bundle["extra_files"].values():
            if not _path(file).is_file():
                problems.append(f"{name}: bundled file {file} does not exist")
    assert not problems, f"{env}: " + "; ".join(problems)


def test_specs_without_code_are_not_deployed() -> None:
    stack = _stack("dev")
    specs, deployed = stack.local("function_specs"), stack.local("functions")
    for name in specs:
        assert (name in deployed) == (FUNCTIONS / name / "main.py").is_file(), name


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_function_environment_variables_are_settings_fields(env: str) -> None:
    instances = _functions(env)
    for name, instance in instances.items():
        variables, secrets = instance["environment_variables"], instance["secrets"]
        assert isinstance(variables, dict), f"{name}: environment_variables do not resolve"
        assert isinstance(secrets, dict), f"{name}: secrets do not resolve"
        unknown = (set(variables) | set(secrets)) - SETTINGS_ENV_VARS
        assert not unknown, f"{env}/{name}: not Settings fields: {sorted(unknown)}"
        assert not set(variables) & set(secrets), f"{env}/{name}: set both plain and secret"
        assert not EVERY_FUNCTION_SETS - set(variables), f"{env}/{name}: misses settings"
        assert "ANALYTICS_KEY" not in variables, f"{env}/{name}: a secret set as plain text"
        needs = name in NEEDS_ANALYTICS_KEY
        assert ("ANALYTICS_KEY" in secrets) == needs, f"{env}/{name}: ANALYTICS_KEY {needs=}"
    assert not CHAT_SETS - set(instances["chat"]["environment_variables"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_function_environment_values_are_valid_settings(env: str) -> None:
    for name, instance in _functions(env).items():
        variables = instance["environment_variables"]
        assert variables["ION_ENV"] == env, f"{env}/{name}: ION_ENV={variables['ION_ENV']}"
        known = {k.lower(): v for k, v in variables.items() if v is not UNKNOWN}
        try:
            Settings(**known)
        except ValidationError as error:
            pytest.fail(f"{env}/{name}: the code would reject these settings: {error}")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_environment_sets_its_experiments_from_a_file_the_code_accepts(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An apply sets EXPERIMENTS from the file, so an A/B test set by hand on the service would
    # be removed by the next one; a file the chat function would refuse to start with fails here.
    directory = TERRAFORM / "environments" / env
    call = _labelled(_config(directory), "module")["ion"]
    assert call["app_config"]["experiments"] == '${file("${path.module}/experiments.json")}'
    monkeypatch.setenv("EXPERIMENTS", (directory / "experiments.json").read_text())
    Settings()


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_functions_have_scaling_and_concurrency(env: str) -> None:
    for name, instance in _functions(env).items():
        config = instance["function_config"]
        for key in ("min_instances", "max_instances", "concurrency", "timeout_seconds"):
            assert isinstance(config[key], int), f"{env}/{name}: {key} is {config[key]!r}"
        assert 0 <= config["min_instances"] <= config["max_instances"]
        if config["concurrency"] > 1:
            assert config["cpu"] not in (None, UNKNOWN), f"{name}: concurrency > 1 needs a vCPU"
    # functions-framework's gunicorn runs THREADS threads; Cloud Run's concurrency needs as many.
    service = _resources(TERRAFORM / "modules" / "function", "google_cloudfunctions2_function")
    env_vars = json.dumps(service["function"]["service_config"])
    assert "THREADS = tostring(var.function_config.concurrency)" in env_vars


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_functions_run_on_the_python_the_tests_run_on(env: str) -> None:
    """make test, CI and the model images run Python 3.11 (bootstrap's interpreter, the
    constraints' freeze): a function deployed on another runtime would run code no test ran.
    Move both together."""
    import sys

    tested = f"python{sys.version_info.major}{sys.version_info.minor}"
    variables = (TERRAFORM / "modules" / "function" / "variables.tf").read_text()
    (default,) = re.findall(r'runtime\s*=\s*optional\(string,\s*"([^"]+)"\)', variables)
    for name, instance in _functions(env).items():
        assert instance["function_config"].get("runtime", default) == tested, f"{env}/{name}"


# --- IAM ---------------------------------------------------------------------------------------


def test_no_primitive_roles() -> None:
    roles: list[str] = []
    for directory in _tf_dirs():
        roles += _strings_under(_config(directory), {"role", "roles", "project_roles"})
        for value in _strings_under(_config(directory), {"project_roles", "role"}):
            roles += re.findall(r"roles/[\w.]+", value)
    literal_roles = {r for r in roles if r.startswith("roles/")}
    assert "roles/datastore.user" in literal_roles, "role scan found nothing: parser changed?"
    assert not literal_roles & PRIMITIVE_ROLES, sorted(literal_roles & PRIMITIVE_ROLES)
    # Granted anywhere, not merely named in a validation that forbids them.
    lines = [ln for p in _tf_files() for ln in p.read_text().splitlines() if "contains(" not in ln]
    granted = [ln for ln in lines if re.search(r'"roles/(owner|editor|viewer)"', ln)]
    assert not granted, granted


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_resource_scoped_roles_are_never_project_wide(env: str) -> None:
    for name, instance in _functions(env).items():
        roles = set(instance["service_account_config"]["project_roles"])
        assert not roles & (PRIMITIVE_ROLES | RESOURCE_SCOPED_ROLES), f"{env}/{name}: {roles}"
    for directory in _tf_dirs():
        for body in _resources(directory, "google_project_iam_member").values():
            assert body["role"] not in RESOURCE_SCOPED_ROLES | PRIMITIVE_ROLES, body["role"]


# What each function's code does, and so the only access its service account gets. Read from
# functions/<name>/main.py and the common/ code it calls:
#   AUTH       firebase-admin get_user: the ID token's revocation check (common/auth.py)
#   FIRESTORE  reads and writes documents (common/adapters/firestore_*.py)
#   JOBS       runs BigQuery queries: view reads, DML (the insertAll of the sink is no job)
#   PREDICT    the custom role chat_predict: Vertex AI predict only (persona model, Gemini)
#   FCM        sends through FCM HTTP v1 (common/adapters/fcm_sender.py)
# `dataset` is the role on the whole analytics dataset, `tables` the roles on single tables,
# `topics` the topics it may publish to, `secrets` the Settings names it reads from secrets.
AUTH = "roles/firebaseauth.viewer"
FIRESTORE = "roles/datastore.user"
JOBS = "roles/bigquery.jobUser"
PREDICT = "custom:chat_predict"
FCM = "custom:push_send"
EDITOR = "roles/bigquery.dataEditor"
VIEWER = "roles/bigquery.dataViewer"


def _access(
    project: tuple[str, ...] = (),
    *,
    dataset: str | None = None,
    tables: tuple[tuple[str, str], ...] = (),
    topics: tuple[str, ...] = (),
    secrets: tuple[str, ...] = (),
) -> dict[str, set]:
    return {
        "project": set(project),
        "dataset": {dataset} if dataset else set(),
        "tables": set(tables),
        "topics": set(topics),
        "secrets": set(secrets),
    }


EXPECTED_ACCESS = {
    # insert_rows_json into the events table (common/analytics/warehouse.py); a refused row goes
    # to the dead-letter topic. No query, no other table.
    "analytics_sink": _access(tables=(("events", EDITOR),), topics=("events-dead-letter",)),
    # turns and sessions in Firestore, events through the outbox, the persona model and Gemini
    "chat": _access((AUTH, FIRESTORE, PREDICT), topics=("events",), secrets=("ANALYTICS_KEY",)),
    # device tokens in Firestore; no event
    "devices": _access((AUTH, FIRESTORE)),
    "feedback": _access((AUTH, FIRESTORE), topics=("events",), secrets=("ANALYTICS_KEY",)),
    # operators' queries over the views; no Firestore, no topic (the weekly insight is
    # notification_producers')
    "insights": _access((AUTH, JOBS), dataset=VIEWER),
    # the churn_risk view (common/adapters/bigquery_churn.py), the audience and outbox in
    # Firestore, notification.requested onto `notifications`
    "notification_producers": _access(
        (JOBS, FIRESTORE), dataset=VIEWER, topics=("notifications",), secrets=("ANALYTICS_KEY",)
    ),
    # an outbox entry names its topic
    "outbox_relay": _access((FIRESTORE,), topics=("events", "notifications")),
    # settings, export and the Firestore part of erasure; the analytics part is session_cleanup's
    "profile": _access((AUTH, FIRESTORE), topics=("events",), secrets=("ANALYTICS_KEY",)),
    "profile_updater": _access((FIRESTORE,)),
    # push.sent / deferred / suppressed events onto `events`
    "push_sender": _access((FIRESTORE, FCM), topics=("events",), secrets=("ANALYTICS_KEY",)),
    # DML DELETEs on the events table (common/adapters/bigquery_erasure.py); its session.ended
    # events go through the Firestore outbox, so no topic; Firebase Auth lookups of the users it
    # keeps data about (common/account_sweep.py)
    "session_cleanup": _access(
        (AUTH, JOBS, FIRESTORE),
        tables=(("events", EDITOR), ("retention_choices", EDITOR)),
        secrets=("ANALYTICS_KEY",),
    ),
}
# Resource types through which the stack grants a function's service account anything; a grant
# of another type would escape the comparison below.
FUNCTION_GRANT_TYPES = {
    "google_project_iam_member",
    "google_bigquery_dataset_iam_member",
    "google_bigquery_table_iam_member",
}


# The bigquery module's outputs that name a table, as the grants refer to them.
TABLE_OUTPUTS = {
    "${module.bigquery.events_table_name}": "events",
    "${module.bigquery.retention_choices_table_name}": "retention_choices",
}


def _function_grants(stack: Module, resource_type: str) -> list[tuple[str, dict[str, Any], Scope]]:
    """(function, resource body, its scope) for every instance of a `resource_type` grant in the
    stack whose member is a function's service account."""
    out = []
    for name, body in _resources(STACK, resource_type).items():
        match = re.fullmatch(
            r'\$\{module\.function\[(?:"(\w+)"|(each\.key))\]\.service_account_iam_email\}',
            body["member"],
        )
        if match is None:
            assert "module.function" not in body["member"], f"{resource_type}.{name}: {body}"
            continue
        instances = stack.scope.value(body["for_each"]) if "for_each" in body else {None: None}
        assert instances is not UNKNOWN, f"{resource_type}.{name}: for_each is unknown"
        if isinstance(instances, list):
            instances = {key: key for key in instances}
        for key, value in instances.items():
            function = match.group(1) or key
            scope = stack.scope.bind({"each": {"key": key, "value": value}})
            out.append((function, body, scope))
    return out


def _role(body: dict[str, Any], scope: Scope) -> str:
    custom = body["role"] == "${google_project_iam_custom_role.function[each.key].name}"
    role = f"custom:{scope.value('${each.value.id}')}" if custom else scope.value(body["role"])
    assert isinstance(role, str), f"role does not resolve: {body['role']}"
    return role


def _granted_access(env: str) -> dict[str, dict[str, set]]:
    """What the configuration grants each deployed function's service account, in the shape of
    EXPECTED_ACCESS."""
    stack, functions = _stack(env), _functions(env)
    granted = {
        name: _access(
            tuple(instance["service_account_config"]["project_roles"]),
            secrets=tuple(instance["secrets"]),
        )
        for name, instance in functions.items()
    }
    for function, body, scope in _function_grants(stack, "google_project_iam_member"):
        granted[function]["project"].add(_role(body, scope))
    for function, body, scope in _function_grants(stack, "google_bigquery_dataset_iam_member"):
        assert body["dataset_id"] == "${module.bigquery.dataset_id}", body
        granted[function]["dataset"].add(_role(body, scope))
    for function, body, scope in _function_grants(stack, "google_bigquery_table_iam_member"):
        assert body["dataset_id"] == "${module.bigquery.dataset_id}", body
        table = body["table_id"]
        table = TABLE_OUTPUTS.get(table) or scope.value(table)
        assert isinstance(table, str), f"table does not resolve: {body['table_id']}"
        granted[function]["tables"].add((table, _role(body, scope)))
    for topic in _topics(env).values():
        for key, grant in (topic.get("iam") or {}).items():
            function = key.removesuffix("-publisher")
            assert function in functions and grant["role"] == "roles/pubsub.publisher", (key, grant)
            granted[function]["topics"].add(topic["name"])
    return granted


def test_every_grant_to_a_function_is_of_a_type_the_access_table_reads() -> None:
    for block in _config(STACK).get("resource", []):
        for resource_type, resources in block.items():
            for name, body in resources.items():
                if "service_account_iam_email" in json.dumps(body):
                    assert resource_type in FUNCTION_GRANT_TYPES, f"{resource_type}.{name}"
    for name, call in _stack("prod").calls.items():
        if "service_account_iam_email" in json.dumps(call):
            assert str(call["source"]).endswith("modules/pubsub"), f"module.{name}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_functions_get_only_the_access_their_code_uses(env: str) -> None:
    specs = _stack(env).local("function_specs")
    assert set(EXPECTED_ACCESS) == set(specs), "every function spec needs a row, and only they"
    granted = _granted_access(env)
    assert set(granted) <= set(EXPECTED_ACCESS)
    wrong = {
        f"{name}.{kind}": {"granted": sorted(have), "expected": sorted(want)}
        for name, access in granted.items()
        for kind, have in access.items()
        if have != (want := EXPECTED_ACCESS[name][kind])
    }
    assert not wrong, f"{env}: {wrong}"
    # the role names exist as written: chat's custom role may only predict, nothing else from
    # Vertex AI is granted to a function
    predict = _stack(env).local("function_custom_roles")["chat"]
    assert predict["permissions"] == ["aiplatform.endpoints.predict"]
    every_role = set().union(*(access["project"] for access in granted.values()))
    assert not any("roles/aiplatform" in role for role in every_role)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_job_and_push_functions_are_never_public(env: str) -> None:
    stack = _stack(env)
    specs = stack.local("function_specs")
    for name, instance in _functions(env).items():
        invokers = instance["invoker_config"]
        assert invokers.get("allow_unauthenticated", False) is False, name
        members = invokers["members"]
        assert isinstance(members, dict) and members, f"{name} has no invoker"
        assert not set(members.values()) & PUBLIC_MEMBERS, f"{env}/{name}: public invoker"
        kind = specs[name]["kind"]
        expected = {"api": {"gateway"}, "job": {"scheduler"}, "push": {"push"}}[kind]
        assert set(members) == expected, f"{env}/{name} ({kind}) invoked by {set(members)}"
        if kind in ("job", "push"):
            assert instance["function_config"]["ingress"] == "ALLOW_INTERNAL_ONLY", name
    invoker = _resources(TERRAFORM / "modules" / "function", "google_cloud_run_service_iam_member")
    assert "allUsers" in json.dumps(invoker), "the module's public switch moved: re-check"


# --- Pub/Sub -----------------------------------------------------------------------------------


def _topics(env: str) -> dict[str, dict[str, Any]]:
    return _stack(env).instances("modules/pubsub")


def _code_topics() -> set[str]:
    """Topics the code publishes to: Settings' *_topic defaults, topic literals in the code and
    the topics the local stack provisions for it."""
    from scripts import stack

    topics = {
        str(f.default) for name, f in Settings.model_fields.items() if name.endswith("_topic")
    }
    for path in [*(REPO / "common").rglob("*.py"), *FUNCTIONS.rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        topics |= set(re.findall(r"""\btopic\s*[=:]\s*["']([A-Za-z][\w.~%+-]{2,})["']""", text))
        topics |= set(re.findall(r"""["']([a-z]+(?:-[a-z]+)*-dead-letter)["']""", text))
    return topics | set(stack.TOPICS)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_topic_the_code_publishes_to_exists(env: str) -> None:
    topics = {instance["name"] for instance in _topics(env).values()}
    missing = _code_topics() - topics
    assert not missing, f"{env}: topics the code uses but Terraform lacks: {sorted(missing)}"
    # the one topic a function is told by name (the others are fixed in the code)
    for name, instance in _functions(env).items():
        named = instance["environment_variables"].get("DEAD_LETTER_TOPIC", "events-dead-letter")
        assert named in topics, f"{env}/{name}: DEAD_LETTER_TOPIC={named}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_push_subscriptions_match_the_local_stack_and_dead_letter(env: str) -> None:
    from scripts import stack

    declared = _stack(env).local("push_subscriptions")
    specs = _stack(env).local("function_specs")
    flat = {sub: (topic, fn) for topic, subs in declared.items() for sub, fn in subs.items()}
    for sub, topic, fn in stack.SUBSCRIPTIONS:
        if fn is not None:
            assert flat.get(sub) == (topic, fn), f"{sub}: locally {topic} -> {fn}"
    for sub, (_, fn) in flat.items():
        assert specs[fn]["kind"] == "push", f"{sub} pushes to {fn}, not a push function"
    deployed = _functions(env)
    for instance in _topics(env).values():
        for sub, config in instance.get("subscriptions", {}).items():
            if config.get("push") is None:
                continue
            assert flat[sub][1] in deployed, f"{sub} pushes to an undeployed function"
            dead_letter = config["dead_letter"]
            assert 5 <= dead_letter["max_delivery_attempts"] <= 100, sub
            assert config["push"]["oidc"], f"{sub}: push without an OIDC identity"


def test_dead_letter_topics_have_pull_subscriptions_that_alert() -> None:
    topics = _topics("prod")
    dead = {i["name"] for i in topics.values() if i["name"].endswith("-dead-letter")}
    assert dead == {"events-dead-letter", "notifications-dead-letter"}
    monitoring = _stack("prod").instances("modules/monitoring")["monitoring"]
    assert set(monitoring["dead_letters"]) == dead
    for instance in topics.values():
        if instance["name"] in dead:
            assert set(instance["subscriptions"]) == {instance["name"]}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_dead_letters_outlive_a_consumer_down_for_a_week(env: str) -> None:
    """A dead-letter subscription kept its letters Pub/Sub's default 7 days from when they were
    dead-lettered: with the analytics sink down a week, the first days' events were gone before
    it was mended. 31 days is Pub/Sub's most."""
    for instance in _topics(env).values():
        if instance["name"].endswith("-dead-letter"):
            (subscription,) = instance["subscriptions"].values()
            assert subscription["message_retention_duration"] == f"{31 * 24 * 3600}s"


# --- Firestore ---------------------------------------------------------------------------------


def _firestore(env: str) -> dict[str, Any]:
    return _stack(env).instances("modules/firestore")["firestore"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_ttl_fields_match_the_code(env: str) -> None:
    from common.adapters.firestore_profiles import APPLIED
    from common.adapters.firestore_push import PUSH_NOTIFICATIONS
    from common.adapters.firestore_sessions import ACTIVITY, FEEDBACK, SESSIONS, TURN_KEYS, TURNS
    from common.cleanup import EXPIRING_COLLECTIONS

    ttl = _firestore(env)["ttl_fields"]
    assert set(ttl) == {SESSIONS, TURN_KEYS, FEEDBACK, ACTIVITY, APPLIED, PUSH_NOTIFICATIONS}
    code = "\n".join(p.read_text() for p in (REPO / "common").rglob("*.py"))
    for collection, config in ttl.items():
        # sessions are purged two days after they expire: the cleanup job sees them first
        assert config["field"] == ("purge_at" if collection == SESSIONS else "expires_at")
        assert f'"{config["field"]}"' in code
    # A turn's expires_at is set once, when written: TTL would delete early turns of a session
    # still in use. Turns go with their session (the cleanup job).
    assert TURNS not in ttl
    for collection in EXPIRING_COLLECTIONS:  # the cleanup job queries these
        assert ttl[collection]["indexed"] is True, collection
    assert ("turns", "expires_at") in _collection_group_indexes(env)


def _collection_group_indexes(env: str) -> set[tuple[str, str]]:
    return {
        (index["collection"], index["field"])
        for index in _firestore(env)["field_indexes"].values()
        for scope in index["indexes"]
        if scope["query_scope"] == "COLLECTION_GROUP"
    }


@cache
def _sent_queries() -> tuple[Any, ...]:
    """Every query the adapters send, as sent: each query path driven once over Firestore's RPCs
    (tests/fakes/firestore_rpc.py; nothing matches, so each sends its first query)."""
    from datetime import UTC, datetime

    from common.adapters import firestore_devices
    from common.adapters.firestore_audience import FirestoreAudienceStore
    from common.adapters.firestore_cleanup import FirestoreCleanupStore
    from common.adapters.firestore_profiles import FirestoreProfileStore
    from common.adapters.firestore_push import FirestorePushStore
    from common.adapters.firestore_sessions import FirestoreSessionStore
    from common.adapters.firestore_support import end_care, support_view
    from common.cleanup import EXPIRING_COLLECTIONS
    from common.json_stream import iter_json
    from common.notifications.models import SCHEDULED
    from tests.fakes.firestore_rpc import FirestoreRpc

    rpc, now = FirestoreRpc(), datetime(2026, 12, 6, tzinfo=UTC)
    db, since = rpc.client, now.replace(month=1)
    sessions = FirestoreSessionStore(db, settings=Settings())
    sessions.list_turns("s", after=0, limit=10)
    sessions.claim_due(now=now, limit=10, lease_seconds=30)
    FirestorePushStore(db, sessions).claim_due(now=now, limit=10, lease=30)
    devices = firestore_devices.FirestoreDeviceStore(db)
    devices.release_elsewhere(uid="u", token="t", before=now)
    devices.trim(uid="u", keep=5)
    firestore_devices.prune_stale_devices(db, now=now)
    FirestoreAudienceStore(db).device_users(limit=10, cursor=None)
    cleanup = FirestoreCleanupStore(db)
    cleanup.delete_expired_sessions(now=now, limit=10)
    cleanup.delete_orphan_turns(now=now, limit=10, cursor=None, since=since)
    for collection in EXPIRING_COLLECTIONS:
        cleanup.delete_expired(collection, now=now, limit=10)
    cleanup.stamp_daily_until(now=now, limit=10)
    cleanup.forget_stale_days(now=now, limit=10)
    cleanup.inactive_sessions(before=now, limit=10, cursor=None, since=since)
    cleanup.sessions_started_before(before=now, limit=10, cursor=None, since=since)
    cleanup.delete_turns_before("s", now)
    cleanup.profiles_updated_before(before=now, limit=10, cursor=None, since=since)
    for kind in sorted(SCHEDULED):
        cleanup.notices_enqueued_before(kind, before=now, limit=10, cursor=None, since=since)
    cleanup.user_keys_by_retention()
    cleanup.pending_erasures(limit=10)
    cleanup.unfinished_erasures(limit=10)
    for collection, after in (("users", "u"), ("activity", "u"), ("devices", None)):
        cleanup.uids_after(collection, after, limit=10)
    profiles = FirestoreProfileStore(db, sessions)
    "".join(iter_json(profiles.export_user(uid="u", ukey="k")))  # read as it is written
    profiles.erase_user(uid="u", ukey="k", now=now)
    support_view(db, uid="u", ukey="k", now=now)  # scripts/support.py
    end_care(db, uid="u", now=now)
    return tuple(rpc.sent)


def _index_needs(query: Any) -> tuple[str, str, dict[str, str]]:
    """A query's collection id, its scope, and what it needs of each field's index: the order
    it reads it in, or `any` for an equality alone (either order serves it)."""
    source = query.from_[0]
    needs: dict[str, str] = {}
    filters = [query.where] if "where" in query else []
    while filters:
        where = filters.pop()
        if "composite_filter" in where:
            filters += where.composite_filter.filters
            continue
        one = where.field_filter if "field_filter" in where else where.unary_filter
        equality = one.op.name in ("EQUAL", "IN")
        needs.setdefault(one.field.field_path, "any" if equality else "ASCENDING")
    for order in query.order_by:
        needs[order.field.field_path] = order.direction.name
    return (
        source.collection_id,
        "COLLECTION_GROUP" if source.all_descendants else "COLLECTION",
        needs,
    )


# What Firestore builds for a field nobody configured: single-field, collection scope.
AUTOMATIC_INDEXES = {("COLLECTION", "ASCENDING"), ("COLLECTION", "DESCENDING")}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_query_the_adapters_send_has_its_index_in_production(env: str) -> None:
    """The emulator needs no index; production refuses a query without one
    (FAILED_PRECONDITION). Each query the adapters send, recorded as sent, is served by the
    declared indexes: a collection-group query by a COLLECTION_GROUP index of its field, a
    field whose settings replace its automatic indexes (field_indexes, index_exemptions, a TTL
    field not indexed) by one of its scope and order, a query on two fields by a composite."""
    import importlib

    firestore = _stack(env).child("firestore")  # its variables with their optional() defaults
    declared = {
        (i["collection"], i["field"]): {(x["query_scope"], x["order"]) for x in i["indexes"]}
        for i in firestore.variable("field_indexes").values()
    }
    declared |= {
        (e["collection"], e["field"]): set()
        for e in firestore.variable("index_exemptions").values()
    }
    declared |= {
        (c, t["field"]): set()
        for c, t in firestore.variable("ttl_fields").items()
        if not t["indexed"]
    }
    composites = {
        (c["collection"], c["query_scope"], frozenset(f["field_path"] for f in c["fields"]))
        for c in firestore.variable("composite_indexes").values()
    }
    sent = [_index_needs(query) for query in _sent_queries()]

    # Every query the adapters build is driven above: each field they name in a filter or an
    # order (and in a descending order), and each collection group they query.
    named, descending, groups = set(), set(), set()
    for path in (REPO / "common" / "adapters").glob("*.py"):
        module, text = importlib.import_module(f"common.adapters.{path.stem}"), path.read_text()
        named |= set(re.findall(r'(?:_filter|FieldFilter|order_by)\(\s*"([\w.]+)"', text))
        descending |= set(re.findall(r'order_by\(\s*"([\w.]+)",\s*direction=[\w.]*DESC', text))
        groups |= {getattr(module, c, c) for c in re.findall(r"collection_group\((\w+)\)", text)}
    assert {"owner_uid", "token"} <= named and descending, "the scan found nothing: code changed?"
    undriven = named - {field for _, _, needs in sent for field in needs}
    undriven |= descending - {
        f for _, _, needs in sent for f, how in needs.items() if how == "DESCENDING"
    }
    undriven |= groups - {c for c, scope, _ in sent if scope == "COLLECTION_GROUP"}
    assert not undriven, f"queries on these are not driven by _sent_queries: {sorted(undriven)}"

    missing = set()
    for collection, scope, needs in sent:
        # The document id (__name__) is not checked: Firestore keeps it indexed.
        needs = {field: how for field, how in needs.items() if field != "__name__"}
        if len(needs) > 1:
            if (collection, scope, frozenset(needs)) not in composites:
                missing.add(f"{scope} {collection} on {sorted(needs)}: no composite index")
            continue
        for field, how in needs.items():
            have = {
                o for s, o in declared.get((collection, field), AUTOMATIC_INDEXES) if s == scope
            }
            if not (have if how == "any" else have & {how}):
                missing.add(f"{scope} {collection}.{field} {how}")
    assert not missing, f"{env}: queries production would refuse: {sorted(missing)}"
    for index in firestore.variable("field_indexes").values():
        assert index["indexes"], f"{index['field']}: an empty config disables its indexes"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_firestore_rules_and_indexes(env: str) -> None:
    firestore = _firestore(env)
    assert _path(firestore["rules_file"]) == REPO / "firestore.rules"
    erasures = firestore["composite_indexes"]["erasures-pending"]
    assert erasures["collection"] == "erasures"
    assert [f["field_path"] for f in erasures["fields"]] == ["analytics", "requested_at"]


def test_the_functions_can_be_pointed_at_a_restored_database() -> None:
    """A point-in-time clone or a backup's restore is a new database id: firestore_config.name
    is the database the module manages and, through its output, every function's
    FIRESTORE_DATABASE (OPERATIONS.md, "Restore Firestore"). Without it the stack could only
    ever serve (default)."""
    for env in ENVIRONMENTS:
        assert _firestore(env)["database"]["name"] == "(default)"
    restored = Module(STACK, {"firestore_config": {"name": "restored-1206"}})
    firestore = restored.instances("modules/firestore")["firestore"]
    assert firestore["database"]["name"] == "restored-1206"
    assert firestore["database"]["point_in_time_recovery"] is False  # the other defaults hold
    module = TERRAFORM / "modules" / "firestore"
    database = _resources(module, "google_firestore_database")["database"]
    assert database["name"] == "${var.database.name}"
    output = _labelled(_config(module), "output")["database_name"]
    assert output["value"] == "${google_firestore_database.database.name}"
    env = _stack("prod").raw_locals["settings_env"]
    assert env["FIRESTORE_DATABASE"] == "${module.firestore.database_name}"
    assert Settings(firestore_database="restored-1206").firestore_database == "restored-1206"


def test_prod_backs_firestore_up_daily_for_longer_than_point_in_time_recovery() -> None:
    """Point-in-time recovery reaches 7 days back and is gone with the database: a deleted
    database, or damage noticed after a week, needs a backup (kept 14 days in prod). The
    erasure log must outlive the oldest backup: a restore from it erases again every user
    erased since (OPERATIONS.md, "Restore Firestore")."""
    directory = TERRAFORM / "modules" / "firestore"
    schedule = _resources(directory, "google_firestore_backup_schedule")["daily"]
    assert schedule["database"] == "${google_firestore_database.database.name}"
    assert "daily_recurrence" in schedule
    for env, days in (("prod", 14), ("dev", None)):
        database = _firestore(env)["database"]
        assert database["backup_retention_days"] == days
        module = Module(directory, {"database": database, "project_id": "p"})
        assert module.scope.value(schedule["count"]) == (0 if days is None else 1)
    prod = Module(directory, {"database": _firestore("prod")["database"], "project_id": "p"})
    assert prod.scope.value(schedule["retention"]) == f"{14 * 86400}s"
    assert _firestore("prod")["database"]["point_in_time_recovery"] is True
    bucket = _resources(STACK, "google_logging_project_bucket_config")["erasures"]
    assert _stack("prod").scope.value(bucket["retention_days"]) >= 14


def test_firestore_module_turns_ttl_fields_into_ttl_policies() -> None:
    fields = _resources(TERRAFORM / "modules" / "firestore", "google_firestore_field")
    ttl = [f for f in fields.values() if "ttl_config" in f]
    assert len(ttl) == 1, "no google_firestore_field with ttl_config"
    assert ttl[0]["for_each"] == "${var.ttl_fields}"
    assert ttl[0]["collection"] == "${each.key}"
    assert ttl[0]["field"] == "${each.value.field}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_feedback_timestamps_no_query_reads_are_exempt_from_indexing(env: str) -> None:
    """A rating writes created_at and updated_at, timestamps that only grow: automatically
    indexed, each capped feedback at ~500 writes a second (docs/CAPACITY.md section 3), and no
    query reads them (the adapters query feedback by owner_uid and expires_at only)."""
    from common.adapters.firestore_sessions import FEEDBACK

    firestore = _firestore(env)
    exempt = {(e["collection"], e["field"]) for e in firestore["index_exemptions"].values()}
    assert exempt == {(FEEDBACK, "created_at"), (FEEDBACK, "updated_at")}
    service = (REPO / "common" / "feedback" / "service.py").read_text()
    assert all(f'"{field}": ' in service for _, field in exempt)  # what a rating writes
    # An exemption would fight the field's other settings.
    configured = {(i["collection"], i["field"]) for i in firestore["field_indexes"].values()}
    configured |= {(c, ttl["field"]) for c, ttl in firestore["ttl_fields"].items()}
    assert not exempt & configured
    fields = _resources(TERRAFORM / "modules" / "firestore", "google_firestore_field")
    assert fields["exempt"]["for_each"] == "${var.index_exemptions}"
    assert fields["exempt"]["index_config"] == [{}]  # no indexes at all


# --- BigQuery ----------------------------------------------------------------------------------


def _bigquery(env: str) -> dict[str, Any]:
    return _stack(env).instances("modules/bigquery")["bigquery"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_events_table_is_the_shared_schema_file(env: str) -> None:
    from common.analytics import schema

    bigquery = _bigquery(env)
    table = bigquery["events_table"]
    assert _path(table["schema_file"]) == schema.SCHEMA_FILE.resolve()
    assert bigquery["dataset_id"] == schema.DATASET and table["table_id"] == schema.TABLE
    assert table["partition_field"] == schema.PARTITION_FIELD
    assert tuple(table["clustering"]) == tuple(schema.CLUSTERING)
    columns = {c["name"]: c for c in json.loads(schema.SCHEMA_FILE.read_text())}
    assert columns[schema.PARTITION_FIELD]["type"] == "TIMESTAMP"
    assert set(schema.CLUSTERING) <= set(columns)
    assert "user_key" in columns  # erasure and retention delete by it
    module = _resources(TERRAFORM / "modules" / "bigquery", "google_bigquery_table")["events"]
    assert module["schema"] == "${file(var.events_table.schema_file)}"
    assert _block(module, "time_partitioning")["type"] == "DAY"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_views_functions_and_daily_queries_are_the_sql_files(env: str) -> None:
    bigquery = _bigquery(env)
    assert _path(bigquery["views_dir"]) == (ANALYTICS / "views").resolve()
    assert _path(bigquery["functions_dir"]) == (ANALYTICS / "functions").resolve()
    assert _path(bigquery["daily_dir"]) == (ANALYTICS / "daily").resolve()
    module = TERRAFORM / "modules" / "bigquery"
    text = json.dumps(_config(module)["locals"])
    assert 'fileset(var.views_dir, \\"*.sql\\")' in text
    assert 'fileset(var.functions_dir, \\"*.sql\\")' in text
    assert 'fileset(var.daily_dir, \\"*.sql\\")' in text
    tables = _resources(module, "google_bigquery_table")
    for name in ("views", "views_tier2", "views_tier3"):
        assert "templatefile" in json.dumps(tables[name]["view"]), name
    transfer = _resources(module, "google_bigquery_data_transfer_config")["daily"]
    assert transfer["data_source_id"] == "scheduled_query"
    functions = [*(ANALYTICS / "functions").glob("*.sql")]
    for path in (ANALYTICS / "views").glob("*.sql"):
        _only_placeholders(path, {"project", "dataset"})
    for path in functions:
        _only_placeholders(path, {"project", "dataset", "start_day", "end_day"})
    # A daily file's rows carry the hash warehouse.definition() computes locally: of the file,
    # then every view's file in name order (local.view_sql is a map: its values in key order).
    for path in (ANALYTICS / "daily").glob("*.sql"):
        _only_placeholders(path, {"project", "dataset", "definition"})
    daily = next(b["daily"] for b in _config(module)["locals"] if "daily" in b)
    texts = 'concat([file("${var.daily_dir}/${f}")], values(local.view_sql))'
    assert f'{{definition = substr(sha256(join("", {texts})), 0, 16)}}' in daily
    view_sql = next(b["view_sql"] for b in _config(module)["locals"] if "view_sql" in b)
    assert view_sql == "${{for name, path in local.view_files : name => file(path)}}"


def _only_placeholders(path: Path, allowed: set[str]) -> None:
    """templatefile() fails on any other placeholder or template directive."""
    sql = path.read_text()
    placeholders = set(re.findall(r"(?<!\$)\$\{([^}]*)\}", sql))
    assert placeholders <= allowed, f"{path.name}: {placeholders}"
    assert "%{" not in sql, f"{path.name}: a template directive"


def test_table_functions_take_the_range_and_their_views_all_time_as_the_code_does() -> None:
    """Terraform's table functions and the views made from their files are what
    common/analytics/warehouse.py provisions locally: each function of (start_day DATE,
    end_day DATE), in that order, and each view over the code's ALL_TIME."""
    from common.analytics.warehouse import ALL_TIME, FUNCTION_RANGE

    module = TERRAFORM / "modules" / "bigquery"
    local = {k: v for block in _config(module)["locals"] for k, v in block.items()}
    assert local["function_arguments"] == list(FUNCTION_RANGE)
    assert local["all_time"] == ALL_TIME
    routines = _resources(module, "google_bigquery_routine")
    assert set(routines) == {"functions", "functions_tier2"}
    for name, routine in routines.items():
        assert (routine["routine_type"], routine["language"]) == ("TABLE_VALUED_FUNCTION", "SQL")
        assert "local.function_range" in routine["definition_body"], name
        arguments = json.dumps(routine["dynamic"])
        assert "local.function_arguments" in arguments and "DATE" in arguments, name
    assert "google_bigquery_routine.functions" in json.dumps(routines["functions_tier2"])
    tables = _resources(module, "google_bigquery_table")
    for name in ("views", "views_tier2", "views_tier3"):
        assert "local.all_time" in json.dumps(tables[name]["view"]), name


def _view_refs() -> dict[str, set[str]]:
    """The views views.tf makes (a view <name> also from each functions/<name>_between.sql),
    each with the views it reads (functions and the events table aside)."""
    functions = {p.stem: p for p in (ANALYTICS / "functions").glob("*.sql")}
    views = {p.stem: p for p in (ANALYTICS / "views").glob("*.sql")}
    views |= {name.removesuffix("_between"): path for name, path in functions.items()}
    return _refs(views, {"events", *functions})


def _refs(paths: dict[str, Path], ignore: set[str]) -> dict[str, set[str]]:
    return {
        name: set(re.findall(r"\$\{dataset\}\.(\w+)", path.read_text())) - ignore
        for name, path in paths.items()
    }


def test_views_are_created_after_the_views_they_read() -> None:
    """BigQuery refuses a view whose tables do not exist yet, and Terraform creates one
    resource's instances in parallel: views.tf puts each view in the tier after the views it
    reads, all after the table functions, and functions.tf each function after those it reads.
    Recompute the tiers from the SQL files and check that three (two) suffice."""
    functions = {p.stem: p for p in (ANALYTICS / "functions").glob("*.sql")}
    refs = _view_refs()
    assert set().union(*refs.values()) <= refs.keys(), "a view reads a table that is no view"
    tier1 = {name for name, r in refs.items() if not r}
    tier2 = {name for name, r in refs.items() if r and r <= tier1}
    tier3 = refs.keys() - tier1 - tier2
    assert all(refs[name] <= tier1 | tier2 for name in tier3), "a view chain deeper than 3"
    assert {"turns", "feedback_final"} <= tier1 and "churn_risk" in tier3
    calls = _refs(functions, {"events"})
    assert set().union(*calls.values()) <= functions.keys(), "a function reads a view"
    first = {name for name, r in calls.items() if not r}
    assert all(r <= first for r in calls.values()), "a function chain deeper than 2"
    assert "turns_between" in first and calls["persona_distribution_between"] == {"turns_between"}
    module = TERRAFORM / "modules" / "bigquery"
    tables = _resources(module, "google_bigquery_table")
    assert "local.view_tier1" in json.dumps(tables["views"]["for_each"])
    assert "google_bigquery_routine.functions_tier2" in json.dumps(tables["views"]["depends_on"])
    assert "views_tier2" in json.dumps(tables["views_tier3"]["depends_on"])
    assert "google_bigquery_table.views" in json.dumps(tables["views_tier2"]["depends_on"])
    routines = _resources(module, "google_bigquery_routine")
    assert "local.function_tier1" in json.dumps(routines["functions"]["for_each"])


# --- scheduler, gateway, model, monitoring -----------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_scheduler_targets_exist(env: str) -> None:
    from scripts.scheduler import JOBS

    stack = _stack(env)
    schedules, specs = stack.local("schedules"), stack.local("function_specs")
    deployed = set(_functions(env))
    targets = {s["function"] for s in schedules.values()}
    for name, schedule in schedules.items():
        assert specs[schedule["function"]]["kind"] == "job", name
        assert len(schedule["schedule"].split()) == 5, name
    jobs = {n for n, s in specs.items() if s["kind"] == "job"}
    assert jobs == targets, "every job function is scheduled, and only those"
    assert set(JOBS) <= deployed & targets, "the local scheduler calls what production does"
    assert set(stack.local("scheduled")) == {
        n for n, s in schedules.items() if s["function"] in deployed
    }
    job = _resources(STACK, "google_cloud_scheduler_job")["jobs"]
    target = _block(job, "http_target")
    assert _block(target, "oidc_token")["service_account_email"] == (
        "${google_service_account.scheduler.email}"
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_pubsub_scheduler_jobs_match_the_local_scheduler(env: str) -> None:
    from scripts.scheduler import PUBSUB_JOBS

    stack = _stack(env)
    declared = {s["topic"]: s for s in stack.local("pubsub_schedules").values()}
    topics = {instance["name"] for instance in _topics(env).values()}
    for topic, (_, message) in PUBSUB_JOBS.items():
        assert topic in declared, f"the local scheduler publishes to {topic}; production does not"
        assert declared[topic]["message"] == message
    for schedule in declared.values():
        assert schedule["topic"] in topics
        assert schedule["function"] in stack.local("function_specs")
        consumers = stack.local("push_subscriptions")[schedule["topic"]].values()
        assert schedule["function"] in consumers, "the message reaches its function"


def test_api_gateway_serves_the_openapi_file() -> None:
    gateway = _stack("prod").instances("modules/api-gateway")["api_gateway"]
    openapi = _path(gateway["openapi_file"])
    assert openapi == REPO / "terraform/api/openapi-gateway.yaml"
    assert set(gateway["backends"]) == {
        n for n, s in _stack("prod").local("functions").items() if s["kind"] == "api"
    }
    assert openapi.is_file(), "run `make openapi`"
    text = openapi.read_text()
    used = set(re.findall(r"(?<!\$)\$\{(\w+)\}", text))
    allowed = {"project", "region"} | {f"{n}_url" for n in gateway["backends"]}
    assert used <= allowed, f"openapi.yaml uses unknown placeholders {used - allowed}"
    if "x-google-backend" in text or "x-google-api-management" in text:
        # Routed for API Gateway: every API function is a backend of some path.
        unrouted = {f"{n}_url" for n in gateway["backends"]} - used
        assert not unrouted, f"openapi.yaml routes nothing to {sorted(unrouted)}"


def test_model_endpoint_and_registry_are_declared() -> None:
    module = TERRAFORM / "modules" / "model-serving"
    assert _resources(module, "google_vertex_ai_endpoint")
    registry = _resources(module, "google_artifact_registry_repository")["containers"]
    assert registry["format"] == "DOCKER"
    chat = _functions("prod")["chat"]["environment_variables"]
    assert chat["MODEL_GOOGLE_AUTH"] == "true"


def test_the_registry_never_deletes_a_serving_image() -> None:
    """Every version of the Vertex AI model runs a persona-model image (one per serving key,
    cloudbuild.yaml), deployed or a rollback target, and Vertex AI pulls it for every replica
    it starts: no DELETE policy may match that package. A cleanup that deleted beyond "the 10
    most recent" or "30 days" took the endpoint's image once enough builds came after it."""
    module = Module(TERRAFORM / "modules" / "model-serving", {"keep_images": 10})
    registry = _resources(module.directory, "google_artifact_registry_repository")["containers"]
    policies = {p["id"]: p for p in registry["cleanup_policies"]}
    deletes = [p for p in policies.values() if p["action"] == "DELETE"]
    assert deletes, "the retraining images (one per build) are cleaned up"
    pushed = set(re.findall(r"-containers/([\w-]+):", (REPO / "cloudbuild.yaml").read_text()))
    assert pushed == {"persona-model", "persona-retrain"}
    for policy in deletes:
        prefixes = module.scope.value(_block(policy, "condition").get("package_name_prefixes"))
        assert isinstance(prefixes, list) and prefixes, f"{policy['id']} matches every package"
        assert not any("persona-model".startswith(prefix) for prefix in prefixes), policy["id"]
        assert set(prefixes) <= pushed, prefixes


def test_the_functions_images_go_to_a_repository_that_cleans_them_up() -> None:
    """GCF's default gcf-artifacts repository has no cleanup policy: every build's image of
    every function stayed. Each function builds into the stack's repository, which keeps each
    package's newest few (what serves) and deletes the rest after 30 days."""
    module = TERRAFORM / "modules" / "function"
    function = _resources(module, "google_cloudfunctions2_function")["function"]
    build = _block(function, "build_config")
    assert build["docker_repository"] == "${var.function_config.docker_repository}"
    functions = _labelled(_config(STACK), "module")["function"]
    assert functions["function_config"]["docker_repository"] == (
        "${google_artifact_registry_repository.function_images.id}"
    )
    registry = _resources(STACK, "google_artifact_registry_repository")["function_images"]
    assert registry["format"] == "DOCKER" and registry["cleanup_policy_dry_run"] is False
    policies = {p["action"]: p for p in registry["cleanup_policies"]}
    assert _block(policies["KEEP"], "most_recent_versions")["keep_count"]
    assert _block(policies["DELETE"], "condition")["older_than"] == "2592000s"


def test_each_builds_copy_of_the_function_zips_expires() -> None:
    """cloudbuild.yaml uploads every build's zips under builds/<SHORT_SHA>/ of the bundles
    bucket, whose only rule deleted noncurrent versions: they stayed forever."""
    uploaded = re.search(
        r"location: gs://[^/]+-function-bundles/(\w+)/", (REPO / "cloudbuild.yaml").read_text()
    )
    assert uploaded is not None
    bucket = _resources(STACK, "google_storage_bucket")["bundles"]
    rules = [_block(rule, "condition") for rule in bucket["lifecycle_rule"]]
    assert {"age": 30, "matches_prefix": [f"{uploaded[1]}/"]} in rules


def test_no_plan_can_destroy_the_registry_of_the_serving_images() -> None:
    """The registry holds the only copy of every serving image, which OPERATIONS.md promises
    can be deployed again (a rollback to an undeployed version). A renamed repository_id, or a
    changed format or location, replaces the repository: the plan must fail instead."""
    module = TERRAFORM / "modules" / "model-serving"
    registry = _resources(module, "google_artifact_registry_repository")["containers"]
    assert _block(registry, "lifecycle").get("prevent_destroy") is True


def test_monitoring_covers_latency_errors_dead_letters_uptime_and_budget() -> None:
    module = TERRAFORM / "modules" / "monitoring"
    policies = _resources(module, "google_monitoring_alert_policy")
    assert {"chat_latency", "server_errors", "dead_letter_backlog", "uptime"} <= set(policies)
    latency = json.dumps(policies["chat_latency"])
    assert "request_latencies" in latency and "ALIGN_PERCENTILE_95" in latency
    assert "5xx" in json.dumps(policies["server_errors"])
    # a streamed turn that fails mid-stream is a 200: its log line (common.logs.STREAMED_STATUS)
    # is counted, and the 5xx alert has a condition on that count
    from common.logs import NEEDS_OPERATOR, STREAMED_STATUS

    streamed = _resources(module, "google_logging_metric")["streamed_server_errors"]
    assert f"jsonPayload.{STREAMED_STATUS} >= 500" in streamed["filter"]
    assert _block(streamed, "metric_descriptor")["metric_kind"] == "DELTA"
    counted = [
        _block(c, "condition_threshold")["filter"] for c in policies["server_errors"]["conditions"]
    ]
    assert any("google_logging_metric.streamed_server_errors.name" in f for f in counted)
    # what only an operator can fix (common.logs.NEEDS_OPERATOR), as no failed request shows it

    matched = _block(_block(policies["needs_operator"], "conditions"), "condition_matched_log")
    assert f"jsonPayload.{NEEDS_OPERATOR} = true" in matched["filter"]
    # a scheduled job that fails: Cloud Scheduler's failed attempts, the retraining execution
    failed = _block(_block(policies["job_failed"], "conditions"), "condition_matched_log")
    for resource_type in ("cloud_scheduler_job", "cloud_run_job"):
        assert f'resource.type = "{resource_type}"' in failed["filter"]
    assert "severity >= ERROR" in failed["filter"]
    uptime = _resources(module, "google_monitoring_uptime_check_config")["healthz"]
    assert _block(uptime, "http_check")["path"] == "/healthz"
    assert _resources(module, "google_billing_budget")
    monitoring = _stack("prod").instances("modules/monitoring")["monitoring"]
    assert monitoring["budget"] is None  # no billing account in the defaults: no budget


def test_alerts_on_a_log_based_metric_wait_until_monitoring_knows_it() -> None:
    """A policy created right after its log-based metric fails the first apply with a 404
    ("Cannot find metric(s) ... up to 10 minutes": terraform-provider-google#11102): every
    policy reading a user metric waits on the sleep, which follows every metric and restarts
    when one is added or renamed."""
    module = TERRAFORM / "modules" / "monitoring"
    metrics = _resources(module, "google_logging_metric")
    sleeps = _resources(module, "time_sleep")
    assert metrics and len(sleeps) == 1, f"one time_sleep for the metrics, not {list(sleeps)}"
    ((name, sleep),) = sleeps.items()
    assert set(sleep["depends_on"]) == {f"${{google_logging_metric.{m}}}" for m in metrics}
    assert sleep["triggers"] == {m: f"${{google_logging_metric.{m}.name}}" for m in metrics}
    assert int(sleep["create_duration"].removesuffix("m")) >= 10
    reading = {
        policy: body
        for policy, body in _resources(module, "google_monitoring_alert_policy").items()
        if "logging.googleapis.com/user/" in json.dumps(body)
    }
    assert reading
    for policy, body in reading.items():
        assert f"${{time_sleep.{name}}}" in body.get("depends_on", []), policy
    for directory in (
        module,
        TERRAFORM / "environments" / "dev",
        TERRAFORM / "environments" / "prod",
    ):
        required = _block(_labelled(_config(directory), "terraform"), "required_providers")
        assert required["time"]["source"] == "hashicorp/time", directory


def _heading_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a document's headings: lower case, punctuation dropped, spaces
    to hyphens."""
    headings = re.findall(r"^#+ (.+)$", markdown, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_alert_links_to_a_runbook_entry_that_exists() -> None:
    # An alert's e-mail links its runbook entry: a heading renamed, or an alert added without its
    # entry, links to the top of the page.
    anchors = _heading_anchors((REPO / "docs" / "OPERATIONS.md").read_text())
    policies = _resources(TERRAFORM / "modules" / "monitoring", "google_monitoring_alert_policy")
    for name, policy in policies.items():
        linked = re.findall(
            r"docs/OPERATIONS\.md#([\w-]+)", _block(policy, "documentation")["content"]
        )
        assert linked, f"{name}: its documentation links no runbook entry"
        assert set(linked) <= anchors, f"{name}: no heading for {linked}"


def _log_filter_matches(log_filter: str, entry: dict[str, Any]) -> bool:
    """Whether a Cloud Logging filter of `field = value` and `log_id("...")` terms joined by AND
    matches `entry`. Any other form fails the test, rather than pass it unread."""
    for term in log_filter.split(" AND "):
        if log_id := re.fullmatch(r'log_id\("([^"\\]+)"\)', term):
            # the entry's logName ends with the log's id, URL-encoded
            if not str(entry.get("logName", "")).endswith(f"/logs/{quote(log_id[1], safe='')}"):
                return False
            continue
        found = re.fullmatch(r"([\w.]+) = (\"(?:[^\"\\]|\\.)*\"|true|false|[A-Z]+)", term)
        assert found, f"a term this test cannot read: {term!r}"
        path, literal = found.groups()
        value: Any = entry
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        wanted = (
            json.loads(literal) if literal[0] == '"' or literal in ("true", "false") else literal
        )
        if value != wanted or type(value) is not type(wanted):
            return False
    return True


def test_incomplete_cleanup_runs_are_counted_from_the_line_the_cleanup_writes(caplog) -> None:
    """The log-based metric counts the session cleanup's incomplete runs: its filter must match
    the entry run_cleanup writes for one (message, severity, report.complete, as common.logs
    formats them) and not a complete run's, on the cleanup service alone. A renamed message or
    field would leave the metric at 0 and the alert silent."""
    from common.cleanup import run_cleanup
    from common.logs import formatter
    from tests.fakes.clock import FakeClock
    from tests.unit.test_cleanup import NOW, Analytics, Finite

    with caplog.at_level(logging.INFO, logger="common.cleanup"):
        for max_batches in (25, 1):  # 400 sessions: all of them, then 200 and work left
            store = Finite(FakeClock(), sessions=400)
            run_cleanup(store=store, analytics=Analytics(), now=NOW, max_batches=max_batches)
    lines = [json.loads(formatter().format(r)) for r in caplog.records if hasattr(r, "report")]
    assert [line["report"]["complete"] for line in lines] == [True, False]

    service = "ion-prod-session-cleanup"

    def entry(line: dict[str, Any], service_name: str = service) -> dict[str, Any]:
        # Cloud Run's agent takes `severity` for the entry's; the rest is its jsonPayload.
        payload = {k: v for k, v in line.items() if k != "severity"}
        resource = {"type": "cloud_run_revision", "labels": {"service_name": service_name}}
        return {"resource": resource, "severity": line["severity"], "jsonPayload": payload}

    module = Module(TERRAFORM / "modules" / "monitoring", {"cleanup_service": service})
    metric = _resources(module.directory, "google_logging_metric")["cleanup_incomplete_runs"]
    assert _block(metric, "metric_descriptor")["metric_kind"] == "DELTA"
    log_filter = module.scope.value(metric["filter"])
    complete, incomplete = lines
    assert _log_filter_matches(log_filter, entry(incomplete))
    assert not _log_filter_matches(log_filter, entry(complete))
    assert not _log_filter_matches(log_filter, entry(incomplete, "ion-prod-outbox-relay"))
    # the service named is the session cleanup function's, the one that runs run_cleanup
    call = _labelled(_config(STACK), "module")["monitoring"]
    assert call["cleanup_service"] == '${module.function["session_cleanup"].function_name}'
    assert "run_cleanup(" in (FUNCTIONS / "session_cleanup" / "main.py").read_text()
    for env in ENVIRONMENTS:
        assert "session_cleanup" in _functions(env)


def test_the_cleanup_alert_fires_on_three_incomplete_runs_in_three_hours() -> None:
    # One incomplete run after a burst is normal (the next goes on): three hourly runs in a row.
    module = TERRAFORM / "modules" / "monitoring"
    policy = _resources(module, "google_monitoring_alert_policy")["cleanup_incomplete"]
    condition = _block(_block(policy, "conditions"), "condition_threshold")
    assert "google_logging_metric.cleanup_incomplete_runs.name" in condition["filter"]
    assert (condition["comparison"], condition["threshold_value"]) == ("COMPARISON_GT", 2)
    aggregation = _block(condition, "aggregations")
    assert aggregation["alignment_period"] == f"{3 * 3600}s"
    assert aggregation["per_series_aligner"] == "ALIGN_DELTA"
    # summed across revisions: a deploy between two runs starts another time series
    assert aggregation["cross_series_reducer"] == "REDUCE_SUM"
    assert "group_by_fields" not in aggregation
    minute, hour, *_ = _stack("prod").local("schedules")["session-cleanup"]["schedule"].split()
    assert minute.isdigit() and hour == "*", "the window counts hourly runs"


def test_crisis_turns_are_counted_from_the_line_the_chat_function_writes(caplog) -> None:
    """The log-based metric counts crisis turns by what detected them and whether the model
    answered: its filter must match the line take_turn writes for one (common.chat.service
    CRISIS_TURN) on the chat service alone, and its labels read fields that line has. A renamed
    message or field would leave the metric at 0 and both crisis alerts silent."""
    from common.chat import service
    from common.logs import formatter
    from tests.fakes import turns

    with caplog.at_level(logging.INFO, logger="common.chat.service"):
        turns.take_turn(uid="u1", message="I want to kill myself", analyze=turns.analyze_offline)
    (line,) = [
        json.loads(formatter().format(r))
        for r in caplog.records
        if r.getMessage() == service.CRISIS_TURN
    ]
    chat = "ion-prod-chat"

    def entry(service_name: str = chat) -> dict[str, Any]:
        payload = {k: v for k, v in line.items() if k != "severity"}
        resource = {"type": "cloud_run_revision", "labels": {"service_name": service_name}}
        return {"resource": resource, "severity": line["severity"], "jsonPayload": payload}

    module = Module(TERRAFORM / "modules" / "monitoring", {"chat_service": chat})
    metric = _resources(module.directory, "google_logging_metric")["crisis_turns"]
    assert _block(metric, "metric_descriptor")["metric_kind"] == "DELTA"
    log_filter = module.scope.value(metric["filter"])
    assert _log_filter_matches(log_filter, entry())
    assert not _log_filter_matches(log_filter, entry("ion-prod-feedback"))
    labels = {label["key"] for label in metric["metric_descriptor"][0]["labels"]}
    extractors = metric["label_extractors"]
    assert set(extractors) == labels == {"analyzed_by", "detected_by"}
    for label, extractor in extractors.items():
        field = re.fullmatch(r"EXTRACT\(jsonPayload\.(\w+)\)", extractor).group(1)
        assert field in line, f"{label}: the line has no {field}"
    assert line["analyzed_by"] in ("model", "baseline")  # few values: not the version
    # the service named is the chat function's
    call = _labelled(_config(STACK), "module")["monitoring"]
    assert call["chat_service"] == '${module.function["chat"].function_name}'


def test_the_crisis_alerts_watch_the_crisis_turn_count() -> None:
    # A dead crisis head: the share of the model's crisis turns the patterns alone flagged,
    # over 6 hours, with at least 10 of them; a storm: crisis turns in an hour.
    policies = _resources(TERRAFORM / "modules" / "monitoring", "google_monitoring_alert_policy")
    silent = policies["crisis_model_silent"]
    assert silent["combiner"] == "AND"
    share, enough = (_block(c, "condition_threshold") for c in silent["conditions"])
    for condition in (share, enough):
        assert "google_logging_metric.crisis_turns.name" in condition["filter"]
        assert 'metric.labels.analyzed_by = "model"' in condition["filter"]
        assert _block(condition, "aggregations")["alignment_period"] == f"{6 * 3600}s"
    assert 'metric.labels.detected_by = "patterns"' in share["filter"]
    assert "detected_by" not in share["denominator_filter"]
    assert "var.thresholds.crisis_patterns_only_share" in str(share["threshold_value"])
    assert (enough["comparison"], enough["threshold_value"]) == ("COMPARISON_GT", 9)
    storm = _block(_block(policies["crisis_storm"], "conditions"), "condition_threshold")
    assert "google_logging_metric.crisis_turns.name" in storm["filter"]
    assert "labels" not in storm["filter"]  # every crisis turn
    assert _block(storm, "aggregations")["alignment_period"] == "3600s"
    assert "var.thresholds.crisis_turns_per_hour" in str(storm["threshold_value"])


def test_the_stacks_alert_thresholds_default_as_the_monitoring_modules() -> None:
    # The operator's alerting_config.thresholds and the module's thresholds each declare every
    # default (the stack's type is the interface an operator reads): they must not drift apart.
    module = _labelled(_config(TERRAFORM / "modules" / "monitoring"), "variable")["thresholds"]
    stack = _labelled(_config(STACK), "variable")["alerting_config"]
    defaults = _apply_type({}, _parse_type(module["type"]))
    assert _apply_type({}, _parse_type(stack["type"]))["thresholds"] == defaults


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_cloud_builds_values_for_the_budget_and_the_alerts_reach_the_monitoring(env: str) -> None:
    # Cloud Build passes _BILLING_ACCOUNT and _ALERT_EMAILS on every apply: "" is no budget,
    # an account is one, and the emails are the alerts' channels.
    def monitoring(**arguments: Any) -> dict[str, Any]:
        root = Module(TERRAFORM / "environments" / env, arguments)
        (call,) = root.calls
        return root.child(call).instances("modules/monitoring")["monitoring"]

    emails = ["oncall@example.com"]
    assert monitoring(billing_account="", notification_emails=emails)["budget"] is None
    budget = monitoring(billing_account="0A0A0A-0A0A0A-0A0A0A", notification_emails=emails)
    assert budget["budget"]["billing_account"] == "0A0A0A-0A0A0A-0A0A0A"
    assert (
        monitoring(billing_account="", notification_emails=emails)["notification_emails"] == emails
    )
    build = (REPO / "cloudbuild.yaml").read_text()
    for flag in (
        "-var=notification_emails=${_ALERT_EMAILS}",
        "-var=billing_account=${_BILLING_ACCOUNT}",
    ):
        assert flag in build


def test_prods_example_values_pass_its_validations() -> None:
    """The example is copied for the first targeted apply (docs/OPERATIONS.md, step 5), which
    plans with prod's validations: an example that leaves notification_emails out fails it."""
    root = TERRAFORM / "environments" / "prod"
    example = hcl2.loads((root / "terraform.tfvars.example").read_text())
    module = Module(root, example)
    for name, body in module.variables.items():
        for validation in body.get("validation", []):
            assert module.scope.value(validation["condition"]) is True, name


def test_prod_refuses_to_plan_with_no_one_to_alert() -> None:
    root = Module(TERRAFORM / "environments" / "prod")
    validation = _block(root.variables["notification_emails"], "validation")
    for emails, valid in (([], False), (["oncall@example.com"], True)):
        checked = Module(TERRAFORM / "environments" / "prod", {"notification_emails": emails})
        assert checked.scope.value(validation["condition"]) is valid


# Values the code refuses when it starts: Settings (common/config.py) reads whole numbers and at
# most 30 days of cool-down; the retraining job int()s RETRAIN_CANARY_PERCENT.
REFUSED_AT_START = (
    ("app_config", "context_window_turns", 2.5),
    ("app_config", "session_ttl_hours", 1.5),
    ("app_config", "reengagement_cooldown_days", 7.5),
    ("app_config", "reengagement_cooldown_days", 31),
    ("model_config", "canary_percent", 12.5),
)


def _plan_stack_variables(directory: Path, values: dict[str, Any]) -> subprocess.CompletedProcess:
    """`terraform plan` of the stack's variables alone: their validations run, and with no
    provider nor resource it needs no `terraform init` and no network."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not on PATH")
    shutil.copy(STACK / "variables.tf", directory)
    required = {"env": "dev", "prefix": "ion-dev", "project_id": "p", "region": "us-central1"}
    (directory / "terraform.tfvars.json").write_text(json.dumps(required | values))
    return subprocess.run(
        [terraform, f"-chdir={directory}", "plan", "-input=false", "-no-color"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},
    )


@pytest.mark.parametrize(("variable", "attribute", "value"), REFUSED_AT_START)
def test_the_plan_refuses_what_the_functions_would_refuse_at_start(
    tmp_path: Path, variable: str, attribute: str, value: float
) -> None:
    """Otherwise the plan is green and the deploy fails part-way, on the first function that
    starts with the value."""
    if variable == "app_config":  # as Terraform renders it into the environment
        with pytest.raises(ValidationError):
            Settings(**{attribute: str(value)})
    else:
        with pytest.raises(ValueError):
            int(str(value))
    result = _plan_stack_variables(tmp_path, {variable: {attribute: value}})
    assert result.returncode != 0, f"{variable}.{attribute} = {value} plans"
    assert attribute in result.stderr and "Invalid value for variable" in result.stderr


def test_the_plan_takes_the_bounds_the_functions_take(tmp_path: Path) -> None:
    bounds = {"context_window_turns": 20, "reengagement_cooldown_days": 30, "session_ttl_hours": 1}
    Settings(**{k: str(v) for k, v in bounds.items()})
    values = {"app_config": bounds, "model_config": {"canary_percent": 100}}
    result = _plan_stack_variables(tmp_path, values)
    assert result.returncode == 0, result.stderr


# checkov's CMEK checks, by the resource type each checks.
CMEK_CHECKS = {
    "google_artifact_registry_repository": "CKV_GCP_84",
    "google_bigquery_dataset": "CKV_GCP_81",
    "google_bigquery_table": "CKV_GCP_80",
    "google_pubsub_topic": "CKV_GCP_83",
    "google_vertex_ai_endpoint": "CKV2_GCP_24",
}


def test_cmek_is_refused_and_its_checks_are_skipped_not_passed_by_a_null_key() -> None:
    """One kms_key_name for all could not work (a US multi-region dataset, a regional registry
    and endpoint, no service agent granted the key, the endpoint's key fixed at creation): the
    variable refuses a value (terraform/README.md, Encryption). No resource takes a key, so
    checkov's CMEK checks are skipped with a reason, not passed by a key attribute that is null."""
    resource = re.compile(r'^resource "(\w+)" "(\w+)" \{\n(.*?)^\}', re.M | re.S)
    skipped = set()
    for path in _tf_files():
        for resource_type, name, body in resource.findall(path.read_text()):
            where = f"{path.relative_to(TERRAFORM)}: {resource_type}.{name}"
            assert not re.search(r"kms_key_name|encryption_(configuration|spec)", body), where
            if resource_type in CMEK_CHECKS:
                assert f"#checkov:skip={CMEK_CHECKS[resource_type]}:" in body, where
                skipped.add(resource_type)
    assert skipped == set(CMEK_CHECKS)
    variable = _stack("prod").variables["kms_key_name"]
    assert "validation" in variable, "kms_key_name takes a key that nothing can use"
    for key, valid in ((None, True), ("projects/p/locations/us/keyRings/r/cryptoKeys/k", False)):
        checked = Module(STACK, {"kms_key_name": key})
        assert checked.scope.value(_block(variable, "validation")["condition"]) is valid


# --- conventions -------------------------------------------------------------------------------


def test_function_bundles_are_named_by_content_hash() -> None:
    objects = _resources(TERRAFORM / "modules" / "function", "google_storage_bucket_object")
    assert len(objects) == 1, "modules/function must upload exactly one bundle object"
    (bundle,) = objects.values()
    assert re.search(r"data\.archive_file\.\w+\.output_(md5|sha\w*)", bundle["name"])


@pytest.mark.parametrize("directory", _tf_dirs(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_variables_and_outputs_are_sorted(directory: Path) -> None:
    for block_type in ("variable", "output"):
        names = [name for block in _config(directory).get(block_type, []) for name in block]
        for path in sorted(directory.glob("*.tf")):
            file_names = [n for b in _load(path).get(block_type, []) for n in b]
            assert file_names == sorted(file_names), f"{path.name}: {block_type}s not sorted"
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


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_cleanup_job_may_change_the_events_table_and_its_retention_choices_only(
    env: str,
) -> None:
    assert _stack(env).local("function_specs")["session_cleanup"]["dataset_role"] is None
    # the member is the session_cleanup function's account (_function_grants resolves it)
    grants = [
        body
        for function, body, _ in _function_grants(_stack(env), "google_bigquery_table_iam_member")
        if function == "session_cleanup"
    ]
    assert {g["role"] for g in grants} == {"roles/bigquery.dataEditor"}
    assert sorted(TABLE_OUTPUTS[g["table_id"]] for g in grants) == ["events", "retention_choices"]


def test_every_dead_letter_topic_lets_the_pubsub_service_agent_publish() -> None:
    text = (STACK / "pubsub.tf").read_text()
    targets = set(re.findall(r"topic\s*=\s*module\.(\w+)\.id", text))
    assert targets == {"events_dead_letter", "notifications_dead_letter"}, targets
    for name in targets:
        block = text.split(f'module "{name}" {{', 1)[1].split("\n}\n", 1)[0]
        assert re.search(r"receives_dead_letters\s*=\s*true", block), name


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_a_consumers_once_only_records_outlive_a_dead_letters_replay(env: str) -> None:
    """The profile updater's applied_events and the push sender's push_notifications records are
    kept for as long as a message may come back (common.events.REDELIVERY_WINDOW), counted from
    these retentions: a longer one here let a late replay apply an event twice."""
    from common.events import DEAD_LETTER_RETENTION, SUBSCRIPTION_RETENTION

    def kept(module: str) -> set[int]:
        subscriptions = _stack(env).child(module).variable("subscriptions")
        return {
            int(s["message_retention_duration"].removesuffix("s")) for s in subscriptions.values()
        }

    assert kept("events") | kept("notifications") == {SUBSCRIPTION_RETENTION.total_seconds()}
    dead_letters = kept("events_dead_letter") | kept("notifications_dead_letter")
    assert dead_letters == {DEAD_LETTER_RETENTION.total_seconds()}


def test_the_analytics_key_secret_cannot_be_destroyed_by_a_plan() -> None:
    """Destroying the secret (a renamed id, a changed replication: both replace it) destroys
    every version of the HMAC key the analytics user keys were derived from."""
    secret = _resources(STACK, "google_secret_manager_secret")["secrets"]
    assert "lifecycle" in secret, "a plan may destroy the analytics key"
    assert _block(secret, "lifecycle").get("prevent_destroy") is True
    assert "analytics-key" in _stack("prod").scope.value(secret["for_each"])


def test_a_destroyed_analytics_key_version_can_be_restored_for_a_week() -> None:
    """Rotation step 5 has the operator type a version number to destroy: a wrong one (the
    current key, which the functions read as `latest`) was destroyed at once, and every user
    key derived from it could never be matched to a user again. With a destroy TTL the
    version is disabled and destroyed a week later; re-enabled meanwhile, it stays."""
    secret = _resources(STACK, "google_secret_manager_secret")["secrets"]
    assert secret["version_destroy_ttl"] == f"{7 * 24 * 3600}s"
    rotation = (REPO / "docs" / "OPERATIONS.md").read_text().split("## Rotate the analytics key")
    assert "gcloud secrets versions enable" in rotation[1].split("\n## ")[0]


def test_the_functions_that_need_the_analytics_key_check_it_at_start() -> None:
    checks = {
        name
        for name in _function_folders()
        if "require_analytics_key()" in (FUNCTIONS / name / "main.py").read_text()
    }
    assert checks == NEEDS_ANALYTICS_KEY


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_functions_service_account_id_is_one_gcp_accepts(env: str) -> None:
    # 6-30 characters (the module's precondition): prod's notification_producers account was
    # "ion-prod-notification-producers", 31, and stopped every plan of prod.
    for name, function in _functions(env).items():
        account = function["service_account_config"]["account_id"]
        account = account or f"{function['prefix']}-{name.replace('_', '-')}"
        assert re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", account), (env, account)


def test_the_access_log_bucket_lets_cloud_storage_write_its_logs() -> None:
    # Uniform bucket-level access: without this binding the logged buckets log nothing.
    bindings = _resources(TERRAFORM / "stack", "google_storage_bucket_iam_member")
    writer = bindings["access_log_writer"]
    assert writer["bucket"] == "${google_storage_bucket.access_logs.name}"
    assert (writer["role"], writer["member"]) == (
        "roles/storage.objectCreator",
        "group:cloud-storage-analytics@google.com",
    )


def test_request_logs_of_device_deletes_are_not_stored() -> None:
    """DELETE /v2/devices/{token} carries a raw FCM token in its URL: the gateway's and Cloud
    Run's request logs would keep it past the user's erasure (the privacy review)."""
    routes = (FUNCTIONS / "devices" / "main.py").read_text()
    assert '"/v2/devices/<token>"' in routes  # the route the filter names
    exclusion = _resources(STACK, "google_logging_project_exclusion")["device_tokens_in_urls"]
    assert exclusion["filter"] == (
        '(httpRequest.requestMethod="DELETE" AND httpRequest.requestUrl:"/v2/devices/") OR '
        '(jsonPayload.http_method="DELETE" AND jsonPayload.url:"/v2/devices/")'
    )


def test_request_logs_of_refused_requests_are_sampled_and_log_volume_alerts() -> None:
    """A flood of refused requests (401, 403, 429) wrote a ~1.5 KB request entry each: 99 % are
    not stored, and an alert watches the bytes ingested (the log-cost review)."""
    exclusion = _resources(STACK, "google_logging_project_exclusion")["refused_requests"]
    assert exclusion["filter"] == (
        'resource.type="cloud_run_revision" AND log_id("run.googleapis.com/requests") AND '
        "httpRequest.status=(401 OR 403 OR 429) AND "
        'resource.labels.service_name!="${module.function["insights"].function_name}" AND '
        "sample(insertId, 0.99)"
    )
    # but the insights function's: a refusal there is an attempt on the operators' data (the
    # access review), and the function is deployed everywhere
    for env in ENVIRONMENTS:
        assert "insights" in _functions(env)
    module = TERRAFORM / "modules" / "monitoring"
    # no alert or log-based metric reads the entries it drops
    for kind in ("google_monitoring_alert_policy", "google_logging_metric"):
        assert "run.googleapis.com/requests" not in json.dumps(_resources(module, kind))
    policy = _resources(module, "google_monitoring_alert_policy")["log_volume"]
    condition = _block(_block(policy, "conditions"), "condition_threshold")
    assert 'metric.type = "logging.googleapis.com/billing/bytes_ingested"' in condition["filter"]
    assert "var.thresholds.log_gib_per_hour" in str(condition["threshold_value"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_successful_push_deliveries_of_events_leave_no_request_log(env: str) -> None:
    """Cloud Run logs each Pub/Sub push delivery: ~2.85 entries a turn, most of a turn's log
    volume at load C (docs/CAPACITY.md, section 5; the observability review). Those that
    succeeded are not stored; a failed one (non-2xx) and every API request still are."""
    exclusion = _resources(STACK, "google_logging_project_exclusion")["delivered_events"]
    for part in (
        'resource.type="cloud_run_revision"',
        'log_id("run.googleapis.com/requests")',
        "httpRequest.status<300",
        'join(" OR ", local.event_consumer_services)',
    ):
        assert part in exclusion["filter"]
    stack = _stack(env)
    consumers = set(stack.local("push_subscriptions")["events"].values())
    assert consumers == {"analytics_sink", "profile_updater"}
    assert {stack.local("functions")[fn]["kind"] for fn in consumers} == {"push"}  # no API
    assert len(stack.local("event_consumer_services")) == len(consumers)  # one term each


def test_deleted_analytics_rows_leave_time_travel_as_early_as_bigquery_allows() -> None:
    # An erasure's or a retention's deleted rows stay readable in time travel (the default is 7
    # days); 48 h is BigQuery's least (the retention review, 2026-12-06).
    (dataset,) = _resources(TERRAFORM / "modules" / "bigquery", "google_bigquery_dataset").values()
    assert dataset["max_time_travel_hours"] == 48


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_files_an_operator_creates_are_ignored_by_git(tmp_path: Path) -> None:
    """docs/OPERATIONS.md: `cp terraform.tfvars.example terraform.tfvars` (the billing account,
    the on-call e-mails) and `terraform plan -out=tfplan`; neither belongs in a commit. The
    example and the provider lock file do. Checked in a scratch repository with this
    .gitignore (a build's source may come without .git)."""
    shutil.copy(REPO / ".gitignore", tmp_path / ".gitignore")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    root = "terraform/environments"
    paths = {
        f"{root}/prod/terraform.tfvars": True,
        f"{root}/dev/tfplan": True,
        f"{root}/dev/terraform.tfvars.example": False,
        f"{root}/dev/.terraform.lock.hcl": False,
    }
    for path, ignored in paths.items():
        check = subprocess.run(["git", "-C", str(tmp_path), "check-ignore", "-q", path])
        assert check.returncode == (0 if ignored else 1), path


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_finished_erasure_is_kept_in_the_erasure_log(env: str, caplog) -> None:
    """The `erasure done` line is the only record outside Firestore of whom a restore of the
    database must erase again (OPERATIONS.md, "Restore Firestore"): the sink's filter must
    match the line erase_user writes, as common.logs formats it, and the bucket keep it longer
    than the 30 days of _Default. A renamed logger or message would keep nothing."""
    from datetime import UTC, datetime

    from common.adapters.firestore_profiles import erase_user
    from common.logs import formatter
    from tests.fakes.firestore_rpc import FirestoreRpc

    with caplog.at_level(logging.INFO):
        now = datetime(2026, 12, 6, 12, tzinfo=UTC)
        erase_user(
            FirestoreRpc(queries=True).client, uid="u1", ukey="k1", now=now, requested_by="user"
        )
    lines = [json.loads(formatter().format(r)) for r in caplog.records]
    erased = [line for line in lines if line["message"] == "erasure done"]
    assert len(erased) == 1

    def entry(line: dict[str, Any]) -> dict[str, Any]:
        payload = {k: v for k, v in line.items() if k != "severity"}
        resource = {"type": "cloud_run_revision", "labels": {"service_name": "ion-prod-profile"}}
        return {"resource": resource, "severity": line["severity"], "jsonPayload": payload}

    stack = _stack(env)
    sink = _resources(STACK, "google_logging_project_sink")["erasures"]
    log_filter = stack.scope.value(sink["filter"])
    assert _log_filter_matches(log_filter, entry(erased[0]))
    others = [entry(line) for line in lines if line not in erased]
    others.append(entry({**erased[0], "logger": "common.cleanup"}))  # another's line
    assert not any(_log_filter_matches(log_filter, e) for e in others)
    bucket = _resources(STACK, "google_logging_project_bucket_config")["erasures"]
    assert sink["destination"] == (
        "logging.googleapis.com/${google_logging_project_bucket_config.erasures.id}"
    )
    # As long as a restore needs the lines, and a month to notice: the oldest backup in prod,
    # 7 days of point-in-time recovery without backups (a key, a uid list: it names the user).
    assert stack.scope.value(bucket["retention_days"]) == {"prod": 14 + 30, "dev": 7 + 30}[env]
    # A value set by hand must still outlive the oldest backup; none set is valid.
    checks = _stack(env).variables["firestore_config"]["validation"]
    cases = ((None, 14, True), (14, 14, True), (13, 14, False), (7, None, True), (0, None, False))
    for days, backups, valid in cases:
        config = {"erasure_log_retention_days": days, "backup_retention_days": backups}
        checked = Module(STACK, {"firestore_config": config})
        assert all(checked.scope.value(c["condition"]) for c in checks) is valid, config
    assert _block(bucket, "lifecycle").get("prevent_destroy") is True
    # A log bucket of the sink's own project: the sink has no writer identity to grant anything.
    assert not any("writer_identity" in path.read_text() for path in STACK.glob("*.tf"))


# The services holding personal data whose data access audit logs are on (the access review):
# conversations and profiles, the analytics key, the accounts, the events.
PERSONAL_DATA_SERVICES = {
    "datastore.googleapis.com",  # configures Firestore's too (its entries say firestore.)
    "identitytoolkit.googleapis.com",
    "pubsub.googleapis.com",
    "secretmanager.googleapis.com",
}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_data_access_to_personal_data_is_audit_logged(env: str) -> None:
    """Data access audit logs are off by default: who read Firestore, the analytics key or the
    Auth accounts left no trace. On for reads and writes of each service; the functions'
    own accounts exempted where every request or event would write entries (they act for the
    request, which is logged), and no one from Secret Manager's."""
    (config,) = _resources(STACK, "google_project_iam_audit_config").values()
    assert (config["for_each"], config["service"]) == ("${local.data_access_audit}", "${each.key}")
    (dynamic,) = config["dynamic"]
    block = dynamic["audit_log_config"]
    assert block["for_each"] == ["DATA_READ", "DATA_WRITE"]
    assert _block(block, "content") == {
        "log_type": "${audit_log_config.value}",
        "exempted_members": "${each.value}",
    }
    stack = _stack(env)
    audited = stack.local("data_access_audit")
    assert set(audited) == PERSONAL_DATA_SERVICES
    assert audited["secretmanager.googleapis.com"] == []
    # the function accounts (module outputs, unknown here: the expression, one per function)
    accounts = next(
        b["function_accounts"] for b in _config(STACK)["locals"] if "function_accounts" in b
    )
    assert accounts == (
        "${[for name in keys(local.functions) : module.function[name].service_account_iam_email]}"
    )
    for service in PERSONAL_DATA_SERVICES - {"secretmanager.googleapis.com"}:
        assert len(audited[service]) == len(stack.local("functions")), service


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_data_access_audit_entries_are_kept_in_the_access_log(env: str) -> None:
    """_Default keeps audit entries 30 days: the access log bucket keeps them about 13 months."""
    sink = _resources(STACK, "google_logging_project_sink")["data_access"]
    log_filter = _stack(env).scope.value(sink["filter"])

    def entry(log: str, service: str = "firestore.googleapis.com") -> dict[str, Any]:
        payload = {"serviceName": service, "authenticationInfo": {"principalEmail": "a@b.c"}}
        return {
            "logName": f"projects/p/logs/cloudaudit.googleapis.com%2F{log}",
            "protoPayload": payload,
        }

    for service in ("firestore.googleapis.com", "secretmanager.googleapis.com"):
        assert _log_filter_matches(log_filter, entry("data_access", service))
    assert not _log_filter_matches(log_filter, entry("activity"))  # _Required keeps it 400 days
    assert not _log_filter_matches(
        log_filter, {"logName": "projects/p/logs/run.googleapis.com%2Fstdout"}
    )
    assert sink["destination"] == (
        "logging.googleapis.com/${google_logging_project_bucket_config.access.id}"
    )
    bucket = _resources(STACK, "google_logging_project_bucket_config")["access"]
    assert _stack(env).scope.value(bucket["retention_days"]) >= 365
    assert _block(bucket, "lifecycle").get("prevent_destroy") is True


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_operators_read_of_a_metric_is_kept_in_the_access_log(env: str, caplog) -> None:
    """The `operator access` line (who read which metric's rows) goes to the access log bucket
    with the data access audit entries; a refusal's line and other lines do not."""
    from common.auth import Caller
    from common.errors import Forbidden
    from common.insights import access
    from common.logs import formatter

    operator = Caller(uid="op-1", claims={"role": "operator", "email": "ops@example.com"})
    with caplog.at_level(logging.INFO):
        access.log_read(operator, metric="vip_users", served={"from": None, "to": None, "rows": []})
        access.require_operator(operator)
        with pytest.raises(Forbidden):  # a uid of its own: the refusals' throttle is per uid
            access.require_operator(Caller(uid=f"refused-in-{env}"))
    lines = [json.loads(formatter().format(r)) for r in caplog.records]
    read, refused = lines
    resource = {"type": "cloud_run_revision", "labels": {"service_name": "ion-prod-insights"}}
    sink = _resources(STACK, "google_logging_project_sink")["operator_access"]
    log_filter = _stack(env).scope.value(sink["filter"])
    assert _log_filter_matches(log_filter, _line_entry(read, resource))
    assert not _log_filter_matches(log_filter, _line_entry(refused, resource))
    other = {**read, "logger": "common.cleanup"}
    assert not _log_filter_matches(log_filter, _line_entry(other, resource))
    assert sink["destination"] == (
        "logging.googleapis.com/${google_logging_project_bucket_config.access.id}"
    )


def _line_entry(line: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
    """The log entry Cloud Logging makes of one JSON line: its severity, the rest jsonPayload."""
    payload = {k: v for k, v in line.items() if k != "severity"}
    return {"resource": resource, "severity": line["severity"], "jsonPayload": payload}


def test_each_dead_letter_alert_also_fires_on_new_letters_while_old_ones_are_held() -> None:
    """The backlog condition stays true while the runbook holds letters back (up to 31 days),
    and its open incident hid every new letter: each dead-letter topic's policy also counts new
    arrivals, publishes on the topic (the analytics sink's own) and Pub/Sub's dead-lettering from
    the subscriptions that send there, over 10 minutes."""
    module = TERRAFORM / "modules" / "monitoring"
    policy = _resources(module, "google_monitoring_alert_policy")["dead_letter_backlog"]
    conditions = [_block(c, "condition_threshold") for c in policy["conditions"]]
    (dynamic,) = policy["dynamic"]  # no condition when no consumer dead-letters there
    assert dynamic["conditions"]["for_each"] == "${length(each.value) > 0 ? [each.value] : []}"
    dead_lettered = _block(_block(dynamic["conditions"], "content"), "condition_threshold")
    backlog, topic = conditions
    assert "subscription/num_undelivered_messages" in backlog["filter"]
    assert 'resource.type = "pubsub_topic"' in topic["filter"]
    assert 'resource.labels.topic_id = "${each.key}"' in topic["filter"]
    assert 'metric.type = "pubsub.googleapis.com/topic/send_request_count"' in topic["filter"]
    assert 'resource.type = "pubsub_subscription"' in dead_lettered["filter"]
    assert "subscription/dead_letter_message_count" in dead_lettered["filter"]
    assert "conditions.value" in dead_lettered["filter"]  # the subscriptions sending there
    for condition in (topic, dead_lettered):
        assert (condition["comparison"], condition["threshold_value"]) == ("COMPARISON_GT", 0)
        aggregation = _block(condition, "aggregations")
        assert aggregation["alignment_period"] == "600s"
        assert aggregation["per_series_aligner"] == "ALIGN_DELTA"
    # each dead-letter topic is told the subscriptions that dead-letter to it
    monitoring = _stack("prod").instances("modules/monitoring")["monitoring"]
    assert monitoring["dead_letters"] == {
        "events-dead-letter": ["events-analytics-sink", "events-profile-updater"],
        "notifications-dead-letter": ["notifications-push-sender"],
    }


def test_failed_pushes_are_counted_from_the_lines_the_push_sender_writes(caplog) -> None:
    """The failed pushes' metric matches the `push` line of a push that failed, by reason, on
    the push sender alone, and not a sent one's; its alert reads retries_exhausted only (a
    user's dead tokens end all_devices_failed, routine), over an hour."""
    from common.logs import formatter
    from common.push.service import PUSH_LINE, Outcome, outcome_fields
    from tests.unit.test_push_service import Store, _backlog

    (note,) = _backlog(Store({}), 1)
    log = logging.getLogger("common.push.service")
    with caplog.at_level(logging.INFO, logger="common.push.service"):
        for outcome in (Outcome("failed", "retries_exhausted"), Outcome("sent", sent=1)):
            log.info(PUSH_LINE, extra=outcome_fields(note, outcome))
    failed, sent = (json.loads(formatter().format(r)) for r in caplog.records)
    service = "ion-prod-push-sender"

    def entry(line: dict[str, Any], name: str = service) -> dict[str, Any]:
        return _line_entry(line, {"type": "cloud_run_revision", "labels": {"service_name": name}})

    module = Module(TERRAFORM / "modules" / "monitoring", {"push_sender_service": service})
    metric = _resources(module.directory, "google_logging_metric")["failed_pushes"]
    log_filter = module.scope.value(metric["filter"])
    assert _log_filter_matches(log_filter, entry(failed))
    assert not _log_filter_matches(log_filter, entry(sent))
    assert not _log_filter_matches(log_filter, entry(failed, "ion-prod-chat"))
    assert metric["label_extractors"] == {"reason": "EXTRACT(jsonPayload.reason)"}
    assert failed["reason"] == "retries_exhausted"
    call = _labelled(_config(STACK), "module")["monitoring"]
    assert call["push_sender_service"] == '${module.function["push_sender"].function_name}'

    policy = _resources(module.directory, "google_monitoring_alert_policy")["pushes_failing"]
    condition = _block(_block(policy, "conditions"), "condition_threshold")
    assert "google_logging_metric.failed_pushes.name" in condition["filter"]
    assert 'metric.labels.reason = "retries_exhausted"' in condition["filter"]
    assert "var.thresholds.push_retries_exhausted" in str(condition["threshold_value"])
    assert _block(condition, "aggregations")["alignment_period"] == "3600s"


def test_incomplete_weekly_insight_runs_are_counted_and_four_in_a_row_alert(caplog) -> None:
    """The metric matches the WARNING a weekly insight run that ran out of pages writes, not a
    complete run's; the alert fires when all four Sunday runs (4 hours) ended so."""
    from common.logs import formatter
    from tests.unit.test_notification_producers import Audience, Publisher, _population, _weekly

    with caplog.at_level(logging.INFO, logger="common.notifications.service"):
        _weekly(Audience(_population()), Publisher(), page_size=10, max_pages=1)
        _weekly(Audience(_population()), Publisher(), page_size=200)
    lines = [json.loads(formatter().format(r)) for r in caplog.records if hasattr(r, "report")]
    incomplete, complete = lines
    service = "ion-prod-notification-producers"
    resource = {"type": "cloud_run_revision", "labels": {"service_name": service}}
    module = Module(TERRAFORM / "modules" / "monitoring", {"notification_service": service})
    metric = _resources(module.directory, "google_logging_metric")["weekly_insight_incomplete_runs"]
    log_filter = module.scope.value(metric["filter"])
    assert _log_filter_matches(log_filter, _line_entry(incomplete, resource))
    assert not _log_filter_matches(log_filter, _line_entry(complete, resource))
    call = _labelled(_config(STACK), "module")["monitoring"]
    assert call["notification_service"] == (
        '${module.function["notification_producers"].function_name}'
    )
    policy = _resources(module.directory, "google_monitoring_alert_policy")[
        "weekly_insight_incomplete"
    ]
    condition = _block(_block(policy, "conditions"), "condition_threshold")
    assert "google_logging_metric.weekly_insight_incomplete_runs.name" in condition["filter"]
    assert (condition["comparison"], condition["threshold_value"]) == ("COMPARISON_GT", 3)
    assert _block(condition, "aggregations")["alignment_period"] == f"{4 * 3600}s"
    assert _stack("prod").local("schedules")["notification-weekly-insight"]["schedule"] == (
        "0 18-21 * * 0"
    )


def test_a_failed_retraining_execution_and_a_waiting_canary_alert() -> None:
    """The job's printed crash has no severity: the job_failed policy also counts executions
    whose result is failed; and the job's summary line with a canary pending matches the
    canary alert, a run that promoted nothing does not."""
    from model_serving.retrain import summary_line

    policies = _resources(TERRAFORM / "modules" / "monitoring", "google_monitoring_alert_policy")
    thresholds = [
        _block(c, "condition_threshold")
        for c in policies["job_failed"]["conditions"]
        if "condition_threshold" in c
    ]
    (executions,) = thresholds
    assert 'resource.type = "cloud_run_job"' in executions["filter"]
    assert "run.googleapis.com/job/completed_execution_count" in executions["filter"]
    assert 'metric.labels.result = "failed"' in executions["filter"]
    assert (executions["comparison"], executions["threshold_value"]) == ("COMPARISON_GT", 0)

    matched = _block(_block(policies["canary_pending"], "conditions"), "condition_matched_log")
    resource = {"type": "cloud_run_job"}
    report = {"champion": {"version": "pm-old"}, "challenger": {"version": "pm-new"}}
    pending = json.loads(
        summary_line(report | {"promoted": True, "deployment": {"canary_pending": "pm-older"}})
    )
    deployed = json.loads(summary_line(report | {"promoted": True, "deployment": {}}))
    rejected = json.loads(summary_line(report | {"promoted": False, "deployment": None}))
    assert _log_filter_matches(matched["filter"], _line_entry(pending, resource))
    assert not _log_filter_matches(matched["filter"], _line_entry(deployed, resource))
    assert not _log_filter_matches(matched["filter"], _line_entry(rejected, resource))
