"""Background work a function starts with its instance, in the process that serves requests."""

from __future__ import annotations

import os
from collections.abc import Callable


def in_each_worker(start: Callable[[], object]) -> None:
    """Call `start` in each process forked to serve requests, never in this one.

    functions-framework imports the function in its parent process, and gunicorn then forks the
    worker that serves. A thread started at import does not exist in the worker, and a lock or a
    half-done import it held there stays held for good: every turn would hang on it or fall
    back. `start` must only start background work (it runs inside the fork)."""
    os.register_at_fork(after_in_child=start)
