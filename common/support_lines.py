"""The support lines a turn's reply may name, by locale (common/data/*_resources.json): for
recovery from alcohol or drugs, loneliness, mistreatment at work, forced labour and sexual
assault, cancer support, carers and new parents. Each is the locale's, read by the crisis
lines' rules (common.locale_lines), or none; support_lines reads them once per turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from common.locale_lines import locale_lines

_DATA = Path(__file__).parent / "data"
ADDICTION_FILE = _DATA / "addiction_resources.json"
LONELINESS_FILE = _DATA / "loneliness_resources.json"
CANCER_FILE = _DATA / "cancer_support_resources.json"  # for work and money questions
CARER_FILE = _DATA / "carer_resources.json"  # sections "carers" and "new_parents"
WORKRIGHTS_FILE = _DATA / "workrights_resources.json"  # sections "treatment" and "pay"
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
    lines = partial(locale_lines, locale=locale, default_locale=default_locale, language=language)

    return WorkHelp(
        treatment=lines(WORKRIGHTS_FILE, section="treatment"),
        pay=lines(WORKRIGHTS_FILE, section="pay"),
        exploitation=lines(EXPLOITATION_FILE),
        sexual_assault=lines(SEXUAL_ASSAULT_FILE),
    )


@dataclass(frozen=True)
class SupportLines:
    """A turn's support lines for its locale (ReplyRequest.support_lines), () where it has
    none: the template names them to a relapse or a risky choice (addiction), in its connection
    step (loneliness), to mistreatment at work (work), to a terminal prognosis (cancer), to a
    carer's strain and to low mood after a birth (carers, new_parents); Gemini's rules for
    those name all but the recovery lines."""

    addiction: tuple[str, ...] = ()
    loneliness: tuple[str, ...] = ()
    work: WorkHelp = field(default_factory=WorkHelp)
    cancer: tuple[str, ...] = ()
    carers: tuple[str, ...] = ()
    new_parents: tuple[str, ...] = ()

    def vouched(self) -> tuple[str, ...]:
        """The lines whose numbers and addresses the reply vet lets through on every turn: those
        Gemini's prompt may name, so not the recovery lines, which only the template names."""
        return (*self.loneliness, *self.work.lines, *self.cancer, *self.carers, *self.new_parents)


def support_lines(locale: str | None, *, default_locale: str) -> SupportLines:
    """The request's locale's support lines (lines_key's rules; the default locale when it
    names none)."""
    lines = partial(locale_lines, locale=locale, default_locale=default_locale)

    return SupportLines(
        addiction=lines(ADDICTION_FILE),
        loneliness=lines(LONELINESS_FILE),
        work=work_help(locale, default_locale=default_locale),
        cancer=lines(CANCER_FILE),
        carers=lines(CARER_FILE, section="carers"),
        new_parents=lines(CARER_FILE, section="new_parents"),
    )
