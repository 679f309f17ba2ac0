"""Lines for someone kicked out or with nowhere safe to sleep tonight, young people first
(data/tonight_resources.json): listed after a crisis list that says so, named by the answer to
"where do I go tonight?" (common.replies.tonight) and by Gemini's rule for it, and vouched for
by the reply vet: the locale's, read by the crisis lines' rules, or none."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from common.locale_lines import locale_lines
from common.text import canonical_text

TONIGHT_FILE = Path(__file__).parent / "data" / "tonight_resources.json"

# Kicked or thrown out of home, nowhere to sleep, sleeping rough, run away, homeless: not out
# of a kitchen, a class or a game ("mum kicked me out of the kitchen"), nor "nowhere to go for
# Christmas" or "I volunteer at a homeless shelter".
_OUT = (
    r"(?:kicked|threw|thrown|kicking|throwing)\s+(?:me|us)\s+out"
    r"|(?:got|get|getting|been|was|were|being)\s+(?:kicked|thrown)\s+out"
)
_HOME = r"(?:the\s+|my\s+|our\s+)?(?:house|home|flat|apartment|place)\b"
_NO_HOME = re.compile(
    rf"\b(?:{_OUT})\b(?!\s+(?:of|from)\s+(?!{_HOME}))"
    r"|\bnowhere\s+(?:safe\s+|else\s+)?to\s+(?:sleep|stay|live|go\s+tonight)\b"
    r"|\b(?:sleeping|sleep|slept)\s+rough\b|\bran\s+away\s+from\s+home\b"
    r"|\b(?:i'?m|i\s+am|we'?re|we\s+are|being|became|become|made)\s+homeless\b",
    re.IGNORECASE,
)


def no_home(*texts: str) -> bool:
    """One of `texts` says they were kicked out or have nowhere to sleep (_NO_HOME)."""
    return any(_NO_HOME.search(canonical_text(text)) for text in texts)


_WHERE = re.compile(
    r"\bwhere\s+(?:can|do|should|could|will|would|am)\s+i\s+(?:\w+\s+)?(?:go|sleep|stay|going)\b"
    r"|\bwhere\s+to\s+(?:go|sleep|stay)\b|\bsomewhere\s+(?:safe\s+)?to\s+(?:sleep|stay)\b"
    r"|\bwhat\s+(?:do|should|can)\s+i\s+do\s+(?:tonight|tomorrow)\b",
    re.IGNORECASE,
)


def asks_where_tonight(message: str, earlier: Iterable[str] = ()) -> bool:
    """The message asks where to go or sleep, tonight or next (_WHERE), and it or an earlier
    message says they were kicked out or have nowhere to sleep (common.tonight_lines.no_home)."""
    return _WHERE.search(canonical_text(message)) is not None and no_home(message, *earlier)


def tonight_lines(locale: str | None, *, default_locale: str) -> tuple[str, ...]:
    """The request's locale's lines (lines_key's rules; the default locale when it names
    none); () when there are none for it."""
    return locale_lines(TONIGHT_FILE, locale, default_locale=default_locale)
