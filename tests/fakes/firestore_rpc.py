"""Firestore's RPCs over documents kept in a dict, under the real client library: what an adapter
sends and how Firestore answers it (a commit's preconditions, an empty query), for unit tests of
writes whose order matters. Not an emulator: no query matches a document (every query is empty)
and transactions do not conflict; a test interleaves requests with `before_commit`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1._helpers import decode_dict, encode_dict
from google.cloud.firestore_v1.field_path import parse_field_path
from google.cloud.firestore_v1.types import (
    BatchGetDocumentsResponse,
    CommitResponse,
    Document,
    WriteResult,
)

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class FirestoreRpc:
    """`docs`: path (under documents/) -> fields. `commits`: each commit's writes, in order.
    `before_commit(writes)`: called as a commit arrives, before it is judged (a concurrent
    request landing first)."""

    def __init__(self, docs: dict[str, dict] | None = None) -> None:
        self.client = firestore.Client(project="demo-ion", credentials=AnonymousCredentials())
        self.docs: dict[str, dict] = {}
        self.versions: dict[str, datetime] = {}  # update_time of each document
        self._clock = 0
        self.commits: list[list] = []
        self.before_commit: Callable[[list], None] = lambda writes: None
        api = mock.Mock()
        api.begin_transaction.side_effect = lambda **kw: mock.Mock(transaction=b"tx")
        api.batch_get_documents.side_effect = self._batch_get
        api.run_query.side_effect = lambda **kw: iter([])
        api.commit.side_effect = self._commit
        self.client._firestore_api_internal = api
        self.api = api
        for path, fields in (docs or {}).items():
            self.put(path, fields)

    def put(self, path: str, fields: dict) -> None:
        """A document as another request writes it."""
        self.docs[path] = fields
        self.versions[path] = self._tick()

    def _tick(self) -> datetime:
        self._clock += 1
        return _EPOCH + timedelta(microseconds=self._clock)

    def _path(self, name: str) -> str:
        return name.split("/documents/", 1)[1]

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

    def written(self, prefix: str) -> list:
        """The writes of every commit to documents whose path starts with `prefix`."""
        return [
            w
            for writes in self.commits
            for w in writes
            if self._path(w.delete or w.update.name).startswith(prefix)
        ]


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
    _set_path(doc.setdefault(head, {}), fields.get(head) or {}, rest)
