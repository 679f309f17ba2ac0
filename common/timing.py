"""How long each phase of a request took, for the `Server-Timing` response header.

Code marks its phases with `with phase("commit"):`; the HTTP edge starts a fresh record for each
request and, when `SERVER_TIMING` is on, writes it as `Server-Timing: context;dur=4.1, ...`
(W3C Server Timing), so a load test can tell which part of a slow turn was slow. The record lives
in a context variable: requests on other threads never see it, and code running outside a request
(jobs, tests) records nothing."""

from __future__ import annotations

import contextvars
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

_record: contextvars.ContextVar[list[tuple[str, float]] | None] = contextvars.ContextVar(
    "server_timing", default=None
)
_NAME = re.compile(r"^[a-z_]+$")


def start() -> contextvars.Token:
    """A fresh record for the request about to run (reset() with the token when it is done)."""
    return _record.set([])


def reset(token: contextvars.Token) -> None:
    _record.reset(token)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the block as `name` (milliseconds), also when it raises."""
    assert _NAME.match(name), name
    t0 = time.perf_counter()
    try:
        yield
    finally:
        record = _record.get()
        if record is not None:
            record.append((name, (time.perf_counter() - t0) * 1000))


def header(total_ms: float | None = None) -> str | None:
    """The phases recorded so far as a Server-Timing value (with the handler's whole time as
    `total` when given), None if there are none."""
    record = _record.get()
    if not record:
        return None
    entries = record if total_ms is None else [*record, ("total", total_ms)]
    return ", ".join(f"{name};dur={ms:.1f}" for name, ms in entries)


def parse(value: str | None) -> dict[str, float]:
    """A Server-Timing value back into {name: milliseconds} (a repeated name adds up)."""
    out: dict[str, float] = {}
    for part in (value or "").split(","):
        name, _, params = part.strip().partition(";")
        match = re.search(r"dur=([0-9.]+)", params)
        if name and match:
            out[name] = out.get(name, 0.0) + float(match.group(1))
    return out
