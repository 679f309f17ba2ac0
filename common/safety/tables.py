"""The helpline tables of common/data (crisis resources, violence at home, poisoning, harm to
others), each read once and keyed by lowercase locale, and the versions a crisis event records.
Which entry a request reads is common.safety.locales'."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

RESOURCES_FILE = Path(__file__).parents[1] / "data" / "crisis_resources.json"
# The lines for violence at home, read by the same rules (resource_key), for a crisis turn
# whose patterns say someone hurts the user (kind "violence").
VIOLENCE_FILE = Path(__file__).parents[1] / "data" / "violence_resources.json"
# The lines for poisoning and urgent medical advice (NHS 111), read by the same rules, for an
# emergency or a crisis whose patterns say something was swallowed or taken (tag "taken").
POISON_FILE = Path(__file__).parents[1] / "data" / "poison_resources.json"

Table = dict[str, tuple[str, ...]]


def _read(path: Path) -> Table:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {k.lower(): tuple(v) for k, v in raw.items() if not k.startswith("_")}


@cache
def _resources() -> Table:
    return _read(RESOURCES_FILE)


@cache
def _violence() -> Table:
    return _read(VIOLENCE_FILE)


@cache
def _poison() -> Table:
    return _read(POISON_FILE)


@cache
def resources_version() -> str:
    """The resources file's version as a crisis event records it (the first 12 hex digits of
    its sha256): with resource_key it names the lines a user was shown, whatever the file
    says since."""
    return hashlib.sha256(RESOURCES_FILE.read_bytes()).hexdigest()[:12]


@cache
def violence_version() -> str:
    """The violence lines' file's version, as resources_version."""
    return hashlib.sha256(VIOLENCE_FILE.read_bytes()).hexdigest()[:12]


# The lines for harm to others (kind harm_to_others: "I'm going to kill my wife tonight", "I
# shook the baby"), apart from the user's own crisis: for people worried about their own
# behaviour, and child protection (common.safety.harm_to_others).
HARM_FILE = Path(__file__).parents[1] / "data" / "harm_to_others_resources.json"


def _harm_section(name: str) -> Table:
    raw = json.loads(HARM_FILE.read_text(encoding="utf-8"))[name]
    return {k.lower(): tuple(v) for k, v in raw.items()}


@cache
def _harm_own() -> Table:
    return _harm_section("own_behaviour")


@cache
def _harm_child() -> Table:
    return _harm_section("child")
