"""The analytics sink's service: Pub/Sub messages in, `events` rows out, bad events dead-lettered.

Delivery is at least once, so a row may be written twice; that is harmless because the table's
row id is the event_id (BigQuery's best-effort insertId de-duplication) and every view keeps one
row per event_id. A malformed event never blocks the others: it is published to the dead-letter
topic with the reason and acknowledged. Only a failure of BigQuery itself (or of the dead-letter
publish) fails the delivery, so Pub/Sub redelivers it later.

How the sink keeps up with >= 1,000 events/s
-------------------------------------------
Push delivers one message per request. Writing one row per request would cost BigQuery one
insertAll call per event, so the deployed function runs with request concurrency (Cloud Functions
gen2: many requests per instance) and `GroupCommit` joins the rows of the requests that arrive
while a write is in flight into the next single insertAll call (up to `max_items`). Each request
still answers only after its own row is written, so an acknowledged event is a stored event and
nothing runs after a response (Cloud Functions may freeze the CPU then). At low load this adds no
latency (a lone request writes at once); under load the batch grows with the concurrency.

Chosen over the alternatives because:
- a Pub/Sub BigQuery subscription needs no code but maps message fields to columns only by name
  (our envelope nests `data`), and it cannot be run or tested against the local emulators;
- a pull worker (`drain` below) batches best but needs an always-on process (Cloud Run worker
  pool) or a scheduled drain with a minute of delay; `drain` stays for the analytics benchmark
  (benchmarks/analytics.py) and shares every line of the mapping.
Production push delivery has no meaningful concurrency ceiling (flow control in Pub/Sub, instances
scale out). Locally it does: the Pub/Sub emulator keeps at most two pushes in flight (about
640/s to a handler that does nothing, 260/s to one that takes 5 ms) and the BigQuery emulator
spends about 11 ms on every insertAll call (the local stack already spares it a copy of the
table per write: scripts/bigquery_emulator.py), so the local push path measures the emulators,
while the same code fed in batches sustains more than 1,000 events/s
(benchmarks/results/analytics.md has the figures).
Deployed with request concurrency 8 on one vCPU (terraform/stack/functions.tf), so a write joins
up to 8 deliveries: at ~3 ms of CPU in ~30 ms each, 8 in flight already use most of the vCPU,
so CPU, not concurrency, bounds an instance (docs/CAPACITY.md section 4).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from common.analytics.rows import MalformedEvent, row_from_message

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class DeadLetter(Protocol):
    def publish(self, data: bytes, attributes: dict[str, str]) -> None: ...


@dataclass(frozen=True)
class Message:
    """One Pub/Sub message as delivered (push or pull)."""

    data: bytes
    attributes: dict[str, str] = field(default_factory=dict)
    message_id: str = ""


@dataclass(frozen=True)
class SinkReport:
    written: int = 0
    dead_lettered: int = 0
    reasons: tuple[str, ...] = ()
    private: int = 0  # events for internal consumers only, acknowledged and not stored


def _dead_letter(dead_letter: DeadLetter, message: Message, reason: str) -> None:
    # Not `subject` (the user key, for the profile updater, which has its own delivery): beside
    # an anonymised user's anon- ids it would link them again, and operators read these letters.
    attributes = {k: v for k, v in message.attributes.items() if k != "subject"}
    attributes["dead_letter_reason"] = reason
    if message.message_id:
        attributes["original_message_id"] = message.message_id
    dead_letter.publish(message.data, attributes)


def sink_messages(
    messages: Sequence[Message],
    *,
    write: Callable[[list[dict[str, Any]]], list[str | None]],
    dead_letter: DeadLetter,
    now: datetime,
) -> SinkReport:
    """Map, write the good rows in one call, dead-letter the rest. Raises only on an outage."""
    rows: list[dict[str, Any]] = []
    kept: list[Message] = []
    refused: list[tuple[Message, str]] = []
    private = 0
    for message in messages:
        if message.attributes.get("private") == "true":
            private += 1
            continue
        try:
            rows.append(row_from_message(message.data, now=now))
            kept.append(message)
        except MalformedEvent as e:
            refused.append((message, e.reason))
    errors = write(rows) if rows else []
    for message, error in zip(kept, errors, strict=True):
        if error:
            refused.append((message, f"bigquery_refused: {error}"[:500]))
    for message, reason in refused:
        _dead_letter(dead_letter, message, reason)
    if refused:
        log.warning(
            "events dead-lettered",
            extra={"count": len(refused), "reasons": sorted({r for _, r in refused})},
        )
    return SinkReport(
        written=len(rows) - sum(1 for e in errors if e),
        dead_lettered=len(refused),
        reasons=tuple(r for _, r in refused),
        private=private,
    )


class _Slot(Generic[T, R]):
    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Joins items submitted by concurrent threads into one `flush` call. The first waiting
    thread writes everything pending while no write is in flight; the others wait for the
    result of the write that carried their item. `flush` returns one result per item.

    A submitter waits at most `wait_seconds` (a write held up by BigQuery must not hold every
    delivery of the instance past the function's timeout): then it raises TimeoutError and its
    delivery fails, to be retried; if a write was carrying its item, a retry's copy is one the
    views drop."""

    def __init__(
        self,
        flush: Callable[[list[T]], list[R]],
        *,
        max_items: int = 500,
        wait_seconds: float = 40.0,
    ) -> None:
        self._flush = flush
        self._max = max_items
        self._wait = wait_seconds
        self._cv = threading.Condition()
        self._pending: list[_Slot[T, R]] = []
        self._busy = False

    def submit(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        deadline = time.monotonic() + self._wait
        with self._cv:
            self._pending.append(slot)
        while True:
            with self._cv:
                while self._busy and not slot.done:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        if slot in self._pending:  # not written: nobody will write it now
                            self._pending.remove(slot)
                        raise TimeoutError(f"the shared write took over {self._wait:g} s")
                    self._cv.wait(left)
                if slot.done:
                    break
                batch, self._pending = self._pending[: self._max], self._pending[self._max :]
                self._busy = True
            try:
                results = self._flush([s.item for s in batch])
                for s, result in zip(batch, results, strict=True):
                    s.result = result
            except BaseException as e:  # every item of the failed write sees the failure
                for s in batch:
                    s.error = e
            with self._cv:
                for s in batch:
                    s.done = True
                self._busy = False
                self._cv.notify_all()
        if slot.error is not None:
            raise slot.error
        # Done without an error: the write set its result (an R, which may itself be None).
        return slot.result  # type: ignore[return-value]


def drain(
    *,
    pull: Callable[[int], list[tuple[str, Message]]],
    ack: Callable[[list[str]], None],
    write: Callable[[list[dict[str, Any]]], list[str | None]],
    dead_letter: DeadLetter,
    clock: Callable[[], datetime],
    batch_size: int = 1000,
    max_batches: int | None = None,
) -> SinkReport:
    """Pull-mode sink: pull up to `batch_size` messages (several pulls if each returns fewer),
    write them in one call, ack them; until the backlog is empty. A batch whose write fails is
    not acknowledged and comes back after its ack deadline."""
    written = dead = private = 0
    reasons: list[str] = []
    batches = 0
    while max_batches is None or batches < max_batches:
        received: list[tuple[str, Message]] = []
        while len(received) < batch_size:
            got = pull(batch_size - len(received))
            if not got:
                break
            received += got
        if not received:
            break
        report = sink_messages(
            [m for _, m in received], write=write, dead_letter=dead_letter, now=clock()
        )
        ack([ack_id for ack_id, _ in received])
        written += report.written
        dead += report.dead_lettered
        private += report.private
        reasons += report.reasons
        batches += 1
    return SinkReport(written=written, dead_lettered=dead, reasons=tuple(reasons), private=private)
