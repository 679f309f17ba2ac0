"""A JSON answer written as it is read, for a body too large to hold at once (an export).

The body's iterators are lazy arrays, written item by item; the rest is written as
json_response writes it, so the bytes are those of the same document sent whole. The first
CHUNK_CHARS are made before the answer starts: a failure in them is an ordinary error response.
A failure after them cannot change the 200 already sent: it is logged as a streamed chat turn's
is (with the status it would have had), and the connection is dropped before the body's end
(CutOff), so that a client sees a failed download, whose bytes do not parse, rather than a
shorter document that looks whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import flask

from common import logs
from common.http import streamed_error

CHUNK_CHARS = 64 * 1024  # written to the client at once (a page of 300 turns is ~1 MB of JSON)


class CutOff(Exception):
    """Raised to the WSGI server mid-body: it drops the connection without the final chunk."""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def iter_json(value: Any) -> Iterator[str]:
    """`value` as JSON text, in pieces. An iterator in it (directly in a dict or in another
    iterator) is an array read only as it is written; a dict that holds one is written key by
    key; anything else whole."""
    if isinstance(value, Iterator):
        yield "["
        for i, item in enumerate(value):
            if i:
                yield ","
            yield from iter_json(item)
        yield "]"
    elif isinstance(value, dict) and any(isinstance(v, Iterator) for v in value.values()):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield f"{',' if i else ''}{_dumps(key)}:"
            yield from iter_json(item)
        yield "}"
    else:
        yield _dumps(value)


def _chunks(pieces: Iterator[str]) -> Iterator[bytes]:
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARS:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


def json_stream_response(body: Any, headers: dict | None = None) -> flask.Response:
    """A 200 whose body is `body` (iter_json), streamed."""
    chunks = _chunks(iter_json(body))
    first = next(chunks, b"")  # a failure here is still the handler's: an error response
    fields = logs.bound()

    def rest() -> Iterator[bytes]:
        yield first
        try:
            yield from chunks
        except Exception as exc:
            streamed_error(exc, fields)
            raise CutOff("the body failed mid-stream: the connection is dropped") from exc

    return flask.Response(rest(), status=200, headers=headers, mimetype="application/json")
