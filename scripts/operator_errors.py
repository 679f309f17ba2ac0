"""What an operator script (restore_erasures, reopen_analytics_erasures, replay_dead_letters,
operators) does when Google refuses a call or there are no credentials: one line on stderr and
exit status 2, rather than a traceback that buries the cause."""

from __future__ import annotations

import sys

EXIT_STATUS = (
    "Exit status: 0 done; 2 a bad argument or setting, or a Google API or credentials error "
    "(one line on stderr)"
)


def google_errors() -> tuple[type[Exception], ...]:
    from google.api_core.exceptions import GoogleAPICallError
    from google.auth.exceptions import DefaultCredentialsError

    return GoogleAPICallError, DefaultCredentialsError


def report(error: Exception) -> int:
    """Say `error` in one line on stderr; the exit status."""
    lines = str(error).strip().splitlines()
    print(f"error: {type(error).__name__}: {lines[0] if lines else ''}", file=sys.stderr)
    return 2
