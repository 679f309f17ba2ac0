"""The helpline tables of common/data (crisis resources, violence at home, poisoning, harm to
others), each read once and keyed by lowercase locale, and the versions a crisis event records.
Which entry a request reads is common.safety.locales'."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

_DATA = Path(__file__).parents[1] / "data"
RESOURCES_FILE = _DATA / "crisis_resources.json"
# The lines for violence at home, read by the same rules (resource_key), for a crisis turn
# whose patterns say someone hurts the user (kind "violence").
VIOLENCE_FILE = _DATA / "violence_resources.json"
# The lines for poisoning and urgent medical advice (NHS 111), read by the same rules, for an
# emergency or a crisis whose patterns say something was swallowed or taken (tag "taken").
POISON_FILE = _DATA / "poison_resources.json"

Table = dict[str, tuple[str, ...]]


def read_table(path: Path, section: str | None = None) -> Table:
    """The table of the file at `path`, or of one `section` of it, keyed in lowercase; a key
    that starts with "_" is a note for operators, not a locale."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    entries = raw if section is None else raw[section]
    return {k.lower(): tuple(v) for k, v in entries.items() if not k.startswith("_")}


def _version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@cache
def _resources() -> Table:
    return read_table(RESOURCES_FILE)


@cache
def _violence() -> Table:
    return read_table(VIOLENCE_FILE)


@cache
def _poison() -> Table:
    return read_table(POISON_FILE)


@cache
def resources_version() -> str:
    """The resources file's version as a crisis event records it (the first 12 hex digits of
    its sha256): with resource_key it names the lines a user was shown, whatever the file
    says since."""
    return _version(RESOURCES_FILE)


@cache
def violence_version() -> str:
    """The violence lines' file's version, as resources_version."""
    return _version(VIOLENCE_FILE)


# The lines for harm to others (kind harm_to_others: "I'm going to kill my wife tonight", "I
# shook the baby"), apart from the user's own crisis: for people worried about their own
# behaviour, and child protection (common.safety.harm_to_others).
HARM_FILE = _DATA / "harm_to_others_resources.json"


@cache
def _harm_own() -> Table:
    return read_table(HARM_FILE, "own_behaviour")


@cache
def _harm_child() -> Table:
    return read_table(HARM_FILE, "child")
