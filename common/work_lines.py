"""Lines for mistreatment at work, forced labour and sexual assault outside the family
(data/workrights_resources.json, exploitation_resources.json, sexual_assault_resources.json): the
locale's, read by the crisis lines' rules (common.safety.lines_key), or none."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from common.safety import lines_key

_DATA = Path(__file__).parent / "data"
WORKRIGHTS_FILE = _DATA / "workrights_resources.json"
EXPLOITATION_FILE = _DATA / "exploitation_resources.json"
SEXUAL_ASSAULT_FILE = _DATA / "sexual_assault_resources.json"

Table = dict[str, tuple[str, ...]]


def _table(raw: dict) -> Table:
    return {k.lower(): tuple(v) for k, v in raw.items() if not k.startswith("_")}


@cache
def _treatment() -> Table:
    return _table(json.loads(WORKRIGHTS_FILE.read_text(encoding="utf-8"))["treatment"])


@cache
def _pay() -> Table:
    return _table(json.loads(WORKRIGHTS_FILE.read_text(encoding="utf-8"))["pay"])


@cache
def _exploitation() -> Table:
    return _table(json.loads(EXPLOITATION_FILE.read_text(encoding="utf-8")))


@cache
def _sexual_assault() -> Table:
    return _table(json.loads(SEXUAL_ASSAULT_FILE.read_text(encoding="utf-8")))


def _lines(
    table: Callable[[], Table], locale: str | None, default_locale: str, language: str | None
) -> tuple[str, ...]:
    key = lines_key(locale, default_locale=default_locale, language=language, table=table)
    return table().get(key, ())


@dataclass(frozen=True)
class WorkHelp:
    """The locale's lines for mistreatment at work ("treatment": harassment, discrimination,
    retaliation, bullying; "pay": wages and hours), forced labour and sexual assault: what a
    reply about them may name, () where the locale has none."""

    treatment: tuple[str, ...] = ()
    pay: tuple[str, ...] = ()
    exploitation: tuple[str, ...] = ()
    sexual_assault: tuple[str, ...] = ()

    @property
    def lines(self) -> tuple[str, ...]:
        """Every line, each once: what the reply vet lets through."""
        return tuple(
            dict.fromkeys((*self.treatment, *self.pay, *self.exploitation, *self.sexual_assault))
        )

    def rights(self, kind: str) -> tuple[str, ...]:
        """The lines for a kind of mistreatment (common.replies.workrights): pay for wages and
        hours, and for exploitation the forced-labour lines first."""
        if kind == "exploitation":
            return tuple(dict.fromkeys((*self.exploitation, *self.pay)))
        return self.pay if kind == "wages_hours" else self.treatment


def work_help(locale: str | None, *, default_locale: str, language: str | None = None) -> WorkHelp:
    """The request's locale's lines (lines_key's rules; the default locale when it names none)."""
    return WorkHelp(
        treatment=_lines(_treatment, locale, default_locale, language),
        pay=_lines(_pay, locale, default_locale, language),
        exploitation=_lines(_exploitation, locale, default_locale, language),
        sexual_assault=_lines(_sexual_assault, locale, default_locale, language),
    )
