"""The sink's pure parts: group commit across concurrent deliveries, SQL files and their order,
and the synthetic history's determinism."""

from __future__ import annotations

import math
import os
import threading
from datetime import UTC, datetime

import pytest

from common.analytics.schema import VIEWS_DIR
from common.analytics.sink import GroupCommit
from common.analytics.warehouse import (
    ALL_TIME,
    FUNCTION_RANGE,
    daily_files,
    definition,
    function_files,
    reads,
    render,
    view_files,
    view_order,
)
from scripts.synthetic_history import history


def test_group_commit_joins_the_items_that_arrive_while_a_write_is_in_flight():
    calls: list[list[int]] = []
    release = threading.Event()
    first_started = threading.Event()

    def flush(items: list[int]) -> list[str]:
        calls.append(list(items))
        if len(calls) == 1:
            first_started.set()
            release.wait(5)
        return [f"ok-{i}" for i in items]

    group: GroupCommit[int, str] = GroupCommit(flush, max_items=100)
    results: dict[int, str] = {}

    def submit(i: int) -> None:
        results[i] = group.submit(i)

    first = threading.Thread(target=submit, args=(0,))
    first.start()
    assert first_started.wait(5)
    others = [threading.Thread(target=submit, args=(i,)) for i in range(1, 6)]
    for t in others:
        t.start()
    # The five wait behind the first write; let them all queue before it finishes.
    deadline = threading.Event()
    while len(group._pending) < 5 and not deadline.wait(0.01):
        pass
    release.set()
    for t in (first, *others):
        t.join(5)
    assert calls[0] == [0]
    assert sorted(calls[1]) == [1, 2, 3, 4, 5] and len(calls) == 2
    assert results == {i: f"ok-{i}" for i in range(6)}


def test_group_commit_splits_at_max_items_and_a_failed_write_fails_its_items_only():
    calls: list[list[int]] = []

    def flush(items: list[int]) -> list[None]:
        calls.append(list(items))
        if 99 in items:
            raise ConnectionError("bigquery down")
        return [None] * len(items)

    group: GroupCommit[int, None] = GroupCommit(flush, max_items=2)
    assert group.submit(1) is None
    with pytest.raises(ConnectionError):
        group.submit(99)
    assert group.submit(2) is None  # the group recovers after a failed write
    assert calls == [[1], [99], [2]]


def test_a_delivery_waits_for_a_held_up_write_only_so_long():
    # BigQuery holds the write that carries the first delivery's row; the next delivery gives
    # up at its deadline (its delivery fails and is retried) and its row is never written.
    release, started = threading.Event(), threading.Event()
    written: list[list[int]] = []

    def flush(items: list[int]) -> list[None]:
        started.set()
        release.wait(10)
        written.append(items)
        return [None] * len(items)

    group: GroupCommit[int, None] = GroupCommit(flush, wait_seconds=0.2)
    first = threading.Thread(target=group.submit, args=(1,))
    first.start()
    assert started.wait(5)
    with pytest.raises(TimeoutError):
        group.submit(2)
    release.set()
    first.join(5)
    group.submit(3)  # the next write carries only what is still waiting
    assert written == [[1], [3]]


@pytest.mark.parametrize(
    ("files", "days"), [(view_files, ALL_TIME), (function_files, FUNCTION_RANGE)]
)
def test_views_render_with_placeholders_and_come_after_what_they_read(files, days):
    sources = {name: path.read_text() for name, path in files().items()}
    order = view_order(sources)
    assert set(order) == set(sources)
    for name in order:
        for dep in reads(sources[name]) & set(sources):
            assert order.index(dep) < order.index(name), (dep, name)
    for name, sql in sources.items():
        text = render(sql, project="p", dataset="d", **days)
        assert "${" not in text and "`p.d." in text, name
    # Every view or table function that reads the raw table de-duplicates it by event_id itself
    # (user_activity and engagement_trend read it only for their clock, the newest occurred_at,
    # which copies cannot change).
    for name, sql in sources.items():
        clock = name.removesuffix("_between") in {"user_activity", "engagement_trend"}
        if "${dataset}.events`" in sql and not clock:
            assert "PARTITION BY event_id" in sql, name


def test_table_functions_read_only_the_events_table_and_each_other():
    """provision() and Terraform create the functions before the views: a function reading a
    view would be refused (and would read all of the view's days). A view of the same name as a
    function without `_between` is made from its file, so none is in the views folder."""
    functions = {name: path.read_text() for name, path in function_files().items()}
    for name, sql in functions.items():
        assert reads(sql) <= {"events", *functions}, name
        assert not (VIEWS_DIR / f"{name.removesuffix('_between')}.sql").exists(), name


def test_the_dashboard_views_and_daily_tables_exist():
    expected = {
        "events_dedup",
        "daily_active_users",
        "weekly_active_users",
        "persona_distribution",
        "satisfaction_by_persona",
        "intent_mix",
        "engagement_trend",
        "multi_turn_adoption",
        "alternative_persona_use",
        "user_segments",
        "churn_risk",
        "vip_users",
        "crisis_counts",
        "service_health_hourly",
    }
    assert expected <= set(view_files())
    assert {"daily_activity", "daily_persona_intent"} <= set(daily_files())
    for name, path in daily_files().items():
        sql = path.read_text()
        # Idempotent: a MERGE into a table made once. A whole rebuild (CREATE OR REPLACE) would
        # keep an erased user's rows until its next run, and drop whatever Terraform declared on
        # the table; the daily tables are counts per day, with no user key to erase.
        assert "CREATE TABLE IF NOT EXISTS" in sql and "MERGE" in sql, name
        assert "CREATE OR REPLACE" not in sql, name
        # Each row says which version of the file computed it, and the days another version
        # computed are recomputed (within the retention: tests/integration)
        assert sql.count("'${definition}'") == 3, name
        assert "WHERE definition IS DISTINCT FROM '${definition}'" in sql, name
        assert f"'{definition(sql)}'" in render(
            sql, project="p", dataset="d", definition=definition(sql)
        )


def test_a_daily_file_s_definition_changes_with_it_and_with_any_view(tmp_path, monkeypatch):
    from common.analytics import warehouse

    view = tmp_path / "v.sql"
    view.write_text("SELECT 1")
    monkeypatch.setattr(warehouse, "view_files", lambda: {"v": view})
    first = definition("MERGE a")
    assert definition("MERGE a") == first and definition("MERGE b") != first
    view.write_text("SELECT 2")  # what the daily file reads changed: its figures may too
    assert definition("MERGE a") != first


def test_a_cycle_between_views_is_reported():
    with pytest.raises(ValueError, match="cycle"):
        view_order({"a": "FROM ${dataset}.b", "b": "FROM ${dataset}.a"})


def test_an_unknown_placeholder_is_an_error_but_json_paths_are_not():
    assert render("JSON_VALUE(p, '$.x') ${project}", project="p") == "JSON_VALUE(p, '$.x') p"
    with pytest.raises(ValueError, match="unknown placeholders"):
        render("${projct}.x", project="p")


def test_the_synthetic_history_is_deterministic_for_a_seed():
    end = datetime(2026, 11, 22, tzinfo=UTC)

    def ids(seed: int) -> list[str]:
        return [e.event_id for e in history(weeks=2, users=20, seed=seed, end=end, key="k")]

    first = ids(3)
    assert first == ids(3)
    assert first != ids(4)
    events = list(history(weeks=2, users=20, seed=3, end=end, key="k"))
    types = {e.type for e in events}
    assert {"session.started", "chat.turn.completed", "feedback.submitted"} <= types
    assert all(e.occurred_at <= end for e in events)


def test_a_local_synthetic_history_from_a_plain_shell_writes_to_the_stacks_emulators(
    monkeypatch: pytest.MonkeyPatch,
):
    """A developer's shell has no emulator variables (the stack sets them for its own processes):
    with ION_ENV local the script still writes to the emulators, never to real BigQuery or
    Pub/Sub with the developer's own login."""
    import scripts.synthetic_history as synthetic

    names = ("BIGQUERY_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST")
    for name in names:
        monkeypatch.setenv(name, "unset after the test")  # so monkeypatch restores its absence
        monkeypatch.delenv(name)
    seen: dict[str, str | None] = {}

    class Writer:
        def __init__(self, mode: str, *, project: str, dataset: str) -> None:
            seen.update({name: os.environ.get(name) for name in names})

    monkeypatch.setattr(synthetic, "Writer", Writer)
    monkeypatch.setattr(synthetic, "generate", lambda **kw: 0)
    synthetic.main(["--weeks", "1", "--users", "1"])
    assert seen == {
        "BIGQUERY_EMULATOR_HOST": "127.0.0.1:9050",
        "PUBSUB_EMULATOR_HOST": "127.0.0.1:8085",
    }


def test_auc_counts_pairs_ranked_right_with_ties_at_half():
    from common.analytics.churn_eval import auc, evaluate

    assert auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auc([0.1], [0.9]) == 0.0
    assert auc([0.5], [0.5]) == 0.5
    assert auc([0.9, 0.3], [0.5, 0.1]) == 0.75
    scored = [
        {"user_key": "a", "risk": 0.9, "band": "high", "recency_days": 20.0},
        {"user_key": "b", "risk": 0.2, "band": "low", "recency_days": 1.0},
        {"user_key": "c", "risk": 0.4, "band": "medium", "recency_days": 3.0},
    ]
    result = evaluate(scored, active_after={"b"})
    assert (result.users, result.churned, result.auc) == (3, 2, 1.0)
    empty = evaluate([], active_after=set())  # the view returned no rows: no ZeroDivisionError
    assert empty.users == 0 and math.isnan(empty.precision_top_decile)
    assert result.churn_rate_by_band == {"high": 1.0, "low": 0.0, "medium": 1.0}
    assert (result.recent_users, result.recent_churned, result.recent_auc) == (2, 1, 1.0)


def test_precision_in_the_top_decile_counts_users_tied_at_the_cut_off_in_proportion():
    from common.analytics.churn_eval import evaluate

    # 20 users, the top decile is 2; the 4 highest tie at 0.9, 2 of them churned. Taken in row
    # order the top 2 were both churned or both retained: 1.0 or 0.0 by the order of the rows.
    scored = [
        {"user_key": f"u{i}", "risk": 0.9 if i < 4 else 0.1, "band": "high", "recency_days": 20}
        for i in range(20)
    ]
    active = {"u0", "u1"} | {f"u{i}" for i in range(4, 20)}
    assert evaluate(scored, active).precision_top_decile == 0.5
    assert evaluate(scored[::-1], active).precision_top_decile == 0.5
    # no tie at the cut-off: the 2 highest as they are
    scored[2]["risk"] = scored[3]["risk"] = 0.95
    assert evaluate(scored, active).precision_top_decile == 1.0


def test_the_top_decile_of_100_users_is_their_10_highest_scores():
    from common.analytics.churn_eval import evaluate

    scored = [
        {"user_key": f"u{i}", "risk": 1 - i / 100, "band": "high", "recency_days": 20}
        for i in range(100)
    ]
    active = {f"u{i}" for i in range(10, 100)}  # the 10 highest churned, the 11th did not
    assert evaluate(scored, active).precision_top_decile == 1.0


def test_drain_fills_a_batch_from_several_pulls_and_acks_what_it_wrote():
    from common.analytics.sink import Message, drain
    from common.events import Event

    now = datetime(2026, 11, 22, tzinfo=UTC)
    events = [Event("session.started", now, "k", f"s{i}", {"client": "v2"}) for i in range(7)]
    queue = [(f"ack-{i}", Message(e.encode(), e.attributes())) for i, e in enumerate(events)]
    queue.insert(3, ("ack-bad", Message(b"{", {})))
    acked: list[list[str]] = []
    writes: list[int] = []
    letters: list[dict] = []

    def pull(limit: int):  # an emulator that returns at most 3 messages a pull
        n = min(limit, 3)
        got, queue[:] = queue[:n], queue[n:]
        return got

    def write(rows):
        writes.append(len(rows))
        return [None] * len(rows)

    class Letters:
        def publish(self, data: bytes, attributes: dict[str, str]) -> None:
            letters.append(attributes)

    report = drain(
        pull=pull,
        ack=acked.append,
        write=write,
        dead_letter=Letters(),
        clock=lambda: now,
        batch_size=5,
    )
    assert (report.written, report.dead_lettered) == (7, 1)
    assert writes == [4, 3]  # batches of 5 messages, one of them refused
    assert [len(a) for a in acked] == [5, 3]
    assert letters[0]["dead_letter_reason"] == "not_json"


def _synthetic_main_in_prod(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> list[str]:
    """scripts.synthetic_history's main with ION_ENV=prod for project ion-prod; the writers it
    built (none written to)."""
    import scripts.synthetic_history as synthetic
    from common.config import EMULATOR_HOSTS, get_settings

    for name in (*EMULATOR_HOSTS, "K_SERVICE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ION_ENV", "prod")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "ion-prod")
    built: list[str] = []
    monkeypatch.setattr(synthetic, "Writer", lambda mode, **kw: built.append(mode))
    monkeypatch.setattr(synthetic, "generate", lambda **kw: 0)
    get_settings.cache_clear()
    try:
        synthetic.main(argv)
    finally:
        get_settings.cache_clear()
    return built


@pytest.mark.parametrize("argv", [[], ["--i-mean-prod", "ion-dev"]])
def test_a_synthetic_history_in_prod_needs_the_project_named(monkeypatch, capsys, argv):
    # The weekly retraining reads the ratings of the events in prod's analytics: fake ones
    # written there by a mistyped ION_ENV would train the next model.
    with pytest.raises(SystemExit) as exited:
        _synthetic_main_in_prod(monkeypatch, argv)
    assert exited.value.code == 2
    assert "--i-mean-prod ion-prod" in capsys.readouterr().err


def test_a_synthetic_history_in_prod_with_the_project_named_says_where_first(monkeypatch, capsys):
    assert _synthetic_main_in_prod(monkeypatch, ["--i-mean-prod", "ion-prod"]) == ["sink"]
    assert "project ion-prod" in capsys.readouterr().out


def test_a_bad_synthetic_history_end_is_one_line(monkeypatch, capsys):
    import scripts.synthetic_history as synthetic

    monkeypatch.setattr(synthetic, "Writer", lambda *a, **kw: pytest.fail("built a writer"))
    with pytest.raises(SystemExit) as exited:
        synthetic.main(["--end", "next tuesday"])
    assert exited.value.code == 2
    assert "argument --end" in capsys.readouterr().err
