"""Structured logs that Cloud Logging understands: one JSON object per line with `severity`."""

from __future__ import annotations

import logging
import sys
from functools import cache

from pythonjsonlogger.json import JsonFormatter

# A field of log entries only an operator can act on (a misconfiguration, a missing index):
# the monitoring module alerts on any entry that carries it.
NEEDS_OPERATOR = "needs_operator"


@cache
def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "severity", "name": "logger"},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
