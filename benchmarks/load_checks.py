"""After the load benchmark: the outbox drains, every acknowledged turn is in Firestore once, every
event reaches BigQuery, and the views agree with Firestore."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import TYPE_CHECKING

from scripts import stack

if TYPE_CHECKING:
    from benchmarks.load import Run


def wait_outbox(run: Run, db, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        left = sum(1 for _ in db.collection("outbox").select([]).stream())
        if left == 0 or time.monotonic() > deadline:
            run.log(f"outbox: {left} entries left")
            return left
        run.log(f"outbox: {left} entries waiting for the relay")
        time.sleep(5)


def check_firestore(run: Run, db) -> dict:
    from google.cloud.firestore_v1.base_query import FieldFilter

    ledger = run.ledger
    stored: dict[str, list[dict]] = defaultdict(list)  # client_turn_id -> stored turns
    sessions: dict[str, int] = {}
    created: dict[str, float] = {}  # turn_id -> seconds since the run started
    gaps = 0
    for uid in ledger.users:
        q = db.collection("sessions").where(filter=FieldFilter("owner_uid", "==", uid))
        for snap in q.stream():
            turns = [t.to_dict() for t in snap.reference.collection("turns").stream()]
            sessions[snap.id] = len(turns)
            if sorted(t["turn_index"] for t in turns) != list(range(len(turns))):
                gaps += 1
            if snap.to_dict().get("turn_count") != len(turns):
                gaps += 1
            for t in turns:
                stored[t["client_turn_id"]].append(
                    {"session_id": snap.id, "turn_id": t["turn_id"], "turn_index": t["turn_index"]}
                )
                created[t["turn_id"]] = round(t["created_at"].timestamp() - run.wall_started, 1)
    lost = [c for c, t in ledger.turns.items() if not stored.get(c)]
    mismatched = [
        c
        for c, t in ledger.turns.items()
        if stored.get(c)
        and (stored[c][0]["turn_id"], stored[c][0]["session_id"]) != (t["turn_id"], t["session_id"])
    ]
    doubled = [c for c, s in stored.items() if len(s) > 1]
    gave_up = {g["client_turn_id"] for g in ledger.gave_up}
    unacknowledged = [c for c in stored if c not in ledger.turns]
    unexplained = [c for c in unacknowledged if c not in gave_up]
    return {
        "users": len(ledger.users),
        "sessions": len(sessions),
        "turns_acknowledged": len(ledger.turns),
        "turns_stored": sum(len(s) for s in stored.values()),
        "lost": len(lost),
        "doubled": len(doubled),
        "mismatched": len(mismatched),
        "index_gaps": gaps,
        "given_up_by_client": len(gave_up),
        "stored_but_given_up": len(unacknowledged) - len(unexplained),
        "stored_unexplained": len(unexplained),
        "_session_ids": sorted(sessions),
        "_turn_ids": sorted(s[0]["turn_id"] for s in stored.values()),
        "_created": created,
    }


def emulator_bigquery():
    from common.analytics.warehouse import emulator_client

    return emulator_client("127.0.0.1:9050", stack.PROJECT)


def _query(bq, sql: str, session_ids: list[str]) -> list:
    from google.cloud import bigquery

    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ArrayQueryParameter("s", "STRING", session_ids)]
    )
    return list(bq.query(sql, job_config=config).result())


TABLE = f"`{stack.PROJECT}.analytics.events`"
VIEW = f"`{stack.PROJECT}.analytics.{{}}`"


def event_counts(bq, session_ids: list[str]) -> dict[str, dict]:
    rows = _query(
        bq,
        f"SELECT type, COUNT(DISTINCT event_id) AS events, COUNT(*) AS copies FROM {TABLE} "  # noqa: S608
        "WHERE session_id IN UNNEST(@s) GROUP BY type",
        session_ids,
    )
    return {r["type"]: {"events": r["events"], "copies": r["copies"]} for r in rows}


def wait_analytics(run: Run, bq, expected: dict[str, int], session_ids: list[str]) -> dict:
    """Poll until every expected event is queryable, the counts stop changing for
    `--drain-stall` seconds, or `--drain-timeout` passes."""
    started = time.monotonic()
    want = sum(expected.values())
    last, last_change, history = -1, time.monotonic(), []
    while True:
        counts = event_counts(bq, session_ids)
        have = sum(counts.get(t, {}).get("events", 0) for t in expected)
        now = time.monotonic()
        history.append((round(now - started, 1), have))
        if have != last:
            last, last_change = have, now
        rate = ""
        if len(history) > 1 and history[-1][0] > history[0][0]:
            rate = f", {(have - history[0][1]) / (history[-1][0] - history[0][0]):.1f}/s"
        run.log(f"analytics: {have:,} of {want:,} expected events queryable{rate}")
        done = all(counts.get(t, {}).get("events", 0) >= n for t, n in expected.items())
        if done or now - last_change > run.args.drain_stall:
            break
        if now - started > run.args.drain_timeout:
            break
        time.sleep(5)
    return {
        "expected": expected,
        "queryable": {t: counts.get(t, {}).get("events", 0) for t in expected},
        "other_types": {t: c for t, c in counts.items() if t not in expected},
        "copies": {t: c["copies"] for t, c in counts.items()},
        "complete": done,
        "backlog": max(0, want - have),
        "waited_s": round(time.monotonic() - started, 1),
        "drain_rate_per_s": round(
            (history[-1][1] - history[0][1]) / max(1e-9, history[-1][0] - history[0][0]), 1
        )
        if len(history) > 1
        else None,
    }


def check_views(run: Run, bq, fs: dict) -> dict:
    session_ids, turn_ids = fs["_session_ids"], set(fs["_turn_ids"])
    turns = _query(
        bq,
        f"SELECT turn_id, COUNT(*) AS n FROM {VIEW.format('turns')} "  # noqa: S608
        "WHERE session_id IN UNNEST(@s) GROUP BY turn_id",
        session_ids,
    )
    in_view = {r["turn_id"]: r["n"] for r in turns}
    started = _query(
        bq,
        f"SELECT session_id, COUNT(*) AS n FROM {VIEW.format('events_dedup')} "  # noqa: S608
        "WHERE session_id IN UNNEST(@s) AND type = 'session.started' GROUP BY session_id",
        session_ids,
    )
    final = _query(
        bq,
        f"SELECT turn_id, rating FROM {VIEW.format('feedback_final')} "  # noqa: S608
        "WHERE session_id IN UNNEST(@s)",
        session_ids,
    )
    final_rating = {r["turn_id"]: r["rating"] for r in final}
    ratings = run.ledger.ratings
    missing = sorted(turn_ids - set(in_view))
    return {
        # when each turn missing from the view was taken, to set beside the fault windows
        "missing_turns_taken_at_s": sorted(fs["_created"].get(t) for t in missing),
        "turns_in_view": len(in_view),
        "turns_missing_from_view": len(turn_ids - set(in_view)),
        "turns_doubled_in_view": sum(1 for n in in_view.values() if n > 1),
        "turns_in_view_not_in_firestore": len(set(in_view) - turn_ids),
        "sessions_started": len(started),
        "sessions_started_twice": sum(1 for r in started if r["n"] > 1),
        "rated_turns": len(ratings),
        "ratings_missing_from_view": sum(1 for t in ratings if t not in final_rating),
        "ratings_differing": sum(
            1 for t, r in ratings.items() if t in final_rating and final_rating[t] != r["rating"]
        ),
    }
