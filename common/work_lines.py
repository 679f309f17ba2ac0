"""Lines for mistreatment at work, forced labour and sexual assault outside the family
(data/workrights_resources.json, exploitation_resources.json, sexual_assault_resources.json): the
locale's, read by the crisis lines' rules (common.safety.lines_key), or none."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.locale_lines import locale_lines

_DATA = Path(__file__).parent / "data"
WORKRIGHTS_FILE = _DATA / "workrights_resources.json"
EXPLOITATION_FILE = _DATA / "exploitation_resources.json"
SEXUAL_ASSAULT_FILE = _DATA / "sexual_assault_resources.json"


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
    """The request's locale's lines (lines_key's rules, `language` a crisis's; the default
    locale when it names none)."""

    def lines(path: Path, section: str | None = None) -> tuple[str, ...]:
        return locale_lines(
            path, locale, default_locale=default_locale, section=section, language=language
        )

    return WorkHelp(
        treatment=lines(WORKRIGHTS_FILE, "treatment"),
        pay=lines(WORKRIGHTS_FILE, "pay"),
        exploitation=lines(EXPLOITATION_FILE),
        sexual_assault=lines(SEXUAL_ASSAULT_FILE),
    )
