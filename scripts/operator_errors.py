"""What an operator script (restore_erasures, reopen_analytics_erasures, replay_dead_letters,
operators, support) does when Google refuses a call or there are no credentials: one line on
stderr and exit status 2, rather than a traceback that buries the cause. Also what the scripts
that derive user keys check and say of their target first."""

from __future__ import annotations

import argparse
import hashlib
import os
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


def fingerprint(key: str) -> str:
    """A short hash to tell which analytics key a run used, without showing it."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def refuse_local_settings(
    parser: argparse.ArgumentParser,
    ion_env: str,
    runbook: str,
    *,
    emulator: str = "FIRESTORE_EMULATOR_HOST",
    real: str = "ANALYTICS_KEY",
) -> None:
    """ION_ENV unset is the local stack's, whose public analytics key gives no real user's key
    and whose default project id may name a real project: refused (exit 2) unless the target
    is the `emulator` (its host variable). `runbook`: the section of docs/OPERATIONS.md the
    error points to; `real`: what a real project's run sets besides ION_ENV."""
    if ion_env == "local" and not os.environ.get(emulator):
        parser.error(
            f"ION_ENV is local (unset?) and {emulator} is not set: for a real "
            f"project set ION_ENV=prod and {real} (docs/OPERATIONS.md, {runbook})"
        )
