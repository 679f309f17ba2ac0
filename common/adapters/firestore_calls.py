"""How every Firestore call is made: bounded in time, and judged by one circuit breaker, so an
outage is a quick 503 with Retry-After rather than a request that hangs or a 500."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from common.breaker import CircuitBreaker
from common.deadline import wait_at_most
from common.errors import Unavailable
from common.logs import NEEDS_OPERATOR

log = logging.getLogger(__name__)

READ_TIMEOUT = 5.0
WRITE_BATCH = 400  # writes a commit; Firestore allows 500
T = TypeVar("T")
R = TypeVar("R")


# Firestore unreachable: after 3 calls in a row fail that way, this instance answers 503 at once
# (instead of every request holding a thread for its 5 s retry budget) and lets one call through
# every 2 s to find out when it is back.
STORAGE_BREAKER = CircuitBreaker(failures=3, reset_seconds=2.0)


def _unavailable() -> Unavailable:
    return Unavailable(
        "Conversation storage is unavailable; try again shortly.",
        code="storage_unavailable",
        retry_after=5,
    )


# Inside a storage_errors() block (this thread): a nested block leaves the breaker to the
# outer one, which would otherwise spend a half-open period's one trial call on asking, and
# then see the inner block refused.
_JUDGED_OUTSIDE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "storage_judged_outside", default=False
)


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """A Firestore outage, or a call Firestore failed or refused, becomes a 503 with
    Retry-After, never a 500 (a 500 is a bug of ours: the runbook rolls back)."""
    from google.api_core import exceptions

    if _JUDGED_OUTSIDE.get():
        yield
        return
    if not STORAGE_BREAKER.allow():
        raise _unavailable()
    nested = _JUDGED_OUTSIDE.set(True)
    try:
        yield
    except Unavailable:
        raise  # judged by an inner block already
    except BaseException as e:
        error = _underlying(e)
        if isinstance(
            error,
            (exceptions.ServiceUnavailable, exceptions.DeadlineExceeded, exceptions.RetryError),
        ):
            STORAGE_BREAKER.failure()  # unreachable or too slow
            raise _unavailable() from e
        # It answered, e.g. a precondition conflict: Firestore is there. A refusal too: it comes
        # at once (never retried), so opening the breaker would spare no thread, and it would
        # refuse the calls a narrower refusal (an IAM condition) still lets through.
        STORAGE_BREAKER.success()
        if isinstance(error, (exceptions.PermissionDenied, exceptions.Unauthenticated)):
            # This service's own account (IAM, billing, the database): no bug for a rollback
            # to fix, and nothing the client did; it lasts until an operator acts.
            log.error(
                "Firestore refused this service's calls (%s): %s",
                type(error).__name__,
                error,
                extra={NEEDS_OPERATOR: True},
            )
            raise _unavailable() from e
        if isinstance(
            error,
            (
                exceptions.InternalServerError,
                exceptions.Aborted,
                exceptions.Unknown,
                exceptions.Cancelled,
                exceptions.ResourceExhausted,  # a quota or a rate limit
            ),
        ):
            raise _unavailable() from e  # a failed call, not an outage
        raise
    else:
        STORAGE_BREAKER.success()
    finally:
        _JUDGED_OUTSIDE.reset(nested)


def _underlying(error: BaseException) -> BaseException:
    """The error a Firestore call failed with. A transaction (`@firestore.transactional`) rolls
    back on any error, and when BeginTransaction itself failed, the rollback's ValueError ("no
    transaction ID") replaces the outage; after its attempts at a contended commit it raises a
    ValueError from the last Aborted. Either way the real error is chained to the ValueError."""
    from google.api_core import exceptions

    if type(error) is ValueError:
        chained = error.__cause__ or error.__context__
        if isinstance(chained, (exceptions.GoogleAPIError, exceptions.RetryError)):
            return chained
    return error


TRANSACTION_SECONDS = 8.0
# The threads transactions are waited on from (within_deadline) and independent calls are made
# side by side on (in_parallel). Each caller waits on one transaction at a time: an instance's
# requests (concurrency 8 at most), one of which may be a push release delivering
# PUSH_RELEASE_WORKERS (16) at once. With fewer threads than callers, the release's deliveries
# would queue here (their three transactions are 9 of a delivery's ~15 round trips) and spend
# their deadline waiting. The cleanup job, alone on its instance (concurrency 1), deletes the
# turns of several sessions at once here (firestore_cleanup.TURN_WORKERS).
_POOL = ThreadPoolExecutor(max_workers=24, thread_name_prefix="firestore")


def after(when: datetime | None, now: datetime) -> bool:
    """Written (removed, erased) by a request made after `now`: the rule by which a write that
    within_deadline abandoned, landing late, leaves a later request's write standing."""
    return when is not None and when > now


def within_deadline(run: Callable[..., T], transaction: Any, *args: Any) -> T:
    """A `@firestore.transactional` function run on `transaction` (and `args`), waited for at
    most TRANSACTION_SECONDS. Its BeginTransaction and Commit take the library's own retry (60 s),
    which no argument bounds: in an outage a request held its thread for ~57 s, past the
    gateway's deadline (a 504), before the breaker heard of it. Late is an outage
    (DeadlineExceeded, for storage_errors). The transaction left running fails or commits on
    its own, maybe after a later request (its commit has a retry of its own): only for writes
    a client's retry repeats harmlessly, and that keep the last by request time, which they
    judge on what the transaction reads (write_settings, the device store), or that a marker
    it reads and creates makes happen once (the preference writer's event marker)."""
    from google.api_core import exceptions

    try:
        return wait_at_most(_POOL, TRANSACTION_SECONDS, run, transaction, *args)
    except TimeoutError as e:
        raise exceptions.DeadlineExceeded(str(e)) from None


@functools.cache
def bounded(seconds: float = READ_TIMEOUT) -> dict:
    """Keyword arguments for a Firestore call: each attempt and all retries of a transient error
    within `seconds`. The client's default retries an unreachable Firestore for minutes, which
    would hold a request until the function times out instead of answering 503."""
    from google.api_core.retry import Retry, if_transient_error

    retry = Retry(
        predicate=if_transient_error, initial=0.1, maximum=1.0, multiplier=2.0, timeout=seconds
    )
    return {"retry": retry, "timeout": seconds}


def delete_all(db: Any, refs: list) -> None:
    """Delete these documents, WRITE_BATCH to a commit."""
    for i in range(0, len(refs), WRITE_BATCH):
        batch = db.batch()
        for ref in refs[i : i + WRITE_BATCH]:
            batch.delete(ref)
        batch.commit(**bounded())


def pages(query: Any, size: int) -> Iterator[list]:
    """The query's documents a page of `size` at a time, each page read within its own
    deadline: one stream of them all would outlast any."""
    query, last = query.limit(size), None
    while True:
        page = list((query.start_after(last) if last else query).stream(**bounded()))
        yield page
        if len(page) < size:
            return
        last = page[-1]


def in_parallel(fn: Callable[[T], R], items: list[T], *, at_once: int) -> list[R]:
    """fn(item) for every item on the shared pool, at most `at_once` at a time, each in a copy
    of this context (its log fields go along): independent round trips waited for side by side
    instead of one after the other. Returns once every call started has returned: their
    results in order, or the first error (after one, no more are started). For a job alone on
    its instance: its calls would queue ahead of the transactions of requests sharing it."""
    futures: list[Future[R]] = []
    running: set[Future[R]] = set()
    for item in items:
        if len(running) >= at_once:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            if any(future.exception() for future in done):
                break
        future = _POOL.submit(contextvars.copy_context().run, fn, item)
        futures.append(future)
        running.add(future)
    wait(running)
    return [future.result() for future in futures]


class Unchanged(NamedTuple):
    """A write that holds only if its document is as it was read: `data` updates it, None
    deletes it. `along`: (reference, document) pairs set in the same commit, with it or not at
    all (a deleted session's session.ended entry)."""

    ref: Any
    version: Any  # the document's update time as read
    data: dict | None = None
    along: tuple[tuple[Any, dict], ...] = ()


def write_unchanged(db: Any, writes: list[Unchanged]) -> list[Unchanged]:
    """The writes in as few commits as Firestore allows (WRITE_BATCH writes each): one round
    trip for a page of documents instead of one each. A commit refused on a precondition met a
    document another writer changed or removed since it was read (Firestore refuses it whole),
    or it is the client's retry (bounded()) of a commit that went in but whose answer was lost,
    meeting its own changes. So the documents are read once and each write judged (_judged):
    one whose document is as read is sent again alone, so that another's change keeps out only
    its own document; one its document shows applied held. The writes that held, in order; one
    that did not is left as it is now (its caller meets it again on a later run)."""
    from google.api_core import exceptions

    conflicts = (exceptions.FailedPrecondition, exceptions.NotFound, exceptions.Conflict)

    def committed(chunk: list[Unchanged]) -> bool:
        batch = db.batch()
        for write in chunk:
            option = db.write_option(last_update_time=write.version)
            if write.data is None:
                batch.delete(write.ref, option=option)
            else:
                batch.update(write.ref, write.data, option=option)
            for ref, doc in write.along:
                batch.set(ref, doc)
        try:
            batch.commit(**bounded())
            return True
        except conflicts:
            return False

    def alone(write: Unchanged) -> bool:
        # Refused only by a change to its own document, or (its answer lost in turn) by itself.
        return committed([write]) or _judged(db, [write]) == [_APPLIED]

    held: list[Unchanged] = []
    for chunk in _chunks(writes):
        if committed(chunk):
            held += chunk
            continue
        for write, outcome in zip(chunk, _judged(db, chunk), strict=True):
            again = outcome is _AS_READ and len(chunk) > 1  # alone, it was refused just now
            if outcome is _APPLIED or (again and alone(write)):
                held.append(write)
    return held


# What became of a write whose commit was refused on a precondition (_judged).
_AS_READ = "as read"  # not applied: its document is as it was read
_APPLIED = "applied"  # the refused commit was a retry of its own that had gone in
_CHANGED = "changed"  # by another writer


def _judged(db: Any, chunk: list[Unchanged]) -> list[str]:
    """Each write of a refused commit, by its documents as they are now (one read). Applied: a
    delete whose document is gone, an update whose document holds what it wrote (_holds), and
    either way every document set along with it exists (it went in the same commit). A delete
    without anything along cannot be told from another's: its document is gone either way."""
    refs = [write.ref for write in chunk] + [ref for write in chunk for ref, _ in write.along]
    now = {snap.reference.path: snap for snap in db.get_all(refs, **bounded())}

    def judge(write: Unchanged) -> str:
        snap = now[write.ref.path]
        if snap.exists and snap.update_time == write.version:
            return _AS_READ
        if write.data is None:
            written = not snap.exists
        else:
            written = snap.exists and _holds(snap.to_dict() or {}, write.data)
        along = all(now[ref.path].exists for ref, _ in write.along)
        return _APPLIED if written and along else _CHANGED

    return [judge(write) for write in chunk]


def _holds(doc: dict, data: dict) -> bool:
    """Whether `doc` holds every field an update() with `data` writes (its keys field paths, as
    update() reads them), with the value written, and none it deletes. A server timestamp is not
    compared (the server chose its value): only the other fields judge, and an update of
    nothing else is never taken for applied. A transform (Increment, ArrayUnion) never
    matches: no caller of write_unchanged sends one."""
    from google.cloud.firestore import DELETE_FIELD, SERVER_TIMESTAMP
    from google.cloud.firestore_v1.field_path import FieldPath

    compared = {key: value for key, value in data.items() if value is not SERVER_TIMESTAMP}
    for key, value in compared.items():
        found: Any = doc
        for part in FieldPath.from_string(key).parts:
            found = found.get(part, _ABSENT) if isinstance(found, dict) else _ABSENT
        if value is DELETE_FIELD:
            if found is not _ABSENT:
                return False
        elif not _same(value, found):
            return False
    return bool(compared)


_ABSENT = object()


def _same(written: Any, stored: Any) -> bool:
    """A value as written and as read back; a server timestamp within a map is not compared."""
    from google.cloud.firestore import SERVER_TIMESTAMP

    if written is SERVER_TIMESTAMP:
        return True
    if isinstance(written, dict):
        return (
            isinstance(stored, dict)
            and written.keys() == stored.keys()
            and all(_same(value, stored[key]) for key, value in written.items())
        )
    return written == stored


def _chunks(writes: list[Unchanged]) -> Iterator[list[Unchanged]]:
    """The writes in runs of at most WRITE_BATCH writes, a write with what goes along it."""
    chunk: list[Unchanged] = []
    size = 0
    for write in writes:
        if chunk and size + 1 + len(write.along) > WRITE_BATCH:
            yield chunk
            chunk, size = [], 0
        chunk.append(write)
        size += 1 + len(write.along)
    if chunk:
        yield chunk
