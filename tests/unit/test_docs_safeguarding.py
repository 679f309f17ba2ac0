"""README says who the backend is for and what it does for a young person who discloses abuse:
it stores no age, gives the crisis reply with the violence and child lines, and reports to no
one (the minors review of 2026-12-07)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_readme_has_an_audience_and_safeguarding_section():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Audience and safeguarding")
    section = " ".join(readme[start : readme.index("\n## ", start + 1)].split())
    assert "stores no age and checks none" in section
    assert "product decision" in section
    assert "child line" in section and "violence at home" in section
    assert "reports nothing to anyone" in section and "24 h" in section


def test_clients_are_told_to_show_an_ai_disclosure_at_session_start():
    # The boundaries review: "are you a real person?" got study steps, and nothing told the
    # apps to say the mentors are an AI (California SB 243; EU AI Act Art. 50(1)).
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Audience and safeguarding")
    section = " ".join(readme[start : readme.index("\n## ", start + 1)].split())
    assert "AI disclosure at the start of every session" in section
    assert "SB 243" in section and "Art. 50(1)" in section and "2 August 2026" in section
    api = " ".join((REPO / "openapi.yaml").read_text(encoding="utf-8").split())
    assert "show an AI disclosure at the start of each session" in api
