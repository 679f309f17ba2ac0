"""How the persona model reads a text's quote marks, shared by the chat client and the model
server: imports nothing, since the serving container copies this file alone out of common/."""

from __future__ import annotations

# Typographic apostrophes and quotes (iOS "Smart Punctuation" sends ’ for ', “ ” for "; the
# others are marks phones and keyboards type for them; the crisis patterns drop them all). The
# corpus writes only ' and " (model_serving/check_corpus.py refuses the others), so its
# tokenizer and TF-IDF n-grams read ’ as an unknown character: on the held-out messages with '
# written as ’, crisis recall fell from 0.981 to 0.977.
APOSTROPHES = "’‘‛ʼʹ′´`"
QUOTES = "“”„‟"
_CANONICAL = str.maketrans({**dict.fromkeys(APOSTROPHES, "'"), **dict.fromkeys(QUOTES, '"')})


def canonical_text(text: str) -> str:
    """The text with typographic apostrophes and quotes written as ' and ". Before NFKC, which
    turns ´ into a space and a combining accent."""
    return text.translate(_CANONICAL)
