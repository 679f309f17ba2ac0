"""String formats the API checks with a regular expression, each with what it expects said in
words: a 400 quotes the words (common.http.parse), as the regex means nothing to the people
whose apps show the message."""

from __future__ import annotations

from pydantic import StringConstraints

# regex -> the words, which end "'<field>': ..." ("must be ...", no final period). Filled as the
# models are defined, so every model a request is parsed into has put its words here.
WORDS: dict[str, str] = {}


def pattern(regex: str, words: str) -> StringConstraints:
    """The constraint `regex`, whose 400 says `words` instead of the regex."""
    if WORDS.setdefault(regex, words) != words:  # one regex, one meaning
        raise ValueError(f"{regex!r} already reads {WORDS[regex]!r}")
    return StringConstraints(pattern=regex)
