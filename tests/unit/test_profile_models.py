"""The profile API's models: what PATCH /v2/profile accepts."""

import pytest
from pydantic import ValidationError

from common.profile.models import ProfilePatch, QuietHours


@pytest.mark.parametrize("hhmm", ["00:00", "09:05", "19:59", "23:59"])
def test_quiet_hours_take_ascii_times(hhmm: str) -> None:
    assert QuietHours(start=hhmm, end="07:00").start == hhmm


@pytest.mark.parametrize(
    "hhmm",
    [
        "1٥:3٠",  # Arabic-Indic digits
        "1５:00",  # a fullwidth digit
        "0𝟗:00",  # a mathematical bold digit
        "۰۹:۰۰",  # Extended Arabic-Indic digits
        "24:00",
        "9:00",
        "09:00\n",
    ],
)
def test_quiet_hours_refuse_anything_but_ascii_hh_mm(hhmm: str) -> None:
    with pytest.raises(ValidationError):
        ProfilePatch.model_validate({"quiet_hours": {"start": hhmm, "end": "07:00"}})
