"""The BigQuery row writer: which refused rows are dead-lettered (rows BigQuery can never take)
and which failures fail the delivery so that Pub/Sub delivers it again; and what provisioning
creates, in which order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.api_core import exceptions

from common.analytics.sink import Message, sink_messages
from common.analytics.warehouse import (
    BigQueryRowWriter,
    InsertFailed,
    function_files,
    provision,
    view_files,
)
from common.events import Event

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


class FakeClient:
    """insert_rows_json answering one scripted result (insertErrors, or an exception) per call."""

    def __init__(self, *answers) -> None:
        self._answers = list(answers)
        self.calls: list[bool] = []  # skip_invalid_rows of each call

    def insert_rows_json(self, table, rows, *, row_ids, skip_invalid_rows, retry, timeout):
        assert row_ids == [r["event_id"] for r in rows]
        # bounded: each attempt, and the retries of a transient error all together (the
        # library's default retries for 600 s without a socket timeout)
        assert timeout == 10.0 and retry.timeout == 20.0
        self.calls.append(skip_invalid_rows)
        answer = self._answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def rows(n: int) -> list[dict]:
    return [{"event_id": f"e{i}"} for i in range(n)]


def error(index: int, reason: str, message: str = "") -> dict:
    return {"index": index, "errors": [{"reason": reason, "message": message}]}


def test_a_clean_batch_is_one_call():
    client = FakeClient([])
    assert BigQueryRowWriter(client, table="p.d.events").insert(rows(3)) == [None] * 3
    assert client.calls == [False]


def test_an_invalid_row_is_named_and_the_others_are_written_on_the_second_try():
    # BigQuery without skipInvalidRows: the bad row is `invalid`, the rest `stopped`.
    first = [error(0, "stopped"), error(1, "invalid", "no such field: x"), error(2, "stopped")]
    client = FakeClient(first, [error(1, "invalid", "no such field: x")])
    refused = BigQueryRowWriter(client, table="p.d.events").insert(rows(3))
    assert refused == [None, "no such field: x", None]
    assert client.calls == [False, True]


def test_the_emulator_refusing_the_whole_request_still_names_the_invalid_row():
    client = FakeClient(exceptions.BadRequest("bad row"), [error(0, "invalid", "Cannot convert")])
    assert BigQueryRowWriter(client, table="t").insert(rows(2)) == ["Cannot convert", None]


@pytest.mark.parametrize("reason", ["backendError", "internalError", "timeout", "stopped", ""])
def test_a_row_failing_for_another_reason_fails_the_write(reason):
    second = [error(0, "invalid", "bad"), error(1, reason)]
    client = FakeClient([error(1, reason)], second)
    with pytest.raises(InsertFailed, match=reason or "unknown"):
        BigQueryRowWriter(client, table="t").insert(rows(3))


def test_a_transient_row_error_is_redelivered_not_dead_lettered():
    event = Event("session.started", NOW, "k", "s1", {"client": "v2"})
    client = FakeClient([error(0, "backendError")], [error(0, "backendError")])
    writer = BigQueryRowWriter(client, table="t")

    class Letters:
        def publish(self, data: bytes, attributes: dict[str, str]) -> None:
            raise AssertionError(f"dead-lettered: {attributes}")

    with pytest.raises(InsertFailed):  # the push answers 500: Pub/Sub delivers it again
        sink_messages(
            [Message(event.encode(), event.attributes())],
            write=writer.insert,
            dead_letter=Letters(),
            now=NOW,
        )


def test_a_refused_row_is_dead_lettered_without_the_user_key_attribute():
    """An anonymised user's event has anon- ids in its body and the user key as `subject` (for
    the profile updater): the letter an operator reads must not put the two side by side."""
    event = Event("session.started", NOW, None, "anon-s1", {"client": "v2"}, subject="ukey-1")
    assert event.attributes()["subject"] == "ukey-1"
    client = FakeClient(
        [error(0, "invalid", "no such field: x")], [error(0, "invalid", "no such field: x")]
    )
    letters: list[dict[str, str]] = []

    class Letters:
        def publish(self, data: bytes, attributes: dict[str, str]) -> None:
            letters.append(attributes)

    report = sink_messages(
        [Message(event.encode(), event.attributes(), message_id="m1")],
        write=BigQueryRowWriter(client, table="t").insert,
        dead_letter=Letters(),
        now=NOW,
    )
    assert report.dead_lettered == 1
    assert letters == [
        {
            "event_id": event.event_id,
            "type": "session.started",
            "dead_letter_reason": letters[0]["dead_letter_reason"],
            "original_message_id": "m1",
        }
    ]


class ProvisionClient:
    """Records what provision() creates, in order."""

    def __init__(self) -> None:
        self.made: list[tuple[str, object]] = []

    def create_dataset(self, dataset, exists_ok):
        pass

    def create_table(self, table, exists_ok):
        self.made.append(("view" if table.view_query else "table", table))

    def create_routine(self, routine, exists_ok):
        self.made.append(("function", routine))

    def delete_table(self, table, not_found_ok):
        pass

    def delete_routine(self, routine, not_found_ok):
        pass


def test_provisioning_makes_the_table_functions_of_a_range_before_the_views_over_them():
    client = ProvisionClient()
    made = provision(client, project="p", dataset="d")
    kinds = [kind for kind, _ in client.made]
    assert kinds == ["table"] * 2 + ["function"] * len(function_files()) + ["view"] * len(
        view_files()
    )
    functions = {r.routine_id: r for kind, r in client.made if kind == "function"}
    assert set(functions) == set(function_files()) and set(functions) <= set(made)
    order = list(functions)
    assert order.index("turns_between") < order.index("persona_distribution_between")
    for routine in functions.values():
        assert (routine.type_, routine.language) == ("TABLE_VALUED_FUNCTION", "SQL")
        args = [(a.name, a.data_type.type_kind.name) for a in routine.arguments]
        assert args == [("start_day", "DATE"), ("end_day", "DATE")], routine.routine_id
        assert "`p.d." in routine.body and "${" not in routine.body
