"""Firestore's RPCs over documents kept in a dict, under the real client library: what an adapter
sends and how Firestore answers it (a commit's preconditions, an empty query), for unit tests of
writes whose order matters, and of how many round trips a path takes (`calls`). Not an emulator:
no query matches a document (every query is empty) unless `queries=True`, and then a query's
filters and order are ignored; transactions do not conflict; a test interleaves requests with
`before_commit`; a projection (`select`) answers only the top-level fields it names; of the
field transforms, only Increment is applied. It keeps every query as sent (`sent`):
tests/unit/test_terraform.py checks that production has the indexes each needs."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1._helpers import decode_dict, decode_value, encode_dict
from google.cloud.firestore_v1.field_path import parse_field_path
from google.cloud.firestore_v1.types import (
    BatchGetDocumentsResponse,
    CommitResponse,
    Document,
    RunQueryResponse,
    WriteResult,
)

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class FirestoreRpc:
    """`docs`: path (under documents/) -> fields. `commits`: each commit's writes, in order.
    `before_commit(writes)`: called as a commit arrives, before it is judged (a concurrent
    request landing first). `calls`: the RPCs made, by name. `queries`: a query answers with
    the documents of its collection (or collection group) in path order, after its cursor's
    document, up to its limit: a test sets up only documents its filters would match.
    `sent`: the structured query of every RunQuery, in order."""

    def __init__(self, docs: dict[str, dict] | None = None, *, queries: bool = False) -> None:
        self.client = firestore.Client(project="demo-ion", credentials=AnonymousCredentials())
        self.docs: dict[str, dict] = {}
        self.versions: dict[str, datetime] = {}  # update_time of each document
        self._clock = 0
        self.commits: list[list] = []
        self.before_commit: Callable[[list], None] = lambda writes: None
        self.calls: Counter[str] = Counter()
        self.sent: list[Any] = []
        self._lock = threading.RLock()  # one RPC at a time: adapters call from several threads
        api = mock.Mock()
        answers = {
            "begin_transaction": lambda **kw: mock.Mock(transaction=b"tx"),
            "batch_get_documents": lambda **kw: iter(list(self._batch_get(**kw))),
            "run_query": self._run_query if queries else self._no_match,
            "commit": self._commit,
        }
        for name, answer in answers.items():
            getattr(api, name).side_effect = self._counted(name, answer)
        self.client._firestore_api_internal = api
        self.api = api
        for path, fields in (docs or {}).items():
            self.put(path, fields)

    def put(self, path: str, fields: dict) -> None:
        """A document as another request writes it."""
        self.docs[path] = fields
        self.versions[path] = self._tick()

    def purge_expired(self, now: datetime, field: str = "expires_at") -> None:
        """What Firestore's TTL policy on `field` has deleted by `now` (at the soonest)."""
        for path in [p for p, doc in self.docs.items() if doc.get(field) and doc[field] <= now]:
            del self.docs[path], self.versions[path]

    def stored_turns(self) -> int:
        """How many turn documents are stored, in every session."""
        return sum("/turns/" in path for path in self.docs)

    def _tick(self) -> datetime:
        self._clock += 1
        return _EPOCH + timedelta(microseconds=self._clock)

    def _path(self, name: str) -> str:
        return name.split("/documents/", 1)[1]

    def _counted(self, name: str, answer: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kw: Any) -> Any:
            with self._lock:
                self.calls[name] += 1
                return answer(*args, **kw)

        return call

    def _no_match(self, request: dict, **kw: Any):
        self.sent.append(request["structured_query"])
        return iter([])

    def _run_query(self, request: dict, **kw: Any):
        query = request["structured_query"]
        self.sent.append(query)
        source = query.from_[0]
        parent = request["parent"].split("/documents", 1)[1].lstrip("/")
        after = ""
        if "start_at" in query:  # start_after(snapshot): its path is the cursor's last value
            after = self._path(query.start_at.values[-1].reference_value)
        paths = []
        for path in sorted(self.docs):
            *above, collection, _ = path.split("/")
            if collection != source.collection_id or path <= after:
                continue
            within = "/".join(above)
            below = source.all_descendants and (not parent or within.startswith(parent + "/"))
            if within == parent or below:
                paths.append(path)
        if "limit" in query:
            paths = paths[: int(query.limit)]
        base = request["parent"].split("/documents", 1)[0] + "/documents/"
        named = {f.field_path for f in query.select.fields} if "select" in query else None
        found = [
            RunQueryResponse(
                document=Document(
                    name=base + path,
                    fields=encode_dict(_projected(self.docs[path], named)),
                    create_time=self.versions[path],
                    update_time=self.versions[path],
                ),
                read_time=self.versions[path],
            )
            for path in paths
        ]
        return iter(found or [RunQueryResponse(read_time=_EPOCH)])

    def _batch_get(self, request: dict, **kw: Any):
        tx = b"tx" if request.get("new_transaction") else None
        for name in request["documents"]:
            path = self._path(name)
            if path in self.docs:
                version = self.versions[path]
                found = Document(
                    name=name,
                    fields=encode_dict(self.docs[path]),
                    create_time=version,
                    update_time=version,
                )
                yield BatchGetDocumentsResponse(found=found, read_time=version, transaction=tx)
            else:
                yield BatchGetDocumentsResponse(missing=name, read_time=_EPOCH, transaction=tx)

    def _commit(self, request: dict, **kw: Any) -> CommitResponse:
        writes = list(request["writes"])
        self.before_commit(writes)
        for write in writes:  # all or nothing: every precondition first
            self._check(write)
        self.commits.append(writes)
        now = self._tick()
        for write in writes:
            if write.delete:
                self.docs.pop(self._path(write.delete), None)
                self.versions.pop(self._path(write.delete), None)
                continue
            path = self._path(write.update.name)
            fields = decode_dict(write.update.fields, self.client)
            if "update_mask" in write:  # set(merge=True), update(): only the paths named
                doc = self.docs.get(path, {})
                for field_path in write.update_mask.field_paths:
                    _set_path(doc, fields, parse_field_path(field_path))
                self.docs[path] = doc
            else:
                self.docs[path] = fields
            for transform in write.update_transforms:
                if "increment" not in transform:  # applied: Increment alone (the updater's)
                    continue
                *parents, leaf = parse_field_path(transform.field_path)
                node = self.docs[path]
                for part in parents:
                    node = node.setdefault(part, {})
                node[leaf] = node.get(leaf, 0) + decode_value(transform.increment, self.client)
            self.versions[path] = now
        return CommitResponse(
            commit_time=now, write_results=[WriteResult(update_time=now) for _ in writes]
        )

    def _check(self, write: Any) -> None:
        if "current_document" not in write:
            return
        path = self._path(write.delete or write.update.name)
        condition = write.current_document
        if "exists" in condition:
            if condition.exists and path not in self.docs:
                raise exceptions.NotFound(f"No document to update: {path}")
            if not condition.exists and path in self.docs:
                raise exceptions.AlreadyExists(f"Document already exists: {path}")
        if "update_time" in condition and self.versions.get(path) != condition.update_time:
            raise exceptions.FailedPrecondition(f"The document changed: {path}")

    def first_answer_lost(self) -> list:
        """The next Commit is applied but its answer does not come back (UNAVAILABLE): the
        client's retry (bounded(), applied here as the generated client applies it) sends it
        again. The lost one, once sent."""
        applied, lost = self.api.commit.side_effect, []

        def commit(request, retry, **kw):
            def attempt():
                answer = applied(request=request)
                if not lost:
                    lost.append(request)
                    raise exceptions.ServiceUnavailable("connection reset")
                return answer

            return retry(attempt)()

        self.api.commit.side_effect = commit
        return lost

    def written(self, prefix: str) -> list:
        """The writes of every commit to documents whose path starts with `prefix`."""
        return [
            w
            for writes in self.commits
            for w in writes
            if self._path(w.delete or w.update.name).startswith(prefix)
        ]


def _projected(doc: dict, named: set[str] | None) -> dict:
    """The document as a query with a projection (`select`) of top-level fields answers it."""
    return doc if named is None else {k: v for k, v in doc.items() if k in named}


def _set_path(doc: dict, fields: dict, parts: list[str]) -> None:
    """The value at `parts` in `fields` set in `doc`, or removed if `fields` has none there
    (DELETE_FIELD)."""
    head, *rest = parts
    if not rest:
        if head in fields:
            doc[head] = fields[head]
        else:
            doc.pop(head, None)
        return
    if not isinstance(doc.get(head), dict):  # as Firestore does: a value that is no map becomes one
        doc[head] = {}
    _set_path(doc[head], fields.get(head) or {}, rest)
