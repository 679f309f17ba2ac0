"""Background work a function starts with its instance, in the process that serves requests."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable


def in_each_worker(start: Callable[[], object]) -> None:
    """Call `start` in each process forked to serve requests, never in this one.

    functions-framework imports the function in its parent process, and gunicorn then forks the
    worker that serves. A thread started at import does not exist in the worker, and a lock or a
    half-done import it held there stays held for good: every turn would hang on it or fall
    back. `start` must only start background work (it runs inside the fork)."""
    os.register_at_fork(after_in_child=start)


def share_with_workers() -> None:
    """At the end of the function's import, which ran with `gc.disable()` (its first lines):
    freeze what the import made, then collect garbage again.

    The Python docs' advice for a process that forks without exec
    (https://docs.python.org/3/library/gc.html#gc.freeze): disable the collector early in the
    parent, freeze right before the fork. A frozen object is never
    visited again, so the worker's first full collection no longer writes to every object the
    parent made (~37 MB of chat's pages copied into each worker), and the import itself runs
    without collections (13-15 % of chat's). Done here rather than at the fork: a process that
    never forks (tests, in-process benchmarks) gets its collector back at once, and gunicorn
    makes little between this and its fork."""
    gc.freeze()
    gc.enable()
