"""Who read the operators' metrics: one INFO `operator access` line per metric read, naming the
operator (common.logs.OPERATOR_UID, OPERATOR_EMAIL), the metric, the days served and the rows,
kept in the access log (terraform/stack/logs.tf); and a WARNING, throttled per uid, for a
caller refused for want of the operator role."""

from __future__ import annotations

import logging
from typing import Any

from common import logs
from common.auth import Caller

OPERATOR_ACCESS = "operator access"
OPERATOR_REFUSED = "operator access refused: the caller has no operator role"

log = logging.getLogger(__name__)
# At INFO whatever LOG_LEVEL says, as the erasure log: the sink must get every read.
log.setLevel(logging.INFO)

_REFUSED = logs.Throttle(logs.REFUSAL_LOG_SECONDS)


def require_operator(caller: Caller) -> None:
    """Caller.require_operator (403), the refusal logged with the caller's uid."""
    if not caller.is_operator:
        _REFUSED.warning(log, caller.uid, OPERATOR_REFUSED, extra={logs.REFUSED_UID: caller.uid})
    caller.require_operator()


def log_read(caller: Caller, *, metric: str, served: dict[str, Any]) -> None:
    """The line of one metric read: `served` is read_metric's answer (its days, null for an
    undated metric, and its rows)."""
    log.info(
        OPERATOR_ACCESS,
        extra={
            logs.OPERATOR_UID: caller.uid,
            logs.OPERATOR_EMAIL: caller.claims.get("email"),
            "metric": metric,
            "from": served["from"],
            "to": served["to"],
            "rows": len(served["rows"]),
        },
    )
