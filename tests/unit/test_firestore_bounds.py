"""Every Firestore call on a request path is bounded: `**bounded()` caps each attempt and all its
retries (see firestore_calls.bounded), and a transaction, whose BeginTransaction and Commit no
argument bounds, runs within_deadline. The client's default retry policy keeps retrying an
unreachable Firestore for minutes, which holds a request until the function times out instead
of answering 503. This reads the adapters' source, so a new unbounded call fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ADAPTERS = Path(__file__).resolve().parents[2] / "common" / "adapters"
# The adapters behind HTTP requests and Pub/Sub pushes.
REQUEST_PATH = ("firestore_sessions", "firestore_profiles", "firestore_devices", "firestore_push")
# The scheduled jobs' (the notification producers', the cleanup's): nobody waits on them, and
# the producers' transaction's 60 s fits their margin (a run's budget is 420 s of 540), but one
# read retried for the client's 300 s did not: the run was killed before it reported.
JOBS = ("firestore_audience", "firestore_cleanup")
ALWAYS_RPC = {"stream", "commit", "get_all", "list_documents", "collections"}
REFERENCE_WRITES = {"set", "update", "delete", "create"}
STAGING = {"batch", "tx", "transaction", "writer"}  # writes staged for a later commit


def _is_bounded(call: ast.Call) -> bool:
    return any(
        k.arg is None
        and isinstance(k.value, ast.Call)
        and isinstance(k.value.func, ast.Name)
        and k.value.func.id == "bounded"
        for k in call.keywords
    )


def _is_rpc(call: ast.Call) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in ALWAYS_RPC:
        return True
    if func.attr == "get":  # DocumentReference.get(); not snapshot.get(field) or dict.get(key)
        return not call.args  # get(transaction=tx) too: a read as any other, retried as long
    if func.attr in REFERENCE_WRITES:  # ref.set(...), not batch.set(ref, ...)
        # A name held by a staged write is no call; any other (`ref`, `user_ref`) is a reference.
        # (A dict held in a plain name would count too: merge into it with `|=` instead.)
        return not (isinstance(func.value, ast.Name) and func.value.id in STAGING)
    return False


def unbounded_calls(source: str) -> list[str]:
    tree = ast.parse(source)
    return [
        f"line {node.lineno}: {ast.unparse(node)[:80]}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _is_rpc(node) and not _is_bounded(node)
    ]


def unbounded_transactions(source: str) -> list[str]:
    """`<client>.transaction()` handed to anything but within_deadline."""
    tree = ast.parse(source)
    waited = {
        id(arg)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "within_deadline"
        for arg in node.args
    }
    return [
        f"line {node.lineno}: {ast.unparse(node)[:80]}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "transaction"
        and not node.args
        and id(node) not in waited
    ]


@pytest.mark.parametrize("module", [*REQUEST_PATH, *JOBS])
def test_every_firestore_call_is_bounded(module: str) -> None:
    assert unbounded_calls((ADAPTERS / f"{module}.py").read_text()) == []


@pytest.mark.parametrize("module", REQUEST_PATH)
def test_every_transaction_on_a_request_path_runs_within_its_deadline(module: str) -> None:
    assert unbounded_transactions((ADAPTERS / f"{module}.py").read_text()) == []


def test_the_check_finds_unbounded_calls() -> None:
    source = """
ref.get(timeout=5)
query.stream()
batch.commit(**bounded())
db.collection("a").document("b").set({"x": 1})
snap.get("field")
batch.set(ref, {})
ref.get(transaction=tx)
coll.list_documents()
ref.set({"x": 1})
tx.update(ref, {"x": 1})
ref.collections(**bounded())
"""
    found = unbounded_calls(source)
    lines = ["line 2", "line 3", "line 5", "line 8", "line 9", "line 10"]
    assert [f.split(":")[0] for f in found] == lines


def test_the_check_finds_transactions_run_without_a_deadline() -> None:
    source = """
run(self._db.transaction())
within_deadline(run, self._db.transaction(), daily)
kept += run(db.transaction(), items)
batch = db.batch()
"""
    found = unbounded_transactions(source)
    assert [f.split(":")[0] for f in found] == ["line 2", "line 4"]
