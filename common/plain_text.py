"""User text as a reader sees it, for the checks of what it says (pure)."""

from __future__ import annotations

import unicodedata

from common.text import canonical_text


def strip_control(text: str) -> str:
    """Remove control and format characters (keeps newlines and tabs)."""
    if text.isprintable():  # none of either (most messages): not read character by character
        return text
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf")
    )


def as_read(text: str) -> str:
    """The text as the analysis reads it (common.analysis.with_model): NFKC (full-width and
    styled letters are plain letters), typographic quotes as ' and " first (NFKC alone turns
    the ´ of "don´t" into a space)."""
    return unicodedata.normalize("NFKC", canonical_text(text))


def as_seen(text: str) -> str:
    """The text as it reads: as_read, with no control or format characters either (a
    zero-width space inside a word is invisible)."""
    return strip_control(as_read(text))
