"""What an erasure does not reach names Gemini's abuse monitoring, and the deploy says what to
settle before Gemini answers users: the care turns send it crisis messages, which its safety
classifiers may flag and Google may then log for up to 30 (or 90) days."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _section(text: str, start: str, end: str) -> str:
    """From `start` to the next `end`, its lines joined (a phrase may wrap)."""
    section = text[text.index(start) : text.index(end, text.index(start))]
    return " ".join(section.split())


def test_the_readme_says_an_erasure_does_not_reach_geminis_abuse_monitoring_logs():
    readme = (REPO / "README.md").read_text()
    unreached = _section(readme, "- What an erasure or a retention choice does not reach", "\n- ")
    assert "abuse monitoring" in unreached
    assert "90" in unreached and "30" in unreached


def test_the_deploy_asks_for_the_abuse_monitoring_exception_before_gemini():
    operations = (REPO / "docs" / "OPERATIONS.md").read_text()
    deploy = _section(operations, "## Deploy from zero", "\n## ")
    assert "abuse monitoring" in deploy and "exception" in deploy
